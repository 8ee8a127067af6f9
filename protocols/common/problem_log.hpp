#pragma once
// The problems found in one file, each as "FILE:LINE: message" (the one format every config,
// profile and scenario error uses), handed out in file order, as an engineer fixes them.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sealwatch {

class ProblemLog {
  public:
    explicit ProblemLog(std::string file) : file_(std::move(file)) {}

    const std::string& file() const { return file_; }

    // A problem at a line of this file; line 0 means the file as a whole.
    void add(unsigned line, std::string_view message);
    // Problems of another file met on the way (a profile folder a config names), already
    // located; they come before this file's own.
    void add_other(std::vector<std::string> located);

    bool empty() const { return other_.empty() && own_.empty(); }
    size_t size() const { return other_.size() + own_.size(); }

    // Every problem: the other files' first, then this file's by line (stable within a line).
    std::vector<std::string> in_file_order() const;

  private:
    std::string file_;
    std::vector<std::string> other_;
    std::vector<std::pair<unsigned, std::string>> own_;
};

}  // namespace sealwatch
