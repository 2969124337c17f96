// Tests of the HTML run report: structure, well-formed SVG, escaping, bounded size, error messages, atomic write.
#include <catch2/catch.hpp>

#include <hqml/app/report.hpp>

#include "common/files.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------------------------
// A small markup checker: tags balance, attribute values are quoted, '&' only starts a known or numeric
// entity, '<' only starts a tag. In xml mode (each SVG on its own) every element must be closed; in html mode
// the HTML void elements are allowed without a closing tag and <style> is raw text.

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ':' || c == '_'; }

std::string check_entities(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<') return "raw '<' in text";
    if (text[i] != '&') continue;
    const auto semi = text.find(';', i);
    if (semi == std::string_view::npos) return "unterminated entity";
    const auto name = text.substr(i + 1, semi - i - 1);
    static const std::set<std::string_view> named{"amp", "lt", "gt", "quot", "apos"};
    bool ok = named.count(name) > 0;
    if (!ok && name.size() >= 2 && name[0] == '#') {
      const bool hex = name[1] == 'x';
      const auto digits = name.substr(hex ? 2 : 1);
      ok = !digits.empty() && std::all_of(digits.begin(), digits.end(), [&](char c) {
        return hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                   : std::isdigit(static_cast<unsigned char>(c)) != 0;
      });
    }
    if (!ok) return "bad entity &" + std::string(name) + ";";
    i = semi;
  }
  return {};
}

std::string check_markup(std::string_view doc, bool xml) {
  static const std::set<std::string> void_elements{"meta", "link", "br", "hr", "img", "input", "col", "wbr"};
  std::vector<std::string> stack;
  std::size_t i = 0;
  auto where = [&](std::size_t at) { return " at offset " + std::to_string(at); };
  while (i < doc.size()) {
    const auto lt = doc.find('<', i);
    const auto text = doc.substr(i, (lt == std::string_view::npos ? doc.size() : lt) - i);
    if (auto e = check_entities(text); !e.empty()) return e + where(i);
    if (lt == std::string_view::npos) break;
    if (doc.compare(lt, 4, "<!--") == 0) {
      const auto end = doc.find("-->", lt);
      if (end == std::string_view::npos) return "unterminated comment";
      i = end + 3;
      continue;
    }
    if (doc.compare(lt, 2, "<!") == 0) {
      if (xml) return "declaration inside SVG" + where(lt);
      i = doc.find('>', lt) + 1;
      continue;
    }
    std::size_t p = lt + 1;
    const bool closing = p < doc.size() && doc[p] == '/';
    if (closing) ++p;
    const auto name_start = p;
    while (p < doc.size() && is_name_char(doc[p])) ++p;
    const std::string name(doc.substr(name_start, p - name_start));
    if (name.empty()) return "empty tag name" + where(lt);
    if (closing) {
      while (p < doc.size() && doc[p] == ' ') ++p;
      if (p >= doc.size() || doc[p] != '>') return "bad closing tag " + name + where(lt);
      if (stack.empty() || stack.back() != name) {
        return "</" + name + "> closes <" + (stack.empty() ? std::string("nothing") : stack.back()) + ">" + where(lt);
      }
      stack.pop_back();
      i = p + 1;
      continue;
    }
    std::set<std::string> attributes;
    bool self_closing = false;
    while (true) {
      while (p < doc.size() && std::isspace(static_cast<unsigned char>(doc[p]))) ++p;
      if (p >= doc.size()) return "unterminated tag " + name;
      if (doc[p] == '>') {
        ++p;
        break;
      }
      if (doc.compare(p, 2, "/>") == 0) {
        self_closing = true;
        p += 2;
        break;
      }
      const auto attr_start = p;
      while (p < doc.size() && is_name_char(doc[p])) ++p;
      const std::string attr(doc.substr(attr_start, p - attr_start));
      if (attr.empty()) return "bad attribute in <" + name + ">" + where(p);
      if (!attributes.insert(attr).second) return "duplicate attribute " + attr + where(p);
      if (p >= doc.size() || doc[p] != '=' || p + 1 >= doc.size() || doc[p + 1] != '"') {
        return "attribute " + attr + " of <" + name + "> is not name=\"value\"" + where(p);
      }
      const auto value_end = doc.find('"', p + 2);
      if (value_end == std::string_view::npos) return "unterminated attribute value" + where(p);
      if (auto e = check_entities(doc.substr(p + 2, value_end - p - 2)); !e.empty())
        return e + " in attribute" + where(p);
      p = value_end + 1;
    }
    i = p;
    if (self_closing) continue;
    if (!xml && void_elements.count(name) > 0) continue;
    if (!xml && (name == "style" || name == "script")) {
      const auto end = doc.find("</" + name + ">", i);
      if (end == std::string_view::npos) return "unterminated <" + name + ">";
      i = end + name.size() + 3;
      continue;
    }
    stack.push_back(name);
  }
  if (!stack.empty()) return "<" + stack.back() + "> never closed";
  return {};
}

std::vector<std::string> svgs_in(const std::string& html) {
  std::vector<std::string> out;
  for (std::size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) {
    const auto end = html.find("</svg>", at);
    REQUIRE(end != std::string::npos);
    out.push_back(html.substr(at, end + 6 - at));
  }
  return out;
}

std::size_t count(const std::string& haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + needle.size())) ++n;
  return n;
}

std::string element_with_id(const std::string& html, const std::string& id) {
  const auto id_at = html.find(" id=\"" + id + "\"");
  if (id_at == std::string::npos) return {};
  const auto at = html.rfind("<svg ", id_at);
  REQUIRE(html.find('>', at) > id_at);  // the id belongs to that <svg> tag
  return html.substr(at, html.find("</svg>", at) + 6 - at);
}

struct cell_census {
  long cells = 0;  // the cells drawn, counting those a mirrored <use> draws
  long max_coordinate = -1;
  bool mirrored = false;
};

// Heatmap cells are stroked runs "Mx yhN" inside <g class="cells">; when the map is symmetric only the lower
// triangle is written and a <use> mirrors it.
cell_census census(const std::string& svg) {
  cell_census c;
  const auto g = svg.find("<g class=\"cells\"");
  REQUIRE(g != std::string::npos);
  const std::string cells = svg.substr(g, svg.find("<rect", g) - g);  // the frame follows the cells
  c.mirrored = cells.find("<use href=") != std::string::npos;
  CHECK(c.mirrored == (svg.find("data-mirrored=\"1\"") != std::string::npos));
  static const std::regex run(R"(M(\d+) (\d+)h(\d+))");
  for (auto it = std::sregex_iterator(cells.begin(), cells.end(), run); it != std::sregex_iterator(); ++it) {
    const long x = std::stol((*it)[1]), y = std::stol((*it)[2]), len = std::stol((*it)[3]);
    if (c.mirrored) REQUIRE(x + len - 1 <= y);
    c.cells += c.mirrored ? 2 * len - (x + len - 1 == y ? 1 : 0) : len;
    c.max_coordinate = std::max({c.max_coordinate, x + len - 1, y});
  }
  return c;
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs shaped like a real `hqml run`.

json model_metrics(std::string_view kernel, double accuracy, double auc, int classes) {
  json m;
  m["kernel"] = kernel;
  m["test_accuracy"] = accuracy;
  m["balanced_accuracy"] = accuracy - 0.0125;
  m["precision"] = 0.95;
  m["recall"] = accuracy;
  m["f1"] = 0.9512345;
  json labels = json::array(), matrix = json::array();
  for (int r = 0; r < classes; ++r) {
    labels.push_back(r);
    json row = json::array();
    for (int c = 0; c < classes; ++c) row.push_back(r == c ? 18 : (r + c) % 2);
    matrix.push_back(row);
  }
  m["confusion_matrix"] = {{"labels", labels}, {"matrix", matrix}};
  if (classes == 2) {
    m["roc_auc"] = auc;
    const double q = auc > 0.98 ? 1.0 : 0.6;  // the better model rises faster
    m["roc_curve"] = {{"fpr", {0.0, 0.0, 0.05, 0.05, 0.1 / q, 0.3 / q, 1.0}},
                      {"tpr", {0.0, 0.6 * q, 0.6 * q, 0.9 * q, 0.95, 1.0, 1.0}}};
  }
  json cv = json::array();
  for (const double h : {0.1, 0.5, 1.0, 2.0}) {
    for (const double c : {0.1, 1.0, 10.0}) {
      const double mean = 0.7 + 0.2 * std::exp(-(std::log(h) * std::log(h))) + 0.01 * std::log10(c);
      cv.push_back({{"hyperparameter", h},
                    {"C", c},
                    {"mean", mean},
                    {"std", 0.04},
                    {"folds", {mean - 0.05, mean, mean + 0.05, mean - 0.02, mean + 0.02}}});
    }
  }
  m["cv"] = cv;
  m["best"] = {{"hyperparameter", 1.0}, {"C", 10.0}, {"cv_mean", 0.91}};
  m["n_support"] = 12;
  return m;
}

json make_metrics(int classes = 2) {
  json class_names = json::array();
  for (int c = 0; c < classes; ++c) class_names.push_back("class " + std::to_string(c));
  json m;
  m["format_version"] = 1;
  m["dataset"] = {{"name", "two moons"}, {"source", "builtin:moons"}, {"n_train", 80},
                  {"n_test", 40},        {"n_features", 2},           {"class_names", class_names}};
  m["feature_map"] = {{"kind", "zz"}, {"num_qubits", 2},      {"reps", 2}, {"entanglement", "linear"},
                      {"alpha", 2.0}, {"paulis", {"Z", "ZZ"}}};
  m["quantum"] = model_metrics("fidelity", 0.975, 0.9912, classes);
  m["classical"] = model_metrics("rbf", 0.925, 0.9634, classes);
  m["assessment"] = {{"geometric_difference", 1.3},
                     {"complexity_classical", 10.2},
                     {"complexity_quantum", 4.1},
                     {"dimension_classical", 5.0},
                     {"dimension_quantum", 12.0},
                     {"verdict", "quantum_worth_trying"},
                     {"explanation", "g is large and s_C is 2.488 times s_Q."}};
  m["timings"] = json::array({{{"stage", "load"}, {"seconds", 0.012}},
                              {{"stage", "quantum kernel"}, {"seconds", 3.5}},
                              {{"stage", "classical kernel"}, {"seconds", 0.04}},
                              {{"stage", "grid search"}, {"seconds", 1.25}},
                              {{"stage", "report"}, {"seconds", 0.002}}});
  m["threads"] = 2;
  m["seed"] = 0;
  m["hqml_version"] = "0.1.0";
  return m;
}

struct training_set {
  Eigen::MatrixXd k_quantum, k_classical;
  std::vector<int> labels;
};

// Interleaved classes so that the report has to sort them; angle-encoding fidelity and RBF kernels.
training_set make_training_set(int n, int classes = 2) {
  training_set t;
  Eigen::MatrixXd x(n, 2);
  for (int i = 0; i < n; ++i) {
    const int label = (i * 7) % classes;
    t.labels.push_back(label);
    x(i, 0) = label + 0.3 * std::sin(1.7 * i);
    x(i, 1) = -0.5 * label + 0.3 * std::cos(2.3 * i);
  }
  t.k_quantum.resize(n, n);
  t.k_classical.resize(n, n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const Eigen::RowVector2d d = x.row(i) - x.row(j);
      t.k_quantum(i, j) = std::pow(std::cos(d(0) / 2), 2) * std::pow(std::cos(d(1) / 2), 2);
      t.k_classical(i, j) = std::exp(-0.5 * d.squaredNorm());
    }
  }
  return t;
}

std::string render(const json& m, const training_set& t) {
  return hqml::render_report(m, t.k_quantum, t.k_classical, t.labels);
}

}  // namespace

TEST_CASE("report: every section of a realistic format-1 binary run is rendered", "[report]") {
  const auto t = make_training_set(80);
  const std::string html = render(make_metrics(), t);

  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  for (const char* id : {"summary", "uncertainty", "kernels", "roc", "confusion", "cv", "timings", "assessment"}) {
    INFO(id);
    CHECK(html.find(std::string("<section id=\"") + id + "\">") != std::string::npos);
  }
  // Summary: names, feature map, both accuracies, the verdict and its explanation. Format 1 has no
  // significance test, so neither model is marked better however the accuracies compare.
  CHECK(html.find("<title>hqml report: two moons</title>") != std::string::npos);
  CHECK(html.find("builtin:moons") != std::string::npos);
  CHECK(html.find("linear") != std::string::npos);
  CHECK(html.find("Z, ZZ") != std::string::npos);
  CHECK(html.find("class=\"badge\"") == std::string::npos);
  CHECK(html.find("format 1 has none") != std::string::npos);
  CHECK(html.find("metrics format 1") != std::string::npos);
  CHECK(html.find("<tr class=\"model-quantum\">") != std::string::npos);
  CHECK(html.find("<tr class=\"model-classical\">") != std::string::npos);
  CHECK(html.find("model-majority") == std::string::npos);  // no baselines in format 1
  CHECK(html.find(">0.975<") != std::string::npos);
  CHECK(html.find(">0.925<") != std::string::npos);
  CHECK(html.find("the quantum kernel is worth trying") != std::string::npos);
  CHECK(html.find("g is large and s_C is 2.488 times s_Q.") != std::string::npos);
  CHECK(html.find("0.9512") != std::string::npos);  // 4 significant digits
  CHECK(html.find("0.9512345") == std::string::npos);

  // Heatmaps with colour scales and class boundaries.
  for (const char* id : {"hm-quantum", "hm-classical"}) {
    const std::string svg = element_with_id(html, id);
    REQUIRE_FALSE(svg.empty());
    CHECK(svg.find("data-cells=\"80\"") != std::string::npos);
    CHECK(census(svg).cells == 80 * 80);
    CHECK(svg.find("<linearGradient") != std::string::npos);
    CHECK(svg.find("class=\"boundaries\"") != std::string::npos);
    CHECK(svg.find("class 1") != std::string::npos);
  }
  // ROC: both curves, the diagonal, AUCs in the legend.
  const std::string roc = element_with_id(html, "roc-plot");
  REQUIRE_FALSE(roc.empty());
  CHECK(count(roc, "<polyline class=\"roc\"") == 2);
  CHECK(roc.find("Quantum, AUC 0.9912") != std::string::npos);
  CHECK(roc.find("Classical, AUC 0.9634") != std::string::npos);
  CHECK(roc.find("false positive rate") != std::string::npos);
  // Confusion matrices as tables, CV points with error bars, one timing bar per stage, the assessment table.
  CHECK(count(html, "<table class=\"cm\">") == 2);
  CHECK(count(element_with_id(html, "cv-quantum"), "class=\"cvpt\"") == 12);
  CHECK(count(element_with_id(html, "cv-classical"), "class=\"cvpt\"") == 12);
  CHECK(count(element_with_id(html, "cv-quantum"), "<g class=\"chosen\">") == 1);  // the chosen point, ringed once
  CHECK(html.find("2 threads") != std::string::npos);
  CHECK(count(element_with_id(html, "timing-chart"), "class=\"bar\"") == 5);
  CHECK(html.find("3.5 s") != std::string::npos);
  for (const char* value : {"1.3", "10.2", "4.1", "12"})
    CHECK(html.find(std::string(">") + value + "<") != std::string::npos);

  // Self-contained: no script, nothing fetched.
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.find("url(http") == std::string::npos);
  CHECK(html.size() < 120 * 1024);
}

TEST_CASE("report: the page and each SVG are well-formed", "[report]") {
  for (const int classes : {2, 3}) {
    INFO(classes << " classes");
    const auto t = make_training_set(60, classes);
    auto m = make_metrics(classes);
    m["dataset"]["class_names"][0] = "a<b & \"c\" 'd'";
    const std::string html = render(m, t);
    CHECK(check_markup(html, false).empty());
    INFO(check_markup(html, false));
    const auto svgs = svgs_in(html);
    CHECK(svgs.size() == (classes == 2 ? 6U : 5U));  // heatmaps, ROC (binary), CV plots, timings
    for (const auto& svg : svgs) {
      INFO(svg.substr(0, 160));
      CHECK(check_markup(svg, true) == "");
    }
  }
  // The checker itself catches what it is there to catch.
  CHECK_FALSE(check_markup("<svg><g></svg>", true).empty());
  CHECK_FALSE(check_markup("<svg><text>a < b</text></svg>", true).empty());
  CHECK_FALSE(check_markup("<svg><text>a &nbsp; b</text></svg>", true).empty());
  CHECK_FALSE(check_markup("<svg width=3></svg>", true).empty());
  CHECK_FALSE(check_markup("<svg><line/><meta></svg>", true).empty());
  CHECK(check_markup("<svg><line x=\"1\"/><text>&#160;&amp;</text></svg>", true).empty());
}

TEST_CASE("report: text from the metrics is escaped", "[report]") {
  const auto t = make_training_set(40);
  auto m = make_metrics();
  m["dataset"]["name"] = "<script>alert('name')</script>";
  m["dataset"]["source"] = "file:///x.csv?a=1&b=2";
  m["dataset"]["class_names"] = {"<script>alert(0)</script>", "\"><img src=x onerror=alert(1)>"};
  m["assessment"]["explanation"] = "<script>alert(2)</script> & more";
  m["assessment"]["verdict"] = "<b>odd</b>";
  m["timings"][0]["stage"] = "<script>alert(3)</script>";
  m["quantum"]["kernel"] = "<i>k</i>";
  m["feature_map"]["<x>"] = "</table>";
  const std::string html = render(m, t);

  std::string lower = html;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  CHECK(lower.find("<script") == std::string::npos);
  CHECK(lower.find("<img") == std::string::npos);
  CHECK(lower.find("<b>odd") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(2)&lt;/script&gt; &amp; more") != std::string::npos);
  CHECK(html.find("a=1&amp;b=2") != std::string::npos);
  CHECK(html.find("&quot;&gt;&lt;img") != std::string::npos);
  CHECK(html.find("&lt;x&gt;") != std::string::npos);
  CHECK(check_markup(html, false).empty());
  for (const auto& svg : svgs_in(html)) CHECK(check_markup(svg, true).empty());
}

TEST_CASE("report: large kernels are block-averaged to at most 96 x 96 cells", "[report]") {
  const auto t = make_training_set(1000);
  const std::string html = render(make_metrics(), t);
  for (const char* id : {"hm-quantum", "hm-classical"}) {
    const std::string svg = element_with_id(html, id);
    CHECK(svg.find("data-cells=\"96\"") != std::string::npos);
    const auto c = census(svg);
    CHECK(c.cells == 96 * 96);
    CHECK(c.max_coordinate == 95);
    CHECK(count(svg, "<rect") < 10);  // cells are paths, not one element each
  }
  CHECK(html.find("block averages") != std::string::npos);
  CHECK(html.size() < 300 * 1024);
}

TEST_CASE("report: block averages follow the class-sorted order", "[report]") {
  // Labels 1 0 1 0: sorted order is samples 1, 3 (class 0) then 0, 2 (class 1); two cells, one per class.
  Eigen::MatrixXd k(4, 4);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) k(i, j) = 10 * i + j;
  }
  const std::vector<int> labels{1, 0, 1, 0};
  const auto h = hqml::detail::report::block_average(k, labels, 2);
  REQUIRE(h.cells == 2);
  CHECK(h.mean(0, 0) == Approx((k(1, 1) + k(1, 3) + k(3, 1) + k(3, 3)) / 4));
  CHECK(h.mean(0, 1) == Approx((k(1, 0) + k(1, 2) + k(3, 0) + k(3, 2)) / 4));
  CHECK(h.mean(1, 0) == Approx((k(0, 1) + k(0, 3) + k(2, 1) + k(2, 3)) / 4));
  CHECK(h.mean(1, 1) == Approx((k(0, 0) + k(0, 2) + k(2, 0) + k(2, 2)) / 4));
  REQUIRE(h.boundaries.size() == 1);
  CHECK(h.boundaries[0] == Approx(1.0));
  REQUIRE(h.class_centres.size() == 2);
  CHECK(h.class_centres[0].first == 0);
  CHECK(h.class_centres[0].second == Approx(0.5));

  // Without reduction every cell is one kernel entry, permuted.
  const auto full = hqml::detail::report::block_average(k, labels, 96);
  REQUIRE(full.cells == 4);
  CHECK(full.mean(0, 2) == k(1, 0));
  CHECK(full.mean(3, 1) == k(2, 3));
}

TEST_CASE("report: a missing required key throws naming the key", "[report]") {
  const auto t = make_training_set(20);
  for (const char* key : {"format_version", "dataset", "quantum", "classical"}) {
    INFO(key);
    auto m = make_metrics();
    m.erase(key);
    CHECK_THROWS_AS(render(m, t), std::invalid_argument);
    CHECK_THROWS_WITH(render(m, t), Catch::Matchers::Contains(std::string("\"") + key + "\""));
    m[key] = nullptr;
    CHECK_THROWS_WITH(render(m, t), Catch::Matchers::Contains(key));
  }
  auto m = make_metrics();
  for (const int version : {0, 3}) {
    m["format_version"] = version;
    CHECK_THROWS_WITH(render(m, t),
                      Catch::Matchers::Contains("unsupported \"format_version\" " + std::to_string(version)));
  }
  m = make_metrics();
  m["dataset"] = "moons";
  CHECK_THROWS_WITH(render(m, t), Catch::Matchers::Contains("dataset"));
  CHECK_THROWS_AS(hqml::render_report(json::array(), t.k_quantum, t.k_classical, t.labels), std::invalid_argument);
  // Kernels must match the labels (an empty one means "not computed").
  const std::vector<int> fewer(t.labels.begin(), t.labels.end() - 1);
  CHECK_THROWS_WITH(hqml::render_report(make_metrics(), t.k_quantum, t.k_classical, fewer),
                    Catch::Matchers::Contains("quantum kernel is 20 x 20"));
}

TEST_CASE("report: only the required keys still give every section", "[report]") {
  json m;
  m["format_version"] = 1;
  m["dataset"] = json::object();
  m["quantum"] = json::object();
  m["classical"] = {{"kernel", "rbf"}, {"cv", {{{"C", 1.0}}}}, {"confusion_matrix", {{"matrix", {{1}, {2, 3}}}}}};
  const Eigen::MatrixXd empty;
  std::string html;
  REQUIRE_NOTHROW(html = hqml::render_report(m, empty, empty, {}));
  for (const char* id : {"summary", "uncertainty", "kernels", "roc", "confusion", "cv", "assessment"}) {
    CHECK(html.find(std::string("<section id=\"") + id + "\">") != std::string::npos);
  }
  CHECK(html.find("unnamed dataset") != std::string::npos);
  CHECK(count(html, "Kernel matrix not provided") == 2);
  CHECK(html.find("No ROC curve in metrics") != std::string::npos);
  // metrics.json itself has no timings (it is byte-identical for the same inputs): no section, not even a note.
  CHECK(html.find("id=\"timings\"") == std::string::npos);
  CHECK(html.find("#timings") == std::string::npos);
  CHECK(html.find("No kernel assessment in metrics") != std::string::npos);
  CHECK(html.find("class=\"badge\"") == std::string::npos);
  CHECK(html.find("No cross-validation scores in metrics") != std::string::npos);
  CHECK(html.find(" threads") == std::string::npos);
  CHECK(check_markup(html, false).empty());

  // Wrongly typed optional fields are skipped, not fatal.
  auto odd = make_metrics();
  odd["timings"] = "fast";
  odd["quantum"]["roc_curve"] = {{"fpr", {0, 0.5}}, {"tpr", {1}}};
  odd["quantum"]["cv"] = {{{"mean", "high"}}};
  odd["classical"]["test_accuracy"] = "n/a";
  odd["assessment"] = {{"verdict", 3}};
  const auto t = make_training_set(10);
  REQUIRE_NOTHROW(html = render(odd, t));
  CHECK(check_markup(html, false).empty());
}

TEST_CASE("report: three classes show confusion matrices and no ROC", "[report]") {
  const auto t = make_training_set(90, 3);
  auto m = make_metrics(3);
  // Even a stray ROC curve is not drawn for a multiclass problem.
  m["quantum"]["roc_curve"] = {{"fpr", {0, 1}}, {"tpr", {0, 1}}};
  const std::string html = render(m, t);
  CHECK(html.find("id=\"roc-plot\"") == std::string::npos);
  CHECK(html.find("<polyline") == std::string::npos);
  CHECK(html.find("binary problems only") != std::string::npos);
  CHECK(html.find("has 3 classes") != std::string::npos);
  CHECK(html.find("href=\"#roc\"") == std::string::npos);
  CHECK(html.find("macro F1") != std::string::npos);
  CHECK(count(html, "<table class=\"cm\">") == 2);
  CHECK(count(html, "<td style=") == 2 * 9);
  const std::string svg = element_with_id(html, "hm-quantum");
  CHECK(count(svg, "<title>class ") == 6);  // three class names, beside rows and above columns
  CHECK(check_markup(html, false).empty());
}

TEST_CASE("report: odd kernels and long ROC curves stay bounded", "[report]") {
  auto t = make_training_set(50);
  t.k_classical *= 40.0;  // a linear-like kernel outside [0, 1] gets its own scale
  t.k_quantum(3, 4) = std::nan("");
  auto m = make_metrics();
  std::vector<double> fpr, tpr;
  for (int i = 0; i <= 100000; ++i) {
    fpr.push_back(std::pow(i / 100000.0, 2));
    tpr.push_back(std::sqrt(i / 100000.0));
  }
  m["quantum"]["roc_curve"] = {{"fpr", fpr}, {"tpr", tpr}};
  const std::string html = render(m, t);
  const std::string quantum = element_with_id(html, "hm-quantum");
  CHECK(quantum.find("#9a9a9a") != std::string::npos);  // the NaN cell
  const auto c = census(quantum);
  CHECK_FALSE(c.mirrored);  // no longer symmetric: every cell is written
  CHECK(c.cells == 50 * 50);
  CHECK(census(element_with_id(html, "hm-classical")).mirrored);
  CHECK(element_with_id(html, "hm-classical").find(">40<") != std::string::npos);
  const std::string roc = element_with_id(html, "roc-plot");
  const auto polyline = roc.find("points=\"");
  REQUIRE(polyline != std::string::npos);
  const auto points = count(roc.substr(polyline, roc.find('"', polyline + 8) - polyline), ",");
  CHECK(points > 50);
  CHECK(points < 7000);
  CHECK(html.size() < 200 * 1024);
}

TEST_CASE("report: number formatting", "[report]") {
  using hqml::detail::report::format_number;
  using hqml::detail::report::px;
  CHECK(format_number(0.123456) == "0.1235");
  CHECK(format_number(1.0) == "1");
  CHECK(format_number(0.975) == "0.975");
  CHECK(format_number(-0.0) == "0");
  CHECK(format_number(12345.6) == "12346");
  CHECK(format_number(2.5e-7) == "2.5e-07");
  CHECK(format_number(std::nan("")) == "NaN");
  CHECK(px(12.04) == "12");
  CHECK(px(12.06) == "12.1");
  CHECK(px(-0.01) == "0");
  CHECK(hqml::detail::report::esc("a<&>\"'\x01") == "a&lt;&amp;&gt;&quot;&#39;&#65533;");
  CHECK(hqml::detail::report::truncate_utf8("\xC3\xA9t\xC3\xA9 long name", 3) == "\xC3\xA9t\xC3\xA9\xE2\x80\xA6");
  // The polynomial viridis stays close to matplotlib's table at both ends and in the middle.
  const auto near = [](hqml::detail::report::rgb a, hqml::detail::report::rgb b) {
    return std::abs(a.r - b.r) < 0.02 && std::abs(a.g - b.g) < 0.02 && std::abs(a.b - b.b) < 0.02;
  };
  CHECK(near(hqml::detail::report::viridis(0), {0.267004, 0.004874, 0.329415}));
  CHECK(near(hqml::detail::report::viridis(0.5), {0.127568, 0.566949, 0.550556}));
  CHECK(near(hqml::detail::report::viridis(1), {0.993248, 0.906157, 0.143936}));
  CHECK(hqml::detail::report::hex({1, 0, 0.5}) == "#ff0080");
}

TEST_CASE("report: write_report replaces the file atomically and leaves no temporary", "[report]") {
  hqml::test::temp_dir dir("report");
  const fs::path file = dir.path / "report.html";
  const auto t = make_training_set(30);
  auto m = make_metrics();

  hqml::write_report(file, m, t.k_quantum, t.k_classical, t.labels);
  const std::string first = hqml::test::slurp(file);
  CHECK(first == render(m, t));

  // A reader holding the old file keeps reading the complete old version: the new one arrives by rename,
  // not by rewriting in place.
  std::ifstream old_reader(file, std::ios::binary);
  m["dataset"]["name"] = "second run";
  hqml::write_report(file, m, t.k_quantum, t.k_classical, t.labels);
  const std::string second = hqml::test::slurp(file);
  CHECK(second == render(m, t));
  CHECK(second != first);
  const std::string seen_by_old_reader{std::istreambuf_iterator<char>(old_reader), std::istreambuf_iterator<char>()};
  CHECK(seen_by_old_reader == first);

  // A failing render leaves the previous report untouched.
  auto broken = m;
  broken.erase("quantum");
  CHECK_THROWS_AS(hqml::write_report(file, broken, t.k_quantum, t.k_classical, t.labels), std::invalid_argument);
  CHECK(hqml::test::slurp(file) == second);

  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path)) names.push_back(e.path().filename().string());
  CHECK(names == std::vector<std::string>{"report.html"});

  // An unwritable target throws and leaves nothing behind.
  CHECK_THROWS(hqml::write_report(dir.path / "missing" / "report.html", m, t.k_quantum, t.k_classical, t.labels));
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Format 2: every model, significance, verdict, multiclass.

namespace {

/// A search over `grid` x `c_grid` whose CV accuracy peaks at (best_h, best_c); logistic regression's grid is C.
json v2_search(const std::string& name, const std::vector<double>& grid, const std::vector<double>& c_grid,
               double best_h, double best_c, bool extended, bool at_edge) {
  auto mean_at = [&](double h, double c) {
    return 0.8 + 0.1 * std::exp(-std::pow(std::log(h / best_h), 2)) - 0.01 * std::abs(std::log10(c / best_c));
  };
  json cv = json::array();
  for (const double h : grid) {
    for (const double c : name == "C" ? std::vector<double>{h} : c_grid) {
      const double mean = mean_at(h, c);
      cv.push_back({{"hyperparameter", h},
                    {"C", c},
                    {"mean", mean},
                    {"std", 0.02},
                    {"folds", {mean - 0.02, mean - 0.01, mean, mean + 0.01, mean + 0.02}}});
    }
  }
  return {
      {"hyperparameter_name", name},
      {"grid", grid},
      {"C_grid", c_grid},
      {"extended", extended},
      {"at_edge", at_edge},
      {"cv", cv},
      {"best", {{"hyperparameter", best_h}, {"C", best_c}, {"cv_mean", mean_at(best_h, best_c)}, {"cv_std", 0.02}}}};
}

/// A format-2 MODEL whose scores are computed from its confusion matrix (rows true, columns predicted).
json v2_model(const std::string& name, const json& kernel, const std::string& seen, int n_seen,
              const std::vector<std::string>& classes, const std::vector<std::vector<int>>& cm, bool binary) {
  const std::size_t k = classes.size();
  json m;
  m["name"] = name;
  m["kernel"] = kernel;
  m["features_seen"] = seen;
  m["n_features_seen"] = n_seen;
  double right = 0, total = 0, recall_sum = 0;
  std::vector<double> p(k), r(k), f(k), support(k), predicted(k, 0.0);
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j < k; ++j) predicted[j] += cm[i][j];
  }
  json per_class = json::array();
  std::set<std::size_t> predicted_classes;
  for (std::size_t i = 0; i < k; ++i) {
    support[i] = std::accumulate(cm[i].begin(), cm[i].end(), 0.0);
    right += cm[i][i];
    total += support[i];
    p[i] = predicted[i] > 0 ? cm[i][i] / predicted[i] : 0.0;
    r[i] = support[i] > 0 ? cm[i][i] / support[i] : 0.0;
    f[i] = p[i] + r[i] > 0 ? 2 * p[i] * r[i] / (p[i] + r[i]) : 0.0;
    recall_sum += r[i];
    if (predicted[i] > 0) predicted_classes.insert(i);
    per_class.push_back(
        {{"label", classes[i]}, {"precision", p[i]}, {"recall", r[i]}, {"f1", f[i]}, {"support", support[i]}});
  }
  auto mean = [&](const std::vector<double>& v, bool weighted) {
    double s = 0;
    for (std::size_t i = 0; i < k; ++i) s += v[i] * (weighted ? support[i] / total : 1.0 / static_cast<double>(k));
    return s;
  };
  m["test_accuracy"] = right / total;
  m["balanced_accuracy"] = recall_sum / static_cast<double>(k);
  m["macro"] = {{"precision", mean(p, false)}, {"recall", mean(r, false)}, {"f1", mean(f, false)}};
  m["micro"] = {{"precision", right / total}, {"recall", right / total}, {"f1", right / total}};
  m["weighted"] = {{"precision", mean(p, true)}, {"recall", mean(r, true)}, {"f1", mean(f, true)}};
  const std::size_t pos = binary ? 1 : 0;
  m["precision"] = binary ? p[pos] : mean(p, false);
  m["recall"] = binary ? r[pos] : mean(r, false);
  m["f1"] = binary ? f[pos] : mean(f, false);
  m["per_class"] = per_class;
  json matrix = json::array();
  for (const auto& row : cm) matrix.push_back(row);
  m["confusion_matrix"] = {{"labels", classes}, {"matrix", matrix}};
  if (binary) {
    const double q = right / total;
    m["roc_auc"] = 0.5 + 0.5 * q;
    m["roc_curve"] = {{"fpr", {0.0, 0.0, 1 - q, 1.0}}, {"tpr", {0.0, q, 1.0, 1.0}}};
  }
  m["test_predictions"] = json::array();
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      for (int n = 0; n < cm[i][j]; ++n) m["test_predictions"].push_back(classes[j]);
    }
  }
  m["predicts_single_class"] = predicted_classes.size() == 1;
  return m;
}

json v2_comparison(const json& models, const std::string& b, double p, const json& better) {
  const double acc_a = models["quantum"]["test_accuracy"].get<double>();
  const double acc_b = models[b]["test_accuracy"].get<double>();
  const double d = acc_a - acc_b;
  return {{"a", "quantum"},
          {"b", b},
          {"accuracy_a", acc_a},
          {"accuracy_b", acc_b},
          {"difference", d},
          {"bootstrap_ci95", {d - 0.03, d + 0.03}},
          {"mcnemar", {{"a_only_right", 3}, {"b_only_right", 6}, {"p_value", p}}},
          {"significant", p < 0.05},
          {"better", better},
          {"summary", "quantum vs " + b}};
}

/// Breast-cancer shaped: 4 models; quantum vs classical not significant, logistic regression significantly
/// better than quantum, quantum significantly better than the majority class.
json make_v2_binary() {
  const std::vector<std::string> classes{"benign", "malignant"};
  json m;
  m["format_version"] = 2;
  m["hqml_version"] = "0.1.0";
  json features = json::array();
  for (int i = 0; i < 30; ++i) features.push_back("feature " + std::to_string(i));
  m["dataset"] = {{"name", "breast_cancer.csv"},
                  {"source", "data/breast_cancer.csv"},
                  {"label", "diagnosis"},
                  {"n_rows", 569},
                  {"n_train", 398},
                  {"n_test", 171},
                  {"n_features", 30},
                  {"feature_names", features},
                  {"class_names", classes},
                  {"class_counts", {357, 212}},
                  {"separator", ","},
                  {"missing_cells", 0},
                  {"imputation", "none"},
                  {"warnings", {"column 'id' looks like an identifier <unique per row>; pass --drop id"}}};
  json train_rows = json::array(), test_rows = json::array();
  for (int i = 0; i < 569; ++i) (i % 10 < 3 && test_rows.size() < 171 ? test_rows : train_rows).push_back(i);
  m["split"] = {
      {"seed", 0}, {"test_fraction", 0.3}, {"stratified", true}, {"train_rows", train_rows}, {"test_rows", test_rows}};
  m["task"] = {{"type", "binary"},
               {"n_classes", 2},
               {"positive_label", "malignant"},
               {"multiclass_strategy", "one-vs-one (libsvm)"}};
  m["preprocessing"] = {{"standardize", true}, {"pca_components", 8}, {"scale", "min-max to [0, pi]"}};
  m["feature_map"] = {{"kind", "zz"}, {"num_qubits", 8}, {"reps", 2}, {"entanglement", "linear"}};
  m["quantum"] = v2_model("quantum kernel SVM", "fidelity",
                          "8 PCA components of 30 standardized features, min-max scaled to [0, pi], times the "
                          "feature scale",
                          8, classes, {{100, 7}, {5, 59}}, true);
  m["quantum"]["hyperparameters"] = {{"C", 10}, {"feature_scale", 0.25}};
  m["quantum"]["search"] =
      v2_search("feature_scale", {0.0625, 0.125, 0.25, 0.5, 1.0, 2.0}, {0.1, 1, 10, 100}, 0.25, 10, true, false);
  m["quantum"]["n_support"] = 45;
  m["classical"] = v2_model("RBF SVM", "rbf", "all 30 standardized features", 30, classes, {{103, 4}, {4, 60}}, true);
  m["classical"]["hyperparameters"] = {{"C", 1}, {"gamma", 0.0333}};
  m["classical"]["search"] = v2_search("gamma", {0.00333, 0.0111, 0.0333}, {0.1, 1, 10, 100}, 0.0333, 1, false, true);
  m["classical"]["n_support"] = 60;
  json baselines;
  baselines["logistic_regression"] =
      v2_model("logistic regression", nullptr, "all 30 standardized features", 30, classes, {{106, 1}, {1, 63}}, true);
  baselines["logistic_regression"]["hyperparameters"] = {{"C", 1.0}};
  baselines["logistic_regression"]["search"] =
      v2_search("C", {0.01, 0.1, 1, 10, 100}, {0.01, 0.1, 1, 10, 100}, 1.0, 1.0, false, false);
  baselines["majority"] = v2_model("majority class", nullptr, "no features (the training labels only)", 0, classes,
                                   {{107, 0}, {64, 0}}, true);
  m["baselines"] = baselines;
  json all = {{"quantum", m["quantum"]}, {"classical", m["classical"]}};
  all.update(baselines);
  m["comparisons"] = {v2_comparison(all, "classical", 0.51, nullptr),
                      v2_comparison(all, "logistic_regression", 0.012, "logistic_regression"),
                      v2_comparison(all, "majority", 1e-9, "quantum")};
  m["assessment"] = {{"n", 398},
                     {"geometric_difference", 1.9},
                     {"complexity_classical", 12.5},
                     {"complexity_quantum", 30.1},
                     {"dimension_classical", 21.0},
                     {"dimension_quantum", 140.0},
                     {"lambda", 0.0},
                     {"verdict", "quantum_worth_trying"},
                     {"quantum_worth_trying", true},
                     {"explanation", "g is large enough that some labelling favours the quantum kernel."},
                     {"targets", "+1/-1 labels"}};
  m["verdict"] = {{"held_out", "no_significant_difference"},
                  {"best_classical", "logistic_regression"},
                  {"assessment", "quantum_worth_trying"},
                  {"agree", false},
                  {"summary",
                   "On the 171 held-out rows the quantum kernel SVM is not significantly better than "
                   "logistic regression; the kernel assessment says the quantum kernel is worth trying."}};
  m["device"] = "cpu";
  m["threads"] = 2;
  m["seed"] = 0;
  return m;
}

/// Three classes, one of them a hostile name.
json make_v2_multiclass(std::vector<std::string> classes = {"setosa", "<img src=x onerror=alert(1)>", "a&b"}) {
  json m = make_v2_binary();
  const std::size_t k = classes.size();
  auto matrix = [&](int right, int wrong_every) {
    std::vector<std::vector<int>> cm(k, std::vector<int>(k, 0));
    for (std::size_t i = 0; i < k; ++i) {
      cm[i][i] = right;
      cm[i][(i + 1) % k] = static_cast<int>(i) % wrong_every == 0 ? 2 : 0;
    }
    return cm;
  };
  m["dataset"]["name"] = "iris.csv";
  m["dataset"]["class_names"] = classes;
  m["dataset"]["class_counts"] = std::vector<int>(k, 50);
  m["dataset"]["warnings"] = json::array();
  m["task"] = {{"type", "multiclass"},
               {"n_classes", k},
               {"positive_label", nullptr},
               {"multiclass_strategy", "one-vs-one (libsvm)"}};
  auto q = v2_model("quantum kernel SVM", "fidelity", "4 standardized features", 4, classes, matrix(14, 1), false);
  q["search"] = m["quantum"]["search"];
  q["hyperparameters"] = m["quantum"]["hyperparameters"];
  m["quantum"] = q;
  auto c = v2_model("RBF SVM", "rbf", "4 standardized features", 4, classes, matrix(15, 2), false);
  c["search"] = m["classical"]["search"];
  m["classical"] = c;
  m["baselines"]["logistic_regression"] =
      v2_model("logistic regression", nullptr, "4 standardized features", 4, classes, matrix(15, 3), false);
  std::vector<std::vector<int>> all_first(k, std::vector<int>(k, 0));
  for (auto& row : all_first) row[0] = 15;
  m["baselines"]["majority"] = v2_model("majority class", nullptr, "no features", 0, classes, all_first, false);
  json all = {{"quantum", m["quantum"]}, {"classical", m["classical"]}};
  all.update(m["baselines"]);
  m["comparisons"] = {v2_comparison(all, "classical", 0.7, nullptr),
                      v2_comparison(all, "logistic_regression", 0.6, nullptr),
                      v2_comparison(all, "majority", 1e-6, "quantum")};
  m["assessment"]["targets"] = "one-vs-rest labels, complexities averaged over the classes";
  m["verdict"]["agree"] = true;
  m["verdict"]["held_out"] = "no_significant_difference";
  m["verdict"]["assessment"] = "classical_suffices";
  m["assessment"]["verdict"] = "classical_suffices";
  return m;
}

/// The <tr> of the comparison of quantum against `b`.
std::string comparison_row(const std::string& html, std::string_view b_title) {
  const auto table = html.find("id=\"comparisons\"");
  REQUIRE(table != std::string::npos);
  for (auto at = html.find("<tr class=\"comparison\">", table); at != std::string::npos;
       at = html.find("<tr class=\"comparison\">", at + 1)) {
    const std::string row = html.substr(at, html.find("</tr>", at) - at);
    if (row.find(std::string("</span> ") + std::string(b_title) + "<br>") != std::string::npos) return row;
  }
  FAIL("no comparison row for " << b_title);
  return {};
}

std::string table_row(const std::string& html, const std::string& tr_class) {
  const auto at = html.find("<tr class=\"" + tr_class + "\">");
  REQUIRE(at != std::string::npos);
  return html.substr(at, html.find("</tr>", at) - at);
}

// Set HQML_REPORT_DUMP=DIR to keep the pages these tests render, for looking at them in a browser.
void dump(const std::string& name, const std::string& html) {
  if (const char* dir = std::getenv("HQML_REPORT_DUMP")) {
    std::ofstream(fs::path(dir) / name, std::ios::binary) << html;
  }
}

double attribute(const std::string& element, const std::string& name) {
  const auto at = element.find(" " + name + "=\"");
  REQUIRE(at != std::string::npos);
  return std::stod(element.substr(at + name.size() + 3));
}

}  // namespace

TEST_CASE("report: format 2 binary run shows every model, significance and the verdict", "[report]") {
  const auto t = make_training_set(80);
  auto m = make_v2_binary();
  m["timings"] = json::array(
      {{{"stage", "load and preprocess"}, {"seconds", 0.01}}, {{"stage", "quantum kernels"}, {"seconds", 2.5}}});
  const std::string html = render(m, t);
  dump("report-bin.html", html);
  CHECK(check_markup(html, false).empty());
  for (const auto& svg : svgs_in(html)) CHECK(check_markup(svg, true).empty());

  // Header: threads, device, seed, split sizes, the dataset warning (escaped).
  CHECK(html.find("2 threads") != std::string::npos);
  CHECK(html.find("quantum kernels on cpu") != std::string::npos);
  CHECK(html.find("seed 0") != std::string::npos);
  CHECK(html.find("split 398 training / 171 test rows (30% test, stratified)") != std::string::npos);
  CHECK(html.find("metrics format 2") != std::string::npos);
  CHECK(html.find("looks like an identifier &lt;unique per row&gt;; pass --drop id") != std::string::npos);

  // Summary: one row per model with accuracy, balanced accuracy, F1 of the positive class, CV, features seen.
  CHECK(html.find("F1 of<br>&#8220;malignant&#8221;") != std::string::npos);
  const std::string q = table_row(html, "model-quantum");
  CHECK(q.find("quantum kernel SVM") != std::string::npos);
  CHECK(q.find("8 PCA components of 30 standardized features") != std::string::npos);
  CHECK(q.find(">" + hqml::detail::report::format_number(m["quantum"]["test_accuracy"].get<double>()) + "<") !=
        std::string::npos);
  // F1 of malignant: precision 59/66, recall 59/64.
  CHECK(q.find(">" + hqml::detail::report::format_number(2 * 59.0 / (66 + 64)) + "<") != std::string::npos);
  CHECK(q.find(">0.9&#160;&#177;&#160;0.02<") != std::string::npos);
  CHECK(q.find(">C = 10</span><br><span class=\"nw\">feature scale = 0.25<") != std::string::npos);
  const std::string c = table_row(html, "model-classical");
  CHECK(c.find("RBF SVM") != std::string::npos);
  CHECK(c.find("all 30 standardized features") != std::string::npos);
  CHECK(table_row(html, "model-logistic_regression").find("logistic regression") != std::string::npos);
  const std::string maj = table_row(html, "model-majority");
  CHECK(maj.find("predicts a single class") != std::string::npos);
  CHECK(maj.find("not tuned") != std::string::npos);
  CHECK(q.find("predicts a single class") == std::string::npos);

  // Significance: difference, interval and p for each comparison; a badge only where significant.
  const std::string vs_classical = comparison_row(html, "RBF SVM");
  CHECK(vs_classical.find("no significant difference") != std::string::npos);
  CHECK(vs_classical.find("class=\"badge\"") == std::string::npos);
  CHECK(vs_classical.find(">0.51<br>") != std::string::npos);
  CHECK(vs_classical.find("&#8722;0.0234") != std::string::npos);  // 159/171 - 163/171
  CHECK(vs_classical.find("&#8722;0.0534 to +0.00661") != std::string::npos);
  CHECK(vs_classical.find(">3 / 6<") != std::string::npos);
  CHECK(vs_classical.find("0.9298 vs 0.9532") != std::string::npos);
  const std::string vs_logistic = comparison_row(html, "logistic regression");
  CHECK(vs_logistic.find("<span class=\"badge\">&#9733; logistic regression: higher accuracy</span>") !=
        std::string::npos);
  const std::string vs_majority = comparison_row(html, "majority class");
  CHECK(vs_majority.find("<span class=\"badge\">&#9733; quantum kernel SVM: higher accuracy</span>") !=
        std::string::npos);
  CHECK(count(html, "class=\"badge\"") == 2);
  CHECK(count(html, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ci\"") == 3);

  // Verdict: the summary, both sides, and the disagreement said out loud.
  CHECK(html.find("<p class=\"lead\">On the 171 held-out rows the quantum kernel SVM is not significantly better") !=
        std::string::npos);
  const auto held = html.find("id=\"held-out\"");
  const auto assessed = html.find("id=\"assessed\"");
  REQUIRE(held != std::string::npos);
  REQUIRE(assessed != std::string::npos);
  CHECK(html.find("<div class=\"says\">no significant difference</div>", held) < assessed);
  CHECK(html.find("<div class=\"says\">the quantum kernel is worth trying</div>", assessed) != std::string::npos);
  CHECK(html.find("<div class=\"verdict disagree\"") != std::string::npos);
  CHECK(html.find("disagree: they point different ways") != std::string::npos);

  // ROC for every model with a curve, naming the positive class.
  const std::string roc = element_with_id(html, "roc-plot");
  CHECK(count(roc, "<polyline class=\"roc\"") == 4);
  CHECK(html.find("positive class: <strong>malignant</strong>") != std::string::npos);

  // Per class: confusion matrices with the class names, per-class and average rows.
  CHECK(count(html, "<table class=\"cm\">") == 4);
  CHECK(count(html, "<table class=\"pc\">") == 4);
  CHECK(html.find("malignant <span class=\"nosig\">(positive)</span>") != std::string::npos);
  for (const char* avg : {">macro average<", ">micro average<", ">weighted average<"}) CHECK(count(html, avg) == 4);

  // Timings merged in from timings.json.
  CHECK(count(element_with_id(html, "timing-chart"), "class=\"bar\"") == 2);
  // Per-row data stays out of the page.
  CHECK(html.find("test_predictions") == std::string::npos);
  CHECK(html.size() < 160 * 1024);
}

TEST_CASE("report: the CV plot rings the chosen point on a log axis and notes edges", "[report]") {
  const auto t = make_training_set(40);
  const std::string html = render(make_v2_binary(), t);

  const std::string quantum = element_with_id(html, "cv-quantum");
  REQUIRE_FALSE(quantum.empty());
  CHECK(count(quantum, "class=\"cvpt\"") == 6 * 4);
  CHECK(count(quantum, "class=\"cvline\"") == 4);  // one line per C
  CHECK(quantum.find("feature scale (log scale)") != std::string::npos);
  // The ring sits exactly on the grid point (0.25, C = 10), whose tooltip says it is the chosen one.
  REQUIRE(count(quantum, "<g class=\"chosen\">") == 1);
  const auto ring_at = quantum.find("<g class=\"chosen\"><circle");
  const std::string ring = quantum.substr(ring_at, quantum.find("/>", ring_at) - ring_at);
  const auto point_at = quantum.find("<g><title>feature scale = 0.25, C = 10: ");
  REQUIRE(point_at != std::string::npos);
  const auto circle_at = quantum.find("<circle class=\"cvpt\"", point_at);
  const std::string point = quantum.substr(circle_at, quantum.find("/>", circle_at) - circle_at);
  CHECK(quantum.substr(point_at, circle_at - point_at).find(", chosen</title>") != std::string::npos);
  CHECK(attribute(ring, "cx") == Approx(attribute(point, "cx")));
  CHECK(attribute(ring, "cy") == Approx(attribute(point, "cy")));
  CHECK(quantum.find("paint-order=\"stroke\">chosen: 0.25, C = 10</text>") != std::string::npos);
  CHECK(html.find("chosen feature scale = 0.25, C = 10 with CV accuracy 0.9 &#177; 0.02.</figcaption>") !=
        std::string::npos);
  CHECK(count(quantum, ", chosen</title>") == 1);
  // Log axis: the doubling grid values are evenly spaced.
  auto x_of = [&](const std::string& h) {
    const auto at = quantum.find("<g><title>feature scale = " + h + ", C = 0.1: ");
    REQUIRE(at != std::string::npos);
    return attribute(quantum.substr(quantum.find("<circle class=\"cvpt\"", at)), "cx");
  };
  CHECK(x_of("0.125") - x_of("0.0625") == Approx(x_of("0.5") - x_of("0.25")).margin(0.11));
  CHECK(x_of("2") - x_of("1") == Approx(x_of("0.125") - x_of("0.0625")).margin(0.11));

  // The classical search ended at the edge of its grid; the quantum one was extended.
  const auto cv = html.substr(html.find("<section id=\"cv\">"));
  const auto classical_at = cv.find("id=\"cv-classical\"");
  const auto logistic_at = cv.find("id=\"cv-logistic_regression\"");
  REQUIRE(classical_at != std::string::npos);
  REQUIRE(logistic_at != std::string::npos);
  const auto edge = cv.find("Best value at the edge of the searched range");
  CHECK(edge > classical_at);
  CHECK(edge < logistic_at);
  CHECK(count(cv, "Best value at the edge of the searched range") == 1);
  CHECK(cv.find("grid was extended") < classical_at);
  CHECK(count(cv, "grid was extended") == 1);
  CHECK(count(element_with_id(html, "cv-classical"), "<g class=\"chosen\">") == 1);
  // Logistic regression's grid is C itself: one line, ringed at C = 1.
  const std::string logistic = element_with_id(html, "cv-logistic_regression");
  CHECK(count(logistic, "class=\"cvline\"") == 1);
  CHECK(logistic.find(">chosen: C = 1</text>") != std::string::npos);
  CHECK(html.find("id=\"cv-majority\"") == std::string::npos);
}

TEST_CASE("report: no badge for a non-significant difference or a single-class model", "[report]") {
  const auto t = make_training_set(40);
  auto m = make_v2_binary();
  // A majority-class predictor "significantly better" than quantum (an unbalanced test set can do that).
  m["comparisons"][2]["better"] = "majority";
  // A difference of one test row, not significant.
  m["comparisons"][1]["significant"] = false;
  m["comparisons"][1]["better"] = nullptr;
  m["comparisons"][1]["mcnemar"] = {{"a_only_right", 0}, {"b_only_right", 1}, {"p_value", 1.0}};
  m["threads"] = 0;  // never printed as "0 threads"
  const std::string html = render(m, t);
  CHECK(html.find("class=\"badge\"") == std::string::npos);
  CHECK(comparison_row(html, "majority class").find("majority class predicts a single class, so it is not marked") !=
        std::string::npos);
  CHECK(comparison_row(html, "logistic regression").find("no significant difference") != std::string::npos);
  CHECK(html.find("0 threads") == std::string::npos);
  CHECK(html.find(" threads") == std::string::npos);
  // Without timings merged in, the page has no timing section at all.
  CHECK(html.find("id=\"timings\"") == std::string::npos);
  // The timings.json object merged in whole also works, and gives the thread count.
  m["timings"] = {{"timings", {{{"stage", "assessment"}, {"seconds", 0.5}}}}, {"threads", 1}, {"device", "cpu"}};
  const std::string timed = render(m, t);
  CHECK(count(element_with_id(timed, "timing-chart"), "class=\"bar\"") == 1);
  CHECK(timed.find("1 thread &#183;") != std::string::npos);
  // An agreeing verdict says so.
  m["verdict"]["agree"] = true;
  const std::string agreeing = render(m, t);
  CHECK(agreeing.find("<div class=\"verdict agree\"") != std::string::npos);
  CHECK(agreeing.find("kernel assessment agree.") != std::string::npos);
}

TEST_CASE("report: format 2 multiclass shows per-class tables, escaped names and no ROC", "[report]") {
  const auto t = make_training_set(90, 3);
  const auto m = make_v2_multiclass();
  const std::string html = render(m, t);
  dump("report-multi.html", html);
  CHECK(check_markup(html, false).empty());
  for (const auto& svg : svgs_in(html)) CHECK(check_markup(svg, true).empty());

  std::string lower = html;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  CHECK(lower.find("<img") == std::string::npos);
  CHECK(html.find("&lt;img src=x onerror=alert(1)&gt;") != std::string::npos);
  CHECK(html.find(">a&amp;b<") != std::string::npos);
  CHECK(html.find("a&b") == std::string::npos);

  CHECK(html.find("id=\"roc-plot\"") == std::string::npos);
  CHECK(html.find("binary problems only") != std::string::npos);
  CHECK(html.find("macro F1") != std::string::npos);
  CHECK(count(html, "<table class=\"cm\">") == 4);
  CHECK(count(html, "<td style=") == 4 * 9);
  // Per-class rows with support, then the macro, micro and weighted averages computed from the matrix.
  const auto quantum = html.substr(html.find("id=\"classes-quantum\""));
  const auto pc = quantum.substr(quantum.find("<table class=\"pc\">"));
  const auto& qm = m["quantum"];
  CHECK(pc.find("<td title=\"setosa\">setosa</td>") != std::string::npos);
  CHECK(pc.find(">16<") != std::string::npos);  // support of setosa: 14 right + 2 taken for the next class
  CHECK(pc.find("<td>macro average</td><td class=\"num\">" +
                hqml::detail::report::format_number(qm["macro"]["precision"].get<double>(), 3)) != std::string::npos);
  CHECK(pc.find("<td>weighted average</td>") != std::string::npos);
  CHECK(pc.find("<td>micro average</td><td class=\"num\">" +
                hqml::detail::report::format_number(qm["test_accuracy"].get<double>(), 3)) != std::string::npos);
  CHECK(html.find("<div class=\"verdict agree\"") != std::string::npos);
  CHECK(html.find("one-vs-rest labels") != std::string::npos);
  CHECK(count(html, "class=\"badge\"") == 1);  // quantum against the majority class only
}

TEST_CASE("report: a 10-class confusion matrix stays readable and long lists are cut", "[report]") {
  std::vector<std::string> classes;
  for (int i = 0; i < 10; ++i) classes.push_back("a rather long class name number " + std::to_string(i));
  auto m = make_v2_multiclass(classes);
  json features = json::array();
  for (int i = 0; i < 1000; ++i) features.push_back("f" + std::to_string(i));
  m["dataset"]["feature_names"] = features;
  const auto t = make_training_set(100, 10);
  const std::string html = render(m, t);
  dump("report-10class.html", html);
  CHECK(check_markup(html, false).empty());
  CHECK(count(html, "<table class=\"cm many\">") == 4);
  // Columns are numbered, rows say which number is which class; full names stay in tooltips.
  const auto cm = html.substr(html.find("<table class=\"cm many\">"));
  CHECK(cm.find("<th title=\"a rather long class name number 9\">10</th>") != std::string::npos);
  // Names that share a prefix are cut in the middle, so that their distinct ends stay visible.
  CHECK(cm.find(">10&#160;&#183; a rather lon\xE2\x80\xA6me number 9</th>") != std::string::npos);
  const auto pc = html.substr(html.find("<table class=\"pc\">"));
  CHECK(pc.find("<td title=\"a rather long class name number 9\">10&#160;&#183; a rather long cl\xE2\x80\xA6s name "
                "number 9</td>") != std::string::npos);
  // The heatmaps number their columns the same way where the names do not fit above them.
  const std::string heatmap = element_with_id(html, "hm-quantum");
  CHECK(heatmap.find("</title>10</text>") != std::string::npos);
  CHECK(heatmap.find("</title>10 &#183; a ra\xE2\x80\xA6r 9</text>") != std::string::npos);
  CHECK(html.find("<details><summary>1000 names</summary>f0, f1,") != std::string::npos);
  CHECK(html.find("and 960 more</details>") != std::string::npos);
  CHECK(html.size() < 200 * 1024);

  // Beyond max_confusion_classes the matrix is not drawn; the per-class table still lists the classes.
  std::vector<std::string> many;
  for (int i = 0; i < hqml::max_confusion_classes + 1; ++i) many.push_back("c" + std::to_string(i));
  const std::string big = render(make_v2_multiclass(many), make_training_set(100, 41));
  CHECK(big.find("<table class=\"cm\"") == std::string::npos);
  CHECK(big.find("<table class=\"cm many\"") == std::string::npos);
  CHECK(big.find("41 classes, too many to draw") != std::string::npos);
  CHECK(big.find("<td title=\"c40\">41&#160;&#183; c40</td>") != std::string::npos);
  CHECK(check_markup(big, false).empty());
}

TEST_CASE("report: the serving routes table shows accuracy, quantum rows and time per row, escaped", "[report]") {
  const auto t = make_training_set(40);
  auto m = make_metrics();
  CHECK(render(m, t).find("id=\"routes\"") == std::string::npos);  // no routes in the metrics: no section
  m["serving_routes"] =
      json::array({{{"route", "quantum"}, {"test_accuracy", 0.875}, {"quantum_rows", 40}},
                   {{"route", "confidence:0.25"}, {"test_accuracy", 0.9}, {"quantum_rows", 7}, {"ms_per_row", 0.0125}},
                   {{"route", "<script>alert(1)</script>"}, {"test_accuracy", "x"}}});
  const std::string html = render(m, t);
  const auto at = html.find("<section id=\"routes\">");
  REQUIRE(at != std::string::npos);
  const std::string sec = html.substr(at, html.find("</section>", at) - at);
  CHECK(html.find("<a href=\"#routes\">") != std::string::npos);
  CHECK(sec.find("<code>quantum</code></td><td class=\"num\">0.875</td><td class=\"num\">40</td>") !=
        std::string::npos);
  CHECK(sec.find("<code>confidence:0.25</code></td><td class=\"num\">0.9</td><td class=\"num\">7</td>"
                 "<td class=\"num\">0.0125</td>") != std::string::npos);
  CHECK(sec.find("<script") == std::string::npos);
  CHECK(sec.find("&lt;script&gt;") != std::string::npos);
  CHECK(check_markup(html, false).empty());
}
