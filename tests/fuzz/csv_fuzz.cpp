// libFuzzer target for the CSV data set reader. The first byte picks the options (separator, missing
// values, text columns, label by name or position, label required or not), the rest is the file. Any
// input must either load or raise hqml::parse_error with a one-line message; what loads must be
// consistent (shapes, class ids, one-hot rows, NaN only where missing values are allowed) and must load
// again to the very same data when its columns and levels are given back as a saved model would give
// them. Anything else (another exception, a crash, a hang, a leak) is a bug.

#include <hqml/io/csv.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void bug(const char* what, const std::string& detail) {
  std::fprintf(stderr, "csv_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

bool same(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index i = 0; i < a.size(); ++i)
    if (!(a.data()[i] == b.data()[i] || (std::isnan(a.data()[i]) && std::isnan(b.data()[i])))) return false;
  return true;
}

// Loads, or returns false on a parse_error (checking its message is one line).
bool load(std::string_view text, const hqml::io::label_column& label, const hqml::io::csv_options& opt,
          hqml::io::labeled_dataset& d) {
  try {
    d = hqml::io::parse_csv_dataset(text, "fuzz.csv", label, opt);
    return true;
  } catch (const hqml::parse_error& e) {
    if (std::string_view(e.what()).find_first_of("\r\n") != std::string_view::npos)
      bug("an error message spans lines", e.what());
    return false;
  } catch (const std::exception& e) {
    bug("parse_csv_dataset threw something other than hqml::parse_error", e.what());
  }
}

void check(const hqml::io::labeled_dataset& d, const std::vector<std::string>& header, bool with_label,
           bool allow_missing) {
  const auto rows = static_cast<std::size_t>(d.features.rows());
  const auto cols = static_cast<std::size_t>(d.features.cols());
  if (rows == 0 || cols == 0 || d.row_lines.size() != rows) bug("bad shape", std::to_string(rows));
  for (std::size_t i = 1; i < rows; ++i)
    if (d.row_lines[i] <= d.row_lines[i - 1]) bug("row lines out of order", std::to_string(i));
  if (d.feature_names.size() != cols || d.source_columns.size() != cols) bug("names and columns differ", "");
  if (d.separator != ',' && d.separator != ';' && d.separator != '\t') bug("odd separator", "");
  if (with_label) {
    if (d.labels.size() != rows) bug("labels and rows differ", "");
    std::vector<bool> used(d.class_names.size());
    for (int l : d.labels) {
      if (l < 0 || static_cast<std::size_t>(l) >= d.class_names.size()) bug("class id out of range", "");
      used[static_cast<std::size_t>(l)] = true;
    }
    for (bool u : used)
      if (!u) bug("a class without a row", "");
  } else if (!d.labels.empty() || !d.class_names.empty()) {
    bug("labels without a label column", "");
  }
  for (Eigen::Index i = 0; i < d.features.size(); ++i) {
    const double v = d.features.data()[i];
    if (std::isnan(v) ? !allow_missing : !std::isfinite(v)) bug("a value neither finite nor an allowed NaN", "");
  }
  // Each one-hot group: per row all NaN, or 0/1 with a single 1.
  std::size_t width = 0;
  for (std::size_t c = 0; c < cols;) {
    std::size_t e = c + 1;
    while (e < cols && d.source_columns[e] == d.source_columns[c]) ++e;
    if (d.source_columns[c] >= header.size()) bug("a source column beyond the header", "");
    const bool hot = d.categories.count(header[d.source_columns[c]]) != 0;
    if (!hot && e - c > 1) bug("a numeric column twice", d.feature_names[c]);
    if (hot) {
      for (std::size_t r = 0; r < rows; ++r) {
        const auto row = d.features.row(static_cast<Eigen::Index>(r))
                             .segment(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(e - c));
        if (row.hasNaN() ? !row.array().isNaN().all() : (row.sum() != 1.0 || (row.array() * (1 - row.array())).any()))
          bug("a one-hot row is not one-hot", d.feature_names[c]);
      }
    }
    width += e - c;
    c = e;
  }
  std::size_t levels = 0;
  for (const auto& [name, l] : d.categories) levels += l.size();
  if (levels > width) bug("more levels than columns", "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned flags = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  hqml::io::csv_options opt;
  opt.separator = "\0,;\t"[flags & 3];
  opt.allow_missing = (flags & 4) != 0;
  opt.text = (flags & 8) ? hqml::io::text_columns::one_hot : hqml::io::text_columns::refuse;
  opt.require_label = (flags & 16) == 0;
  const auto label = (flags & 32) ? hqml::io::label_column::at(0) : hqml::io::label_column::named("y");
  if (flags & 64) opt.drop = {"id"};

  hqml::io::labeled_dataset d;
  if (!load(text, label, opt, d)) return 0;
  const bool with_label = !d.labels.empty();
  if (opt.require_label && !with_label) bug("no labels though required", "");

  // Again as a saved model would ask for it: these columns by name, these levels, nothing else one-hot.
  std::vector<std::string> header;
  hqml::io::for_each_csv_record(text, "fuzz.csv", d.separator, [&](std::vector<hqml::io::csv_field>& rec, std::size_t) {
    if (!header.empty()) return;
    for (const auto& f : rec) header.emplace_back(hqml::io::detail::trim(f.text));
  });
  check(d, header, with_label, opt.allow_missing);

  hqml::io::csv_options again = opt;
  again.separator = d.separator;
  again.drop.clear();
  again.text = hqml::io::text_columns::refuse;
  again.categories = d.categories;
  for (std::size_t p : d.source_columns)
    if (again.features.empty() || again.features.back() != header.at(p)) again.features.push_back(header.at(p));
  for (const auto& f : again.features)
    if (f == d.label_name) return 0;  // the label's name is a feature's too: a name cannot select it
  hqml::io::labeled_dataset e;
  if (!load(text, label, again, e)) bug("the model's columns and levels did not load again", "");
  if (!same(d.features, e.features) || d.feature_names != e.feature_names || d.source_columns != e.source_columns ||
      d.labels != e.labels || d.class_names != e.class_names || d.categories != e.categories)
    bug("loading by the model's columns and levels changed the data", "");
  return 0;
}
