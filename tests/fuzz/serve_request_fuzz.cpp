// libFuzzer target for hqml serve's request decoders and response encoders (include/hqml/serve/request.hpp).
// The first byte of an input picks the model the body is decoded for: its low 3 bits + 1 are the feature
// count, bit 3 allows missing values, bit 4 gives the model column names, bit 5 sets small limits (128-byte
// bodies, 3 rows) so the 413 refusals are reached; the rest is the body, given to both decoders. A body must
// either decode or raise hqml::serve::request_error with status 400 or 413 and a one-line message that starts
// with a JSON path; what decodes must be consistent (1..max_rows rows of n features, NaN only where allowed,
// an index entry per row when there is an index) and encode into JSON that reads back to the same values.
// Anything else (another exception, a crash, a hang, a leak, stack overflow) is a bug.

#include <hqml/serve/request.hpp>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using hqml::serve::request_error;
using nlohmann::json;

[[noreturn]] void bug(const char* what, const std::string& detail) {
  std::fprintf(stderr, "serve_request_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

// A refusal: 400 or 413, one printable line "path: why", and an error body that reads back to it.
void check_refusal(const request_error& e) {
  const std::string_view what = e.what();
  if (e.status() != 400 && e.status() != 413) bug("a status other than 400 or 413", std::to_string(e.status()));
  for (const char ch : what)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) bug("a control character in a message", e.what());
  const auto colon = what.find(": ");
  if (colon == std::string_view::npos || colon == 0) bug("a message without its path", e.what());
  const char first = what.front();
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || (first >= '0' && first <= '9') ||
        first == '_' || first == '['))
    bug("a message that does not start with a path", e.what());
  for (const bool v2 : {false, true}) {
    const json back = json::parse(hqml::serve::encode_error(what, v2));
    if (back.at(v2 ? "error" : "message").get<std::string>() != what)
      bug("an error body that does not read back", e.what());
  }
}

// The decoded matrix: rows within the limit, n columns, NaN only where missing values are allowed.
void check_matrix(const Eigen::MatrixXd& x, std::size_t n, const hqml::serve::decode_limits& limits) {
  if (x.rows() < 1 || static_cast<std::size_t>(x.rows()) > limits.max_rows)
    bug("a row count outside 1..max_rows", std::to_string(x.rows()));
  if (static_cast<std::size_t>(x.cols()) != n) bug("a column count that is not the model's", std::to_string(x.cols()));
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
      if (std::isinf(x(i, j))) bug("an infinite value", std::to_string(i) + "," + std::to_string(j));
      if (std::isnan(x(i, j)) && !limits.allow_missing) bug("a NaN though missing values are refused", "");
    }
}

// Scores made from the decoded rows: the values themselves as probabilities (NaN as 0), so the encoders'
// doubles are the body's, and labels and served_by from the row index.
hqml::serve::scored_rows scores_of(const Eigen::MatrixXd& x) {
  hqml::serve::scored_rows r;
  r.probabilities = x.unaryExpr([](double v) { return std::isnan(v) ? 0.0 : v; });
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    r.labels.push_back("class \"" + std::to_string(i % 3) + "\"\n");
    r.served_by.push_back(i % 2 ? "quantum" : "cache");
  }
  return r;
}

void check_probabilities(const json& rows_or_flat, const Eigen::MatrixXd& p, bool flat) {
  for (Eigen::Index i = 0; i < p.rows(); ++i)
    for (Eigen::Index j = 0; j < p.cols(); ++j) {
      const auto k = static_cast<std::size_t>(i * p.cols() + j);
      const json& v =
          flat ? rows_or_flat.at(k) : rows_or_flat.at(static_cast<std::size_t>(i)).at(static_cast<std::size_t>(j));
      if (v.get<double>() != p(i, j)) bug("a probability that does not read back", v.dump());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t options = data[0];
  const std::size_t n = (options & 7u) + 1;
  hqml::serve::decode_limits limits;
  limits.allow_missing = (options & 8u) != 0;
  if (options & 32u) {
    limits.max_body_bytes = 128;
    limits.max_rows = 3;
  }
  std::vector<std::string> columns;
  if (options & 16u)
    for (std::size_t j = 0; j < n; ++j) columns.push_back(std::string(1, static_cast<char>('a' + j)));
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  try {
    const auto d = hqml::serve::decode_score_request(body, n, columns, limits);
    check_matrix(d.x, n, limits);
    if (!d.index.empty() && d.index.size() != static_cast<std::size_t>(d.x.rows()))
      bug("an index that is not one entry per row", std::to_string(d.index.size()));
    for (const auto& entry : d.index) (void)json::parse(entry);  // compact JSON text; throws (a bug) if not
    const auto r = scores_of(d.x);
    const json back = json::parse(hqml::serve::encode_score_response(r, "v\x01"));
    if (back.at("predictions") != json(r.labels) || back.at("served_by") != json(r.served_by) ||
        back.at("model_version") != "v\x01")
      bug("a score response that does not read back", back.dump());
    check_probabilities(back.at("probabilities"), r.probabilities, false);
  } catch (const request_error& e) {
    check_refusal(e);
  } catch (const std::exception& e) {
    bug("decode_score_request threw something other than request_error", e.what());
  }

  try {
    const auto req = hqml::serve::decode_infer_request(body, n, limits);
    check_matrix(req.x, n, limits);
    if (req.datatype != "FP64" && req.datatype != "FP32") bug("a datatype that is refused", req.datatype);
    hqml::serve::check_outputs(req);
    const auto r = scores_of(req.x);
    const json back = json::parse(hqml::serve::encode_infer_response(req, r, "m", "1"));
    if (back.contains("id") != !req.id.empty() || (!req.id.empty() && back.at("id") != req.id))
      bug("an id that does not read back", back.dump());
    const auto& outputs = back.at("outputs");
    if (outputs.size() != (req.outputs.empty() ? 3 : req.outputs.size())) bug("the wrong outputs", back.dump());
    for (const auto& o : outputs)
      if (o.at("name") == "probabilities") check_probabilities(o.at("data"), r.probabilities, true);
  } catch (const request_error& e) {
    check_refusal(e);
  } catch (const std::exception& e) {
    bug("decode_infer_request or the encoder threw something other than request_error", e.what());
  }
  return 0;
}
