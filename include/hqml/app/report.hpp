#pragma once
// The HTML report of one `hqml run`: a single self-contained file (inline CSS and SVG, no script, no external
// asset) that a person can open offline, mail, or attach to a ticket. It shows the verdict, every model's
// held-out scores, whether their differences are significant, both kernel matrices as heatmaps, ROC curves
// (binary tasks), confusion matrices and per-class scores, cross-validation scores, stage timings and the
// Huang et al. kernel assessment.
//
// Input is the pipeline's metrics.json object, format 2 (docs: the pipeline's metrics_json) or the older
// format 1, which is read as format 2 without the fields it lacks. Only format_version, dataset, quantum and
// classical are required; every other field is rendered when present and skipped (with a note) when absent,
// so a partial metrics file still gives a useful page. All text from the metrics (dataset, class and feature
// names, warnings, stage names, explanations) is escaped, since it comes from file names and CSV headers.
//
// A model is marked better than another only where the metrics' McNemar test says the difference is
// significant, and never a model that predicts a single class: a difference of one test row, or a
// majority-class predictor on an unbalanced test set, is not a result.
//
// Size stays bounded whatever N is: heatmaps are block-averaged to at most max_heatmap_cells per side and
// drawn as one SVG path per quantized colour, ROC polylines are thinned to what the plot can resolve, and long
// lists (feature names, classes, warnings) are cut with a note; per-row data such as test predictions is not
// shown.

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

/// The newest metrics.json format_version this renderer understands; it also renders version 1.
inline constexpr int report_format_version = 2;
/// Heatmaps never have more cells than this per side; larger kernels are block-averaged.
inline constexpr int max_heatmap_cells = 96;
/// Confusion matrices of more classes than this are not drawn (the per-class tables still list the classes).
inline constexpr int max_confusion_classes = 40;

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

// At most max_chars code points, cut in the middle: class names often share a prefix ("class name 1", "class
// name 2") and differ at the end.
[[nodiscard]] inline std::string truncate_middle(std::string_view s, std::size_t max_chars) {
  std::vector<std::size_t> starts;  // byte offset of each code point
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  if (starts.size() <= max_chars || max_chars < 3) return truncate_utf8(s, max_chars);
  const std::size_t head = (max_chars - 1) / 2 + (max_chars - 1) % 2, tail = max_chars - 1 - head;
  return std::string(s.substr(0, starts[head])) + "\xE2\x80\xA6" + std::string(s.substr(starts[starts.size() - tail]));
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
// Format 1

/// A format-1 metrics object read as format 2: each model's "cv" and "best" become its "search". Everything
/// else format 1 has keeps its name; what it lacks (baselines, comparisons, verdict, task) stays absent.
[[nodiscard]] inline json upgrade_v1(const json& v1) {
  json m = v1;
  for (const char* key : {"quantum", "classical"}) {
    json& model = m[key];
    if (model.contains("search") || (!model.contains("cv") && !model.contains("best"))) continue;
    json search = json::object();
    const auto name = model.find("hyperparameter_name");
    search["hyperparameter_name"] = name != model.end() && name->is_string()
                                        ? *name
                                        : json(std::string(key) == "quantum" ? "feature_scale" : "gamma");
    if (model.contains("cv")) search["cv"] = model["cv"];
    if (model.contains("best")) search["best"] = model["best"];
    model.erase("cv");
    model.erase("best");
    model["search"] = std::move(search);
  }
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
// The page

inline constexpr std::string_view css = R"css(
:root{--fg:#1d1d1f;--muted:#5b5b66;--line:#d9d9e0;--bg:#fff;--panel:#f6f6f9;--q:#0072b2;--c:#d55e00;--win:#007a5a;
--warn:#a35200}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1160px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px;overflow-wrap:anywhere}h2{font-size:20px;margin:36px 0 12px;padding-bottom:6px;
border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:0 0 8px}
.meta,.note,figcaption{color:var(--muted);font-size:13px}
figcaption{margin-top:6px}figure p.note,figure p.edge{margin:6px 0 0}
nav{margin:12px 0 4px;font-size:14px}nav a{color:var(--q);margin-right:14px;text-decoration:none;white-space:nowrap}
nav a:hover{text-decoration:underline}
.warnings{border:1px solid #e0b341;background:#fff8e1;border-radius:8px;padding:8px 14px;margin:12px 0 0;
font-size:14px}
.warnings ul{margin:4px 0 0;padding-left:20px}.warnings li{overflow-wrap:anywhere}
.verdict{border:2px solid var(--line);border-radius:10px;padding:14px 18px;margin:8px 0 20px;background:var(--panel)}
.verdict.disagree{border-color:var(--warn)}
.verdict .lead{font-size:17px;line-height:1.5;margin:0 0 12px}
.sides{display:flex;flex-wrap:wrap;gap:14px}
.side{flex:1 1 280px;background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.side .what{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.side .says{font-size:19px;font-weight:700;margin:2px 0 4px}
.side p{margin:6px 0 0;font-size:14px}
.agreement{margin:12px 0 0;font-weight:600}
.verdict.disagree .agreement{color:var(--warn)}.verdict.agree .agreement{color:var(--win)}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;background:var(--win);color:#fff;font-size:13px;
font-weight:600}
.nosig{color:var(--muted)}
.flag{display:inline-block;margin-top:3px;padding:0 8px;border-radius:999px;border:1px solid var(--warn);
color:var(--warn);font-size:12px;white-space:nowrap}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:7px}
.edge{color:var(--warn);font-size:13px}.nw{white-space:nowrap}
.row{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.row>*{flex:1 1 320px;min-width:0}
.row>.fit{flex:0 1 auto}
.row.cvs>*{flex:1 1 480px}
table.wide{width:100%}
svg.ci{max-width:none;display:block}
figure{margin:0}svg{max-width:100%;height:auto;font-family:inherit}
table{border-collapse:collapse;font-size:14px;font-variant-numeric:tabular-nums}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
td.num,th.num{text-align:right}
th{font-weight:600}
table.kv th{color:var(--muted);white-space:nowrap}table.kv caption{white-space:nowrap}table.kv td{overflow-wrap:anywhere}
table.models td.seen{max-width:300px;font-size:13px;color:var(--muted)}
table.models td,table.cmp td{vertical-align:middle}
table.models th,table.cmp th{vertical-align:bottom}
table.cmp td.num{white-space:nowrap}table.cmp td.who{min-width:180px}
.sub{color:var(--muted);font-size:12px;font-weight:400}
table.models td,table.models th{padding:4px 7px}table.models td.seen{min-width:140px}
table.cm td,table.cm th{text-align:center;border:1px solid var(--line);min-width:46px}
table.cm th.corner{border:none}table.cm th.rl{text-align:right;white-space:nowrap}
table.cm.many td,table.cm.many th{min-width:30px;padding:2px 5px;font-size:12px}
tr.avg td{color:var(--muted)}tr.avg.first td{border-top:2px solid var(--line)}
caption{caption-side:top;text-align:left;font-weight:600;padding-bottom:6px}
.scroll{overflow-x:auto}
.block{margin-top:18px}
.na{color:var(--muted);font-style:italic}
footer{margin-top:40px;color:var(--muted);font-size:12px}
@media print{nav{display:none}h2{break-after:avoid}figure,table{break-inside:avoid}}
)css";

/// Display names and plot styles of the models the pipeline writes, in the order the page lists them. Okabe-Ito
/// colours stay distinguishable under every common colour-vision deficiency, and each series also has its own
/// dash pattern so that nothing depends on colour alone.
struct model_style {
  std::string_view key, default_name, colour, dasharray;
};
inline constexpr std::array<model_style, 4> model_styles{
    {{"quantum", "quantum kernel SVM", "#0072b2", ""},
     {"classical", "classical SVM", "#d55e00", "7 4"},
     {"logistic_regression", "logistic regression", "#009e73", "2 3"},
     {"majority", "majority class", "#777777", "1 4"}}};

class renderer {
 public:
  renderer(const json& metrics, const Eigen::MatrixXd& k_quantum, const Eigen::MatrixXd& k_classical,
           std::span<const int> train_labels)
      : kq_(k_quantum), kc_(k_classical), labels_(train_labels) {
    version_ = validate(metrics);
    if (version_ == 1) {
      upgraded_ = upgrade_v1(metrics);
      m_ = &upgraded_;
    } else {
      m_ = &metrics;
    }
    validate_kernels();
    dataset_ = member(*m_, "dataset");
    feature_map_ = member(*m_, "feature_map");
    assessment_ = member(*m_, "assessment");
    task_ = member(*m_, "task");
    const json* baselines = member(*m_, "baselines");
    for (const auto& st : model_styles) {
      const std::string key(st.key);
      const json* parent = st.key == "quantum" || st.key == "classical" ? m_ : baselines;
      const json* model = parent == nullptr ? nullptr : member(*parent, key);
      if (model == nullptr || !model->is_object()) continue;
      const json* name = member(*model, "name");
      std::string title =
          esc(name != nullptr && name->is_string() ? name->get<std::string>() : std::string(st.default_name));
      // Format 1 names no model; its kernel tells the reader which classical kernel it was.
      if (name == nullptr) {
        if (const json* k = member(*model, "kernel")) title += " (" + esc(json_text(*k)) + ")";
      }
      models_.push_back({key, model, std::move(title), st.colour, st.dasharray});
    }
    if (const json* names = member(*dataset_, "class_names"); names != nullptr && names->is_array()) {
      for (const auto& n : *names) class_names_.push_back(json_text(n));
    }
    if (task_ != nullptr) {
      if (const json* p = member(*task_, "positive_label")) positive_label_ = json_text(*p);
    }
  }

  std::string render() {
    out_.reserve(96 * 1024);
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
    out_ += "</p>\n";
    dataset_warnings();
    const json* stage_times = timings_array();
    out_ += "<nav><a href=\"#summary\">Summary</a><a href=\"#uncertainty\">Significance</a>";
    out_ += "<a href=\"#kernels\">Kernels</a>";
    if (binary()) out_ += "<a href=\"#roc\">ROC</a>";
    out_ += "<a href=\"#confusion\">Per class</a><a href=\"#cv\">Cross-validation</a>";
    const json* routes = member(*m_, "serving_routes");
    if (routes != nullptr && (!routes->is_array() || routes->empty())) routes = nullptr;
    if (routes != nullptr) out_ += "<a href=\"#routes\">Serving routes</a>";
    if (stage_times != nullptr) out_ += "<a href=\"#timings\">Timings</a>";
    out_ += "<a href=\"#assessment\">Assessment</a></nav>\n</header>\n";
    summary();
    comparisons();
    kernels();
    roc();
    per_class();
    cross_validation();
    if (routes != nullptr) serving_routes(*routes);
    if (stage_times != nullptr) timings(*stage_times);
    assessment();
    out_ += "<footer>Generated by hqml";
    if (const json* v = member(*m_, "hqml_version")) out_ += " " + esc(json_text(*v));
    out_ += ". Self-contained: no script, no external resources.</footer>\n</main>\n</body>\n</html>\n";
    return std::move(out_);
  }

 private:
  struct model_ref {
    std::string key;  // "quantum", "classical", "logistic_regression" or "majority"
    const json* model;
    std::string title;  // HTML
    std::string_view colour, dasharray;
  };

  // -------------------------------------------------------------------------------------------------------------
  /// The format version, after checking what every version needs.
  [[nodiscard]] static int validate(const json& m) {
    if (!m.is_object()) throw std::invalid_argument("hqml: render_report: metrics must be a JSON object");
    for (const char* key : {"format_version", "dataset", "quantum", "classical"}) {
      if (member(m, key) == nullptr) {
        throw std::invalid_argument(std::string("hqml: render_report: metrics lacks the required key \"") + key + "\"");
      }
    }
    const json& v = m["format_version"];
    if (!v.is_number_integer() && !v.is_number_unsigned()) {
      throw std::invalid_argument("hqml: render_report: \"format_version\" must be an integer");
    }
    // A newer schema may change what fields mean; rendering it as an older one could show wrong numbers.
    const auto version = v.get<std::int64_t>();
    if (version < 1 || version > report_format_version) {
      throw std::invalid_argument("hqml: render_report: unsupported \"format_version\" " + v.dump() +
                                  " (this hqml renders versions 1 to " + std::to_string(report_format_version) + ")");
    }
    for (const char* key : {"dataset", "quantum", "classical"}) {
      if (!m[key].is_object()) {
        throw std::invalid_argument(std::string("hqml: render_report: \"") + key + "\" must be a JSON object");
      }
    }
    return static_cast<int>(version);
  }

  void validate_kernels() const {
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

  /// A positive count, for fields where 0 means "not recorded" (format 1 wrote "threads": 0 for "the default").
  [[nodiscard]] static std::optional<long long> positive_count(const json* obj, const std::string& key) {
    const auto v = number(obj, key);
    if (!v || !(*v >= 1) || *v > 1e15) return std::nullopt;
    return static_cast<long long>(*v);
  }

  [[nodiscard]] static std::optional<std::size_t> array_size(const json* obj, const std::string& key) {
    const json* a = obj == nullptr ? nullptr : member(*obj, key);
    if (a == nullptr || !a->is_array()) return std::nullopt;
    return a->size();
  }

  [[nodiscard]] std::string run_line() const {
    std::string s;
    auto add = [&](const std::string& part) {
      if (!s.empty()) s += " &#183; ";
      s += part;
    };
    if (const json* v = member(*m_, "hqml_version")) add("hqml " + esc(json_text(*v)));
    if (const json* v = member(*m_, "seed")) add("seed " + esc(json_text(*v)));
    auto threads = positive_count(m_, "threads");
    if (!threads) {
      if (const json* t = member(*m_, "timings"); t != nullptr && t->is_object())
        threads = positive_count(t, "threads");
    }
    if (threads) add(std::to_string(*threads) + (*threads == 1 ? " thread" : " threads"));
    if (const json* v = member(*m_, "device")) add("quantum kernels on " + esc(json_text(*v)));
    const json* split = member(*m_, "split");
    auto n_train = array_size(split, "train_rows"), n_test = array_size(split, "test_rows");
    if (!n_train) n_train = positive_count(dataset_, "n_train");
    if (!n_test) n_test = positive_count(dataset_, "n_test");
    if (n_train || n_test) {
      std::string part = "split " + (n_train ? std::to_string(*n_train) : std::string("?")) + " training / " +
                         (n_test ? std::to_string(*n_test) : std::string("?")) + " test rows";
      std::vector<std::string> how;
      if (const auto f = number(split, "test_fraction")) how.push_back(format_number(*f * 100, 3) + "% test");
      if (const json* st = split == nullptr ? nullptr : member(*split, "stratified");
          st != nullptr && st->is_boolean()) {
        how.push_back(st->get<bool>() ? "stratified" : "not stratified");
      }
      if (const json* sd = split == nullptr ? nullptr : member(*split, "seed")) {
        const json* seed = member(*m_, "seed");
        if (seed == nullptr || *seed != *sd) how.push_back("split seed " + esc(json_text(*sd)));
      }
      if (!how.empty()) {
        part += " (";
        for (std::size_t i = 0; i < how.size(); ++i) part += (i > 0 ? ", " : "") + how[i];
        part += ")";
      }
      add(part);
    }
    add("metrics format " + std::to_string(version_));
    return s;
  }

  void dataset_warnings() {
    const json* w = member(*dataset_, "warnings");
    if (w == nullptr || !w->is_array() || w->empty()) return;
    constexpr std::size_t max_shown = 50;
    out_ += "<div class=\"warnings\" id=\"warnings\"><strong>&#9888; Dataset warnings</strong><ul>\n";
    for (std::size_t i = 0; i < w->size() && i < max_shown; ++i) {
      out_ += "<li>" + esc(truncate_utf8(json_text((*w)[i]), 600)) + "</li>\n";
    }
    if (w->size() > max_shown) out_ += "<li>and " + std::to_string(w->size() - max_shown) + " more</li>\n";
    out_ += "</ul></div>\n";
  }

  /// The stage timings: metrics["timings"] as an array, or the timings.json object merged in whole.
  [[nodiscard]] const json* timings_array() const {
    const json* t = member(*m_, "timings");
    if (t != nullptr && t->is_object()) t = member(*t, "timings");
    return t != nullptr && t->is_array() && !t->empty() ? t : nullptr;
  }

  /// Plain-text class name of a label id: class_names[id] when there is one, else the id.
  [[nodiscard]] std::string class_name(long long label) const {
    if (label >= 0 && static_cast<std::size_t>(label) < class_names_.size()) {
      return class_names_[static_cast<std::size_t>(label)];
    }
    return std::to_string(label);
  }

  /// Plain-text class name of a confusion-matrix label: a name (format 2) or a class id (format 1).
  [[nodiscard]] std::string label_text(const json& l) const {
    return l.is_number_integer() ? class_name(l.get<long long>()) : json_text(l);
  }

  [[nodiscard]] std::size_t class_count() const {
    if (task_ != nullptr) {
      if (const auto n = positive_count(task_, "n_classes")) return static_cast<std::size_t>(*n);
    }
    if (!class_names_.empty()) return class_names_.size();
    for (const auto& r : models_) {
      const json* cm = member(*r.model, "confusion_matrix");
      const json* labels = cm == nullptr ? nullptr : member(*cm, "labels");
      if (labels != nullptr && labels->is_array() && !labels->empty()) return labels->size();
    }
    std::vector<int> distinct(labels_.begin(), labels_.end());
    std::sort(distinct.begin(), distinct.end());
    return static_cast<std::size_t>(std::unique(distinct.begin(), distinct.end()) - distinct.begin());
  }

  [[nodiscard]] bool binary() const {
    if (task_ != nullptr) {
      if (const json* t = member(*task_, "type"); t != nullptr && t->is_string())
        return t->get<std::string>() == "binary";
    }
    return class_count() <= 2;
  }

  [[nodiscard]] const model_ref* find_model(const std::string& key) const {
    for (const auto& r : models_) {
      if (r.key == key) return &r;
    }
    return nullptr;
  }

  [[nodiscard]] static bool flag(const json* obj, const std::string& key) {
    const json* v = obj == nullptr ? nullptr : member(*obj, key);
    return v != nullptr && v->is_boolean() && v->get<bool>();
  }

  [[nodiscard]] static bool single_class(const model_ref& r) { return flag(r.model, "predicts_single_class"); }

  /// "feature_scale" reads as "feature scale".
  [[nodiscard]] static std::string readable(std::string s) {
    std::replace(s.begin(), s.end(), '_', ' ');
    return s;
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

  // -------------------------------------------------------------------------------------------------------------
  // Key-value tables

  struct kv_row {
    std::string label_html, value_html;
  };

  /// Rows for the known keys (label given as HTML) in their order, then for every other non-null key except
  /// `skip`: fields this renderer does not know yet are shown rather than silently dropped. Values are cut at a
  /// few hundred characters so that a long array cannot blow up the page.
  [[nodiscard]] static std::vector<kv_row> kv_rows(const json* obj,
                                                   std::span<const std::pair<const char*, const char*>> known,
                                                   std::span<const char* const> skip = {}) {
    std::vector<kv_row> rows;
    if (obj == nullptr || !obj->is_object()) return rows;
    auto value = [](const json& v) {
      const std::string text = json_text(v);
      return text.empty() ? std::string(dash) : esc(truncate_utf8(text, 300));
    };
    for (const auto& [key, label] : known) {
      if (const json* v = member(*obj, key)) rows.push_back({label, value(*v)});
    }
    for (const auto& item : obj->items()) {
      if (item.value().is_null()) continue;
      const std::string& key = item.key();
      auto is = [&](const char* k) { return key == k; };
      if (std::any_of(known.begin(), known.end(), [&](const auto& kl) { return is(kl.first); })) continue;
      if (std::any_of(skip.begin(), skip.end(), is)) continue;
      rows.push_back({esc(readable(key)), value(item.value())});
    }
    return rows;
  }

  void kv_table(std::string_view caption, const std::vector<kv_row>& rows) {
    out_ += "<table class=\"kv\"><caption>";
    out_ += caption;
    out_ += "</caption>\n";
    if (rows.empty()) out_ += "<tr><td class=\"na\">not in metrics</td></tr>\n";
    for (const auto& r : rows) out_ += "<tr><th>" + r.label_html + "</th><td>" + r.value_html + "</td></tr>\n";
    out_ += "</table>\n";
  }

  // -------------------------------------------------------------------------------------------------------------
  void summary() {
    out_ += "<section id=\"summary\">\n<h2>Summary</h2>\n";
    verdict_box();
    models_table();
    out_ += "<div class=\"row block\">\n<div>";
    dataset_table();
    out_ += "</div>\n<div>";
    task_table();
    out_ += "</div>\n<div>";
    static constexpr std::array<std::pair<const char*, const char*>, 6> map_keys{{{"kind", "kind"},
                                                                                  {"num_qubits", "qubits"},
                                                                                  {"reps", "repetitions"},
                                                                                  {"entanglement", "entanglement"},
                                                                                  {"alpha", "alpha (scaling)"},
                                                                                  {"paulis", "Pauli terms"}}};
    kv_table("Quantum feature map", kv_rows(feature_map_, map_keys));
    if (const json* pre = member(*m_, "preprocessing")) {
      out_ += "<div class=\"block\"></div>";
      kv_table("Quantum model&#8217;s input transform", kv_rows(pre, {}));
    }
    out_ += "</div>\n</div>\n</section>\n";
  }

  /// What the held-out test rows say, what the kernel assessment says, and whether the two agree.
  void verdict_box() {
    const json* v = member(*m_, "verdict");
    const json* av = assessment_ == nullptr ? nullptr : member(*assessment_, "verdict");
    std::string assessed = av != nullptr ? json_text(*av) : std::string();
    if (v != nullptr && v->is_object()) {
      if (const json* a = member(*v, "assessment")) assessed = json_text(*a);
    }
    const std::string assessed_html = assessed.empty() ? std::string("no verdict") : esc(verdict_text(assessed));
    const std::string assessed_how =
        "<p class=\"note\">Geometric difference and model complexities of the training kernels (Huang et al. "
        "2021); <a href=\"#assessment\">details</a>.</p>";
    if (v == nullptr || !v->is_object()) {
      // Format 1 has no held-out verdict: the assessment alone, as before.
      if (assessment_ == nullptr) return;
      out_ += "<div class=\"verdict " + css_class(assessed) +
              "\" id=\"verdict\">\n<div class=\"sides\"><div class=\"side\"><div class=\"what\">Kernel "
              "assessment</div><div class=\"says\">" +
              assessed_html + "</div>";
      if (const json* e = member(*assessment_, "explanation")) out_ += "<p>" + esc(json_text(*e)) + "</p>";
      out_ += assessed_how + "</div></div>\n</div>\n";
      return;
    }
    const json* agree = member(*v, "agree");
    const bool known = agree != nullptr && agree->is_boolean();
    out_ += "<div class=\"verdict " +
            std::string(!known               ? ""
                        : agree->get<bool>() ? "agree"
                                             : "disagree") +
            "\" id=\"verdict\">\n";
    if (const json* s = member(*v, "summary")) out_ += "<p class=\"lead\">" + esc(json_text(*s)) + "</p>\n";

    const model_ref* quantum = find_model("quantum");
    const json* best_key = member(*v, "best_classical");
    const model_ref* best =
        best_key != nullptr && best_key->is_string() ? find_model(best_key->get<std::string>()) : nullptr;
    const std::string best_html = best != nullptr       ? best->title
                                  : best_key != nullptr ? esc(json_text(*best_key))
                                                        : std::string("the best classical model");
    const json* held = member(*v, "held_out");
    const std::string h = held != nullptr ? json_text(*held) : std::string();
    std::string held_html;
    if (h == "quantum_better") {
      held_html = quantum->title + " is better";
    } else if (h == "classical_better") {
      held_html = best_html + " is better";
    } else if (h == "no_significant_difference") {
      held_html = "no significant difference";
    } else {
      held_html = h.empty() ? std::string("not recorded") : esc(h);
    }
    out_ +=
        "<div class=\"sides\">\n<div class=\"side\" id=\"held-out\"><div class=\"what\">Held-out test "
        "rows</div><div class=\"says\">" +
        held_html + "</div><p class=\"note\">" + quantum->title + " against the better classical model, " + best_html +
        ", on rows no model saw in training (McNemar test, p &lt; 0.05); <a href=\"#uncertainty\">"
        "details</a>.</p></div>\n";
    out_ += "<div class=\"side\" id=\"assessed\"><div class=\"what\">Kernel assessment</div><div class=\"says\">" +
            assessed_html + "</div>" + assessed_how + "</div>\n</div>\n";
    if (known) {
      out_ += agree->get<bool>()
                  ? "<p class=\"agreement\">&#10003; The held-out result and the kernel assessment agree.</p>\n"
                  : "<p class=\"agreement\">&#9888; The held-out result and the kernel assessment disagree: they "
                    "point different ways on this data (the summary above says why).</p>\n";
    }
    out_ += "</div>\n";
  }

  /// Cross-validation mean and standard deviation of the chosen point, when the model was tuned.
  [[nodiscard]] static std::optional<std::pair<double, std::optional<double>>> cv_of_choice(const json* model) {
    const json* search = member(*model, "search");
    const json* best = search == nullptr ? nullptr : member(*search, "best");
    const auto mean = number(best, "cv_mean");
    if (!mean) return std::nullopt;
    std::optional<double> sd = number(best, "cv_std");
    if (!sd) {
      // Format 1 kept the standard deviation only in the grid.
      if (const json* cv = member(*search, "cv"); cv != nullptr && cv->is_array()) {
        for (const auto& e : *cv) {
          if (same(number(&e, "hyperparameter"), number(best, "hyperparameter")) &&
              same(number(&e, "C"), number(best, "C"))) {
            sd = number(&e, "std");
          }
        }
      }
    }
    return std::pair{*mean, sd};
  }

  [[nodiscard]] static std::string chosen_text(const json* model) {
    std::string s;
    auto add = [&](const std::string& k, const json& v) {
      if (!s.empty()) s += "<br>";
      s += "<span class=\"nw\">" + esc(readable(k)) + " = " + esc(json_text(v)) + "</span>";
    };
    if (const json* h = member(*model, "hyperparameters"); h != nullptr && h->is_object()) {
      for (const auto& item : h->items()) {
        if (!item.value().is_null()) add(item.key(), item.value());
      }
      return s;
    }
    const json* search = member(*model, "search");
    const json* best = search == nullptr ? nullptr : member(*search, "best");
    if (best == nullptr) return s;
    const json* name = member(*search, "hyperparameter_name");
    if (const json* h = member(*best, "hyperparameter")) add(name != nullptr ? json_text(*name) : "hyperparameter", *h);
    if (const json* c = member(*best, "C")) add("C", *c);
    return s;
  }

  void models_table() {
    const bool bin = binary();
    std::string f1_head = "F1";
    if (bin && positive_label_) {
      f1_head = "F1 of<br>&#8220;" + esc(*positive_label_) + "&#8221;";
    } else if (!bin) {
      f1_head = "macro F1";
    }
    const auto n_test = positive_count(dataset_, "n_test");
    out_ += "<div class=\"scroll\"><table class=\"models wide\" id=\"models\">\n<caption>All models on the " +
            (n_test ? std::to_string(*n_test) + " " : std::string()) +
            "held-out test rows</caption>\n<tr><th>model</th><th>features seen</th><th class=\"num\">test<br>"
            "accuracy</th><th class=\"num\">balanced<br>accuracy</th><th class=\"num\">" +
            f1_head + "</th>" +
            "<th class=\"num\">CV accuracy<br>mean&#160;&#177;&#160;std</th><th>chosen hyperparameters</th></tr>\n";
    auto num_cell = [&](const json* model, const char* key) {
      const auto v = number(model, key);
      out_ += "<td class=\"num\">" + (v ? format_number(*v) : std::string(dash)) + "</td>";
    };
    for (const auto& r : models_) {
      out_ += "<tr class=\"model-" + r.key + "\"><td><span class=\"sw\" style=\"background:" + std::string(r.colour) +
              "\"></span>" + r.title;
      if (single_class(r)) out_ += "<br><span class=\"flag\">predicts a single class</span>";
      out_ += "</td><td class=\"seen\">";
      if (const json* seen = member(*r.model, "features_seen")) {
        out_ += esc(json_text(*seen));
      } else if (const json* n = member(*r.model, "n_features_seen")) {
        out_ += esc(json_text(*n)) + " features";
      } else {
        out_ += dash;
      }
      out_ += "</td>";
      num_cell(r.model, "test_accuracy");
      num_cell(r.model, "balanced_accuracy");
      num_cell(r.model, "f1");
      out_ += "<td class=\"num\">";
      if (const auto cv = cv_of_choice(r.model)) {
        out_ += format_number(cv->first, 3) +
                (cv->second ? "&#160;&#177;&#160;" + format_number(*cv->second, 2) : std::string());
      } else {
        out_ += "<span class=\"na\">not tuned</span>";
      }
      const std::string chosen = chosen_text(r.model);
      out_ += "</td><td>" + (chosen.empty() ? std::string(dash) : chosen) + "</td></tr>\n";
    }
    out_ += "</table></div>\n";
    std::string note;
    if (bin && positive_label_) {
      note = "F1 is that of the positive class &#8220;" + esc(*positive_label_) + "&#8221;. ";
    } else if (!bin) {
      note = "F1 is the unweighted mean over the classes (macro). ";
    }
    note +=
        "Balanced accuracy is the mean recall over the classes. CV accuracy is that of the chosen "
        "hyperparameters on the training rows.";
    if (bin) note += " ROC AUCs are in the <a href=\"#roc\">ROC legend</a>.";
    out_ += "<p class=\"note\">" + note + "</p>\n";
  }

  void dataset_table() {
    static constexpr std::array<std::pair<const char*, const char*>, 10> keys{{{"name", "name"},
                                                                               {"source", "source"},
                                                                               {"label", "label column"},
                                                                               {"n_rows", "rows"},
                                                                               {"n_train", "training rows"},
                                                                               {"n_test", "test rows"},
                                                                               {"n_features", "features"},
                                                                               {"separator", "separator"},
                                                                               {"missing_cells", "missing cells"},
                                                                               {"imputation", "imputation"}}};
    static constexpr std::array<const char*, 4> skip{"class_names", "class_counts", "feature_names", "warnings"};
    auto rows = kv_rows(dataset_, keys, skip);
    // Classes with their counts, and the feature names, cut where a list would fill the page.
    if (!class_names_.empty()) {
      const json* counts = member(*dataset_, "class_counts");
      std::string v;
      constexpr std::size_t max_shown = 60;
      for (std::size_t i = 0; i < class_names_.size() && i < max_shown; ++i) {
        if (i > 0) v += ", ";
        v += esc(truncate_middle(class_names_[i], 40));
        if (counts != nullptr && counts->is_array() && i < counts->size())
          v += " (" + esc(json_text((*counts)[i])) + ")";
      }
      if (class_names_.size() > max_shown) v += " and " + std::to_string(class_names_.size() - max_shown) + " more";
      rows.push_back({"classes", v});
    }
    if (const json* names = member(*dataset_, "feature_names"); names != nullptr && names->is_array()) {
      std::string v;
      constexpr std::size_t max_shown = 40;
      for (std::size_t i = 0; i < names->size() && i < max_shown; ++i) {
        if (i > 0) v += ", ";
        v += esc(truncate_utf8(json_text((*names)[i]), 40));
      }
      if (names->size() > max_shown) v += " and " + std::to_string(names->size() - max_shown) + " more";
      // Folded: thirty names would make this table three times as tall as its neighbours.
      rows.push_back({"feature names",
                      "<details><summary>" + std::to_string(names->size()) + " names</summary>" + v + "</details>"});
    }
    kv_table("Dataset", rows);
  }

  void task_table() {
    static constexpr std::array<std::pair<const char*, const char*>, 4> task_keys{
        {{"type", "task"},
         {"n_classes", "classes"},
         {"positive_label", "positive class"},
         {"multiclass_strategy", "multiclass strategy"}}};
    auto rows = kv_rows(task_, task_keys);
    const json* split = member(*m_, "split");
    static constexpr std::array<std::pair<const char*, const char*>, 3> split_keys{
        {{"test_fraction", "test fraction"}, {"stratified", "stratified split"}, {"seed", "split seed"}}};
    static constexpr std::array<const char*, 2> skip{"train_rows", "test_rows"};
    for (auto& r : kv_rows(split, split_keys, skip)) rows.push_back(std::move(r));
    if (const auto n = array_size(split, "train_rows")) rows.push_back({"training rows", std::to_string(*n)});
    if (const auto n = array_size(split, "test_rows")) rows.push_back({"test rows", std::to_string(*n)});
    if (rows.empty()) return;
    kv_table("Task and split", rows);
  }

  // -------------------------------------------------------------------------------------------------------------
  /// Each comparison's accuracy difference with its bootstrap interval and McNemar test. A model is marked
  /// better only where the test says the difference is significant, and never one that predicts a single class.
  void comparisons() {
    out_ += "<section id=\"uncertainty\">\n<h2>Are the differences real?</h2>\n";
    const json* cs = member(*m_, "comparisons");
    if (cs == nullptr || !cs->is_array() || cs->empty()) {
      out_ += std::string("<p class=\"na\">No significance tests in metrics") +
              (version_ == 1 ? " (format 1 has none)" : "") +
              ": differences in test accuracy are not assessed, so no model is marked better.</p>\n</section>\n";
      return;
    }
    out_ +=
        "<p class=\"note\">Difference in test accuracy (first model minus second), its 95% paired bootstrap "
        "interval over the test rows, and the exact McNemar test on the discordant rows, those exactly one of the "
        "two gets right. "
        "A model is marked better only when p &lt; 0.05, and never a model that predicts a single class.</p>\n";
    // One scale for all rows, set by the comparisons between real models: the large gap to a majority-class
    // predictor would otherwise squeeze the intervals that matter into a few pixels (it is clipped instead).
    auto against_single_class = [&](const json& c) {
      for (const char* side : {"a", "b"}) {
        const json* key = member(c, side);
        const model_ref* r = key != nullptr && key->is_string() ? find_model(key->get<std::string>()) : nullptr;
        if (r != nullptr && single_class(*r)) return true;
      }
      return false;
    };
    const bool all_single = std::all_of(cs->begin(), cs->end(), against_single_class);
    double range = 0.02;
    for (const auto& c : *cs) {
      if (!all_single && against_single_class(c)) continue;
      if (const auto d = number(&c, "difference"); d && std::isfinite(*d)) range = std::max(range, std::abs(*d));
      for (const double b : number_array(&c, "bootstrap_ci95")) {
        if (std::isfinite(b)) range = std::max(range, std::abs(b));
      }
    }
    range = std::min(range * 1.15, 1.0);
    out_ +=
        "<div class=\"scroll\"><table class=\"cmp wide\" id=\"comparisons\">\n<tr><th>comparison<br><span "
        "class=\"sub\">test accuracies</span></th><th class=\"num\">difference<br><span class=\"sub\">95% "
        "interval</span></th><th>interval, axis &#177;" +
        format_number(range, 2) +
        "</th><th class=\"num\">McNemar p<br><span class=\"sub\">rows only first / only second "
        "right</span></th><th>result</th></tr>\n";
    for (const auto& c : *cs) {
      if (!c.is_object()) continue;
      const json* a = member(c, "a");
      const json* b = member(c, "b");
      const std::string a_key = a != nullptr ? json_text(*a) : std::string("?");
      const std::string b_key = b != nullptr ? json_text(*b) : std::string("?");
      const model_ref* ra = find_model(a_key);
      const model_ref* rb = find_model(b_key);
      const std::string a_html = ra != nullptr ? ra->title : esc(a_key),
                        b_html = rb != nullptr ? rb->title : esc(b_key);
      const auto acc_a = number(&c, "accuracy_a"), acc_b = number(&c, "accuracy_b");
      auto diff = number(&c, "difference");
      if (!diff && acc_a && acc_b) diff = *acc_a - *acc_b;
      const auto ci = number_array(&c, "bootstrap_ci95");
      const bool has_ci = ci.size() == 2 && std::isfinite(ci[0]) && std::isfinite(ci[1]);
      const json* mc = member(c, "mcnemar");
      const auto p = number(mc, "p_value");
      out_ += "<tr class=\"comparison\"><td class=\"who\">" + a_html + " <span class=\"nosig\">vs</span> " + b_html +
              "<br><span class=\"sub\">" + (acc_a ? format_number(*acc_a) : std::string(dash)) + " vs " +
              (acc_b ? format_number(*acc_b) : std::string(dash)) + "</span></td><td class=\"num\">" +
              (diff ? signed_number(*diff) : std::string(dash)) + "<br><span class=\"sub\">" +
              (has_ci ? signed_number(ci[0]) + " to " + signed_number(ci[1]) : std::string(dash)) + "</span></td><td>";
      if (diff && std::isfinite(*diff)) ci_plot(*diff, has_ci ? &ci : nullptr, range, flag(&c, "significant"));
      out_ += "</td><td class=\"num\">" + (p ? format_number(*p, 2) : std::string(dash)) + "<br><span class=\"sub\">" +
              field_html(mc, "a_only_right") + " / " + field_html(mc, "b_only_right") + "</span></td><td>" +
              comparison_result(c) + "</td></tr>\n";
    }
    out_ += "</table></div>\n</section>\n";
  }

  [[nodiscard]] static std::string signed_number(double v) {
    const std::string s = format_number(v, 3);
    return v > 0 ? "+" + s : s == "0" ? s : s.front() == '-' ? "&#8722;" + s.substr(1) : s;
  }

  [[nodiscard]] std::string comparison_result(const json& c) const {
    const bool significant = flag(&c, "significant");
    const json* better = member(c, "better");
    const model_ref* winner =
        better != nullptr && better->is_string() ? find_model(better->get<std::string>()) : nullptr;
    if (significant && winner != nullptr && !single_class(*winner)) {
      return "<span class=\"badge\">&#9733; " + winner->title + ": higher accuracy</span>";
    }
    if (significant && winner != nullptr) {
      return "<span class=\"nosig\">significant, but " + winner->title +
             " predicts a single class, so it is not marked better</span>";
    }
    if (significant) return "<span class=\"nosig\">significant difference (p &lt; 0.05)</span>";
    return "<span class=\"nosig\">no significant difference</span>";
  }

  /// A small interval plot: zero line, the 95% interval, the difference as a dot; what lies beyond the shared
  /// scale ends in an arrow at the edge.
  void ci_plot(double diff, const std::vector<double>* ci, double range, bool significant) {
    constexpr double w = 140, h = 22, pad = 8;
    auto x_of = [&](double v) { return pad + (std::clamp(v, -range, range) + range) / (2 * range) * (w - 2 * pad); };
    auto end_mark = [&](double v) {  // a cap, or an arrowhead where the interval leaves the scale
      const double x = x_of(v);
      if (std::abs(v) <= range) return "M" + px(x) + " " + px(h / 2 - 5) + "v10";
      const double d = v > 0 ? -5 : 5;
      return "M" + px(x + d) + " " + px(h / 2 - 4) + "L" + px(x) + " " + px(h / 2) + "L" + px(x + d) + " " +
             px(h / 2 + 4);
    };
    const std::string colour = significant ? "#007a5a" : "#5b5b66";
    out_ += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ci\" width=\"" + px(w) + "\" height=\"" + px(h) +
            "\" viewBox=\"0 0 " + px(w) + " " + px(h) + "\" role=\"img\"><title>difference " + signed_number(diff);
    if (ci != nullptr) out_ += ", 95% interval " + signed_number((*ci)[0]) + " to " + signed_number((*ci)[1]);
    out_ += "</title><line x1=\"" + px(pad) + "\" x2=\"" + px(w - pad) + "\" y1=\"" + px(h / 2) + "\" y2=\"" +
            px(h / 2) + "\" stroke=\"#e4e4ea\"/><line x1=\"" + px(x_of(0)) + "\" x2=\"" + px(x_of(0)) +
            "\" y1=\"2\" y2=\"" + px(h - 2) + "\" stroke=\"#888\" stroke-dasharray=\"2 2\"/>";
    if (ci != nullptr) {
      out_ += "<path d=\"M" + px(x_of((*ci)[0])) + " " + px(h / 2) + "H" + px(x_of((*ci)[1])) + end_mark((*ci)[0]) +
              end_mark((*ci)[1]) + "\" stroke=\"" + colour + "\" stroke-width=\"2\" fill=\"none\"/>";
    }
    if (std::abs(diff) <= range) {
      out_ += "<circle cx=\"" + px(x_of(diff)) + "\" cy=\"" + px(h / 2) + "\" r=\"4\" fill=\"" + colour + "\"/>";
    } else if (ci == nullptr) {
      out_ += "<path d=\"" + end_mark(diff) + "\" stroke=\"" + colour + "\" stroke-width=\"2\" fill=\"none\"/>";
    }
    out_ += "</svg>";
  }

  // -------------------------------------------------------------------------------------------------------------
  void kernels() {
    out_ +=
        "<section id=\"kernels\">\n<h2>Kernel matrices</h2>\n<p class=\"note\">Training-set kernels with rows "
        "and columns sorted by class; lines mark class boundaries. A good kernel shows bright diagonal blocks "
        "(similar within a class) and dark off-diagonal blocks.</p>\n<div class=\"row\">\n";
    heatmap(kq_, "Quantum kernel", "hm-quantum", models_[0].title);
    heatmap(kc_, "Classical kernel", "hm-classical", models_[1].title);
    out_ += "</div>\n</section>\n";
  }

  void heatmap(const Eigen::MatrixXd& k, std::string_view who, std::string_view id, const std::string& title_html) {
    out_ += "<figure>\n<h3>" + title_html + "</h3>\n";
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
      // Where a name is wider than the narrowest column block, the columns are numbered as in the confusion
      // matrices (class id + 1) and each row label says which number is which class.
      std::size_t widest = 0;
      for (const auto& lc : h.class_centres) {
        widest = std::max(widest, std::min<std::size_t>(11, class_name(lc.first).size()));
      }
      const bool numbered = h.class_extent_min * cell < 6.2 * static_cast<double>(widest) + 4;
      out_ += "<g font-size=\"11\" fill=\"#333\">\n";
      for (const auto& [label, centre] : h.class_centres) {
        const std::string full = esc(class_name(label));
        const std::string number = std::to_string(static_cast<long long>(label) + 1);
        const std::string row = numbered ? number + " &#183; " + esc(truncate_middle(class_name(label), 8))
                                         : esc(truncate_middle(class_name(label), 11));
        const std::string column = numbered ? number : esc(truncate_middle(class_name(label), 11));
        out_ += "<text x=\"" + px(left - 6) + "\" y=\"" + px(top + centre * cell + 4) + "\" text-anchor=\"end\">" +
                "<title>" + full + "</title>" + row + "</text>\n";
        out_ += "<text x=\"" + px(left + centre * cell) + "\" y=\"" + px(top - 8) + "\" text-anchor=\"middle\">" +
                "<title>" + full + "</title>" + column + "</text>\n";
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
  void roc() {
    out_ += "<section id=\"roc\">\n<h2>ROC curves</h2>\n";
    if (!binary()) {
      out_ += "<p class=\"note\">ROC curves are drawn for binary problems only; this dataset has " +
              std::to_string(class_count()) +
              " classes, so see the <a href=\"#confusion\">per-class results</a>.</p>\n</section>\n";
      return;
    }
    struct curve {
      const model_ref* r;
      std::vector<double> fpr, tpr;
    };
    std::vector<curve> curves;
    for (const auto& r : models_) {
      const json* rc = member(*r.model, "roc_curve");
      curve c{&r, number_array(rc, "fpr"), number_array(rc, "tpr")};
      if (!c.fpr.empty() && c.fpr.size() == c.tpr.size()) curves.push_back(std::move(c));
    }
    if (curves.empty()) {
      out_ += "<p class=\"na\">No ROC curve in metrics.</p>\n</section>\n";
      return;
    }
    const std::string positive =
        positive_label_ ? "positive class: <strong>" + esc(*positive_label_) + "</strong>" : std::string();
    if (!positive.empty()) out_ += "<p class=\"note\">Scores for the " + positive + ".</p>\n";
    // The legend beside the plot: four curves hug the upper left corner, so no corner inside it is free.
    constexpr double left = 56, top = 14, size = 320, legend_w = 260;
    constexpr double width = left + size + 24 + legend_w, height = top + size + 46;
    out_ += "<figure>\n<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"roc-plot\" width=\"" + px(width) +
            "\" height=\"" + px(height) + "\" viewBox=\"0 0 " + px(width) + " " + px(height) +
            "\" role=\"img\" aria-labelledby=\"roc-t\">\n<title id=\"roc-t\">ROC curves of the models</title>\n";
    axes_frame(left, top, size, size, 0, 1, 0, 1, "false positive rate", "true positive rate");
    out_ += "<path d=\"M" + px(left) + " " + px(top + size) + "L" + px(left + size) + " " + px(top) +
            "\" stroke=\"#888\" stroke-dasharray=\"3 3\" fill=\"none\"/>\n";
    for (const auto& c : curves) {
      out_ += "<polyline class=\"roc\" fill=\"none\" stroke=\"" + std::string(c.r->colour) +
              "\" stroke-width=\"2.2\" stroke-linejoin=\"round\"";
      if (!c.r->dasharray.empty()) out_ += " stroke-dasharray=\"" + std::string(c.r->dasharray) + "\"";
      out_ += " points=\"" + thinned_points(c.fpr, c.tpr, left, top, size) + "\"/>\n";
    }
    const double lx = left + size + 24;
    double yy = top + 10;
    for (const auto& c : curves) {
      legend_line(lx, yy, *c.r);
      const json* name = member(*c.r->model, "name");
      std::string text = esc(truncate_utf8(name != nullptr         ? json_text(*name)
                                           : c.r->key == "quantum" ? std::string("Quantum")
                                                                   : std::string("Classical"),
                                           24));
      if (const auto auc = number(c.r->model, "roc_auc")) text += ", AUC " + format_number(*auc);
      out_ += "<text x=\"" + px(lx + 32) + "\" y=\"" + px(yy + 4) + "\" font-size=\"12\">" + text + "</text>\n";
      yy += 20;
    }
    out_ += "</svg>\n<figcaption>Test-set ROC curves" + (positive.empty() ? std::string() : " (" + positive + ")") +
            "; the dashed diagonal is a random classifier.</figcaption>\n</figure>\n</section>\n";
  }

  void legend_line(double x, double y, const model_ref& r) {
    out_ += "<line x1=\"" + px(x) + "\" x2=\"" + px(x + 26) + "\" y1=\"" + px(y) + "\" y2=\"" + px(y) + "\" stroke=\"" +
            std::string(r.colour) + "\" stroke-width=\"2.2\"";
    if (!r.dasharray.empty()) out_ += " stroke-dasharray=\"" + std::string(r.dasharray) + "\"";
    out_ += "/>\n";
  }

  // -------------------------------------------------------------------------------------------------------------
  void per_class() {
    out_ +=
        "<section id=\"confusion\">\n<h2>Per-class results</h2>\n<p class=\"note\">Test rows. In each confusion "
        "matrix rows are true classes and columns predicted ones; shading is the share of the row (blue: right, "
        "orange: wrong).</p>\n";
    for (const auto& r : models_) {
      out_ += "<div class=\"block\" id=\"classes-" + r.key + "\">\n<h3>" + r.title + "</h3>\n<div class=\"row\">\n";
      confusion_table(r);
      per_class_table(r);
      out_ += "</div>\n</div>\n";
    }
    out_ += "</section>\n";
  }

  void confusion_table(const model_ref& r) {
    const json* cm = member(*r.model, "confusion_matrix");
    const json* matrix = cm == nullptr ? nullptr : member(*cm, "matrix");
    if (matrix == nullptr || !matrix->is_array() || matrix->empty()) {
      out_ += "<p class=\"na\">No confusion matrix in metrics.</p>\n";
      return;
    }
    const json* labels = member(*cm, "labels");
    std::size_t cols = 0;
    for (const auto& row : *matrix) cols = std::max(cols, row.is_array() ? row.size() : std::size_t{0});
    const std::size_t k = std::max(cols, matrix->size());
    if (k > static_cast<std::size_t>(max_confusion_classes)) {
      out_ += "<p class=\"na\">The confusion matrix has " + std::to_string(k) +
              " classes, too many to draw; see the per-class scores.</p>\n";
      return;
    }
    auto full = [&](std::size_t i) {
      if (labels != nullptr && labels->is_array() && i < labels->size()) return label_text((*labels)[i]);
      return class_name(static_cast<long long>(i));
    };
    // With many classes the columns are numbered (the rows say which number is which class): ten class names
    // across would make the table wider than the page.
    const bool many = cols > 4;
    out_ += std::string("<div class=\"scroll fit\"><table class=\"cm") + (many ? " many" : "") +
            "\"><caption>Confusion matrix</caption>\n<tr><th class=\"corner\"></th><th colspan=\"" +
            std::to_string(cols) + "\">predicted</th></tr>\n<tr><th class=\"corner rl\">true</th>";
    for (std::size_t c = 0; c < cols; ++c) {
      out_ += "<th title=\"" + esc(full(c)) + "\">" +
              (many ? std::to_string(c + 1) : esc(truncate_middle(full(c), 16))) + "</th>";
    }
    out_ += "</tr>\n";
    for (std::size_t row_index = 0; row_index < matrix->size(); ++row_index) {
      const json& row = (*matrix)[row_index];
      double total = 0;
      if (row.is_array()) {
        for (const auto& v : row) total += v.is_number() ? v.get<double>() : 0.0;
      }
      out_ += "<tr><th class=\"rl\" title=\"" + esc(full(row_index)) + "\">" +
              (many ? std::to_string(row_index + 1) + "&#160;&#183; " : std::string()) +
              esc(truncate_middle(full(row_index), many ? 24 : 16)) + "</th>";
      for (std::size_t c = 0; c < cols; ++c) {
        if (!row.is_array() || c >= row.size() || !row[c].is_number()) {
          out_ += "<td>" + std::string(dash) + "</td>";
          continue;
        }
        const double v = row[c].get<double>();
        const double share = total > 0 ? std::clamp(v / total, 0.0, 1.0) : 0.0;
        const bool right = c == row_index;
        out_ += "<td style=\"background:rgba(" + std::string(right ? "0,114,178," : "213,94,0,") +
                format_number(0.06 + 0.8 * share, 2) + ")" + (share > 0.55 ? ";color:#fff" : "") + "\" title=\"" +
                format_number(share * 100, 3) + "% of row\">" + (right ? "<strong>" : "") + esc(json_text(row[c])) +
                (right ? "</strong>" : "") + "</td>";
      }
      out_ += "</tr>\n";
    }
    out_ += "</table></div>\n";
  }

  void per_class_table(const model_ref& r) {
    const json* pc = member(*r.model, "per_class");
    const bool rows = pc != nullptr && pc->is_array() && !pc->empty();
    const bool averages = member(*r.model, "macro") != nullptr || member(*r.model, "micro") != nullptr ||
                          member(*r.model, "weighted") != nullptr;
    if (!rows && !averages) return;  // format 1 has none; the confusion matrix stands alone
    out_ +=
        "<div class=\"scroll fit\"><table class=\"pc\"><caption>Per-class scores</caption>\n<tr><th>class</th><th "
        "class=\"num\">precision</th><th class=\"num\">recall</th><th class=\"num\">F1</th><th "
        "class=\"num\">support</th></tr>\n";
    auto cells = [&](const json* e) {
      for (const char* key : {"precision", "recall", "f1"}) {
        const auto v = number(e, key);
        out_ += "<td class=\"num\">" + (v ? format_number(*v, 3) : std::string(dash)) + "</td>";
      }
    };
    double total_support = 0;
    bool support_known = rows;
    const bool numbered = rows && pc->size() > 4;
    constexpr std::size_t max_rows = 100;
    if (rows) {
      for (std::size_t i = 0; i < pc->size(); ++i) {
        const json& e = (*pc)[i];
        const auto support = number(&e, "support");
        if (support) total_support += *support;
        support_known = support_known && support.has_value();
        if (i >= max_rows) continue;
        const json* label = member(e, "label");
        const std::string name = label != nullptr ? label_text(*label) : class_name(static_cast<long long>(i));
        // Numbered like the confusion matrix's rows when that numbers its columns.
        out_ += "<tr><td title=\"" + esc(name) + "\">" + (numbered ? std::to_string(i + 1) + "&#160;&#183; " : "") +
                esc(truncate_middle(name, 32));
        if (binary() && positive_label_ && name == *positive_label_) out_ += " <span class=\"nosig\">(positive)</span>";
        out_ += "</td>";
        cells(&e);
        out_ += "<td class=\"num\">" + field_html(&e, "support") + "</td></tr>\n";
      }
      if (pc->size() > max_rows) {
        out_ += "<tr><td colspan=\"5\" class=\"na\">and " + std::to_string(pc->size() - max_rows) +
                " more classes</td></tr>\n";
      }
    }
    bool first = true;
    for (const auto& [key, label] : {std::pair{"macro", "macro average"}, std::pair{"micro", "micro average"},
                                     std::pair{"weighted", "weighted average"}}) {
      const json* e = member(*r.model, key);
      if (e == nullptr || !e->is_object()) continue;
      out_ += std::string(first ? "<tr class=\"avg first\">" : "<tr class=\"avg\">") + "<td>" + label + "</td>";
      cells(e);
      out_ += "<td class=\"num\">" + (support_known ? format_number(total_support, 12) : std::string(dash)) +
              "</td></tr>\n";
      first = false;
    }
    out_ += "</table></div>\n";
  }

  // -------------------------------------------------------------------------------------------------------------
  void cross_validation() {
    out_ +=
        "<section id=\"cv\">\n<h2>Cross-validation</h2>\n<p class=\"note\">Mean CV accuracy on the training rows at "
        "each grid point, one line per C, with &#177;1 standard deviation over the folds. The ringed point is the "
        "one chosen.</p>\n<div class=\"row cvs\">\n";
    bool any = false;
    for (const auto& r : models_) {
      if (member(*r.model, "search") == nullptr) continue;  // not tuned
      cv_plot(r);
      any = true;
    }
    if (!any) out_ += "<p class=\"na\">No cross-validation scores in metrics.</p>\n";
    out_ += "</div>\n</section>\n";
  }

  void cv_plot(const model_ref& r) {
    const json* search = member(*r.model, "search");
    const json* name_json = member(*search, "hyperparameter_name");
    const std::string h_name = name_json != nullptr ? json_text(*name_json) : std::string("hyperparameter");
    const std::string h_html = esc(readable(h_name));
    const bool h_is_c = h_name == "C";  // logistic regression: the grid is C itself, one line
    struct point {
      double h;
      std::optional<double> c;
      double mean, sd;
      std::size_t folds;
    };
    std::vector<point> pts;
    if (const json* cv = member(*search, "cv"); cv != nullptr && cv->is_array()) {
      for (const auto& e : *cv) {
        const auto h = number(&e, "hyperparameter"), mean = number(&e, "mean");
        if (!h || !mean || !std::isfinite(*h) || !std::isfinite(*mean)) continue;
        const json* folds = member(e, "folds");
        const double sd = number(&e, "std").value_or(0.0);
        pts.push_back({*h, h_is_c ? std::nullopt : number(&e, "C"), *mean, std::isfinite(sd) ? std::abs(sd) : 0.0,
                       folds != nullptr && folds->is_array() ? folds->size() : std::size_t{0}});
      }
    }
    out_ += "<figure>\n<h3>" + r.title + "</h3>\n";
    if (pts.empty()) {
      out_ += "<p class=\"na\">No cross-validation scores in metrics.</p>\n</figure>\n";
      return;
    }
    constexpr std::size_t max_points = 2000;  // a page, not a data dump
    if (pts.size() > max_points) pts.resize(max_points);

    // x: the hyperparameter, on a log axis when the grid spans more than a decade.
    std::vector<double> xs;
    for (const auto& p : pts) xs.push_back(p.h);
    for (const double g : number_array(search, "grid")) {
      if (std::isfinite(g)) xs.push_back(g);
    }
    std::sort(xs.begin(), xs.end());
    xs.erase(std::unique(xs.begin(), xs.end(), [](double a, double b) { return same(a, b); }), xs.end());
    const bool log_x = xs.front() > 0 && xs.back() / xs.front() > 10 * (1 + 1e-9);
    auto tx = [&](double v) { return log_x ? std::log10(v) : v; };
    double x0 = tx(xs.front()), x1 = tx(xs.back());
    if (!(x1 - x0 > 1e-12)) {
      const double half = log_x ? 0.5 : std::max(std::abs(x0) * 0.5, 0.5);
      x0 -= half, x1 += half;
    }
    const double x_pad = 0.06 * (x1 - x0);
    x0 -= x_pad, x1 += x_pad;

    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& p : pts) lo = std::min(lo, p.mean - p.sd), hi = std::max(hi, p.mean + p.sd);
    const double y_pad = std::max(0.05 * (hi - lo), 0.01);
    const bool accuracy_like = lo >= 0 && hi <= 1;
    lo -= y_pad, hi += y_pad;
    if (accuracy_like) lo = std::max(lo, 0.0), hi = std::min(hi, 1.0);
    if (!(hi - lo > 1e-9)) hi = lo + 1;

    // One series per C, in increasing C.
    std::vector<std::optional<double>> cs;
    for (const auto& p : pts) {
      if (std::none_of(cs.begin(), cs.end(), [&](const auto& c) { return same(c, p.c); })) cs.push_back(p.c);
    }
    std::sort(cs.begin(), cs.end(),
              [](const auto& a, const auto& b) { return a.value_or(-1e300) < b.value_or(-1e300); });
    auto series_of = [&](const std::optional<double>& c) {
      return static_cast<std::size_t>(std::find_if(cs.begin(), cs.end(), [&](const auto& s) { return same(s, c); }) -
                                      cs.begin());
    };
    static constexpr std::array<std::string_view, 6> palette{"#0072b2", "#d55e00", "#009e73",
                                                             "#cc79a7", "#e69f00", "#56b4e9"};
    auto colour_of = [&](std::size_t i) {
      if (cs.size() <= palette.size()) return std::string(palette[i]);
      return hex(viridis(0.9 * static_cast<double>(i) / static_cast<double>(cs.size() - 1)));
    };
    const bool legend = cs.size() > 1 || (cs.size() == 1 && cs.front().has_value());
    constexpr std::size_t max_legend = 10;

    constexpr double left = 56, top = 14, pw = 400, ph = 220;
    const double legend_w = legend ? 96 : 0, width = left + pw + 16 + legend_w, height = top + ph + 48;
    auto x_of = [&](double v) { return left + (tx(v) - x0) / (x1 - x0) * pw; };
    auto y_of = [&](double v) { return top + ph - (std::clamp(v, lo, hi) - lo) / (hi - lo) * ph; };
    const std::string id = "cv-" + r.key;
    out_ += "<div class=\"scroll\"><svg xmlns=\"http://www.w3.org/2000/svg\" id=\"" + id + "\" width=\"" + px(width) +
            "\" height=\"" + px(height) + "\" viewBox=\"0 0 " + px(width) + " " + px(height) +
            "\" role=\"img\" aria-labelledby=\"" + id + "-t\">\n<title id=\"" + id + "-t\">" + r.title +
            ": cross-validation accuracy against " + h_html + "</title>\n";
    axes_frame(left, top, pw, ph, x0, x1, lo, hi, "", "CV accuracy", false);

    // x ticks: the grid values themselves while they are few and far enough apart, else decades or round values.
    std::vector<double> ticks;
    const double min_gap = 34;
    bool grid_ticks = xs.size() <= 12;
    for (std::size_t i = 1; grid_ticks && i < xs.size(); ++i) grid_ticks = x_of(xs[i]) - x_of(xs[i - 1]) >= min_gap;
    if (grid_ticks) {
      ticks = xs;
    } else if (log_x) {
      for (double e = std::ceil(x0); e <= x1; e += 1) ticks.push_back(std::pow(10.0, e));
    } else {
      ticks = nice_ticks(x0, x1, 6);
    }
    out_ += "<g font-size=\"11\" fill=\"#333\">\n";
    for (const double t : ticks) {
      const double x = x_of(t);
      if (x < left - 0.5 || x > left + pw + 0.5) continue;
      out_ += "<line x1=\"" + px(x) + "\" x2=\"" + px(x) + "\" y1=\"" + px(top) + "\" y2=\"" + px(top + ph) +
              "\" stroke=\"#e4e4ea\"/><text x=\"" + px(x) + "\" y=\"" + px(top + ph + 16) +
              "\" text-anchor=\"middle\">" + format_number(t, 3) + "</text>\n";
    }
    out_ += "<text x=\"" + px(left + pw / 2) + "\" y=\"" + px(top + ph + 38) + "\" text-anchor=\"middle\">" + h_html +
            (log_x ? " (log scale)" : "") + "</text>\n</g>\n";

    // Lines first, then error bars and points, so that no line crosses a point.
    for (std::size_t s = 0; s < cs.size(); ++s) {
      std::vector<const point*> line;
      for (const auto& p : pts) {
        if (series_of(p.c) == s) line.push_back(&p);
      }
      std::sort(line.begin(), line.end(), [](const point* a, const point* b) { return a->h < b->h; });
      if (line.size() < 2) continue;
      std::string d;
      for (const point* p : line) d += (d.empty() ? "M" : "L") + px(x_of(p->h)) + " " + px(y_of(p->mean));
      out_ += "<path class=\"cvline\" d=\"" + d + "\" stroke=\"" + colour_of(s) +
              "\" stroke-width=\"1.4\" stroke-opacity=\"0.8\" fill=\"none\"/>\n";
    }
    const json* best = member(*search, "best");
    const auto best_h = number(best, "hyperparameter"), best_c = number(best, "C");
    const point* chosen = nullptr;
    const double dot = std::clamp(pw / static_cast<double>(pts.size()) * 0.3, 1.5, 3.4);
    for (const auto& p : pts) {
      const double x = x_of(p.h), y = y_of(p.mean);
      const std::string colour = colour_of(series_of(p.c));
      const bool is_chosen = chosen == nullptr && best_h && same(p.h, best_h) && (h_is_c || same(p.c, best_c));
      if (is_chosen) chosen = &p;
      out_ += "<g><title>" + h_html + " = " + format_number(p.h) +
              (p.c ? ", C = " + format_number(*p.c) : std::string()) + ": " + format_number(p.mean) + " &#177; " +
              format_number(p.sd) + (p.folds > 0 ? " (" + std::to_string(p.folds) + " folds)" : std::string()) +
              (is_chosen ? ", chosen" : "") + "</title>";
      if (p.sd > 0) {
        const double y1 = y_of(p.mean - p.sd), y2 = y_of(p.mean + p.sd);
        out_ += "<path d=\"M" + px(x) + " " + px(y1) + "V" + px(y2) + "M" + px(x - 3) + " " + px(y1) + "h6M" +
                px(x - 3) + " " + px(y2) + "h6\" stroke=\"" + colour + "\" stroke-width=\"1\" fill=\"none\"/>";
      }
      out_ += "<circle class=\"cvpt\" cx=\"" + px(x) + "\" cy=\"" + px(y) + "\" r=\"" + px(dot) + "\" fill=\"" +
              colour + "\"/></g>\n";
    }
    std::string chosen_label;
    if (best_h) {
      chosen_label =
          h_html + " = " + format_number(*best_h) + (best_c && !h_is_c ? ", C = " + format_number(*best_c) : "");
    }
    if (chosen != nullptr) {
      // Beside the ring at its height: the chosen point is the highest, so the lines fall away from it on both
      // sides; the label goes to whichever side it fits in.
      const double x = x_of(chosen->h), y = y_of(chosen->mean);
      const std::string label =
          "chosen: " + (h_is_c ? "C = " + format_number(chosen->h)
                               : format_number(chosen->h) + (chosen->c ? ", C = " + format_number(*chosen->c) : ""));
      const bool right_side = x + 13 + 6.2 * static_cast<double>(label.size()) <= left + pw;
      out_ += "<g class=\"chosen\"><circle cx=\"" + px(x) + "\" cy=\"" + px(y) +
              "\" r=\"8.5\" fill=\"none\" stroke=\"#1d1d1f\" stroke-width=\"2\"/><text x=\"" +
              px(right_side ? x + 13 : x - 13) + "\" y=\"" + px(y + 4) + "\" text-anchor=\"" +
              (right_side ? "start" : "end") +
              "\" font-size=\"11\" font-weight=\"600\" fill=\"#1d1d1f\" stroke=\"#fff\" stroke-width=\"3\" "
              "paint-order=\"stroke\">" +
              label + "</text></g>\n";
    }
    if (legend) {
      const double lx = left + pw + 16;
      out_ += "<g font-size=\"11\" fill=\"#333\"><text x=\"" + px(lx) + "\" y=\"" + px(top + 8) + "\">C</text>\n";
      for (std::size_t s = 0; s < cs.size() && s < max_legend; ++s) {
        const double y = top + 26 + 18 * static_cast<double>(s);
        out_ += "<line x1=\"" + px(lx) + "\" x2=\"" + px(lx + 18) + "\" y1=\"" + px(y - 4) + "\" y2=\"" + px(y - 4) +
                "\" stroke=\"" + colour_of(s) + "\" stroke-width=\"2\"/><circle cx=\"" + px(lx + 9) + "\" cy=\"" +
                px(y - 4) + "\" r=\"3\" fill=\"" + colour_of(s) + "\"/><text x=\"" + px(lx + 24) + "\" y=\"" + px(y) +
                "\">" + (cs[s] ? format_number(*cs[s]) : std::string("?")) + "</text>\n";
      }
      if (cs.size() > max_legend) {
        out_ += "<text x=\"" + px(lx) + "\" y=\"" + px(top + 26 + 18 * static_cast<double>(max_legend)) + "\">and " +
                std::to_string(cs.size() - max_legend) + " more</text>\n";
      }
      out_ += "</g>\n";
    }
    out_ += "</svg></div>\n";
    if (flag(search, "at_edge")) {
      out_ += "<p class=\"edge\">&#9888; Best value at the edge of the searched range: a better " + h_html +
              " may lie outside it.</p>\n";
    }
    if (flag(search, "extended")) {
      out_ +=
          "<p class=\"note\">The grid was extended beyond the requested range because the best value sat at "
          "its edge.</p>\n";
    }
    out_ += "<figcaption>" + std::to_string(pts.size()) + " grid points";
    if (!h_is_c && cs.size() > 1)
      out_ +=
          " (" + std::to_string(xs.size()) + " values of " + h_html + " &#215; " + std::to_string(cs.size()) + " of C)";
    if (best_h) {
      out_ += "; chosen " + chosen_label;
      if (const auto m = number(best, "cv_mean")) {
        out_ += " with CV accuracy " + format_number(*m);
        if (const auto sd = number(best, "cv_std")) out_ += " &#177; " + format_number(*sd);
      }
      if (chosen == nullptr) out_ += " (not among the plotted grid points)";
    }
    out_ += ".</figcaption>\n</figure>\n";
  }

  // Grid values are compared as numbers: the printed 4 digits could make neighbouring grid points look equal.
  [[nodiscard]] static bool same(std::optional<double> a, std::optional<double> b) {
    if (!a || !b) return !a && !b;
    return std::abs(*a - *b) <= 1e-9 * std::max({1.0, std::abs(*a), std::abs(*b)});
  }

  // -------------------------------------------------------------------------------------------------------------
  /// hqml serve's routes on the held-out rows: accuracy, the rows the quantum model answered, and the time per row
  /// where the caller merged it in from timings.json (ms_per_row).
  void serving_routes(const json& routes) {
    out_ +=
        "<section id=\"routes\">\n<h2>Serving routes</h2>\n<p class=\"note\">How each <code>hqml serve "
        "--route</code> would have answered the test rows: <code>confidence:T</code> answers with the classical model "
        "and sends the rows whose classical margin (top probability minus the runner-up) is below T to the quantum "
        "model; <code>ensemble:W</code> averages the two models' calibrated probabilities with weight W on the "
        "quantum one. Time per row: the test rows scored as one batch against the support vectors, as the server "
        "does.</p>\n<div class=\"scroll\"><table class=\"routes\">\n<tr><th>route</th><th class=\"num\">test "
        "accuracy</th><th class=\"num\">rows to the quantum model</th><th class=\"num\">ms per row</th></tr>\n";
    constexpr std::size_t max_rows = 20;
    std::size_t shown = 0;
    for (const auto& r : routes) {
      if (shown++ == max_rows) break;
      const json* name = member(r, "route");
      const auto acc = number(&r, "test_accuracy");
      const auto q = number(&r, "quantum_rows");
      const auto ms = number(&r, "ms_per_row");
      out_ += "<tr><td><code>" + esc(name != nullptr ? json_text(*name) : "?") + "</code></td><td class=\"num\">" +
              (acc ? format_number(*acc, 3) : "&#8211;") + "</td><td class=\"num\">" +
              (q ? format_number(*q, 6) : "&#8211;") + "</td><td class=\"num\">" +
              (ms ? format_number(*ms, 3) : "&#8211;") + "</td></tr>\n";
    }
    out_ += "</table></div>\n</section>\n";
  }

  // -------------------------------------------------------------------------------------------------------------
  /// Stage timings, only when the caller merged them in: metrics.json itself has none (it is byte-identical for
  /// the same inputs), so a page rendered from it alone has no timing section.
  void timings(const json& t) {
    std::vector<std::pair<std::string, double>> rows;
    for (const auto& e : t) {
      const auto sec = number(&e, "seconds");
      const json* stage = member(e, "stage");
      if (sec && std::isfinite(*sec)) rows.emplace_back(stage != nullptr ? json_text(*stage) : "?", *sec);
    }
    constexpr std::size_t max_rows = 60;
    if (rows.size() > max_rows) rows.resize(max_rows);
    out_ += "<section id=\"timings\">\n<h2>Time per stage</h2>\n";
    if (rows.empty()) {
      out_ += "<p class=\"na\">No readable timings.</p>\n</section>\n";
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
      if (total > 0) out_ += " (" + format_number(std::max(sec, 0.0) / total * 100, 3) + "%)";
      out_ += "</text>\n";
    }
    out_ += "</g>\n</svg></div>\n<figcaption>Wall-clock seconds per stage; total " + format_number(total) +
            " s.</figcaption>\n</figure>\n</section>\n";
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
    static constexpr std::array<std::array<const char*, 3>, 7> rows{{
        {"geometric_difference", "g",
         "geometric difference g(K<sub>C</sub>&#8214;K<sub>Q</sub>); g&#178; bounds how "
         "much harder any labelling can be for the classical kernel"},
        {"complexity_classical", "s<sub>C</sub>", "model complexity of these labels under the classical kernel"},
        {"complexity_quantum", "s<sub>Q</sub>", "model complexity of these labels under the quantum kernel"},
        {"dimension_classical", "d<sub>C</sub>", "approximate dimension of the classical kernel"},
        {"dimension_quantum", "d<sub>Q</sub>", "approximate dimension of the quantum kernel"},
        {"lambda", "&#955;", "ridge regularization used in the model complexities"},
        {"n", "n", "training samples"},
    }};
    for (const auto& [key, symbol, meaning] : rows) {
      if (member(*assessment_, key) == nullptr && std::string_view(key) != "geometric_difference") continue;
      out_ += std::string("<tr><td>") + symbol + "</td><td>" + meaning + "</td><td class=\"num\">" +
              field_html(assessment_, key) + "</td></tr>\n";
    }
    const json* v = member(*assessment_, "verdict");
    out_ += "<tr><td>verdict</td><td colspan=\"2\">" +
            (v != nullptr ? esc(verdict_text(json_text(*v))) : std::string(dash)) + "</td></tr>\n";
    if (const json* targets = member(*assessment_, "targets")) {
      out_ += "<tr><td>targets</td><td colspan=\"2\">" + esc(json_text(*targets)) + "</td></tr>\n";
    }
    out_ += "</table>\n";
    if (const json* e = member(*assessment_, "explanation")) out_ += "<p>" + esc(json_text(*e)) + "</p>\n";
    out_ += "</section>\n";
  }

  const Eigen::MatrixXd& kq_;
  const Eigen::MatrixXd& kc_;
  std::span<const int> labels_;
  int version_ = 0;
  json upgraded_;            // a format-1 input read as format 2
  const json* m_ = nullptr;  // the metrics as format 2: the input itself, or upgraded_
  const json* dataset_ = nullptr;
  const json* feature_map_ = nullptr;
  const json* assessment_ = nullptr;
  const json* task_ = nullptr;
  std::vector<model_ref> models_;  // quantum, classical, then the baselines present
  std::vector<std::string> class_names_;
  std::optional<std::string> positive_label_;
  std::string out_;
};

}  // namespace detail::report

/// The report as one HTML document, from metrics.json format 1 or 2 (with "timings" merged in when the caller
/// has them). Throws std::invalid_argument when a required key (format_version, dataset, quantum, classical) is
/// missing or malformed, when format_version is not one this hqml renders, or when a non-empty kernel is not
/// train x train. An empty (0 x 0)
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
