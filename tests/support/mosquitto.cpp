#include "support/mosquitto.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace sealwatch::test_support {

namespace {

// A port the kernel just gave out and took back: free unless someone races us for it.
int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

bool accepts_connections(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

std::string Mosquitto::find_program() {
    std::vector<std::string> dirs;
    if (const char* path = std::getenv("PATH")) {
        std::string p = path;
        for (size_t start = 0, end; start <= p.size(); start = end + 1) {
            end = p.find(':', start);
            if (end == std::string::npos) end = p.size();
            dirs.push_back(p.substr(start, end - start));
        }
    }
    dirs.insert(dirs.end(), {"/usr/sbin", "/sbin"});  // Debian installs it there
    for (const auto& d : dirs) {
        auto candidate = std::filesystem::path(d) / "mosquitto";
        if (!d.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    return {};
}

Mosquitto::Mosquitto() : port_(free_port()) {
    std::ofstream conf(dir_ / "mosquitto.conf");
    conf << "listener " << port_ << " 127.0.0.1\n"
         << "allow_anonymous true\n"
         << "set_tcp_nodelay true\n";
    // Started as root, mosquitto drops to the user "mosquitto" unless told otherwise.
    if (::geteuid() == 0) conf << "user root\n";
}

Mosquitto::~Mosquitto() {
    kill();
}

std::string Mosquitto::start() {
    if (pid_ > 0) return {};
    const std::string program = find_program();
    if (program.empty()) return "mosquitto is not installed";
    const std::string conf = dir_ / "mosquitto.conf";
    const std::string log = dir_ / "mosquitto.log";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<std::string> args{program, "-c", conf};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        pid_ = -1;
        return "cannot start " + program;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (accepts_connections(port_)) return {};
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return "mosquitto exited at start; see " + log;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "mosquitto does not take connections on port " + std::to_string(port_);
}

void Mosquitto::end(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

void Mosquitto::stop() {
    end(SIGTERM);
}

void Mosquitto::kill() {
    end(SIGKILL);
}

void Mosquitto::freeze() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

}  // namespace sealwatch::test_support
