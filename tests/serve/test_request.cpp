// hqml serve's request bodies and response bodies (include/hqml/serve/request.hpp): every form of the Azure ML
// scoring body and of the Open Inference Protocol (v2) request it reads, every refusal with its HTTP status and
// the JSON path its message starts with, hostile bodies (deep nesting, huge numbers, long strings, many rows),
// and the response bodies as JSON read back.
#include <catch2/catch.hpp>

#include <hqml/serve/request.hpp>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

using hqml::serve::check_outputs;
using hqml::serve::decode_infer_request;
using hqml::serve::decode_limits;
using hqml::serve::decode_score_request;
using hqml::serve::encode_error;
using hqml::serve::encode_infer_response;
using hqml::serve::encode_score_response;
using hqml::serve::infer_request;
using hqml::serve::request_error;
using hqml::serve::scored_rows;
using nlohmann::json;

namespace {

const std::vector<std::string> abc{"a", "b", "c"};
const std::vector<std::string> no_names;

// The request_error `decode` throws; a decode that succeeds fails the test.
template <class Decode>
request_error refusal(Decode&& decode) {
  try {
    (void)decode();
  } catch (const request_error& e) {
    return e;
  }
  FAIL("the body was accepted");
  return request_error(0, "");
}

request_error score_refusal(std::string_view body, std::size_t n = 3,
                            std::span<const std::string> columns = std::span<const std::string>(abc),
                            const decode_limits& limits = {}) {
  return refusal([&] { return decode_score_request(body, n, columns, limits); });
}

request_error infer_refusal(std::string_view body, std::size_t n = 3, const decode_limits& limits = {}) {
  return refusal([&] { return decode_infer_request(body, n, limits); });
}

// A refusal's status and message: the message starts with `start` and is one line.
#define CHECK_REFUSAL(error, status_code, start)                             \
  do {                                                                       \
    const request_error& e_ = (error);                                       \
    INFO(e_.what());                                                         \
    CHECK(e_.status() == (status_code));                                     \
    CHECK_THAT(e_.what(), Catch::Matchers::StartsWith(start));               \
    CHECK(std::string_view(e_.what()).find('\n') == std::string_view::npos); \
  } while (false)

Eigen::MatrixXd rows(std::initializer_list<std::initializer_list<double>> r) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(r.size()), static_cast<Eigen::Index>(r.begin()->size()));
  Eigen::Index i = 0;
  for (const auto& row : r) {
    Eigen::Index j = 0;
    for (const double v : row) m(i, j++) = v;
    ++i;
  }
  return m;
}

// `count` rows of `n` features, "[[0.5,1.5,...],...]", and the matrix they are.
std::string rows_text(std::size_t count, std::size_t n, Eigen::MatrixXd* x = nullptr) {
  if (x) x->resize(static_cast<Eigen::Index>(count), static_cast<Eigen::Index>(n));
  std::string text = "[";
  for (std::size_t i = 0; i < count; ++i) {
    text += i ? ",[" : "[";
    for (std::size_t j = 0; j < n; ++j) {
      const double v = static_cast<double>(i * n + j) / 7.0 - 3.0;
      if (x) (*x)(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = v;
      if (j) text += ',';
      text += json(v).dump();
    }
    text += ']';
  }
  return text + "]";
}

}  // namespace

TEST_CASE("Azure ML {\"data\": rows} is read row by row, in the body's column order", "[serve][request]") {
  const auto d = decode_score_request(R"({"data": [[1, 2.5, -3], [4e2, 0, 1E-3]]})", 3, abc);
  CHECK(d.x == rows({{1, 2.5, -3}, {400, 0, 1e-3}}));
  CHECK(d.index.empty());
  // The model's names play no part: the body does not name its columns.
  CHECK(decode_score_request(R"({"data": [[1, 2, 3]]})", 3, no_names).x == rows({{1, 2, 3}}));
  // Keys that are not the protocol's are ignored, whatever they hold.
  CHECK(decode_score_request(R"({"params": {"x": [[[1]]]}, "data": [[1, 2, 3]], "z": null})", 3, abc).x ==
        rows({{1, 2, 3}}));
  // MLflow's tensor form of input_data.
  CHECK(decode_score_request(R"({"input_data": [[1, 2, 3], [4, 5, 6]]})", 3, abc).x == rows({{1, 2, 3}, {4, 5, 6}}));
  // Integers beyond 64 bits are numbers like any other.
  CHECK(decode_score_request(R"({"data": [[18446744073709551616, -9223372036854775809, 1]]})", 3, abc).x ==
        rows({{18446744073709551616.0, -9223372036854775809.0, 1}}));
}

TEST_CASE("Azure ML split orient: columns matched by name, index kept as JSON text", "[serve][request]") {
  SECTION("columns in another order are put in the model's") {
    const auto d = decode_score_request(
        R"({"input_data": {"columns": ["c", "a", "b"], "index": [7, "x", [1, {"k": 2.5}], null, -2, 0.5],
            "data": [[1, 2, 3], [4, 5, 6], [7, 8, 9], [0, 0, 0], [1, 1, 1], [2, 2, 2]]}})",
        3, abc);
    CHECK(d.x == rows({{2, 3, 1}, {5, 6, 4}, {8, 9, 7}, {0, 0, 0}, {1, 1, 1}, {2, 2, 2}}));
    CHECK(d.index == std::vector<std::string>{"7", "\"x\"", "[1,{\"k\":2.5}]", "null", "-2", "0.5"});
  }
  SECTION("data before columns: the order of the keys does not matter") {
    const auto d = decode_score_request(
        R"({"input_data": {"data": [[1, 2, 3]], "index": ["r"], "columns": ["b", "c", "a"]}})", 3, abc);
    CHECK(d.x == rows({{3, 1, 2}}));
    CHECK(d.index == std::vector<std::string>{"\"r\""});
  }
  SECTION("without columns or index, the columns are the model's, in order") {
    const auto d = decode_score_request(R"({"input_data": {"data": [[1, 2, 3]]}})", 3, abc);
    CHECK(d.x == rows({{1, 2, 3}}));
    CHECK(d.index.empty());
  }
  SECTION("a model without names counts the body's columns") {
    CHECK(decode_score_request(R"({"input_data": {"columns": [0, "p", 2], "data": [[1, 2, 3]]}})", 3, no_names).x ==
          rows({{1, 2, 3}}));
    CHECK_REFUSAL(score_refusal(R"({"input_data": {"columns": ["p", "q"], "data": [[1, 2, 3]]}})", 3, no_names), 400,
                  "input_data.columns: 2 names; the model reads 3 features");
  }
}

TEST_CASE("Azure ML bodies whose columns do not match the model's are refused, naming the column",
          "[serve][request][errors]") {
  CHECK_REFUSAL(score_refusal(R"({"input_data": {"columns": ["a", "b", "c", "d"], "data": [[1, 2, 3, 4]]}})"), 400,
                "input_data.columns[3]: \"d\" is not an input of the model (the model reads 3 features: \"a\", \"b\", "
                "\"c\")");
  CHECK_REFUSAL(score_refusal(R"({"input_data": {"columns": ["a", "b"], "data": [[1, 2]]}})"), 400,
                "input_data.columns: \"c\" is missing");
  CHECK_REFUSAL(score_refusal(R"({"input_data": {"columns": ["a", "b", "a"], "data": [[1, 2, 3]]}})"), 400,
                "input_data.columns[2]: \"a\" is given twice (also input_data.columns[0])");
  CHECK_REFUSAL(score_refusal(R"({"input_data": {"columns": ["a", 1, "c"], "data": [[1, 2, 3]]}})"), 400,
                "input_data.columns[1]: 1 is a number; a column name (a string) is needed");
  CHECK_REFUSAL(score_refusal(R"({"input_data": {"columns": ["a", ["b"], "c"], "data": [[1, 2, 3]]}})"), 400,
                "input_data.columns[1]: an array; a column name is needed");
  // A control character in an echoed name is escaped: the message stays one line.
  const auto e =
      score_refusal("{\"input_data\": {\"columns\": [\"a\", \"b\\n\\u0001x\", \"c\"], \"data\": [[1,2,3]]}}");
  CHECK_REFUSAL(e, 400, R"(input_data.columns[1]: "b\n\u0001x" is not an input)");
  // A megabyte-long name is shown cut short.
  const auto long_name = score_refusal(R"({"input_data": {"columns": [")" + std::string(1 << 20, 'z') +
                                       R"(", "b", "c"], "data": [[1,2,3]]}})");
  CHECK_REFUSAL(long_name, 400, "input_data.columns[0]: \"zzz");
  CHECK_THAT(long_name.what(), Catch::Matchers::Contains("...\" (1048576 bytes)"));
  CHECK(std::string_view(long_name.what()).size() < 300);
}

TEST_CASE("Azure ML bodies that are not rows of numbers are refused, naming where", "[serve][request][errors]") {
  CHECK_REFUSAL(score_refusal(R"({"input_data": {"data": [[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, "abc"]]}})"), 400,
                "input_data.data[3][2]: \"abc\" is a string; a number is needed");
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, true, 3]]})"), 400, "data[0][1]: true is a boolean; a number is needed");
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, {"v": 2}, 3]]})"), 400, "data[0][1]: an object; a number is needed");
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, [2], 3]]})"), 400, "data[0][1]: an array; a number is needed");
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, 2, 3], [1, null, 3]]})"), 400, "data[1][1]: null; a number is needed");
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, 2, 3, 4, 5]]})", 8, no_names), 400,
                "data[0]: 5 values; the model reads 8 features");
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, 2, 3], [1, 2, 3, 4]]})"), 400,
                "data[1]: 4 values; the model reads 3 features");
  CHECK_REFUSAL(score_refusal(R"({"data": [[1]]})"), 400, "data[0]: 1 value; the model reads 3 features");
  CHECK_REFUSAL(score_refusal(R"({"data": []})"), 400, "data: empty batch; send at least one row");
  CHECK_REFUSAL(score_refusal(R"({"input_data": {"columns": ["a", "b", "c"], "data": []}})"), 400,
                "input_data.data: empty batch; send at least one row");
  CHECK_REFUSAL(score_refusal(R"({"data": [1, 2, 3]})"), 400,
                "data[0]: 1 is a number; a row (an array of numbers) is needed");
  CHECK_REFUSAL(score_refusal(R"({"data": [{"a": 1, "b": 2, "c": 3}]})"), 400,
                "data[0]: an object; a row (an array of numbers) is needed");
  CHECK_REFUSAL(score_refusal(R"({"data": {"a": [1]}})"), 400, "data: an object; an array of rows is needed");
  CHECK_REFUSAL(score_refusal(R"({"data": "1,2,3"})"), 400, "data: \"1,2,3\" is a string; an array of rows is needed");
  CHECK_REFUSAL(score_refusal(R"({"input_data": 5})"), 400, "input_data: 5 is a number; an object");
  CHECK_REFUSAL(score_refusal(R"({"input_data": {"columns": ["a", "b", "c"]}})"), 400, "input_data: no \"data\"");
  CHECK_REFUSAL(score_refusal(R"({"input_data": {"columns": "a", "data": [[1, 2, 3]]}})"), 400,
                "input_data.columns: \"a\" is a string; an array of column names is needed");
  CHECK_REFUSAL(score_refusal(R"({"input_data": {"index": [1, 2], "data": [[1, 2, 3]]}})"), 400,
                "input_data.index: 2 entries; input_data.data has 1 row");
  CHECK_REFUSAL(score_refusal(R"({"rows": [[1, 2, 3]]})"), 400, "body: no \"data\" or \"input_data\"");
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, 2, 3]], "input_data": {"data": [[1, 2, 3]]}})"), 400,
                "input_data: the body has both \"data\" and \"input_data\"");
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, 2, 3]], "data": [[1, 2, 3]]})"), 400, "data: given twice");
  CHECK_REFUSAL(score_refusal(R"([[1, 2, 3]])"), 400, "body: an array; a JSON object is needed");
  CHECK_REFUSAL(score_refusal(R"("data")"), 400, "body: \"data\" is a string; a JSON object is needed");
}

TEST_CASE("bodies that are not JSON are refused with the line and column", "[serve][request][errors]") {
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, 2, NaN]]})"), 400, "body: not valid JSON at line 1, column 18 (");
  CHECK_THAT(score_refusal(R"({"data": [[1, 2, NaN]]})").what(), Catch::Matchers::Contains("NaN and Infinity"));
  CHECK_REFUSAL(score_refusal("{\"data\": [[1, 2,\n  Infinity]]}"), 400, "body: not valid JSON at line 2, column 3 (");
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, 2, -Infinity]]})"), 400, "body: not valid JSON at line 1, column 19 (");
  CHECK_REFUSAL(score_refusal(""), 400, "body: not valid JSON at line 1, column 1 (");
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, 2, 3]]} x)"), 400, "body: not valid JSON at line 1, column 23 (");
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, 2, 3]])"), 400, "body: not valid JSON");
  CHECK_REFUSAL(score_refusal("{\"data\": [[1, 2, 3]], \"x\": \"\xff\"}"), 400, "body: not valid JSON");
  // A raw control character in a string: the message quotes it escaped.
  const auto raw = score_refusal("{\"data\": [[1, 2, 3]], \"x\": \"a\nb\"}");
  CHECK_REFUSAL(raw, 400, "body: not valid JSON at line 1, column 30 (");
  CHECK_THAT(raw.what(), Catch::Matchers::Contains("control character U+000A"));
  // Numbers beyond double's range are JSON, but no model reads them.
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, 1e400, 3]]})"), 400,
                "data[0][1]: 1e400 is beyond the range of a double");
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, 2, 3], [1, 2, -1e309]]})"), 400,
                "data[1][2]: -1e309 is beyond the range of a double");
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, 2, )" + std::string(400, '9') + "]]}"), 400, "data[0][2]: 9999999999");
  // Tiny numbers are 0 or subnormal, not errors.
  CHECK(decode_score_request(R"({"data": [[1e-400, 5e-324, 0]]})", 3, abc).x == rows({{0, 5e-324, 0}}));
}

TEST_CASE("missing values are NaN where the model imputes", "[serve][request]") {
  decode_limits impute;
  impute.allow_missing = true;
  const auto d = decode_score_request(R"({"data": [[1, null, 3]]})", 3, abc, impute);
  CHECK(d.x(0, 0) == 1);
  CHECK(std::isnan(d.x(0, 1)));
  CHECK(d.x(0, 2) == 3);
  const auto r = decode_infer_request(R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP64",
                                         "data": [null, 2, 3]}]})",
                                      3, impute);
  CHECK(std::isnan(r.x(0, 0)));
  CHECK_REFUSAL(infer_refusal(R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "data": [1, null, 3]}]})"),
                400, "inputs[0].data[1]: null; a number is needed");
}

TEST_CASE("requests beyond the limits are refused with 413, the size before parsing", "[serve][request][errors]") {
  decode_limits small;
  small.max_body_bytes = 64;
  small.max_rows = 2;
  // Not even JSON: the size is what is refused.
  const std::string big(65, '[');
  CHECK_REFUSAL(score_refusal(big, 3, abc, small), 413, "body: 65 bytes; the limit is 64 bytes");
  CHECK_REFUSAL(infer_refusal(big, 3, small), 413, "body: 65 bytes; the limit is 64 bytes");
  CHECK(decode_score_request(R"({"data": [[1, 2, 3], [4, 5, 6]]})", 3, abc, small).x.rows() == 2);
  CHECK_REFUSAL(score_refusal(R"({"data": [[1, 2, 3], [4, 5, 6], [7, 8, 9]]})", 3, abc, small), 413,
                "data: more than 2 rows");
  CHECK_REFUSAL(score_refusal(R"({"input_data": {"index": [1, 2, 3]}})", 3, abc, small), 413,
                "input_data.index: more than 2 entries");
  small.max_body_bytes = 1 << 10;
  CHECK_REFUSAL(
      infer_refusal(R"({"inputs": [{"name": "x", "shape": [3, 3], "datatype": "FP64", "data": []}]})", 3, small), 413,
      "inputs[0].shape [3,3]: 3 rows; send at most 2 per request");
  // Data beyond the limit is refused as it streams in, whatever the shape says.
  CHECK_REFUSAL(infer_refusal(R"({"inputs": [{"name": "x", "data": [1, 2, 3, 4, 5, 6, 7], "shape": [2, 3],
                                  "datatype": "FP64"}]})",
                              3, small),
                413, "inputs[0].data: more than 6 values");
}

TEST_CASE("hostile bodies cost neither the stack nor unbounded memory", "[serve][request][errors]") {
  const std::string deep(1 << 20, '[');
  CHECK_REFUSAL(score_refusal(deep), 400, "body: an array; a JSON object is needed");
  CHECK_REFUSAL(infer_refusal(deep), 400, "body: an array; a JSON object is needed");
  CHECK_REFUSAL(score_refusal("{\"data\": " + deep), 400, "data[0][0]: an array; a number is needed");
  CHECK_REFUSAL(infer_refusal("{\"inputs\": [{\"data\": " + deep), 400, "inputs[0].data[0][0]: an array");
  // Nesting where anything goes (an unknown key, a parameters object) stops at the limit.
  CHECK_REFUSAL(score_refusal("{\"x\": " + deep), 400, "x[0][0][0]");
  CHECK_THAT(score_refusal("{\"x\": " + deep).what(), Catch::Matchers::Contains("nested deeper than 64 levels"));
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"p\":";
  CHECK_REFUSAL(infer_refusal("{\"parameters\": " + objects), 400, "parameters.p.p.p");
  CHECK_REFUSAL(score_refusal("{\"input_data\": {\"index\": [" + deep), 400, "input_data.index[0][0]");
  // A path through 64 long keys is shown by its ends.
  std::string keyed;
  for (int i = 0; i < 70; ++i) keyed += "{\"" + std::string(64, 'k') + "\": ";
  const auto long_path = score_refusal(keyed);
  CHECK_REFUSAL(long_path, 400, std::string(64, 'k') + "." + std::string(55, 'k') + "...kkk");
  CHECK(std::string_view(long_path.what()).size() < 400);
  // A megabyte-long string where a number belongs.
  CHECK_REFUSAL(score_refusal(R"({"data": [[")" + std::string(1 << 20, 'x') + R"("]]})"), 400, "data[0][0]: \"xxx");
  // 16 MiB of rows: refused at the row limit, however many follow.
  std::string many = R"({"data": [)";
  while (many.size() < (std::size_t{16} << 20) - 32) many += "[1.5,2.5,3.5],";
  many += "[1,2,3]]}";
  CHECK_REFUSAL(score_refusal(many), 413, "data: more than 65536 rows");
}

TEST_CASE("many rows decode to the same matrix as they were written from", "[serve][request]") {
  Eigen::MatrixXd x;
  const std::string body = R"({"data": )" + rows_text(3000, 30, &x) + "}";
  CHECK(decode_score_request(body, 30, no_names).x == x);
  std::string flat;
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
      if (!flat.empty()) flat += ',';
      flat += json(x(i, j)).dump();
    }
  const auto r = decode_infer_request(
      R"({"inputs": [{"name": "x", "shape": [3000, 30], "datatype": "FP64", "data": [)" + flat + "]}]}", 30);
  CHECK(r.x == x);
}

TEST_CASE("Open Inference Protocol requests: flat, nested, one row, FP32", "[serve][request]") {
  SECTION("flat row-major data, the id and the outputs asked for") {
    const auto r = decode_infer_request(
        R"({"id": "req-7", "inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP64", "data": [1, 2, 3, 4, 5, 6]}],
            "outputs": [{"name": "probabilities"}, {"name": "predictions"}], "parameters": {"priority": 1}})",
        3);
    CHECK(r.id == "req-7");
    CHECK(r.input_name == "x");
    CHECK(r.datatype == "FP64");
    CHECK(r.x == rows({{1, 2, 3}, {4, 5, 6}}));
    CHECK(r.outputs == std::vector<std::string>{"probabilities", "predictions"});
  }
  SECTION("data nested to the shape") {
    const auto r = decode_infer_request(
        R"({"inputs": [{"data": [[1, 2, 3], [4, 5, 6]], "datatype": "FP64", "shape": [2, 3], "name": "in"}]})", 3);
    CHECK(r.id.empty());
    CHECK(r.input_name == "in");
    CHECK(r.x == rows({{1, 2, 3}, {4, 5, 6}}));
    CHECK(r.outputs.empty());
  }
  SECTION("shape [n_features] is one row") {
    const auto r =
        decode_infer_request(R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "data": [7, 8, 9]}]})", 3);
    CHECK(r.x == rows({{7, 8, 9}}));
  }
  SECTION("FP32 data are the doubles sent") {
    // 0.1f printed as numpy prints a float32 value.
    const auto r = decode_infer_request(
        R"({"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [0.10000000149011612, 0.5, -2]}]})",
        3);
    CHECK(r.datatype == "FP32");
    CHECK(r.x(0, 0) == static_cast<double>(0.1f));
    CHECK(r.x(0, 1) == 0.5);
    CHECK(r.x(0, 2) == -2);
  }
  SECTION("a body as tritonclient's HTTP client writes it with binary_data=False") {
    // tritonclient.http: InferInput("x", [2, 4], "FP64").set_data_from_numpy(a, binary_data=False) and
    // InferRequestedOutput("predictions", binary_data=False), serialized by _get_inference_request (rapidjson:
    // no spaces, numpy float64 values as Python floats).
    const auto r = decode_infer_request(
        R"({"id":"1","inputs":[{"name":"x","shape":[2,4],"datatype":"FP64","data":[0.1,-1.5,2.0,3.25,4.0,)"
        R"(1e-05,6.0,7.0]}],"outputs":[{"name":"predictions","parameters":{"binary_data":false}},)"
        R"({"name":"probabilities","parameters":{"binary_data":false}}]})",
        4);
    CHECK(r.id == "1");
    CHECK(r.x == rows({{0.1, -1.5, 2, 3.25}, {4, 1e-5, 6, 7}}));
    CHECK(r.outputs == std::vector<std::string>{"predictions", "probabilities"});
    CHECK_NOTHROW(check_outputs(r));
  }
}

TEST_CASE("Open Inference Protocol requests that are refused, naming where", "[serve][request][errors]") {
  const auto input = [](std::string_view fields) {
    return R"({"inputs": [{"name": "x", )" + std::string(fields) + "}]}";
  };
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [2, 3], "datatype": "BYTES", "data": ["a"])")), 400,
                "inputs[0].datatype: \"BYTES\" is not supported; send FP64 or FP32");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [2, 3], "datatype": "INT64", "data": [1, 2, 3, 4, 5, 6])")), 400,
                "inputs[0].datatype: \"INT64\" is not supported; send FP64 or FP32");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [2, 3], "datatype": 64, "data": [1, 2, 3, 4, 5, 6])")), 400,
                "inputs[0].datatype: 64 is a number; a string is needed");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [2, 3], "datatype": "FP64", "data": [1, 2, 3, 4, 5])")), 400,
                "inputs[0].shape [2,3]: 6 elements, data has 5");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [2, 3], "datatype": "FP64", "data": [1, 2, 3, 4, 5, 6, 7])")), 400,
                "inputs[0].shape [2,3]: 6 elements, data has 7");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [2, 4], "datatype": "FP64", "data": [1, 2, 3, 4, 5, 6, 7, 8])")), 400,
                "inputs[0].shape [2,4]: the model reads 3 features; send [rows, 3] or [3]");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [4], "datatype": "FP64", "data": [1, 2, 3, 4])")), 400,
                "inputs[0].shape [4]: the model reads 3 features");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [1, 2, 3], "datatype": "FP64", "data": [1, 2, 3, 4, 5, 6])")), 400,
                "inputs[0].shape: more than two dimensions; send [rows, 3] or [3]");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [], "datatype": "FP64", "data": [1])")), 400,
                "inputs[0].shape []: no dimensions");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [0, 3], "datatype": "FP64", "data": [])")), 400,
                "inputs[0].shape [0,3]: empty batch; send at least one row");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [-1, 3], "datatype": "FP64", "data": [1, 2, 3])")), 400,
                "inputs[0].shape[0]: -1 is a number; a dimension is a non-negative integer");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [1.0, 3], "datatype": "FP64", "data": [1, 2, 3])")), 400,
                "inputs[0].shape[0]: 1.0 is a number; a dimension is a non-negative integer");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [2, 3], "datatype": "FP64", "data": [1, 2, 3, 4, "5", 6])")), 400,
                "inputs[0].data[4]: \"5\" is a string; a number is needed");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [2, 3], "datatype": "FP64", "data": [[1, 2, 3], [4, false, 6]])")), 400,
                "inputs[0].data[1][1]: false is a boolean; a number is needed");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [2, 3], "datatype": "FP64", "data": [[1, 2, 3], [4, 5]])")), 400,
                "inputs[0].data[1]: 2 values; inputs[0].data[0] has 3");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [2, 3], "datatype": "FP64", "data": [[1, 2], [3, 4], [5, 6]])")), 400,
                "inputs[0].data: rows of 2 values; shape [2,3] has rows of 3");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [3], "datatype": "FP64", "data": [[1, 2, 3]])")), 400,
                "inputs[0].data: rows nested in the data, but shape [3] is one row; send it flat");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [2, 3], "datatype": "FP64", "data": [1, 2, 3, [4, 5, 6]])")), 400,
                "inputs[0].data[3]: an array among numbers");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [2, 3], "datatype": "FP64", "data": [[1, 2, 3], 4, 5, 6])")), 400,
                "inputs[0].data[1]: 4 is a number among rows");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [1, 3], "datatype": "FP64", "data": [[[1], 2, 3]])")), 400,
                "inputs[0].data[0][0]: an array; a number is needed");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [1, 3], "datatype": "FP64", "data": [1, 2, 1e999])")), 400,
                "inputs[0].data[2]: 1e999 is beyond the range of a double");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [1, 3], "datatype": "FP64")")), 400, "inputs[0]: no \"data\"");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [1, 3], "data": [1, 2, 3])")), 400, "inputs[0]: no \"datatype\"");
  CHECK_REFUSAL(infer_refusal(input(R"("datatype": "FP64", "data": [1, 2, 3])")), 400, "inputs[0]: no \"shape\"");
  CHECK_REFUSAL(infer_refusal(R"({"inputs": [{"shape": [3], "datatype": "FP64", "data": [1, 2, 3]}]})"), 400,
                "inputs[0]: no \"name\"");
  CHECK_REFUSAL(infer_refusal(input(R"("shape": [3], "shape": [3], "datatype": "FP64", "data": [1, 2, 3])")), 400,
                "inputs[0].shape: given twice");
  // One input, no fewer and no more.
  CHECK_REFUSAL(infer_refusal(R"({"inputs": []})"), 400, "inputs: no input; send exactly one");
  CHECK_REFUSAL(infer_refusal(R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]},
                                             {"name": "y", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}]})"),
                400, "inputs: more than one input");
  CHECK_REFUSAL(infer_refusal(R"({"inputs": {"name": "x"}})"), 400, "inputs: an object; an array of inputs is needed");
  CHECK_REFUSAL(infer_refusal(R"({"inputs": [[1, 2, 3]]})"), 400, "inputs[0]: an array; an input");
  CHECK_REFUSAL(infer_refusal(R"({"data": [[1, 2, 3]]})"), 400, "body: no \"inputs\"");
  CHECK_REFUSAL(infer_refusal(R"({"id": 7, "inputs": []})"), 400, "id: 7 is a number; a string is needed");
  CHECK_REFUSAL(infer_refusal(R"([1])"), 400, "body: an array; a JSON object");
  CHECK_REFUSAL(infer_refusal(R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "data": [1, 2, NaN]}]})"),
                400, "body: not valid JSON at line 1, column 76 (");
}

TEST_CASE("binary inputs, shared memory and classification are refused, binary outputs answered in JSON",
          "[serve][request][errors]") {
  const std::string body = R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}])";
  // tritonclient's defaults: InferRequestedOutput(name) asks for binary data; no outputs, binary_data_output.
  // Binary outputs asked for are answered in JSON (tritonclient reads both), so those requests decode.
  CHECK(
      decode_infer_request(body + R"(, "outputs": [{"name": "predictions", "parameters": {"binary_data": true}}]})", 3)
          .outputs == std::vector<std::string>{"predictions"});
  CHECK(decode_infer_request(body + R"(, "parameters": {"binary_data_output": true}})", 3).x == rows({{1, 2, 3}}));
  CHECK_REFUSAL(infer_refusal(body + R"(, "outputs": [{"name": "predictions", "parameters": {"binary_data": 1}}]})"),
                400, "outputs[0].parameters.binary_data: 1 is a number; true or false is needed");
  CHECK(decode_infer_request(body + R"(, "parameters": {"binary_data_output": false}})", 3).x == rows({{1, 2, 3}}));
  CHECK_REFUSAL(
      infer_refusal(
          R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "parameters": {"binary_data_size": 24}}]})"),
      400, "inputs[0].parameters.binary_data_size: the binary tensor extension is not supported");
  CHECK_REFUSAL(infer_refusal(R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP64",
                                               "parameters": {"shared_memory_region": "r"}}]})"),
                400, "inputs[0].parameters.shared_memory_region: the shared-memory extension is not supported");
  CHECK_REFUSAL(infer_refusal(body + R"(, "outputs": [{"name": "predictions", "parameters": {"classification": 2}}]})"),
                400, "outputs[0].parameters.classification: the classification extension is not supported");
  CHECK_REFUSAL(infer_refusal(body + R"(, "outputs": [{"parameters": {"binary_data": false}}]})"), 400,
                "outputs[0]: no \"name\"");
}

TEST_CASE("outputs that are not the model's are refused before scoring", "[serve][request][errors]") {
  infer_request r;
  r.outputs = {"predictions", "served_by"};
  CHECK_NOTHROW(check_outputs(r));
  r.outputs = {"predictions", "logits"};
  CHECK_REFUSAL(refusal([&] {
                  check_outputs(r);
                  return 0;
                }),
                400, "outputs[1].name: \"logits\" is not an output of this model");
  r.outputs = {"probabilities", "predictions", "probabilities"};
  CHECK_REFUSAL(refusal([&] {
                  check_outputs(r);
                  return 0;
                }),
                400, "outputs[2].name: \"probabilities\" is asked for twice (also outputs[0])");
}

TEST_CASE("response bodies read back to the scores, doubles exactly", "[serve][request]") {
  scored_rows s;
  s.labels = {"setosa", "versi\"color\n"};
  s.probabilities = rows({{0.1, 1.0 / 3.0, 1 - 0.1 - 1.0 / 3.0}, {5e-324, std::numeric_limits<double>::max(), 0}});
  s.served_by = {"quantum", "cache"};

  const json a = json::parse(encode_score_response(s, "v3"));
  CHECK(a.size() == 4);
  CHECK(a.at("predictions") == json(s.labels));
  CHECK(a.at("served_by") == json(s.served_by));
  CHECK(a.at("model_version") == "v3");
  REQUIRE(a.at("probabilities").size() == 2);
  for (Eigen::Index i = 0; i < 2; ++i)
    for (Eigen::Index j = 0; j < 3; ++j)
      CHECK(a.at("probabilities").at(static_cast<std::size_t>(i)).at(static_cast<std::size_t>(j)).get<double>() ==
            s.probabilities(i, j));
  CHECK(encode_score_response(s, "v3").starts_with(R"({"predictions":["setosa",)"));

  infer_request req;
  req.id = "req-1";
  const json v = json::parse(encode_infer_response(req, s, "iris", "v3"));
  CHECK(v.size() == 4);
  CHECK(v.at("model_name") == "iris");
  CHECK(v.at("model_version") == "v3");
  CHECK(v.at("id") == "req-1");
  const json& out = v.at("outputs");
  REQUIRE(out.size() == 3);
  CHECK(out[0] == json{{"name", "predictions"}, {"datatype", "BYTES"}, {"shape", {2}}, {"data", s.labels}});
  CHECK(out[1].at("name") == "probabilities");
  CHECK(out[1].at("datatype") == "FP64");
  CHECK(out[1].at("shape") == json{2, 3});
  REQUIRE(out[1].at("data").size() == 6);
  for (std::size_t k = 0; k < 6; ++k)
    CHECK(out[1].at("data")[k].get<double>() ==
          s.probabilities(static_cast<Eigen::Index>(k / 3), static_cast<Eigen::Index>(k % 3)));
  CHECK(out[2] == json{{"name", "served_by"}, {"datatype", "BYTES"}, {"shape", {2}}, {"data", s.served_by}});

  // Only the outputs asked for, in the order asked; no "id" when the request had none.
  req.id.clear();
  req.outputs = {"served_by", "predictions"};
  const json w = json::parse(encode_infer_response(req, s, "iris", "v3"));
  CHECK(!w.contains("id"));
  REQUIRE(w.at("outputs").size() == 2);
  CHECK(w.at("outputs")[0].at("name") == "served_by");
  CHECK(w.at("outputs")[1].at("name") == "predictions");
  req.outputs = {"nope"};
  CHECK_REFUSAL(refusal([&] { return encode_infer_response(req, s, "iris", "v3"); }), 400, "outputs[0].name");

  // Scores that do not agree in length are the server's bug, not the request's.
  s.served_by.pop_back();
  CHECK_THROWS_AS(encode_score_response(s, "v3"), std::invalid_argument);
}

TEST_CASE("error bodies are JSON in either protocol's style, whatever the message holds", "[serve][request]") {
  CHECK(json::parse(encode_error("data[0]: 5 values")) == json{{"message", "data[0]: 5 values"}});
  CHECK(json::parse(encode_error("inputs[0].shape: x", true)) == json{{"error", "inputs[0].shape: x"}});
  CHECK(json::parse(encode_error("a \"quote\"\n\x01")) == json{{"message", "a \"quote\"\n\x01"}});
  // Bytes that are not UTF-8 are replaced, not thrown at the server.
  CHECK(json::parse(encode_error("bad \xff byte", true)).at("error") == "bad \xef\xbf\xbd byte");
  // A request_error's message is one line whatever it is given.
  const request_error e(400, "a\nb\x7f");
  CHECK(std::string(e.what()) == "a\\x0ab\\x7f");
  CHECK(e.status() == 400);
}
