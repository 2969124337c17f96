#pragma once
// CSV files (RFC 4180): comma-separated (or another separator), fields optionally in double quotes with
// "" for a quote, quoted fields may span lines, CRLF or LF line ends, a UTF-8 byte-order mark is skipped,
// and empty lines are skipped. Loading a data set (csv_options) detects the separator, selects columns,
// reads missing cells as NaN and one-hot encodes text columns only when asked to: otherwise a missing or
// non-numeric feature, a missing label or a row of the wrong width is an hqml::parse_error naming file,
// line and column and what to do, never a row silently dropped or a value silently read as zero.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include <hqml/error.hpp>
#include <hqml/io/atomic_file.hpp>
#include <hqml/io/read_file.hpp>
#include <hqml/name_table.hpp>

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
      if (i + 1 < text.size() && text[i + 1] == '\n')
        ++i;
      else
        throw hqml::parse_error(file, line, col(i), "carriage return without line feed");
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

inline std::string read_whole_file(const std::filesystem::path& p) { return read_input_file(p); }

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
  if (trim(f.text).empty())
    throw hqml::parse_error(file, f.line, f.column, "column '" + column_name + "': missing value");
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
  [[nodiscard]] static label_column named(std::string n) {
    return {std::move(n), std::numeric_limits<std::size_t>::max()};
  }
  [[nodiscard]] static label_column at(std::size_t i) { return {{}, i}; }
};

/// What a feature column holding text becomes.
enum class text_columns { refuse, one_hot };

/// Every text_columns value and its name, in the order a program lists them.
inline constexpr name_table<text_columns, 2> text_columns_names{{
    {text_columns::refuse, "refuse"},
    {text_columns::one_hot, "one-hot"},
}};

[[nodiscard]] constexpr std::string_view to_string(text_columns t) {
  return name_in(text_columns_names, t, "hqml::io::to_string", "text column handling");
}

/// The choice called `name`; an unknown name is refused with the list of valid ones.
[[nodiscard]] inline text_columns parse_text_columns(std::string_view name) {
  return parse_in(text_columns_names, name, "hqml::io::parse_text_columns", "text column handling");
}

/// How parse_csv_dataset reads a data set. The defaults suit files found in the wild (any of the usual
/// separators, the usual spellings of a missing value) while still refusing missing values and text.
/// Cells are compared trimmed of spaces and tabs; an empty cell is always a missing one. A column listed
/// in `categories` is one-hot encoded by its text with exactly those levels even where it holds numbers
/// (so data to predict is encoded as the model's training data was), whatever `text` says.
struct csv_options {
  char separator = 0;                 // 0: the most frequent of ',', ';', '\t' in the header (ties or none: ',')
  std::vector<std::string> features;  // keep only these columns, in this order; empty: all but the label and `drop`
  std::vector<std::string> drop;      // columns to leave out
  std::vector<std::string> na_values = {"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?"};  // missing cells
  bool allow_missing = false;  // false: a missing feature is an error; true: it reads as quiet NaN (to be imputed)
  text_columns text = text_columns::refuse;  // one_hot: one 0/1 column "COL=LEVEL" per level, levels sorted
  std::map<std::string, std::vector<std::string>> categories;  // fixed levels (from a saved model), in this order
  bool require_label = true;  // false: the label column may be absent (data to predict)
};

/// Features and class ids; class id c stands for the label text class_names[c]. Ids follow the numeric
/// order of the labels when all are numbers (so "-1" < "1" < "10"), else their lexicographic order.
struct labeled_dataset {
  Eigen::MatrixXd features;  // quiet NaN where a cell was missing (csv_options::allow_missing)
  std::vector<int> labels;   // empty when the label column is absent (csv_options::require_label = false)
  std::vector<std::string> class_names;
  std::vector<std::string> feature_names;  // one-hot columns are named "COL=LEVEL"
  std::string label_name;
  char separator = ',';                                        // the separator used
  std::map<std::string, std::vector<std::string>> categories;  // levels of each one-hot encoded column
  std::vector<std::string> warnings;                           // one line each, e.g. id-like columns
  std::vector<std::size_t> source_columns;  // 0-based header position of each feature (one-hot repeats)
  std::vector<std::size_t> row_lines;       // 1-based file line of each data row
};

namespace detail {

// The most frequent of ',', ';' and '\t' outside quotes in the first (header) record; ties or none: ','.
inline char detect_separator(std::string_view text) {
  std::size_t i = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  while (i < text.size() && (text[i] == '\n' || text[i] == '\r')) ++i;  // empty lines are no record
  std::size_t comma = 0, semicolon = 0, tab = 0;
  bool quoted = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"')
      quoted = !quoted;  // "" inside quotes toggles twice
    else if (quoted)
      continue;
    else if (c == '\n' || c == '\r')
      break;
    else if (c == ',')
      ++comma;
    else if (c == ';')
      ++semicolon;
    else if (c == '\t')
      ++tab;
  }
  if (semicolon > comma && semicolon > tab) return ';';
  if (tab > comma && tab > semicolon) return '\t';
  return ',';
}

// Text for a one-line message: control characters escaped, cut after `max` bytes (on a UTF-8 boundary).
inline std::string shown(std::string_view s, std::size_t max = 40) {
  bool cut = false;
  if (s.size() > max) {
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s = s.substr(0, n);
    cut = true;
  }
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (u < 0x20 || u == 0x7f) {
      const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else
      out += c;
  }
  return cut ? out + "..." : out;
}

// A column name as one shell word, for the command lines the messages suggest.
inline std::string shell_word(std::string_view s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_-.:=/+@%,").find(c) != std::string_view::npos;
  });
  if (plain) return std::string(s);
  std::string out = "'";
  for (char c : shown(s, 60)) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// "column 'x'" or, for a column without a name, its position.
inline std::string column_desc(const std::string& name, std::size_t pos) {
  return name.empty() ? "column " + std::to_string(pos + 1) + " (no name in the header)"
                      : "column '" + shown(name, 60) + "'";
}

// Names for a message: all of a short list; the first 16, a count and the last 4 of a long one.
inline std::string name_list(const std::vector<std::string>& names, bool quote = false) {
  std::string out;
  const auto add = [&](const std::string& n) {
    out += (out.empty() ? "" : ", ") + (quote ? "'" + shown(n, 30) + "'" : shown(n, 30));
  };
  if (names.size() <= 24) {
    for (const auto& n : names) add(n);
  } else {
    for (std::size_t i = 0; i < 16; ++i) add(names[i]);
    out += ", ... " + std::to_string(names.size() - 20) + " more ...";
    for (std::size_t i = names.size() - 4; i < names.size(); ++i) add(names[i]);
  }
  return out;
}

inline bool is_na(std::string_view trimmed, const std::vector<std::string>& na) {
  return trimmed.empty() || std::find(na.begin(), na.end(), trimmed) != na.end();
}

enum class cell_kind { number, missing, not_finite, text };

// What a cell holds; a finite number goes to `out`. "inf", "nan" (unless a missing value) and numbers
// beyond double's range (1e999, 1e-999) are not_finite: numbers, but none hqml can use.
inline cell_kind classify(std::string_view s, const std::vector<std::string>& na, double& out) {
  s = trim(s);
  if (is_na(s, na)) return cell_kind::missing;
  if (s.front() == '+') {
    s.remove_prefix(1);
    if (s.empty() || s.front() == '-') return cell_kind::text;  // "+-1"
  }
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  if (r.ptr != s.data() + s.size()) return cell_kind::text;
  if (r.ec == std::errc::result_out_of_range) return cell_kind::not_finite;
  if (r.ec != std::errc()) return cell_kind::text;
  return std::isfinite(out) ? cell_kind::number : cell_kind::not_finite;
}

// Row ids and pandas' index column: by name.
inline bool id_like_name(const std::string& n, std::size_t pos) {
  const auto ends = [&](std::string_view tail) {
    return n.size() >= tail.size() && std::string_view(n).substr(n.size() - tail.size()) == tail;
  };
  return n == "id" || n == "ID" || n == "index" || n == "Unnamed: 0" || ends("_id") || ends("Id") ||
         (n.empty() && pos == 0);
}

// Class ids: numeric labels by value ("1" and "1.0" are one class), others by text.
inline void assign_class_ids(labeled_dataset& d, const std::vector<std::string>& raw_labels) {
  bool numeric = true;
  std::vector<double> values(raw_labels.size());
  for (std::size_t i = 0; i < raw_labels.size() && numeric; ++i) numeric = parse_double(raw_labels[i], values[i]);
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
}

// A feature column while the file is read.
struct csv_column {
  std::size_t pos = 0;  // in the header
  std::string name;
  bool fixed = false;  // levels given by csv_options::categories
  bool text = false;   // one-hot encoded
  std::vector<std::string> levels;
  std::map<std::string, std::size_t, std::less<>> index;  // level -> id
};

}  // namespace detail

/// Parses CSV text with a header row into features and class ids, as `opt` says (see csv_options).
/// Every refusal is an hqml::parse_error naming the file, line and column, and what to do about it.
[[nodiscard]] inline labeled_dataset parse_csv_dataset(std::string_view text, const std::string& file,
                                                       const label_column& label, const csv_options& opt) {
  constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (opt.separator == '"' || opt.separator == '\n' || opt.separator == '\r')
    throw std::invalid_argument("hqml: a CSV separator cannot be a quote or a line break");
  labeled_dataset d;
  d.separator = opt.separator ? opt.separator : detail::detect_separator(text);

  std::vector<std::string> header;
  std::size_t header_line = 0, label_at = none;
  std::vector<detail::csv_column> cols;
  std::vector<double> cells;  // row-major, cols.size() a row; a level's id in a text column
  std::vector<std::string> raw_labels;
  bool have_header = false;

  const auto select_columns = [&](const std::vector<csv_field>& rec) {
    const auto fail = [&](const std::string& msg) { throw hqml::parse_error(file, header_line, 1, msg); };
    const auto columns = [&] { return " (columns: " + detail::name_list(header) + ")"; };
    // Header names: where each first appears, and how often.
    std::map<std::string_view, std::pair<std::size_t, std::size_t>> where;
    for (std::size_t c = 0; c < header.size(); ++c) ++where.try_emplace(header[c], c, 0).first->second.second;
    // The one column of that name, or an error saying which names there are.
    const auto find = [&](const std::string& name, const std::string& role) {
      const auto it = where.find(name);
      if (it == where.end()) {
        std::string hint;
        const auto lower = [](std::string_view v) {
          std::string s(v);
          for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
          return s;
        };
        for (const auto& h : header)
          if (lower(h) == lower(detail::trim(name))) hint = "; did you mean '" + detail::shown(h, 60) + "'?";
        fail(role + "no column named '" + detail::shown(name, 60) + "' in the header" + columns() + hint);
      }
      if (it->second.second > 1) fail("more than one column named '" + detail::shown(name, 60) + "' in the header");
      return it->second.first;
    };

    if (label.index != none) {
      if (label.index < header.size())
        label_at = label.index;
      else if (opt.require_label)
        fail("label column " + std::to_string(label.index) + " does not exist (" + std::to_string(header.size()) +
             " columns)");
    } else if (opt.require_label || (!label.name.empty() && where.count(label.name) != 0)) {
      label_at = find(label.name, "");
    }
    std::vector<bool> dropped(header.size(), false);
    for (std::size_t i = 0; i < opt.drop.size(); ++i) {
      if (std::find(opt.drop.begin(), opt.drop.begin() + static_cast<std::ptrdiff_t>(i), opt.drop[i]) !=
          opt.drop.begin() + static_cast<std::ptrdiff_t>(i))
        fail("column '" + detail::shown(opt.drop[i], 60) + "' is dropped twice");
      const std::size_t at = find(opt.drop[i], "cannot drop a column that is not there: ");
      if (at == label_at) fail("column '" + detail::shown(opt.drop[i], 60) + "' is the label; it cannot be dropped");
      dropped[at] = true;
    }
    std::vector<std::size_t> kept;
    if (!opt.features.empty()) {
      for (std::size_t i = 0; i < opt.features.size(); ++i) {
        const auto& f = opt.features[i];
        if (std::find(opt.features.begin(), opt.features.begin() + static_cast<std::ptrdiff_t>(i), f) !=
            opt.features.begin() + static_cast<std::ptrdiff_t>(i))
          fail("feature '" + detail::shown(f, 60) + "' is selected twice");
        const std::size_t at = find(f, "cannot select a feature that is not there: ");
        if (at == label_at) fail("column '" + detail::shown(f, 60) + "' is the label; it cannot also be a feature");
        if (dropped[at]) fail("column '" + detail::shown(f, 60) + "' is both selected as a feature and dropped");
        kept.push_back(at);
      }
    } else {
      for (std::size_t c = 0; c < header.size(); ++c)
        if (c != label_at && !dropped[c]) kept.push_back(c);
    }
    if (kept.empty())
      fail(label_at == none ? "a data set needs at least one feature column"
                            : "a data set needs a label and at least one feature column");
    std::map<std::string_view, std::size_t> kept_at;
    for (std::size_t i = 0; i < kept.size(); ++i) {
      if (const auto [it, fresh] = kept_at.emplace(header[kept[i]], kept[i]); !fresh)
        throw hqml::parse_error(file, header_line, rec[kept[i]].column,
                                "more than one feature column is named '" + detail::shown(header[kept[i]], 60) +
                                    "' (columns " + std::to_string(it->second + 1) + " and " +
                                    std::to_string(kept[i] + 1) + "); give each its own name or leave one out");
      detail::csv_column c;
      c.pos = kept[i];
      c.name = header[kept[i]];
      if (const auto it = opt.categories.find(c.name); it != opt.categories.end()) {
        c.fixed = c.text = true;
        c.levels = it->second;
        for (std::size_t l = 0; l < c.levels.size(); ++l)
          if (!c.index.emplace(c.levels[l], l).second)
            throw std::invalid_argument("hqml: csv_options::categories lists level '" + c.levels[l] + "' of column '" +
                                        c.name + "' twice");
      }
      cols.push_back(std::move(c));
    }
    for (const auto& [name, levels] : opt.categories)
      if (kept_at.count(name) == 0) {
        std::vector<std::string> names;
        for (const auto& c : cols) names.push_back(c.name);
        fail("levels are given for '" + detail::shown(name, 60) +
             "', which is not a feature column (features: " + detail::name_list(names) + ")");
      }
  };

  const auto missing_error = [&](const csv_field& f, const std::string& col) {
    const auto t = detail::trim(f.text);
    throw hqml::parse_error(file, f.line, f.column,
                            col + ": missing value" + (t.empty() ? "" : " ('" + detail::shown(t) + "')") +
                                "; fix the file, or pass --na median to impute missing values");
  };

  for_each_csv_record(text, file, d.separator, [&](std::vector<csv_field>& rec, std::size_t line) {
    if (!have_header) {
      have_header = true;
      header_line = line;
      for (auto& f : rec) header.push_back(std::string(detail::trim(f.text)));
      select_columns(rec);
      return;
    }
    if (rec.size() != header.size()) {
      const auto& at = rec.size() > header.size() ? rec[header.size()] : rec.back();
      throw hqml::parse_error(
          file, at.line, at.column,
          "expected " + std::to_string(header.size()) + " fields, found " + std::to_string(rec.size()));
    }
    d.row_lines.push_back(line);
    for (auto& c : cols) {
      const csv_field& f = rec[c.pos];
      double v = nan;
      const auto kind = detail::classify(f.text, opt.na_values, v);
      const auto col = [&] { return detail::column_desc(c.name, c.pos); };
      if (kind == detail::cell_kind::missing) {
        if (!opt.allow_missing) missing_error(f, col());
        v = nan;
      } else if (c.fixed) {
        const auto it = c.index.find(detail::trim(f.text));
        if (it == c.index.end())
          throw hqml::parse_error(
              file, f.line, f.column,
              col() + ": '" + detail::shown(detail::trim(f.text)) +
                  "' is a level the model has not seen (known levels: " + detail::name_list(c.levels, true) + ")");
        v = static_cast<double>(it->second);
      } else if (kind == detail::cell_kind::not_finite) {
        throw hqml::parse_error(file, f.line, f.column,
                                col() + ": '" + detail::shown(detail::trim(f.text)) + "' is not a finite number");
      } else if (kind == detail::cell_kind::text) {
        if (opt.text == text_columns::refuse) {
          std::string hint;
          std::string dotted(detail::trim(f.text));
          std::replace(dotted.begin(), dotted.end(), ',', '.');
          double ignored = 0;
          if (d.separator != ',' && detail::parse_double(dotted, ignored))
            hint = " (decimal commas are not read: write '.')";
          throw hqml::parse_error(file, f.line, f.column,
                                  col() + ": '" + detail::shown(detail::trim(f.text)) + "' is not a finite number" +
                                      hint + "; if the column is text, leave it out (--drop " +
                                      detail::shell_word(c.name) + ") or encode it (--text one-hot)");
        }
        c.text = true;
      }
      cells.push_back(v);
    }
    if (label_at != none) {
      const auto& lf = rec[label_at];
      const std::string lab(detail::trim(lf.text));
      if (detail::is_na(lab, opt.na_values))
        throw hqml::parse_error(file, lf.line, lf.column,
                                detail::column_desc(header[label_at], label_at) + ": missing label" +
                                    (lab.empty() ? "" : " ('" + detail::shown(lab) + "' reads as a missing value)"));
      raw_labels.push_back(lab);
    }
  });
  if (!have_header) throw hqml::parse_error(file, 1, 1, "empty file: expected a header row");
  const std::size_t rows = d.row_lines.size(), k = cols.size();
  if (rows == 0) throw hqml::parse_error(file, header_line + 1, 1, "no data rows after the header");
  if (k == 0)
    throw hqml::parse_error(file, header_line, 1,
                            label_at != none ? "no feature columns besides the label" : "no feature columns");

  // Levels of the text columns found above: a second pass, since their first cells may have looked numeric.
  if (std::any_of(cols.begin(), cols.end(), [](const detail::csv_column& c) { return c.text && !c.fixed; })) {
    std::size_t r = 0;
    bool first = true;
    for_each_csv_record(text, file, d.separator, [&](std::vector<csv_field>& rec, std::size_t) {
      if (std::exchange(first, false)) return;
      for (std::size_t j = 0; j < k; ++j) {
        auto& c = cols[j];
        if (!c.text || c.fixed) continue;
        const auto t = detail::trim(rec[c.pos].text);
        double& v = cells[r * k + j];
        if (detail::is_na(t, opt.na_values))
          v = nan;
        else
          v = static_cast<double>(c.index.try_emplace(std::string(t), c.index.size()).first->second);
      }
      ++r;
    });
    for (std::size_t j = 0; j < k; ++j) {
      auto& c = cols[j];
      if (!c.text || c.fixed) continue;
      std::vector<double> rank(c.index.size());
      for (auto& [level, id] : c.index) {  // sorted: ids in first-seen order become ranks
        rank[id] = static_cast<double>(c.levels.size());
        id = c.levels.size();
        c.levels.push_back(level);
      }
      for (std::size_t i = 0; i < rows; ++i) {
        double& v = cells[i * k + j];
        if (!std::isnan(v)) v = rank[static_cast<std::size_t>(v)];
      }
    }
  }

  std::size_t width = 0;
  for (const auto& c : cols) width += c.text ? c.levels.size() : 1;
  if (width == 0) throw hqml::parse_error(file, header_line, 1, "the one-hot encoded columns have no levels");
  d.features.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(width));
  Eigen::Index out = 0;
  for (std::size_t j = 0; j < k; ++j) {
    const auto& c = cols[j];
    const auto cell = [&](std::size_t i) { return cells[i * k + j]; };
    std::string why;
    if (detail::id_like_name(c.name, c.pos)) why = "its name";
    if (c.text) {
      for (std::size_t l = 0; l < c.levels.size(); ++l, ++out) {
        d.feature_names.push_back(c.name + "=" + c.levels[l]);
        d.source_columns.push_back(c.pos);
        for (std::size_t i = 0; i < rows; ++i)
          d.features(static_cast<Eigen::Index>(i), out) =
              std::isnan(cell(i)) ? nan : (static_cast<std::size_t>(cell(i)) == l ? 1.0 : 0.0);
      }
      d.categories[c.name] = c.levels;
      if (!c.fixed &&
          std::any_of(c.levels.begin(), c.levels.end(),
                      [](const std::string& l) { return l.find(',') != std::string::npos; }) &&
          std::all_of(c.levels.begin(), c.levels.end(), [](std::string l) {
            std::replace(l.begin(), l.end(), ',', '.');
            double ignored = 0;
            return detail::parse_double(l, ignored);
          }))
        d.warnings.push_back(
            detail::column_desc(c.name, c.pos) +
            " holds numbers with decimal commas, read as text and one-hot encoded: write '.' decimals");
      if (why.empty() && rows >= 20 && c.levels.size() == rows) why = "a different text in every row";
    } else {
      d.feature_names.push_back(c.name);
      d.source_columns.push_back(c.pos);
      for (std::size_t i = 0; i < rows; ++i) d.features(static_cast<Eigen::Index>(i), out) = cell(i);
      ++out;
      if (why.empty() && rows >= 20) {
        bool integers = true, up = true, down = true;
        for (std::size_t i = 0; i < rows && integers; ++i) {
          integers = std::isfinite(cell(i)) && cell(i) == std::floor(cell(i));
          if (i > 0) {
            up = up && cell(i) > cell(i - 1);
            down = down && cell(i) < cell(i - 1);
          }
        }
        if (integers && (up || down)) why = "distinct integers in row order";
      }
    }
    if (!why.empty())
      d.warnings.push_back(detail::column_desc(c.name, c.pos) + " looks like a row id (" + why +
                           "); it is kept as a feature: leave it out with --drop " + detail::shell_word(c.name) +
                           " unless it carries information");
  }

  if (label_at != none) {
    d.label_name = header[label_at];
    detail::assign_class_ids(d, raw_labels);
  } else {
    d.label_name = label.name;
  }
  return d;
}

/// The strict reader of old: `separator` (0: detected), no missing values (only an empty cell reads as one,
/// and is refused), every feature column numeric.
[[nodiscard]] inline labeled_dataset parse_csv_dataset(std::string_view text, const std::string& file,
                                                       const label_column& label, char separator = ',') {
  csv_options opt;
  opt.separator = separator;
  opt.na_values = {""};
  return parse_csv_dataset(text, file, label, opt);
}

[[nodiscard]] inline labeled_dataset read_csv_dataset(const std::filesystem::path& file, const label_column& label,
                                                      const csv_options& opt) {
  return parse_csv_dataset(detail::read_whole_file(file), file.string(), label, opt);
}

[[nodiscard]] inline labeled_dataset read_csv_dataset(const std::filesystem::path& file, const label_column& label,
                                                      char separator = ',') {
  return parse_csv_dataset(detail::read_whole_file(file), file.string(), label, separator);
}

/// A purely numeric table (after an optional header row) as a matrix.
[[nodiscard]] inline Eigen::MatrixXd parse_csv_matrix(std::string_view text, const std::string& file,
                                                      bool header = true, char separator = ',',
                                                      std::vector<std::string>* names = nullptr) {
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
  for (std::size_t c = 0; c < header.size(); ++c)
    out += (c ? std::string(1, separator) : "") + csv_escape(header[c], separator);
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
