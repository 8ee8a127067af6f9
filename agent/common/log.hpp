#pragma once
// The agent's log: one line per message on stderr, with a syslog priority prefix that journald
// understands ("<4>warning ..."), so levels survive into the journal. Thread-safe; library code
// (protocols/) does not log, the part that decides logs once.
#include <sstream>
#include <string_view>

namespace sealwatch::log {

enum class Level { error = 3, warning = 4, info = 6, debug = 7 };

void set_level(Level max_level);
bool enabled(Level level);
void write(Level level, std::string_view message);

template <typename... Parts>
void emit(Level level, const Parts&... parts) {
    if (!enabled(level)) return;
    std::ostringstream out;
    (out << ... << parts);
    write(level, out.str());
}

template <typename... P>
void error(const P&... p) {
    emit(Level::error, p...);
}
template <typename... P>
void warning(const P&... p) {
    emit(Level::warning, p...);
}
template <typename... P>
void info(const P&... p) {
    emit(Level::info, p...);
}
template <typename... P>
void debug(const P&... p) {
    emit(Level::debug, p...);
}

}  // namespace sealwatch::log
