#include "county/table.hpp"

#include <algorithm>
#include <numeric>

namespace sealwatch::county {

namespace {

constexpr std::size_t kGap = 2;     // spaces between columns
constexpr std::size_t kMinCut = 6;  // a cut column keeps at least this many characters

std::string fit(const std::string& text, std::size_t width, TextTable::Align align) {
    std::string cell = text.size() > width ? text.substr(0, width - 1) + "~" : text;
    const std::string pad(width - cell.size(), ' ');
    return align == TextTable::Align::left ? cell + pad : pad + cell;
}

}  // namespace

TextTable::TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

void TextTable::add(std::vector<std::string> row) {
    row.resize(columns_.size());
    rows_.push_back(std::move(row));
}

std::string TextTable::render(std::size_t width) const {
    std::vector<std::size_t> w(columns_.size());
    for (std::size_t c = 0; c < columns_.size(); ++c) {
        w[c] = columns_[c].header.size();
        for (const auto& row : rows_) w[c] = std::max(w[c], row[c].size());
    }
    auto total = [&] {
        return std::accumulate(w.begin(), w.end(), std::size_t{0}) + kGap * (columns_.size() - 1);
    };
    // Take one character at a time from the widest column that may be cut.
    while (total() > width) {
        std::size_t widest = columns_.size();
        for (std::size_t c = 0; c < columns_.size(); ++c)
            if (columns_[c].may_cut && w[c] > kMinCut &&
                (widest == columns_.size() || w[c] > w[widest]))
                widest = c;
        if (widest == columns_.size()) break;
        --w[widest];
    }
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
        std::string text;
        for (std::size_t c = 0; c < columns_.size(); ++c) {
            if (c > 0) text += std::string(kGap, ' ');
            text += fit(cells[c], w[c], columns_[c].align);
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out += text + "\n";
    };
    std::vector<std::string> headers;
    for (const auto& col : columns_) headers.push_back(col.header);
    line(headers);
    for (const auto& row : rows_) line(row);
    return out;
}

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char ch : text) {
        if (ch == '"') out += '"';
        out += ch;
    }
    return out + "\"";
}

std::string csv_line(const std::vector<std::string>& fields) {
    std::string out;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) out += ',';
        out += csv_field(fields[i]);
    }
    return out + "\n";
}

}  // namespace sealwatch::county
