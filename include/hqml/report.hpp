#pragma once
// The HTML report of one `hqml run`: a single self-contained file (inline CSS and SVG, no script, no external
// asset) that a person can open offline, mail, or attach to a ticket. It shows the summary, both kernel
// matrices as heatmaps, ROC curves, confusion matrices, cross-validation scores, stage timings and the
// Huang et al. kernel assessment.
//
// Input is the pipeline's metrics.json object. Only format_version, dataset, quantum and classical are
// required; every other field is rendered when present and skipped (with a note) when absent, so an older or
// partial metrics file still gives a useful page. All text from the metrics (dataset and class names, stage
// names, the explanation) is escaped, since dataset names come from file names and CSV headers.
//
// Size stays bounded whatever N is: heatmaps are block-averaged to at most max_heatmap_cells per side and
// drawn as one SVG path per quantized colour, ROC polylines are thinned to what the plot can resolve.

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <hqml/io/atomic_file.hpp>

namespace hqml {

/// The metrics.json format_version this renderer understands.
inline constexpr int report_format_version = 1;
/// Heatmaps never have more cells than this per side; larger kernels are block-averaged.
inline constexpr int max_heatmap_cells = 96;

namespace detail::report {

using json = nlohmann::json;

// ---------------------------------------------------------------------------------------------------------------
// Text and numbers

inline void append_escaped(std::string& out, std::string_view s) {
  for (const char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // XML forbids most control characters, even as references: one in a class name would make the SVG
        // unparseable, so it becomes U+FFFD.
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
          out += "&#65533;";
        } else {
          out += ch;
        }
    }
  }
}

[[nodiscard]] inline std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  append_escaped(out, s);
  return out;
}

// At most max_chars code points (never splitting a UTF-8 sequence), with an ellipsis when cut; for SVG labels,
// whose width cannot adapt to the text.
[[nodiscard]] inline std::string truncate_utf8(std::string_view s, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (chars == max_chars) return std::string(s.substr(0, i)) + "\xE2\x80\xA6";
    ++chars;
  }
  return std::string(s);
}

[[nodiscard]] inline std::string chars_to_string(double v, std::chars_format f, int precision) {
  std::array<char, 64> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, f, precision);
  return std::string(buf.data(), r.ptr);
}

/// `significant` significant digits, locale-independent (to_chars), plain digits between 1e-4 and 1e12.
[[nodiscard]] inline std::string format_number(double v, int significant = 4) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return "0";  // also turns -0 into 0
  const double a = std::abs(v);
  if (a >= 1e4 && a < 1e12) return chars_to_string(std::round(v), std::chars_format::fixed, 0);
  return chars_to_string(v, std::chars_format::general, significant);
}

/// SVG coordinates: one decimal is below what any screen resolves and keeps paths short.
[[nodiscard]] inline std::string px(double v) {
  if (!std::isfinite(v)) return "0";
  std::string s = chars_to_string(std::round(v * 10) / 10, std::chars_format::fixed, 1);
  if (s.size() >= 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  if (s == "-0") s = "0";
  return s;
}

[[nodiscard]] inline const json* member(const json& j, const std::string& key) {
  if (!j.is_object()) return nullptr;
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

[[nodiscard]] inline std::optional<double> number(const json* j, const std::string& key) {
  if (j == nullptr) return std::nullopt;
  const json* v = member(*j, key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

/// Any JSON value as plain (unescaped) text: integers exactly, floats to 4 significant digits.
[[nodiscard]] inline std::string json_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number_float()) return format_number(v.get<double>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_null()) return "";
  if (v.is_array()) {
    std::string s;
    for (const auto& e : v) {
      if (!s.empty()) s += ", ";
      s += json_text(e);
    }
    return s;
  }
  return v.dump();
}

inline constexpr std::string_view dash = "&#8212;";

/// Escaped text of an optional field, or an em dash.
[[nodiscard]] inline std::string field_html(const json* j, const std::string& key) {
  if (j == nullptr) return std::string(dash);
  const json* v = member(*j, key);
  return v == nullptr ? std::string(dash) : esc(json_text(*v));
}

[[nodiscard]] inline std::vector<double> number_array(const json* j, const std::string& key) {
  std::vector<double> out;
  const json* a = j == nullptr ? nullptr : member(*j, key);
  if (a == nullptr || !a->is_array()) return out;
  out.reserve(a->size());
  for (const auto& e : *a) out.push_back(e.is_number() ? e.get<double>() : std::numeric_limits<double>::quiet_NaN());
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Colours

struct rgb {
  double r, g, b;
};

/// Viridis (perceptually uniform, readable in grey and by colour-blind readers) as the degree-6 polynomial
/// fit of Matt Zucker's shadertoy "viridis approximation", within 1% of the matplotlib table.
[[nodiscard]] inline rgb viridis(double t) {
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
  constexpr std::array<rgb, 7> c{{{0.2777273272234177, 0.005407344544966578, 0.3340998053353061},
                                  {0.1050930431085774, 1.404613529898575, 1.384590162594685},
                                  {-0.3308618287255563, 0.214847559468213, 0.09509516302823659},
                                  {-4.634230498983486, -5.799100973351585, -19.33244095627987},
                                  {6.228269936347081, 14.17993336680509, 56.69055260068105},
                                  {4.776384997670288, -13.74514537774601, -65.35303263337234},
                                  {-5.435455855934631, 4.645852612178535, 26.3124352495832}}};
  rgb v{0, 0, 0};
  for (std::size_t i = c.size(); i-- > 0;) v = {c[i].r + t * v.r, c[i].g + t * v.g, c[i].b + t * v.b};
  return {std::clamp(v.r, 0.0, 1.0), std::clamp(v.g, 0.0, 1.0), std::clamp(v.b, 0.0, 1.0)};
}

[[nodiscard]] inline std::string hex(rgb c) {
  constexpr std::string_view digits = "0123456789abcdef";
  std::string s = "#";
  for (const double x : {c.r, c.g, c.b}) {
    const auto v = static_cast<unsigned>(std::lround(std::clamp(x, 0.0, 1.0) * 255.0));
    s += digits[v >> 4];
    s += digits[v & 15U];
  }
  return s;
}

// Okabe-Ito blue and vermilion: distinguishable under every common colour-vision deficiency. The classical
// series is also dashed so that nothing depends on colour alone.
inline constexpr std::string_view quantum_colour = "#0072b2";
inline constexpr std::string_view classical_colour = "#d55e00";

// ---------------------------------------------------------------------------------------------------------------
// Axes

/// Round tick positions (steps of 1, 2, 2.5 or 5 times a power of ten) covering [lo, hi].
[[nodiscard]] inline std::vector<double> nice_ticks(double lo, double hi, int target = 5) {
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {lo};
  const double raw = (hi - lo) / std::max(target, 1);
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * p;
  for (const double m : {1.0, 2.0, 2.5, 5.0}) {
    if (m * p >= raw) {
      step = m * p;
      break;
    }
  }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

// ---------------------------------------------------------------------------------------------------------------
// Heatmap data

/// The kernel with rows and columns sorted by class, averaged over blocks of consecutive sorted samples so that
/// the result has at most max_cells rows.
struct heatmap_data {
  int cells = 0;                   // rows = columns of `mean`
  Eigen::MatrixXd mean;            // block means
  std::vector<double> boundaries;  // class boundaries in cell units (fractional: blocks may straddle a boundary)
  std::vector<std::pair<int, double>> class_centres;  // label, centre in cell units
  double class_extent_min = 0;                        // the thinnest class block, in cell units
};

[[nodiscard]] inline heatmap_data block_average(const Eigen::MatrixXd& k, std::span<const int> labels, int max_cells) {
  heatmap_data h;
  const auto n = static_cast<std::size_t>(k.rows());
  if (n == 0) return h;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return labels[a] < labels[b]; });
  const auto m = std::min(n, static_cast<std::size_t>(std::max(max_cells, 1)));
  h.cells = static_cast<int>(m);
  // Cell of each sample (in the kernel's own order), so that the sum below reads K column by column: one
  // sequential pass even when K is 20 GB, instead of N^2 random reads through the permutation.
  std::vector<Eigen::Index> cell_of(n);
  std::vector<double> count(m, 0.0);
  for (std::size_t pos = 0; pos < n; ++pos) {
    const auto c = pos * m / n;
    cell_of[order[pos]] = static_cast<Eigen::Index>(c);
    count[c] += 1;
  }
  Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(m));
  for (Eigen::Index j = 0; j < k.cols(); ++j) {
    const double* col = k.col(j).data();
    double* out = sum.col(cell_of[static_cast<std::size_t>(j)]).data();
    for (std::size_t i = 0; i < n; ++i) out[cell_of[i]] += col[i];
  }
  for (Eigen::Index j = 0; j < sum.cols(); ++j) {
    for (Eigen::Index i = 0; i < sum.rows(); ++i) {
      sum(i, j) /= count[static_cast<std::size_t>(i)] * count[static_cast<std::size_t>(j)];
    }
  }
  h.mean = std::move(sum);
  const double scale = static_cast<double>(m) / static_cast<double>(n);
  h.class_extent_min = static_cast<double>(m);
  std::size_t start = 0;
  for (std::size_t pos = 1; pos <= n; ++pos) {
    if (pos < n && labels[order[pos]] == labels[order[start]]) continue;
    if (pos < n) h.boundaries.push_back(static_cast<double>(pos) * scale);
    h.class_centres.emplace_back(labels[order[start]], 0.5 * static_cast<double>(start + pos) * scale);
    h.class_extent_min = std::min(h.class_extent_min, static_cast<double>(pos - start) * scale);
    start = pos;
  }
  return h;
}

// ---------------------------------------------------------------------------------------------------------------
// The page

inline constexpr std::string_view css = R"css(
:root{--fg:#1d1d1f;--muted:#5b5b66;--line:#d9d9e0;--bg:#fff;--panel:#f6f6f9;--q:#0072b2;--c:#d55e00;--win:#007a5a}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 12px;padding-bottom:6px;
border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:0 0 8px}
.meta,.note,figcaption{color:var(--muted);font-size:13px}
nav{margin:12px 0 4px;font-size:14px}nav a{color:var(--q);margin-right:14px;text-decoration:none}
nav a:hover{text-decoration:underline}
.cards{display:flex;flex-wrap:wrap;gap:16px;margin:8px 0 16px}
.card{flex:1 1 260px;border:2px solid var(--line);border-radius:10px;padding:14px 18px;background:var(--panel)}
.card.win{border-color:var(--win);background:#eef8f4}
.card .who{font-weight:600}.card.quantum .who{color:var(--q)}.card.classical .who{color:var(--c)}
.card .big{font-size:34px;font-weight:700;font-variant-numeric:tabular-nums;line-height:1.2}
.badge{display:inline-block;margin-top:6px;padding:2px 10px;border-radius:999px;background:var(--win);color:#fff;
font-size:13px;font-weight:600}
.verdict{border-left:5px solid var(--muted);background:var(--panel);padding:10px 16px;margin:8px 0 16px;
border-radius:0 8px 8px 0}
.verdict.quantum_worth_trying{border-color:var(--win)}.verdict.classical_suffices{border-color:var(--q)}
.verdict.quantum_unlikely_to_generalize{border-color:var(--c)}
.verdict p{margin:6px 0 0;font-size:14px}
.row{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.row>*{flex:1 1 320px;min-width:0}
figure{margin:0}svg{max-width:100%;height:auto;font-family:inherit}
table{border-collapse:collapse;font-size:14px;font-variant-numeric:tabular-nums}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
td.num,th.num{text-align:right}
tr.best td{font-weight:700}
table.kv th{font-weight:600;color:var(--muted);white-space:nowrap}
table.cm td,table.cm th{text-align:center;border:1px solid var(--line);min-width:52px}
table.cm th.corner{border:none}
caption{caption-side:top;text-align:left;font-weight:600;padding-bottom:6px}
.scroll{overflow-x:auto}
.metrics{margin-top:20px}.metrics table{min-width:420px}
.na{color:var(--muted);font-style:italic}
footer{margin-top:40px;color:var(--muted);font-size:12px}
@media print{nav{display:none}h2{break-after:avoid}figure,table{break-inside:avoid}}
)css";

class renderer {
 public:
  renderer(const json& metrics, const Eigen::MatrixXd& k_quantum, const Eigen::MatrixXd& k_classical,
           std::span<const int> train_labels)
      : m_(metrics), kq_(k_quantum), kc_(k_classical), labels_(train_labels) {
    validate();
    dataset_ = member(m_, "dataset");
    quantum_ = member(m_, "quantum");
    classical_ = member(m_, "classical");
    feature_map_ = member(m_, "feature_map");
    assessment_ = member(m_, "assessment");
    if (const json* names = member(*dataset_, "class_names"); names != nullptr && names->is_array()) {
      for (const auto& n : *names) class_names_.push_back(json_text(n));
    }
  }

  std::string render() {
    out_.reserve(64 * 1024);
    const std::string title = dataset_name();
    out_ +=
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"hqml\">\n<title>hqml report: ";
    out_ += esc(title);
    out_ += "</title>\n<style>";
    out_ += css;
    out_ += "</style>\n</head>\n<body>\n<main>\n<header>\n<h1>hqml report: ";
    out_ += esc(title);
    out_ += "</h1>\n<p class=\"meta\">";
    out_ += run_line();
    out_ +=
        "</p>\n<nav><a href=\"#summary\">Summary</a><a href=\"#kernels\">Kernels</a><a href=\"#roc\">ROC</a>"
        "<a href=\"#confusion\">Confusion</a><a href=\"#cv\">Cross-validation</a><a href=\"#timings\">Timings</a>"
        "<a href=\"#assessment\">Assessment</a></nav>\n</header>\n";
    summary();
    kernels();
    roc();
    confusion();
    cross_validation();
    timings();
    assessment();
    out_ += "<footer>Generated by hqml";
    if (const json* v = member(m_, "hqml_version")) out_ += " " + esc(json_text(*v));
    out_ += ". Self-contained: no script, no external resources.</footer>\n</main>\n</body>\n</html>\n";
    return std::move(out_);
  }

 private:
  // -------------------------------------------------------------------------------------------------------------
  void validate() const {
    if (!m_.is_object()) throw std::invalid_argument("hqml: render_report: metrics must be a JSON object");
    for (const char* key : {"format_version", "dataset", "quantum", "classical"}) {
      if (member(m_, key) == nullptr) {
        throw std::invalid_argument(std::string("hqml: render_report: metrics lacks the required key \"") + key + "\"");
      }
    }
    const json& v = m_["format_version"];
    if (!v.is_number_integer() && !v.is_number_unsigned()) {
      throw std::invalid_argument("hqml: render_report: \"format_version\" must be an integer");
    }
    // A newer schema may change what fields mean; rendering it as version 1 could show wrong numbers.
    if (v.get<std::int64_t>() != report_format_version) {
      throw std::invalid_argument("hqml: render_report: unsupported \"format_version\" " + v.dump() +
                                  " (this hqml renders version " + std::to_string(report_format_version) + ")");
    }
    for (const char* key : {"dataset", "quantum", "classical"}) {
      if (!m_[key].is_object()) {
        throw std::invalid_argument(std::string("hqml: render_report: \"") + key + "\" must be a JSON object");
      }
    }
    const auto n = static_cast<Eigen::Index>(labels_.size());
    for (const auto* k : {&kq_, &kc_}) {
      if (k->size() == 0) continue;  // not computed (for instance too large to keep): the heatmap says so
      if (k->rows() != k->cols() || k->rows() != n) {
        throw std::invalid_argument("hqml: render_report: the " + std::string(k == &kq_ ? "quantum" : "classical") +
                                    " kernel is " + std::to_string(k->rows()) + " x " + std::to_string(k->cols()) +
                                    " but there are " + std::to_string(n) + " training labels");
      }
    }
  }

  [[nodiscard]] std::string dataset_name() const {
    const json* name = member(*dataset_, "name");
    return name != nullptr ? json_text(*name) : std::string("unnamed dataset");
  }

  [[nodiscard]] std::string run_line() const {
    std::string s;
    auto add = [&](const std::string& part) {
      if (!s.empty()) s += " &#183; ";
      s += part;
    };
    if (const json* v = member(m_, "hqml_version")) add("hqml " + esc(json_text(*v)));
    if (const json* v = member(m_, "seed")) add("seed " + esc(json_text(*v)));
    if (const json* v = member(m_, "threads")) add(esc(json_text(*v)) + " threads");
    if (const json* v = member(m_, "device")) add("quantum kernels on " + esc(json_text(*v)));
    add("metrics format " + std::to_string(report_format_version));
    return s;
  }

  /// Plain-text class name of a label id: class_names[id] when there is one, else the id.
  [[nodiscard]] std::string class_name(long long label) const {
    if (label >= 0 && static_cast<std::size_t>(label) < class_names_.size()) {
      return class_names_[static_cast<std::size_t>(label)];
    }
    return std::to_string(label);
  }

  [[nodiscard]] std::size_t class_count() const {
    if (!class_names_.empty()) return class_names_.size();
    for (const json* model : {quantum_, classical_}) {
      const json* cm = member(*model, "confusion_matrix");
      const json* labels = cm == nullptr ? nullptr : member(*cm, "labels");
      if (labels != nullptr && labels->is_array() && !labels->empty()) return labels->size();
    }
    std::vector<int> distinct(labels_.begin(), labels_.end());
    std::sort(distinct.begin(), distinct.end());
    return static_cast<std::size_t>(std::unique(distinct.begin(), distinct.end()) - distinct.begin());
  }

  [[nodiscard]] static std::string model_title(const json* model, std::string_view who) {
    std::string s(who);
    if (const json* k = member(*model, "kernel")) s += " (" + esc(json_text(*k)) + ")";
    return s;
  }

  void key_value_table(const json* obj, std::span<const std::pair<const char*, const char*>> known,
                       std::string_view caption) {
    out_ += "<table class=\"kv\"><caption>";
    out_ += caption;
    out_ += "</caption>\n";
    if (obj == nullptr || !obj->is_object() || obj->empty()) {
      out_ += "<tr><td class=\"na\">not in metrics</td></tr>\n</table>\n";
      return;
    }
    auto row = [&](std::string_view label_html, const json& v) {
      out_ += "<tr><th>";
      out_ += label_html;
      out_ += "</th><td>";
      out_ += esc(json_text(v));
      out_ += "</td></tr>\n";
    };
    for (const auto& [key, label] : known) {
      if (const json* v = member(*obj, key)) row(label, *v);
    }
    // Fields this renderer does not know yet are still shown rather than silently dropped.
    for (const auto& item : obj->items()) {
      if (item.value().is_null()) continue;
      const std::string& key = item.key();
      const bool is_known =
          std::any_of(known.begin(), known.end(), [&](const auto& kl) { return key == std::string_view(kl.first); });
      if (!is_known) row(esc(key), item.value());
    }
    out_ += "</table>\n";
  }

  // -------------------------------------------------------------------------------------------------------------
  void summary() {
    out_ += "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">\n";
    const auto acc_q = number(quantum_, "test_accuracy"), acc_c = number(classical_, "test_accuracy");
    int winner = 0;  // 1 quantum, -1 classical, 0 tie or unknown
    if (acc_q && acc_c && std::abs(*acc_q - *acc_c) > 1e-12) winner = *acc_q > *acc_c ? 1 : -1;
    auto card = [&](const json* model, std::string_view who, std::string_view cls, std::optional<double> acc,
                    bool wins) {
      out_ += "<div class=\"card ";
      out_ += cls;
      out_ += wins ? " win\">" : "\">";
      out_ += "<div class=\"who\">" + model_title(model, who) + "</div>";
      out_ += "<div class=\"big\">" + (acc ? format_number(*acc) : std::string(dash)) + "</div>";
      out_ += "<div>test accuracy";
      if (acc) out_ += " (" + format_number(*acc * 100) + "&#160;%)";
      out_ += "</div>";
      if (wins) out_ += "<div class=\"badge\">&#9733; higher test accuracy</div>";
      out_ += "</div>\n";
    };
    card(quantum_, "Quantum kernel", "quantum", acc_q, winner == 1);
    card(classical_, "Classical kernel", "classical", acc_c, winner == -1);
    out_ += "</div>\n";
    if (acc_q && acc_c && winner == 0) out_ += "<p class=\"note\">Both models reach the same test accuracy.</p>\n";

    if (assessment_ != nullptr) {
      const json* v = member(*assessment_, "verdict");
      const std::string verdict = v != nullptr ? json_text(*v) : std::string();
      out_ += "<div class=\"verdict " + css_class(verdict) + "\"><strong>Kernel assessment:</strong> ";
      out_ += verdict.empty() ? std::string("no verdict") : esc(verdict_text(verdict));
      if (const json* e = member(*assessment_, "explanation")) out_ += "<p>" + esc(json_text(*e)) + "</p>";
      out_ += "</div>\n";
    }

    out_ += "<div class=\"row\">\n";
    static constexpr std::array<std::pair<const char*, const char*>, 6> dataset_keys{{{"name", "name"},
                                                                                      {"source", "source"},
                                                                                      {"n_train", "training samples"},
                                                                                      {"n_test", "test samples"},
                                                                                      {"n_features", "features"},
                                                                                      {"class_names", "classes"}}};
    key_value_table(dataset_, dataset_keys, "Dataset");
    static constexpr std::array<std::pair<const char*, const char*>, 6> map_keys{{{"kind", "kind"},
                                                                                  {"num_qubits", "qubits"},
                                                                                  {"reps", "repetitions"},
                                                                                  {"entanglement", "entanglement"},
                                                                                  {"alpha", "alpha (scaling)"},
                                                                                  {"paulis", "Pauli terms"}}};
    key_value_table(feature_map_, map_keys, "Feature map");
    out_ += "</div>\n";
    comparison_table();
    out_ += "</section>\n";
  }

  [[nodiscard]] static std::string css_class(const std::string& verdict) {
    for (const char* known : {"quantum_worth_trying", "classical_suffices", "quantum_unlikely_to_generalize"}) {
      if (verdict == known) return known;
    }
    return "unknown";
  }

  [[nodiscard]] static std::string verdict_text(const std::string& verdict) {
    if (verdict == "quantum_worth_trying") return "the quantum kernel is worth trying";
    if (verdict == "classical_suffices") return "the classical kernel suffices";
    if (verdict == "quantum_unlikely_to_generalize") return "the quantum kernel is unlikely to generalize";
    return verdict;
  }

  void comparison_table() {
    const std::size_t header_end = out_.size();
    out_ +=
        "<div class=\"scroll metrics\"><table>\n<caption>Test-set metrics (higher is better; the better value "
        "is bold)</caption>\n<tr><th>metric</th><th class=\"num\">quantum</th><th class=\"num\">classical</th>"
        "</tr>\n";
    const std::size_t rows_start = out_.size();
    static constexpr std::array<std::pair<const char*, const char*>, 6> scores{
        {{"test_accuracy", "accuracy"},
         {"balanced_accuracy", "balanced accuracy"},
         {"precision", "precision"},
         {"recall", "recall"},
         {"f1", "F1"},
         {"roc_auc", "ROC AUC"}}};
    for (const auto& [key, label] : scores) {
      const auto q = number(quantum_, key), c = number(classical_, key);
      if (!q && !c) continue;
      out_ += "<tr><td>";
      out_ += label;
      out_ += "</td>";
      for (const auto& [self, other] : {std::pair{q, c}, std::pair{c, q}}) {
        const bool better = self && other && *self > *other + 1e-12;
        out_ += better ? "<td class=\"num\"><strong>" : "<td class=\"num\">";
        out_ += self ? format_number(*self) : std::string(dash);
        out_ += better ? "</strong></td>" : "</td>";
      }
      out_ += "</tr>\n";
    }
    auto plain_row = [&](std::string_view label, const json* q, const json* c, const std::string& key) {
      if ((q == nullptr || member(*q, key) == nullptr) && (c == nullptr || member(*c, key) == nullptr)) return;
      out_ += "<tr><td>";
      out_ += label;
      out_ += "</td><td class=\"num\">" + field_html(q, key) + "</td><td class=\"num\">" + field_html(c, key) +
              "</td></tr>\n";
    };
    plain_row("support vectors", quantum_, classical_, "n_support");
    const json* bq = member(*quantum_, "best");
    const json* bc = member(*classical_, "best");
    plain_row("chosen hyperparameter", bq, bc, "hyperparameter");
    plain_row("chosen C", bq, bc, "C");
    plain_row("CV accuracy of the choice", bq, bc, "cv_mean");
    if (out_.size() == rows_start) {
      out_.resize(header_end);
      out_ += "<p class=\"na\">No test-set metrics in metrics.</p>\n";
      return;
    }
    out_ += "</table></div>\n";
  }

  // -------------------------------------------------------------------------------------------------------------
  void kernels() {
    out_ +=
        "<section id=\"kernels\">\n<h2>Kernel matrices</h2>\n<p class=\"note\">Training-set kernels with rows "
        "and columns sorted by class; lines mark class boundaries. A good kernel shows bright diagonal blocks "
        "(similar within a class) and dark off-diagonal blocks.</p>\n<div class=\"row\">\n";
    heatmap(kq_, "Quantum kernel", "hm-quantum", quantum_);
    heatmap(kc_, "Classical kernel", "hm-classical", classical_);
    out_ += "</div>\n</section>\n";
  }

  void heatmap(const Eigen::MatrixXd& k, std::string_view who, std::string_view id, const json* model) {
    out_ += "<figure>\n<h3>" + model_title(model, who) + "</h3>\n";
    if (k.size() == 0) {
      out_ += "<p class=\"na\">Kernel matrix not provided.</p>\n</figure>\n";
      return;
    }
    const heatmap_data h = block_average(k, labels_, max_heatmap_cells);
    const int m = h.cells;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (Eigen::Index i = 0; i < h.mean.size(); ++i) {
      const double v = h.mean.data()[i];
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
    // Kernels with values in [0, 1] (fidelity, RBF) share one fixed scale: a quantum kernel that has
    // concentrated near the identity should look dark, not be stretched to look like a useful one.
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    if (lo >= -1e-9 && hi <= 1 + 1e-9) lo = 0, hi = 1;
    if (!(hi - lo > 1e-12)) hi = lo + 1;

    // Whole pixels per cell, so that cell edges fall on pixel edges and no cell looks wider than its neighbour.
    constexpr double left = 84, top = 30, max_size = 288;
    const double cell = std::max(1.0, std::floor(max_size / m)), size = cell * m;
    const double bar_x = left + size + 16, bar_w = 14, width = bar_x + bar_w + 52, height = top + size + 12;

    // One path per quantized colour, each cell run a stroke "Mx yhN": a 96 x 96 map costs tens of kilobytes,
    // not the half megabyte of one <rect> per cell. 64 levels are more than the eye separates along viridis.
    constexpr int levels = 64;
    auto level_of = [&](double v) {
      if (!std::isfinite(v)) return levels;  // drawn grey
      return std::clamp(static_cast<int>(std::lround((v - lo) / (hi - lo) * (levels - 1))), 0, levels - 1);
    };
    Eigen::MatrixXi lvl(m, m);
    for (int c = 0; c < m; ++c) {
      for (int r = 0; r < m; ++r) lvl(r, c) = level_of(h.mean(r, c));
    }
    // Kernels are symmetric: then only the lower triangle is written and a mirrored <use> draws the rest.
    const bool mirrored = lvl == lvl.transpose();
    std::vector<std::string> paths(levels + 1);
    for (int r = 0; r < m; ++r) {
      const int end = mirrored ? r + 1 : m;
      for (int c = 0; c < end;) {
        const int level = lvl(r, c);
        int e = c + 1;
        while (e < end && lvl(r, e) == level) ++e;
        paths[static_cast<std::size_t>(level)] +=
            'M' + std::to_string(c) + ' ' + std::to_string(r) + 'h' + std::to_string(e - c);
        c = e;
      }
    }
    const std::string cells_id = std::string(id) + "-cells";
    out_ += "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" id=\"" +
            std::string(id) + "\" class=\"heatmap\" width=\"" + px(width) + "\" height=\"" + px(height) +
            "\" viewBox=\"0 0 " + px(width) + " " + px(height) + "\" role=\"img\" data-cells=\"" + std::to_string(m) +
            "\" data-mirrored=\"" + (mirrored ? "1" : "0") + "\" aria-labelledby=\"" + std::string(id) +
            "-t\">\n<title id=\"" + std::string(id) + "-t\">" + esc(std::string(who)) + " matrix heatmap, " +
            std::to_string(k.rows()) + " training samples sorted by class</title>\n";
    // Strokes of width 1 centred half a cell down cover exactly the cells [x, x + N) x [y, y + 1).
    out_ += "<g class=\"cells\" transform=\"translate(" + px(left) + " " + px(top) + ") scale(" + px(cell) +
            ")\" fill=\"none\" stroke-width=\"1\" shape-rendering=\"crispEdges\">\n<g id=\"" + cells_id +
            "\" transform=\"translate(0 0.5)\">\n";
    for (int level = 0; level <= levels; ++level) {
      const auto& p = paths[static_cast<std::size_t>(level)];
      if (p.empty()) continue;
      const std::string colour = level == levels ? std::string("#9a9a9a") : hex(viridis(level / double(levels - 1)));
      out_ += "<path stroke=\"" + colour + "\" d=\"" + p + "\"/>\n";
    }
    out_ += "</g>\n";
    // xlink:href as well as href: SVG 1.1 viewers (librsvg, older Safari) know only the former.
    if (mirrored) {
      out_ += "<use href=\"#" + cells_id + "\" xlink:href=\"#" + cells_id + "\" transform=\"matrix(0 1 1 0 0 0)\"/>\n";
    }
    out_ += "</g>\n";
    out_ += "<rect x=\"" + px(left) + "\" y=\"" + px(top) + "\" width=\"" + px(size) + "\" height=\"" + px(size) +
            "\" fill=\"none\" stroke=\"#555\" stroke-width=\"1\"/>\n";

    // Boundaries drawn twice (dark under light) stay visible on both ends of the colour scale.
    if (!h.boundaries.empty() && h.boundaries.size() <= 64) {
      std::string d;
      for (const double b : h.boundaries) {
        const double p = b * cell;
        d += "M" + px(left + p) + " " + px(top) + "v" + px(size) + "M" + px(left) + " " + px(top + p) + "h" + px(size);
      }
      out_ +=
          "<path class=\"boundaries\" d=\"" + d + "\" stroke=\"#000\" stroke-opacity=\"0.6\" stroke-width=\"3\"/>\n";
      out_ += "<path d=\"" + d + "\" stroke=\"#fff\" stroke-width=\"1.2\"/>\n";
    }
    // Class names beside the rows and above the columns, where there is room for them.
    if (h.class_extent_min * cell >= 12 && h.class_centres.size() <= 32) {
      out_ += "<g font-size=\"11\" fill=\"#333\">\n";
      for (const auto& [label, centre] : h.class_centres) {
        const std::string full = esc(class_name(label));
        const std::string shown = esc(truncate_utf8(class_name(label), 11));
        out_ += "<text x=\"" + px(left - 6) + "\" y=\"" + px(top + centre * cell + 4) + "\" text-anchor=\"end\">" +
                "<title>" + full + "</title>" + shown + "</text>\n";
        out_ += "<text x=\"" + px(left + centre * cell) + "\" y=\"" + px(top - 8) + "\" text-anchor=\"middle\">" +
                "<title>" + full + "</title>" + shown + "</text>\n";
      }
      out_ += "</g>\n";
    }
    colour_bar(bar_x, top, bar_w, size, lo, hi, id);
    out_ += "</svg>\n<figcaption>";
    out_ += std::to_string(k.rows()) + " &#215; " + std::to_string(k.rows()) + " kernel";
    if (m < k.rows()) {
      out_ += ", shown as " + std::to_string(m) + " &#215; " + std::to_string(m) + " block averages of about " +
              format_number(static_cast<double>(k.rows()) / m, 3) + " samples per side";
    }
    out_ += "; colour scale " + format_number(lo) + " to " + format_number(hi) + ".</figcaption>\n</figure>\n";
  }

  void colour_bar(double x, double y, double w, double h, double lo, double hi, std::string_view id) {
    const std::string grad = std::string(id) + "-scale";
    out_ += "<defs><linearGradient id=\"" + grad + "\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">";
    for (int i = 0; i <= 10; ++i) {
      out_ += "<stop offset=\"" + px(i * 10.0) + "%\" stop-color=\"" + hex(viridis(i / 10.0)) + "\"/>";
    }
    out_ += "</linearGradient></defs>\n<rect x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(w) +
            "\" height=\"" + px(h) + "\" fill=\"url(#" + grad + ")\" stroke=\"#555\" stroke-width=\"0.5\"/>\n";
    out_ += "<g font-size=\"10\" fill=\"#333\">\n";
    for (const double t : nice_ticks(lo, hi, 5)) {
      const double ty = y + h - (t - lo) / (hi - lo) * h;
      out_ += "<line x1=\"" + px(x + w) + "\" x2=\"" + px(x + w + 4) + "\" y1=\"" + px(ty) + "\" y2=\"" + px(ty) +
              "\" stroke=\"#555\"/><text x=\"" + px(x + w + 7) + "\" y=\"" + px(ty + 3.5) + "\">" + format_number(t) +
              "</text>\n";
    }
    out_ += "</g>\n";
  }

  // -------------------------------------------------------------------------------------------------------------
  struct series {
    const json* model;
    std::string_view who;
    std::string_view colour;
    std::string_view dasharray;  // empty: solid
  };

  [[nodiscard]] std::array<series, 2> both() const {
    return {{{quantum_, "Quantum", quantum_colour, ""}, {classical_, "Classical", classical_colour, "7 4"}}};
  }

  void roc() {
    out_ += "<section id=\"roc\">\n<h2>ROC curves</h2>\n";
    const std::size_t classes = class_count();
    if (classes > 2) {
      out_ += "<p class=\"note\">ROC curves are drawn for binary problems only; this dataset has " +
              std::to_string(classes) +
              " classes, so see the <a href=\"#confusion\">confusion matrices</a>.</p>\n"
              "</section>\n";
      return;
    }
    struct curve {
      series s;
      std::vector<double> fpr, tpr;
    };
    std::vector<curve> curves;
    for (const auto& s : both()) {
      const json* rc = member(*s.model, "roc_curve");
      curve c{s, number_array(rc, "fpr"), number_array(rc, "tpr")};
      if (!c.fpr.empty() && c.fpr.size() == c.tpr.size()) curves.push_back(std::move(c));
    }
    if (curves.empty()) {
      out_ += "<p class=\"na\">No ROC curve in metrics.</p>\n</section>\n";
      return;
    }
    constexpr double left = 56, top = 14, size = 300, width = left + size + 20, height = top + size + 46;
    out_ += "<figure>\n<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"roc-plot\" width=\"" + px(width) +
            "\" height=\"" + px(height) + "\" viewBox=\"0 0 " + px(width) + " " + px(height) +
            "\" role=\"img\" aria-labelledby=\"roc-t\">\n<title id=\"roc-t\">ROC curves of both models</title>\n";
    axes_frame(left, top, size, size, 0, 1, 0, 1, "false positive rate", "true positive rate");
    out_ += "<path d=\"M" + px(left) + " " + px(top + size) + "L" + px(left + size) + " " + px(top) +
            "\" stroke=\"#888\" stroke-dasharray=\"3 3\" fill=\"none\"/>\n";
    for (const auto& c : curves) {
      out_ += "<polyline class=\"roc\" fill=\"none\" stroke=\"" + std::string(c.s.colour) +
              "\" stroke-width=\"2.2\" stroke-linejoin=\"round\"";
      if (!c.s.dasharray.empty()) out_ += " stroke-dasharray=\"" + std::string(c.s.dasharray) + "\"";
      out_ += " points=\"" + thinned_points(c.fpr, c.tpr, left, top, size) + "\"/>\n";
    }
    // Legend in the lower right, which a ROC curve above the diagonal leaves empty.
    const double lx = left + size - 190, ly = top + size - 14 - 20.0 * static_cast<double>(curves.size());
    out_ += "<rect x=\"" + px(lx - 8) + "\" y=\"" + px(ly - 6) + "\" width=\"192\" height=\"" +
            px(20.0 * static_cast<double>(curves.size()) + 8) +
            "\" fill=\"#fff\" fill-opacity=\"0.9\" stroke=\"#ccc\"/>\n";
    double yy = ly + 8;
    for (const auto& c : curves) {
      legend_line(lx, yy, c.s);
      std::string text = std::string(c.s.who);
      if (const auto auc = number(c.s.model, "roc_auc")) text += ", AUC " + format_number(*auc);
      out_ += "<text x=\"" + px(lx + 32) + "\" y=\"" + px(yy + 4) + "\" font-size=\"12\">" + text + "</text>\n";
      yy += 20;
    }
    out_ +=
        "</svg>\n<figcaption>Test-set ROC curves; the dashed diagonal is a random classifier.</figcaption>\n"
        "</figure>\n</section>\n";
  }

  void legend_line(double x, double y, const series& s) {
    out_ += "<line x1=\"" + px(x) + "\" x2=\"" + px(x + 26) + "\" y1=\"" + px(y) + "\" y2=\"" + px(y) + "\" stroke=\"" +
            std::string(s.colour) + "\" stroke-width=\"2.2\"";
    if (!s.dasharray.empty()) out_ += " stroke-dasharray=\"" + std::string(s.dasharray) + "\"";
    out_ += "/>\n";
  }

  /// Plot coordinates at 0.1 px, dropping repeats and the inner points of horizontal or vertical runs: a ROC
  /// curve of 100,000 test points is a staircase the plot draws with a few hundred vertices.
  [[nodiscard]] static std::string thinned_points(const std::vector<double>& fpr, const std::vector<double>& tpr,
                                                  double left, double top, double size) {
    std::vector<std::pair<long, long>> pts;  // tenths of a pixel
    for (std::size_t i = 0; i < fpr.size(); ++i) {
      if (!std::isfinite(fpr[i]) || !std::isfinite(tpr[i])) continue;
      const long x = std::lround((left + std::clamp(fpr[i], 0.0, 1.0) * size) * 10);
      const long y = std::lround((top + (1 - std::clamp(tpr[i], 0.0, 1.0)) * size) * 10);
      if (!pts.empty() && pts.back() == std::pair{x, y}) continue;
      if (pts.size() >= 2) {
        const auto& a = pts[pts.size() - 2];
        const auto& b = pts.back();
        if ((a.first == b.first && b.first == x) || (a.second == b.second && b.second == y)) {
          pts.back() = {x, y};
          continue;
        }
      }
      pts.emplace_back(x, y);
    }
    std::string s;
    for (const auto& [x, y] : pts) {
      if (!s.empty()) s += ' ';
      s += px(static_cast<double>(x) / 10) + "," + px(static_cast<double>(y) / 10);
    }
    return s;
  }

  /// Frame, grid, ticks and axis titles of a plot area whose data range is [x0, x1] x [y0, y1].
  void axes_frame(double left, double top, double w, double h, double x0, double x1, double y0, double y1,
                  std::string_view x_title, std::string_view y_title, bool x_ticks = true) {
    out_ += "<g font-size=\"11\" fill=\"#333\">\n";
    for (const double t : nice_ticks(y0, y1, 5)) {
      const double y = top + h - (t - y0) / (y1 - y0) * h;
      out_ += "<line x1=\"" + px(left) + "\" x2=\"" + px(left + w) + "\" y1=\"" + px(y) + "\" y2=\"" + px(y) +
              "\" stroke=\"#e4e4ea\"/><text x=\"" + px(left - 6) + "\" y=\"" + px(y + 4) + "\" text-anchor=\"end\">" +
              format_number(t) + "</text>\n";
    }
    if (x_ticks) {
      for (const double t : nice_ticks(x0, x1, 5)) {
        const double x = left + (t - x0) / (x1 - x0) * w;
        out_ += "<line x1=\"" + px(x) + "\" x2=\"" + px(x) + "\" y1=\"" + px(top) + "\" y2=\"" + px(top + h) +
                "\" stroke=\"#e4e4ea\"/><text x=\"" + px(x) + "\" y=\"" + px(top + h + 16) +
                "\" text-anchor=\"middle\">" + format_number(t) + "</text>\n";
      }
      out_ += "<text x=\"" + px(left + w / 2) + "\" y=\"" + px(top + h + 36) + "\" text-anchor=\"middle\">" +
              std::string(x_title) + "</text>\n";
    }
    out_ += "<text transform=\"translate(" + px(left - 40) + " " + px(top + h / 2) +
            ") rotate(-90)\" text-anchor=\"middle\">" + std::string(y_title) + "</text>\n";
    out_ += "<rect x=\"" + px(left) + "\" y=\"" + px(top) + "\" width=\"" + px(w) + "\" height=\"" + px(h) +
            "\" fill=\"none\" stroke=\"#555\"/>\n</g>\n";
  }

  // -------------------------------------------------------------------------------------------------------------
  void confusion() {
    out_ +=
        "<section id=\"confusion\">\n<h2>Confusion matrices</h2>\n<p class=\"note\">Test set; rows are true "
        "classes, columns predicted ones. Shading is the share of the row.</p>\n<div class=\"row\">\n";
    for (const auto& s : both()) confusion_table(s);
    out_ += "</div>\n</section>\n";
  }

  void confusion_table(const series& s) {
    out_ += "<div class=\"scroll\">";
    const json* cm = member(*s.model, "confusion_matrix");
    const json* matrix = cm == nullptr ? nullptr : member(*cm, "matrix");
    const std::string title = model_title(s.model, std::string(s.who) + " kernel");
    if (matrix == nullptr || !matrix->is_array() || matrix->empty()) {
      out_ += "<h3>" + title + "</h3><p class=\"na\">No confusion matrix in metrics.</p></div>\n";
      return;
    }
    const json* labels = member(*cm, "labels");
    std::size_t cols = 0;
    for (const auto& row : *matrix) cols = std::max(cols, row.is_array() ? row.size() : std::size_t{0});
    auto label_html = [&](std::size_t i) {
      if (labels != nullptr && labels->is_array() && i < labels->size()) {
        const json& l = (*labels)[i];
        return esc(l.is_number_integer() ? class_name(l.get<long long>()) : json_text(l));
      }
      return esc(class_name(static_cast<long long>(i)));
    };
    out_ += "<table class=\"cm\"><caption>" + title + "</caption>\n<tr><th class=\"corner\"></th><th colspan=\"" +
            std::to_string(cols) + "\">predicted</th></tr>\n<tr><th class=\"corner\">true</th>";
    for (std::size_t c = 0; c < cols; ++c) out_ += "<th>" + label_html(c) + "</th>";
    out_ += "</tr>\n";
    for (std::size_t r = 0; r < matrix->size(); ++r) {
      const json& row = (*matrix)[r];
      double total = 0;
      if (row.is_array()) {
        for (const auto& v : row) total += v.is_number() ? v.get<double>() : 0.0;
      }
      out_ += "<tr><th>" + label_html(r) + "</th>";
      for (std::size_t c = 0; c < cols; ++c) {
        if (!row.is_array() || c >= row.size() || !row[c].is_number()) {
          out_ += "<td>" + std::string(dash) + "</td>";
          continue;
        }
        const double v = row[c].get<double>();
        const double share = total > 0 ? std::clamp(v / total, 0.0, 1.0) : 0.0;
        out_ += "<td style=\"background:rgba(" + std::string(c == r ? "0,114,178," : "213,94,0,") +
                format_number(0.08 + 0.8 * share, 2) + ")" + (share > 0.55 ? ";color:#fff" : "") + "\" title=\"" +
                format_number(share * 100, 3) + "% of row\">" + (c == r ? "<strong>" : "") + esc(json_text(row[c])) +
                (c == r ? "</strong>" : "") + "</td>";
      }
      out_ += "</tr>\n";
    }
    out_ += "</table></div>\n";
  }

  // -------------------------------------------------------------------------------------------------------------
  void cross_validation() {
    out_ +=
        "<section id=\"cv\">\n<h2>Cross-validation</h2>\n<p class=\"note\">Mean CV accuracy per grid point "
        "(hyperparameter h, regularization C) with &#177;1 standard deviation over folds; the ringed point is "
        "the one chosen.</p>\n<div class=\"row\">\n";
    for (const auto& s : both()) cv_plot(s);
    out_ += "</div>\n</section>\n";
  }

  void cv_plot(const series& s) {
    const std::string title = model_title(s.model, std::string(s.who) + " kernel");
    const json* cv = member(*s.model, "cv");
    struct point {
      std::string h, c;
      std::optional<double> h_value, c_value;
      double mean, sd;
      std::size_t folds;
    };
    std::vector<point> pts;
    if (cv != nullptr && cv->is_array()) {
      for (const auto& e : *cv) {
        const auto mean = number(&e, "mean");
        if (!mean) continue;
        const json* folds = member(e, "folds");
        pts.push_back({field_html(&e, "hyperparameter"), field_html(&e, "C"), number(&e, "hyperparameter"),
                       number(&e, "C"), *mean, number(&e, "std").value_or(0.0),
                       folds != nullptr && folds->is_array() ? folds->size() : std::size_t{0}});
      }
    }
    out_ += "<figure>\n<h3>" + title + "</h3>\n";
    if (pts.empty()) {
      out_ += "<p class=\"na\">No cross-validation scores in metrics.</p>\n</figure>\n";
      return;
    }
    const json* best = member(*s.model, "best");
    const std::string best_h = field_html(best, "hyperparameter"), best_c = field_html(best, "C");

    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& p : pts) {
      if (!std::isfinite(p.mean)) continue;
      lo = std::min(lo, p.mean - std::abs(p.sd));
      hi = std::max(hi, p.mean + std::abs(p.sd));
    }
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    const double pad = std::max(0.05 * (hi - lo), 0.01);
    const bool accuracy_like = lo >= 0 && hi <= 1;
    lo -= pad, hi += pad;
    if (accuracy_like) lo = std::max(lo, 0.0), hi = std::min(hi, 1.0);
    if (!(hi - lo > 1e-9)) hi = lo + 1;

    const std::size_t n = pts.size();
    const double step = std::clamp(520.0 / static_cast<double>(n), 6.0, 30.0);
    const double left = 56, top = 12, ph = 200, pw = step * static_cast<double>(n);
    const double width = left + std::max(pw, 200.0) + 24, height = top + ph + 96;
    const std::string id = s.model == quantum_ ? "cv-quantum" : "cv-classical";
    out_ += "<div class=\"scroll\"><svg xmlns=\"http://www.w3.org/2000/svg\" id=\"" + id + "\" width=\"" + px(width) +
            "\" height=\"" + px(height) + "\" viewBox=\"0 0 " + px(width) + " " + px(height) +
            "\" role=\"img\" aria-labelledby=\"" + id + "-t\">\n<title id=\"" + id + "-t\">" + title +
            ": cross-validation accuracy per grid point</title>\n";
    axes_frame(left, top, pw, ph, 0, 1, lo, hi, "", "CV accuracy", false);
    auto y_of = [&](double v) { return top + ph - (std::clamp(v, lo, hi) - lo) / (hi - lo) * ph; };
    // At most ~40 labels: beyond that they would overlap however they are rotated.
    const std::size_t label_every = (n + 39) / 40;
    const std::string colour(s.colour);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& p = pts[i];
      const double x = left + (static_cast<double>(i) + 0.5) * step;
      const bool chosen =
          best != nullptr && same(p.h_value, number(best, "hyperparameter")) && same(p.c_value, number(best, "C"));
      out_ += "<g><title>h = " + p.h + ", C = " + p.c + ": " + format_number(p.mean) + " &#177; " +
              format_number(p.sd) + (p.folds > 0 ? " (" + std::to_string(p.folds) + " folds)" : std::string()) +
              (chosen ? ", chosen" : "") + "</title>";
      if (std::isfinite(p.mean)) {
        if (p.sd > 0) {
          const double y1 = y_of(p.mean - p.sd), y2 = y_of(p.mean + p.sd), cap = std::min(step * 0.3, 4.0);
          out_ += "<path d=\"M" + px(x) + " " + px(y1) + "V" + px(y2) + "M" + px(x - cap) + " " + px(y1) + "h" +
                  px(2 * cap) + "M" + px(x - cap) + " " + px(y2) + "h" + px(2 * cap) + "\" stroke=\"" + colour +
                  "\" stroke-width=\"1.2\" fill=\"none\"/>";
        }
        out_ += "<circle class=\"cvpt\" cx=\"" + px(x) + "\" cy=\"" + px(y_of(p.mean)) + "\" r=\"" +
                px(std::min(3.2, step * 0.3)) + "\" fill=\"" + colour + "\"/>";
        if (chosen) {
          out_ += "<circle cx=\"" + px(x) + "\" cy=\"" + px(y_of(p.mean)) + "\" r=\"7\" fill=\"none\" stroke=\"" +
                  "#007a5a\" stroke-width=\"2\"/>";
        }
      }
      out_ += "</g>\n";
      if (i % label_every == 0) {
        out_ += "<text font-size=\"10\" fill=\"#333\" text-anchor=\"end\" transform=\"translate(" + px(x + 3) + " " +
                px(top + ph + 10) + ") rotate(-50)\">h=" + p.h + ", C=" + p.c + "</text>\n";
      }
    }
    out_ += "</svg></div>\n<figcaption>" + std::to_string(n) + " grid points";
    if (const auto cv_mean = number(best, "cv_mean")) {
      out_ += "; chosen h = " + best_h + ", C = " + best_c + " with CV accuracy " + format_number(*cv_mean);
    }
    out_ += ".</figcaption>\n</figure>\n";
  }

  // Grid values are compared as numbers: the printed 4 digits could make neighbouring grid points look equal.
  [[nodiscard]] static bool same(std::optional<double> a, std::optional<double> b) {
    if (!a || !b) return !a && !b;
    return std::abs(*a - *b) <= 1e-9 * std::max({1.0, std::abs(*a), std::abs(*b)});
  }

  // -------------------------------------------------------------------------------------------------------------
  void timings() {
    out_ += "<section id=\"timings\">\n<h2>Time per stage</h2>\n";
    const json* t = member(m_, "timings");
    std::vector<std::pair<std::string, double>> rows;
    if (t != nullptr && t->is_array()) {
      for (const auto& e : *t) {
        const auto sec = number(&e, "seconds");
        const json* stage = member(e, "stage");
        if (sec && std::isfinite(*sec)) rows.emplace_back(stage != nullptr ? json_text(*stage) : "?", *sec);
      }
    }
    if (rows.empty()) {
      out_ += "<p class=\"na\">No timings in metrics.</p>\n</section>\n";
      return;
    }
    double max = 0, total = 0;
    for (const auto& r : rows) max = std::max(max, r.second), total += std::max(r.second, 0.0);
    constexpr double label_w = 150, bar_w = 460, row_h = 24, top = 6;
    const double width = label_w + bar_w + 130, height = top + row_h * static_cast<double>(rows.size()) + 6;
    out_ += "<figure>\n<div class=\"scroll\"><svg xmlns=\"http://www.w3.org/2000/svg\" id=\"timing-chart\" width=\"" +
            px(width) + "\" height=\"" + px(height) + "\" viewBox=\"0 0 " + px(width) + " " + px(height) +
            "\" role=\"img\" aria-labelledby=\"timing-t\">\n<title id=\"timing-t\">Seconds per pipeline "
            "stage</title>\n<g font-size=\"12\" fill=\"#333\">\n";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& [stage, sec] = rows[i];
      const double y = top + row_h * static_cast<double>(i);
      const double w = max > 0 ? std::max(sec, 0.0) / max * bar_w : 0;
      out_ += "<text x=\"" + px(label_w - 8) + "\" y=\"" + px(y + 16) + "\" text-anchor=\"end\"><title>" + esc(stage) +
              "</title>" + esc(truncate_utf8(stage, 20)) + "</text><rect class=\"bar\" x=\"" + px(label_w) + "\" y=\"" +
              px(y + 4) + "\" width=\"" + px(std::max(w, 1.0)) + "\" height=\"" + px(row_h - 8) +
              "\" fill=\"#0072b2\"/><text x=\"" + px(label_w + std::max(w, 1.0) + 6) + "\" y=\"" + px(y + 16) + "\">" +
              format_number(sec) + " s";
      if (total > 0) out_ += " (" + format_number(std::max(sec, 0.0) / total * 100, 2) + "%)";
      out_ += "</text>\n";
    }
    out_ += "</g>\n</svg></div>\n<figcaption>Wall-clock seconds per stage; total " + format_number(total) +
            " s.</figcaption>\n</figure>\n</section>\n";
  }

  // -------------------------------------------------------------------------------------------------------------
  void assessment() {
    out_ += "<section id=\"assessment\">\n<h2>Kernel assessment</h2>\n";
    if (assessment_ == nullptr) {
      out_ += "<p class=\"na\">No kernel assessment in metrics.</p>\n</section>\n";
      return;
    }
    out_ +=
        "<p class=\"note\">After Huang et al., &#8220;Power of data in quantum machine learning&#8221; (2021), "
        "on trace-normalized training kernels.</p>\n<table>\n<tr><th>quantity</th><th>meaning</th>"
        "<th class=\"num\">value</th></tr>\n";
    static constexpr std::array<std::array<const char*, 3>, 5> rows{{
        {"geometric_difference", "g",
         "geometric difference g(K<sub>C</sub>&#8214;K<sub>Q</sub>); g&#178; bounds how "
         "much harder any labelling can be for the classical kernel"},
        {"complexity_classical", "s<sub>C</sub>", "model complexity of these labels under the classical kernel"},
        {"complexity_quantum", "s<sub>Q</sub>", "model complexity of these labels under the quantum kernel"},
        {"dimension_classical", "d<sub>C</sub>", "approximate dimension of the classical kernel"},
        {"dimension_quantum", "d<sub>Q</sub>", "approximate dimension of the quantum kernel"},
    }};
    for (const auto& [key, symbol, meaning] : rows) {
      out_ += std::string("<tr><td>") + symbol + "</td><td>" + meaning + "</td><td class=\"num\">" +
              field_html(assessment_, key) + "</td></tr>\n";
    }
    const json* v = member(*assessment_, "verdict");
    out_ += "<tr><td>verdict</td><td colspan=\"2\">" +
            (v != nullptr ? esc(verdict_text(json_text(*v))) : std::string(dash)) + "</td></tr>\n</table>\n";
    if (const json* e = member(*assessment_, "explanation")) out_ += "<p>" + esc(json_text(*e)) + "</p>\n";
    out_ += "</section>\n";
  }

  const json& m_;
  const Eigen::MatrixXd& kq_;
  const Eigen::MatrixXd& kc_;
  std::span<const int> labels_;
  const json* dataset_ = nullptr;
  const json* quantum_ = nullptr;
  const json* classical_ = nullptr;
  const json* feature_map_ = nullptr;
  const json* assessment_ = nullptr;
  std::vector<std::string> class_names_;
  std::string out_;
};

}  // namespace detail::report

/// The report as one HTML document. Throws std::invalid_argument when a required key (format_version, dataset,
/// quantum, classical) is missing or malformed, or when a non-empty kernel is not train x train. An empty (0 x 0)
/// kernel is allowed and noted as not provided.
[[nodiscard]] inline std::string render_report(const nlohmann::json& metrics, const Eigen::MatrixXd& k_quantum,
                                               const Eigen::MatrixXd& k_classical, std::span<const int> train_labels) {
  return detail::report::renderer(metrics, k_quantum, k_classical, train_labels).render();
}

/// render_report() written atomically: readers see the previous report or the new one, never a partial file.
inline void write_report(const std::filesystem::path& file, const nlohmann::json& metrics,
                         const Eigen::MatrixXd& k_quantum, const Eigen::MatrixXd& k_classical,
                         std::span<const int> train_labels) {
  io::write_file_atomically(file, render_report(metrics, k_quantum, k_classical, train_labels));
}

}  // namespace hqml
