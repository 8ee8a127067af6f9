#pragma once
// Text output for people and spreadsheets: a table that fits a terminal (80 columns: text
// columns are cut with '~' to make room, numbers never), and CSV (RFC 4180: a field with a comma,
// a quote or a line break is quoted, quotes doubled).
#include <cstddef>
#include <string>
#include <vector>

namespace sealwatch::county {

class TextTable {
  public:
    enum class Align { left, right };
    struct Column {
        std::string header;
        Align align = Align::left;
        bool may_cut = false;  // free text (ids): cut when the table is too wide
    };
    explicit TextTable(std::vector<Column> columns);
    void add(std::vector<std::string> row);  // one cell per column
    bool empty() const { return rows_.empty(); }
    // Columns two spaces apart, header first; at most `width` characters a line when cutting
    // the columns marked may_cut (down to 6 each) can make it so.
    std::string render(std::size_t width = 80) const;

  private:
    std::vector<Column> columns_;
    std::vector<std::vector<std::string>> rows_;
};

std::string csv_field(const std::string& text);
std::string csv_line(const std::vector<std::string>& fields);  // with "\n"

}  // namespace sealwatch::county
