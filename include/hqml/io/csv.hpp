#pragma once
// CSV files (RFC 4180): comma-separated (or another separator), fields optionally in double quotes with
// "" for a quote, quoted fields may span lines, CRLF or LF line ends, a UTF-8 byte-order mark is skipped,
// and empty lines are skipped. Loading a data set is strict: a missing or non-numeric feature, a missing
// label or a row of the wrong width is an hqml::parse_error naming file, line and column, never a row
// silently dropped or a value silently read as zero.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <Eigen/Core>

#include <hqml/error.hpp>
#include <hqml/io/atomic_file.hpp>

namespace hqml::io {

/// One field and where it starts (1-based line and column, in bytes).
struct csv_field {
  std::string text;
  std::size_t line = 0;
  std::size_t column = 0;
  bool quoted = false;
};

/// Splits text into records; calls fn(std::vector<csv_field>&) for each non-empty line.
template <class Fn>
void for_each_csv_record(std::string_view text, const std::string& file, char separator, Fn&& fn) {
  std::size_t i = 0, line = 1, line_start = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = line_start = 3;
  std::vector<csv_field> record;
  const auto col = [&](std::size_t pos) { return pos - line_start + 1; };
  while (i < text.size()) {
    // An empty line (LF or CRLF) is no record.
    if (text[i] == '\n' || (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      i += text[i] == '\r' ? 2 : 1;
      ++line;
      line_start = i;
      continue;
    }
    record.clear();
    const std::size_t record_line = line;
    for (;;) {
      csv_field f;
      f.line = line;
      f.column = col(i);
      if (i < text.size() && text[i] == '"') {
        f.quoted = true;
        const std::size_t open_line = line, open_col = col(i);
        ++i;
        for (;;) {
          if (i >= text.size()) throw hqml::parse_error(file, open_line, open_col, "unterminated quoted field");
          const char c = text[i];
          if (c == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              f.text += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (c == '\n') {
            ++line;
            line_start = i + 1;
          }
          f.text += c;
          ++i;
        }
        if (i < text.size() && text[i] != separator && text[i] != '\n' && text[i] != '\r')
          throw hqml::parse_error(file, line, col(i), "unexpected character after a closing quote");
      } else {
        const std::size_t start = i;
        while (i < text.size() && text[i] != separator && text[i] != '\n' && text[i] != '\r') {
          if (text[i] == '"') throw hqml::parse_error(file, line, col(i), "quote inside an unquoted field");
          ++i;
        }
        f.text.assign(text.substr(start, i - start));
      }
      record.push_back(std::move(f));
      if (i < text.size() && text[i] == separator) {
        ++i;
        continue;
      }
      break;
    }
    if (i < text.size() && text[i] == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      else throw hqml::parse_error(file, line, col(i), "carriage return without line feed");
    }
    if (i < text.size()) {
      ++i;  // the '\n'
      ++line;
      line_start = i;
    }
    fn(record, record_line);
  }
}

namespace detail {

inline std::string read_whole_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::filesystem::filesystem_error("hqml: cannot open", p, std::make_error_code(std::errc::no_such_file_or_directory));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A finite number spanning the whole (trimmed) text, or false.
inline bool parse_double(std::string_view s, double& out) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
}

inline double field_number(const csv_field& f, const std::string& file, const std::string& column_name) {
  double v = 0;
  if (trim(f.text).empty()) throw hqml::parse_error(file, f.line, f.column, "column '" + column_name + "': missing value");
  if (!parse_double(f.text, v))
    throw hqml::parse_error(file, f.line, f.column,
                            "column '" + column_name + "': '" + f.text + "' is not a finite number");
  return v;
}

}  // namespace detail

/// Which column holds the label: by header name or by 0-based position.
struct label_column {
  std::string name;
  std::size_t index = std::numeric_limits<std::size_t>::max();
  [[nodiscard]] static label_column named(std::string n) { return {std::move(n), std::numeric_limits<std::size_t>::max()}; }
  [[nodiscard]] static label_column at(std::size_t i) { return {{}, i}; }
};

/// Features and class ids; class id c stands for the label text class_names[c]. Ids follow the numeric
/// order of the labels when all are numbers (so "-1" < "1" < "10"), else their lexicographic order.
struct labeled_dataset {
  Eigen::MatrixXd features;
  std::vector<int> labels;
  std::vector<std::string> class_names;
  std::vector<std::string> feature_names;
  std::string label_name;
};

/// Parses CSV text with a header row into features and class ids.
[[nodiscard]] inline labeled_dataset parse_csv_dataset(std::string_view text, const std::string& file,
                                                       const label_column& label, char separator = ',') {
  std::vector<std::string> header;
  std::size_t label_at = 0;
  std::vector<std::vector<double>> rows;
  std::vector<std::string> raw_labels;
  std::vector<const csv_field*> unused;
  bool have_header = false;
  for_each_csv_record(text, file, separator, [&](std::vector<csv_field>& rec, std::size_t line) {
    if (!have_header) {
      for (auto& f : rec) header.push_back(std::string(detail::trim(f.text)));
      have_header = true;
      if (label.index != std::numeric_limits<std::size_t>::max()) {
        if (label.index >= header.size())
          throw hqml::parse_error(file, line, 1, "label column " + std::to_string(label.index) + " does not exist (" +
                                                     std::to_string(header.size()) + " columns)");
        label_at = label.index;
      } else {
        const auto hits = std::count(header.begin(), header.end(), label.name);
        if (hits != 1) {
          std::string cols;
          for (const auto& h : header) cols += (cols.empty() ? "" : ", ") + h;
          throw hqml::parse_error(file, line, 1,
                                  (hits == 0 ? "no column named '" : "more than one column named '") + label.name +
                                      "' in the header (columns: " + cols + ")");
        }
        label_at = static_cast<std::size_t>(std::find(header.begin(), header.end(), label.name) - header.begin());
      }
      if (header.size() < 2) throw hqml::parse_error(file, line, 1, "a data set needs a label and at least one feature column");
      return;
    }
    if (rec.size() != header.size()) {
      const auto& at = rec.size() > header.size() ? rec[header.size()] : rec.back();
      throw hqml::parse_error(file, at.line, at.column,
                              "expected " + std::to_string(header.size()) + " fields, found " + std::to_string(rec.size()));
    }
    std::vector<double> row;
    row.reserve(header.size() - 1);
    for (std::size_t c = 0; c < rec.size(); ++c) {
      if (c == label_at) continue;
      row.push_back(detail::field_number(rec[c], file, header[c]));
    }
    const auto& lf = rec[label_at];
    const std::string lab(detail::trim(lf.text));
    if (lab.empty()) throw hqml::parse_error(file, lf.line, lf.column, "column '" + header[label_at] + "': missing label");
    raw_labels.push_back(lab);
    rows.push_back(std::move(row));
  });
  if (!have_header) throw hqml::parse_error(file, 1, 1, "empty file: expected a header row");
  if (rows.empty()) throw hqml::parse_error(file, 2, 1, "no data rows after the header");

  labeled_dataset d;
  d.label_name = header[label_at];
  for (std::size_t c = 0; c < header.size(); ++c)
    if (c != label_at) d.feature_names.push_back(header[c]);
  d.features.resize(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(header.size() - 1));
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t c = 0; c < rows[r].size(); ++c)
      d.features(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = rows[r][c];

  // Class ids: numeric labels by value ("1" and "1.0" are one class), others by text.
  bool numeric = true;
  std::vector<double> values(raw_labels.size());
  for (std::size_t i = 0; i < raw_labels.size() && numeric; ++i) numeric = detail::parse_double(raw_labels[i], values[i]);
  if (numeric) {
    std::map<double, std::string> names;
    for (std::size_t i = 0; i < raw_labels.size(); ++i) names.emplace(values[i], raw_labels[i]);
    std::map<double, int> id;
    for (const auto& [v, name] : names) {
      id[v] = static_cast<int>(d.class_names.size());
      d.class_names.push_back(name);
    }
    for (double v : values) d.labels.push_back(id[v]);
  } else {
    std::map<std::string, int> id;
    for (const auto& s : raw_labels) id.emplace(s, 0);
    for (auto& [name, k] : id) {
      k = static_cast<int>(d.class_names.size());
      d.class_names.push_back(name);
    }
    for (const auto& s : raw_labels) d.labels.push_back(id[s]);
  }
  return d;
}

[[nodiscard]] inline labeled_dataset read_csv_dataset(const std::filesystem::path& file, const label_column& label,
                                                      char separator = ',') {
  return parse_csv_dataset(detail::read_whole_file(file), file.string(), label, separator);
}

/// A purely numeric table (after an optional header row) as a matrix.
[[nodiscard]] inline Eigen::MatrixXd parse_csv_matrix(std::string_view text, const std::string& file, bool header = true,
                                                      char separator = ',', std::vector<std::string>* names = nullptr) {
  std::vector<std::string> head;
  std::vector<std::vector<double>> rows;
  bool first = true;
  std::size_t width = 0;
  for_each_csv_record(text, file, separator, [&](std::vector<csv_field>& rec, std::size_t) {
    if (first) {
      first = false;
      width = rec.size();
      if (header) {
        for (auto& f : rec) head.push_back(std::string(detail::trim(f.text)));
        return;
      }
      for (std::size_t c = 0; c < rec.size(); ++c) head.push_back(std::to_string(c));
    }
    if (rec.size() != width) {
      const auto& at = rec.size() > width ? rec[width] : rec.back();
      throw hqml::parse_error(file, at.line, at.column,
                              "expected " + std::to_string(width) + " fields, found " + std::to_string(rec.size()));
    }
    std::vector<double> row;
    for (std::size_t c = 0; c < rec.size(); ++c) row.push_back(detail::field_number(rec[c], file, head[c]));
    rows.push_back(std::move(row));
  });
  Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(width));
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t c = 0; c < width; ++c) m(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = rows[r][c];
  if (names) *names = std::move(head);
  return m;
}

[[nodiscard]] inline Eigen::MatrixXd read_csv_matrix(const std::filesystem::path& file, bool header = true,
                                                     char separator = ',', std::vector<std::string>* names = nullptr) {
  return parse_csv_matrix(detail::read_whole_file(file), file.string(), header, separator, names);
}

/// Quotes a field when it needs it (separator, quote or line break inside).
[[nodiscard]] inline std::string csv_escape(std::string_view s, char separator = ',') {
  if (s.find_first_of(std::string{separator, '"', '\n', '\r'}) == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

/// Writes a header and a matrix atomically, numbers with enough digits to read back exactly.
inline void write_csv(const std::filesystem::path& file, const std::vector<std::string>& header,
                      const Eigen::Ref<const Eigen::MatrixXd>& m, char separator = ',') {
  if (!header.empty() && static_cast<Eigen::Index>(header.size()) != m.cols())
    throw std::invalid_argument("hqml: write_csv: header and matrix differ in width");
  std::string out;
  for (std::size_t c = 0; c < header.size(); ++c) out += (c ? std::string(1, separator) : "") + csv_escape(header[c], separator);
  if (!header.empty()) out += '\n';
  char buf[32];
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    for (Eigen::Index c = 0; c < m.cols(); ++c) {
      if (c) out += separator;
      const auto res = std::to_chars(buf, buf + sizeof buf, m(r, c));  // shortest round-trip form
      out.append(buf, res.ptr);
    }
    out += '\n';
  }
  write_file_atomically(file, out);
}

}  // namespace hqml::io
