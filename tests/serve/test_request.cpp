// hqml serve's request bodies and response bodies (include/hqml/serve/request.hpp): every form of the Azure ML
// scoring body and of the Open Inference Protocol (v2) request it reads, every refusal with its HTTP status and
// the JSON path its message starts with, hostile bodies (deep nesting, huge numbers, long strings, many rows),
// and the response bodies as JSON read back.
#include <catch2/catch.hpp>

#include <hqml/serve/request.hpp>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <optional>
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
using hqml::serve::encode_infer_response_as_asked;
using hqml::serve::encode_score_response;
using hqml::serve::infer_request;
using hqml::serve::json_string;
using hqml::serve::parse_inference_header_length;
using hqml::serve::request_error;
using hqml::serve::scored_rows;
using nlohmann::json;
using namespace std::string_literals;

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

// A request as tritonclient sends binary tensors: the JSON, then `bytes`; the header gives the JSON's length
// unless `json_size` says otherwise.
infer_request decode_binary(std::string_view json_part, std::string_view bytes, std::size_t n = 3,
                            const decode_limits& limits = {}) {
  return decode_infer_request(std::string(json_part) + std::string(bytes), n, limits, json_part.size());
}

request_error binary_refusal(std::string_view json_part, std::string_view bytes, std::size_t n = 3,
                             const decode_limits& limits = {}, std::optional<std::size_t> json_size = std::nullopt) {
  return refusal([&] {
    return decode_infer_request(std::string(json_part) + std::string(bytes), n, limits,
                                json_size.value_or(json_part.size()));
  });
}

// tritonclient's JSON for one binary input (Python's json.dumps: ", " and ": ").
std::string binary_input(std::string_view shape, std::string_view datatype, std::string_view size,
                         std::string_view rest = "") {
  return R"({"inputs": [{"name": "input", "shape": )" + std::string(shape) + R"(, "datatype": ")" +
         std::string(datatype) + R"(", "parameters": {"binary_data_size": )" + std::string(size) + "}}]" +
         std::string(rest) + "}";
}

// Little-endian IEEE 754 bytes, written out by hand (not by the code under test).
const std::string f64_1 = "\x00\x00\x00\x00\x00\x00\xf0\x3f"s;        // 1.0
const std::string f64_m2 = "\x00\x00\x00\x00\x00\x00\x00\xc0"s;       // -2.0
const std::string f64_half = "\x00\x00\x00\x00\x00\x00\xe0\x3f"s;     // 0.5
const std::string f64_quarter = "\x00\x00\x00\x00\x00\x00\xd0\x3f"s;  // 0.25
const std::string f64_3 = "\x00\x00\x00\x00\x00\x00\x08\x40"s;        // 3.0
const std::string f64_tenth = "\x9a\x99\x99\x99\x99\x99\xb9\x3f"s;    // 0.1
const std::string f64_nan = "\x00\x00\x00\x00\x00\x00\xf8\x7f"s;      // quiet NaN
const std::string f64_inf = "\x00\x00\x00\x00\x00\x00\xf0\x7f"s;      // +infinity
const std::string f32_1 = "\x00\x00\x80\x3f"s;                        // 1.0f
const std::string f32_m2 = "\x00\x00\x00\xc0"s;                       // -2.0f
const std::string f32_half = "\x00\x00\x00\x3f"s;                     // 0.5f
const std::string f32_tenth = "\xcd\xcc\xcc\x3d"s;                    // 0.1f
const std::string f32_minf = "\x00\x00\x80\xff"s;                     // -infinity

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

TEST_CASE("MLflow scoring bodies: dataframe_split, dataframe_records, instances, inputs", "[serve][request]") {
  SECTION("dataframe_split is pandas split orient, as input_data") {
    const auto d = decode_score_request(
        R"({"dataframe_split": {"columns": ["c", "a", "b"], "index": [4, 5], "data": [[1, 2, 3], [4, 5, 6]]}})", 3,
        abc);
    CHECK(d.x == rows({{2, 3, 1}, {5, 6, 4}}));
    CHECK(d.index == std::vector<std::string>{"4", "5"});
    CHECK(decode_score_request(R"({"dataframe_split": {"data": [[1, 2, 3]]}})", 3, abc).x == rows({{1, 2, 3}}));
  }
  SECTION("dataframe_records: each record's columns matched by name, in any order") {
    const auto d = decode_score_request(
        R"({"dataframe_records": [{"c": 3, "a": 1, "b": 2}, {"a": 4.5, "b": -5, "c": 6e-1}]})", 3, abc);
    CHECK(d.x == rows({{1, 2, 3}, {4.5, -5, 0.6}}));
    CHECK(d.index.empty());
    decode_limits impute;
    impute.allow_missing = true;
    const auto m = decode_score_request(R"({"dataframe_records": [{"a": 1, "b": null, "c": 3}]})", 3, abc, impute);
    CHECK(m.x(0, 0) == 1);
    CHECK(std::isnan(m.x(0, 1)));
    CHECK(m.x(0, 2) == 3);
  }
  SECTION("instances and inputs are rows, as data") {
    CHECK(decode_score_request(R"({"instances": [[1, 2, 3], [4, 5, 6]]})", 3, abc).x == rows({{1, 2, 3}, {4, 5, 6}}));
    CHECK(decode_score_request(R"({"inputs": [[1, 2, 3]]})", 3, no_names).x == rows({{1, 2, 3}}));
  }
  SECTION("the same rows in every form decode alike") {
    Eigen::MatrixXd x;
    const std::string text = rows_text(50, 3, &x);
    std::string records = "[";
    for (Eigen::Index i = 0; i < x.rows(); ++i)
      records += std::string(i ? "," : "") + json{{"b", x(i, 1)}, {"c", x(i, 2)}, {"a", x(i, 0)}}.dump();
    records += "]";
    for (const std::string& body :
         {R"({"data": )" + text + "}", R"({"instances": )" + text + "}", R"({"inputs": )" + text + "}",
          R"({"dataframe_split": {"columns": ["a", "b", "c"], "data": )" + text + "}}",
          R"({"dataframe_records": )" + records + "}"}) {
      INFO(body.substr(0, 40));
      CHECK(decode_score_request(body, 3, abc).x == x);
    }
  }
}

TEST_CASE("MLflow scoring bodies that do not match the model are refused, naming the column",
          "[serve][request][errors]") {
  CHECK_REFUSAL(score_refusal(R"({"dataframe_records": [{"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 2}]})"), 400,
                "dataframe_records[1]: \"c\" is missing (the model reads 3 features: \"a\", \"b\", \"c\")");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_records": [{"a": 1, "b": 2, "c": 3, "d": 4}]})"), 400,
                "dataframe_records[0].d: \"d\" is not an input of the model (the model reads 3 features");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_records": [{"a": 1, "b": 2, "a": 3}]})"), 400,
                "dataframe_records[0].a: given twice; send it once");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_records": [{"a": 1, "b": "x", "c": 3}]})"), 400,
                "dataframe_records[0].b: \"x\" is a string; a number is needed");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_records": [{"a": 1, "b": null, "c": 3}]})"), 400,
                "dataframe_records[0].b: null; a number is needed (this model is served without imputing");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_records": [{"a": [1], "b": 2, "c": 3}]})"), 400,
                "dataframe_records[0].a: an array; a number is needed");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_records": [[1, 2, 3]]})"), 400,
                "dataframe_records[0]: an array; a record {\"column\": value, ...} is needed");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_records": [7]})"), 400,
                "dataframe_records[0]: 7 is a number; a record {\"column\": value, ...} is needed");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_records": []})"), 400,
                "dataframe_records: empty batch; send at least one row");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_records": {"a": [1]}})"), 400,
                "dataframe_records: an object; an array of records");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_records": "x"})"), 400,
                "dataframe_records: \"x\" is a string; an array of records");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_records": [{"a": 1, "b": 2, "c": 3}]})", 3, no_names), 400,
                "dataframe_records: this model has no column names to match the records' keys with");
  decode_limits small;
  small.max_rows = 2;
  CHECK_REFUSAL(score_refusal(R"({"dataframe_records": [{"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 2, "c": 3},
                                                        {"a": 1, "b": 2, "c": 3}]})",
                              3, abc, small),
                413, "dataframe_records: more than 2 records; send at most that many per request");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}})"), 400,
                "dataframe_split.columns: \"c\" is missing");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_split": {"columns": ["a", "b", "x"], "data": [[1, 2, 3]]}})"), 400,
                "dataframe_split.columns[2]: \"x\" is not an input of the model");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_split": {"index": [1], "data": [[1, 2, 3], [4, 5, 6]]}})"), 400,
                "dataframe_split.index: 1 entry; dataframe_split.data has 2 rows");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_split": [[1, 2, 3]]})"), 400,
                "dataframe_split: an array; an object {\"columns\": [...], \"data\": [[...], ...]} is needed");
  CHECK_REFUSAL(score_refusal(R"({"dataframe_split": {"columns": ["a", "b", "c"]}})"), 400,
                "dataframe_split: no \"data\"");
  CHECK_REFUSAL(score_refusal(R"({"instances": [[1, 2]]})"), 400, "instances[0]: 2 values; the model reads 3");
  CHECK_REFUSAL(score_refusal(R"({"instances": {"a": [1]}})"), 400, "instances: an object; an array of rows");
  CHECK_REFUSAL(score_refusal(R"({"inputs": {"a": [1], "b": [2], "c": [3]}})"), 400,
                "inputs: an object; an array of rows is needed");
  // An Open Inference Protocol body sent to /score: the message says where it goes.
  CHECK_REFUSAL(score_refusal(R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}]})"),
                400,
                "inputs[0]: an object; a row (an array of numbers) is needed (an Open Inference Protocol request goes "
                "to POST /v2/models/NAME/infer)");
  // One form per body, the two named in a fixed order whichever came first.
  CHECK_REFUSAL(score_refusal(R"({"dataframe_records": [{"a": 1, "b": 2, "c": 3}], "data": [[1, 2, 3]]})"), 400,
                "data: the body has both \"data\" and \"dataframe_records\"; send one of them");
  CHECK_REFUSAL(score_refusal(R"({"instances": [[1, 2, 3]], "input_data": [[1, 2, 3]]})"), 400,
                "input_data: the body has both \"input_data\" and \"instances\"");
  CHECK_REFUSAL(score_refusal(R"({"inputs": [[1, 2, 3]], "inputs": [[1, 2, 3]]})"), 400, "inputs: given twice");
  CHECK_REFUSAL(score_refusal(R"({"rows": [[1, 2, 3]]})"), 400,
                "body: no \"data\" or \"input_data\"; send {\"data\": [[...], ...]} or {\"input_data\": {\"columns\": "
                "[...], \"data\": [[...], ...]}} (or MLflow's dataframe_split, dataframe_records, instances or "
                "inputs)");
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

TEST_CASE("shared memory and classification are refused; binary outputs asked for are recorded",
          "[serve][request][errors]") {
  const std::string body = R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}])";
  // tritonclient's defaults: InferRequestedOutput(name) asks for binary data; no outputs, binary_data_output.
  const auto one =
      decode_infer_request(body + R"(, "outputs": [{"name": "predictions", "parameters": {"binary_data": true}}]})", 3);
  CHECK(one.outputs == std::vector<std::string>{"predictions"});
  CHECK(one.output_binary == std::vector<std::optional<bool>>{true});
  CHECK(!one.binary_data_output);
  CHECK(!one.binary_input);
  const auto all = decode_infer_request(body + R"(, "parameters": {"binary_data_output": true}})", 3);
  CHECK(all.x == rows({{1, 2, 3}}));
  CHECK(all.binary_data_output);
  CHECK(all.output_binary.empty());
  const auto mixed = decode_infer_request(body + R"(, "parameters": {"binary_data_output": true},
      "outputs": [{"name": "probabilities"}, {"name": "served_by", "parameters": {"binary_data": false}}]})",
                                          3);
  CHECK(mixed.output_binary == std::vector<std::optional<bool>>{std::nullopt, false});
  CHECK(mixed.binary_data_output);
  CHECK_REFUSAL(infer_refusal(body + R"(, "outputs": [{"name": "predictions", "parameters": {"binary_data": 1}}]})"),
                400, "outputs[0].parameters.binary_data: 1 is a number; true or false is needed");
  CHECK_REFUSAL(infer_refusal(body + R"(, "parameters": {"binary_data_output": "yes"}})"), 400,
                "parameters.binary_data_output: \"yes\" is a string; true or false is needed");
  CHECK(!decode_infer_request(body + R"(, "parameters": {"binary_data_output": false}})", 3).binary_data_output);
  CHECK_REFUSAL(infer_refusal(R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP64",
                                               "parameters": {"shared_memory_region": "r"}}]})"),
                400, "inputs[0].parameters.shared_memory_region: the shared-memory extension is not supported");
  CHECK_REFUSAL(infer_refusal(body + R"(, "outputs": [{"name": "predictions", "parameters": {"classification": 2}}]})"),
                400, "outputs[0].parameters.classification: the classification extension is not supported");
  CHECK_REFUSAL(infer_refusal(body + R"(, "outputs": [{"parameters": {"binary_data": false}}]})"), 400,
                "outputs[0]: no \"name\"");
}

TEST_CASE("binary tensor data: inputs after the JSON, as tritonclient sends them", "[serve][request]") {
  SECTION("FP64, little-endian, row-major") {
    const auto r = decode_binary(binary_input("[2, 3]", "FP64", "48"),
                                 f64_1 + f64_m2 + f64_half + f64_quarter + f64_3 + f64_tenth);
    CHECK(r.x == rows({{1, -2, 0.5}, {0.25, 3, 0.1}}));
    CHECK(r.datatype == "FP64");
    CHECK(r.input_name == "input");
    CHECK(r.binary_input);
  }
  SECTION("FP32: the doubles of the floats sent") {
    const auto r = decode_binary(binary_input("[2, 2]", "FP32", "16"), f32_1 + f32_m2 + f32_half + f32_tenth, 2);
    CHECK(r.x == rows({{1, -2}, {0.5, static_cast<double>(0.1f)}}));
    CHECK(r.datatype == "FP32");
  }
  SECTION("shape [n_features] is one row; the keys in any order; outputs and id beside") {
    const auto r = decode_binary(
        R"({"id":"b-1","inputs":[{"parameters":{"binary_data_size":24},"datatype":"FP64","name":"x","shape":[3]}],)"
        R"("outputs":[{"name":"probabilities","parameters":{"binary_data":true}}]})",
        f64_3 + f64_1 + f64_m2);
    CHECK(r.x == rows({{3, 1, -2}}));
    CHECK(r.id == "b-1");
    CHECK(r.output_binary == std::vector<std::optional<bool>>{true});
  }
  SECTION("the same tensor in binary and in JSON decodes to the same doubles") {
    Eigen::MatrixXd x;
    const std::string text = rows_text(300, 7, &x);
    std::string bytes;
    for (Eigen::Index i = 0; i < x.rows(); ++i)
      for (Eigen::Index j = 0; j < x.cols(); ++j) {
        auto bits = std::bit_cast<std::uint64_t>(x(i, j));
        for (int b = 0; b < 8; ++b, bits >>= 8) bytes += static_cast<char>(bits & 0xff);
      }
    const auto from_json = decode_infer_request(
        R"({"inputs": [{"name": "x", "shape": [300, 7], "datatype": "FP64", "data": )" + text + "}]}", 7);
    const auto from_binary = decode_binary(binary_input("[300, 7]", "FP64", std::to_string(bytes.size())), bytes, 7);
    CHECK(from_binary.x == from_json.x);
    CHECK(from_binary.x == x);
  }
  SECTION("a header over an all-JSON request that has no trailing bytes is accepted") {
    const std::string body = R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}]})";
    CHECK(decode_infer_request(body, 3, {}, body.size()).x == rows({{1, 2, 3}}));
  }
  SECTION("NaN is a missing value where the model imputes") {
    decode_limits impute;
    impute.allow_missing = true;
    const auto r = decode_binary(binary_input("[3]", "FP64", "24"), f64_1 + f64_nan + f64_3, 3, impute);
    CHECK(r.x(0, 0) == 1);
    CHECK(std::isnan(r.x(0, 1)));
    CHECK(r.x(0, 2) == 3);
  }
}

TEST_CASE("binary tensor data that does not add up is refused, naming where", "[serve][request][errors]") {
  const std::string six = f64_1 + f64_m2 + f64_half + f64_quarter + f64_3 + f64_tenth;
  // The header: beyond the body, or not a number at all.
  CHECK_REFUSAL(binary_refusal(binary_input("[2, 3]", "FP64", "48"), six, 3, {}, 10000), 400,
                "Inference-Header-Content-Length: 10000 is beyond the body's");
  CHECK_REFUSAL(binary_refusal(binary_input("[2, 3]", "FP64", "48"), six, 3, {}, 0), 400,
                "Inference-Header-Content-Length: 0: the JSON part cannot be empty");
  CHECK(parse_inference_header_length("0") == 0);
  CHECK(parse_inference_header_length("123") == 123);
  CHECK(parse_inference_header_length("18446744073709551615") == std::numeric_limits<std::size_t>::max());
  for (const std::string_view bad : {"", "-5", " 5", "5 ", "+5", "0x10", "1e3", "12a"})
    CHECK_REFUSAL(refusal([&] { return parse_inference_header_length(bad); }), 400,
                  "Inference-Header-Content-Length: \"");
  CHECK_REFUSAL(refusal([] { return parse_inference_header_length("18446744073709551616"); }), 400,
                "Inference-Header-Content-Length: \"18446744073709551616\" is beyond any body");
  CHECK_REFUSAL(refusal([] { return parse_inference_header_length("99999999999999999999999"); }), 400,
                "Inference-Header-Content-Length: \"99999999999999999999999\" is beyond any body");
  // A header that cuts the JSON short leaves JSON that does not parse (one giving it no length: above).
  CHECK_REFUSAL(binary_refusal(binary_input("[2, 3]", "FP64", "48"), six, 3, {}, 20), 400,
                "body: not valid JSON at line 1, column");
  // Sizes that are not the shape's bytes in the datatype.
  CHECK_REFUSAL(binary_refusal(binary_input("[2, 3]", "FP64", "40"), six.substr(0, 40)), 400,
                "inputs[0].parameters.binary_data_size: 40 bytes; shape [2,3] of FP64 is 48 bytes");
  CHECK_REFUSAL(binary_refusal(binary_input("[2, 3]", "FP32", "48"), six), 400,
                "inputs[0].parameters.binary_data_size: 48 bytes; shape [2,3] of FP32 is 24 bytes");
  CHECK_REFUSAL(binary_refusal(binary_input("[2, 3]", "FP64", "18446744073709551615"), six), 400,
                "inputs[0].parameters.binary_data_size: 18446744073709551615 bytes; shape [2,3] of FP64 is 48 bytes");
  // Fewer bytes after the JSON than the input says, or more than the inputs take.
  CHECK_REFUSAL(binary_refusal(binary_input("[2, 3]", "FP64", "48"), six.substr(0, 40)), 400,
                "inputs[0].parameters.binary_data_size: 48 bytes, but 40 bytes of binary data follow the JSON part");
  CHECK_REFUSAL(binary_refusal(binary_input("[2, 3]", "FP64", "48"), six + "\x01\x02"s), 400,
                "body: 2 bytes after the JSON part (Inference-Header-Content-Length) that no input's binary_data_size "
                "accounts for");
  const std::string json_input = R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}]})";
  CHECK_REFUSAL(binary_refusal(json_input, "abc"), 400, "body: 3 bytes after the JSON part");
  // binary_data_size on an input sent in JSON, or with no header to find the bytes by.
  CHECK_REFUSAL(binary_refusal(R"({"inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "data": [1, 2, 3],
                                   "parameters": {"binary_data_size": 24}}]})",
                               f64_1 + f64_1 + f64_1),
                400, "inputs[0]: both \"data\" and parameters.binary_data_size");
  // Without the header the bytes would be read as JSON: the input is refused first, saying why.
  for (const std::string& body :
       {binary_input("[3]", "FP64", "24") + f64_1 + f64_1 + f64_1, binary_input("[3]", "FP64", "24")})
    CHECK_REFUSAL(infer_refusal(body), 400,
                  "inputs[0].parameters.binary_data_size: binary data, but the request has no "
                  "Inference-Header-Content-Length header");
  // binary_data_size itself: a non-negative integer, given once.
  CHECK_REFUSAL(binary_refusal(binary_input("[3]", "FP64", "-24"), f64_1), 400,
                "inputs[0].parameters.binary_data_size: -24 is a number; a size in bytes (a non-negative integer) is "
                "needed");
  CHECK_REFUSAL(binary_refusal(binary_input("[3]", "FP64", "24.0"), f64_1), 400,
                "inputs[0].parameters.binary_data_size: 24.0 is a number; a size in bytes");
  CHECK_REFUSAL(binary_refusal(binary_input("[3]", "FP64", "1e30"), f64_1), 400,
                "inputs[0].parameters.binary_data_size: 1e30 is a number; a size in bytes");
  CHECK_REFUSAL(binary_refusal(binary_input("[3]", "FP64", "100000000000000000000000000000"), f64_1), 400,
                "inputs[0].parameters.binary_data_size: 100000000000000000000000000000 is a number; a size in bytes");
  CHECK_REFUSAL(binary_refusal(binary_input("[3]", "FP64", R"("24")"), f64_1), 400,
                "inputs[0].parameters.binary_data_size: \"24\" is a string; a size in bytes");
  CHECK_REFUSAL(binary_refusal(binary_input("[3]", "FP64", "[24]"), f64_1), 400,
                "inputs[0].parameters.binary_data_size: an array; a size in bytes");
  CHECK_REFUSAL(binary_refusal(binary_input("[3]", "FP64", "24, \"binary_data_size\": 24"), f64_1 + f64_1 + f64_1), 400,
                "inputs[0].parameters.binary_data_size: given twice");
  // The values: infinities never, NaN only where the model imputes.
  CHECK_REFUSAL(binary_refusal(binary_input("[2, 2]", "FP64", "32"), f64_1 + f64_1 + f64_inf + f64_1, 2), 400,
                "inputs[0] binary element 2 (row 1, feature 0): inf; a finite number is needed");
  CHECK_REFUSAL(binary_refusal(binary_input("[2, 2]", "FP32", "16"), f32_1 + f32_minf + f32_1 + f32_1, 2), 400,
                "inputs[0] binary element 1 (row 0, feature 1): -inf; a finite number is needed");
  CHECK_REFUSAL(binary_refusal(binary_input("[3]", "FP64", "24"), f64_1 + f64_1 + f64_nan), 400,
                "inputs[0] binary element 2 (row 0, feature 2): NaN; a number is needed (this model is served without "
                "imputing missing values)");
  // The shape's checks hold as for JSON data; other datatypes are refused before any byte is read.
  CHECK_REFUSAL(binary_refusal(binary_input("[1, 4]", "FP64", "32"), six.substr(0, 32)), 400,
                "inputs[0].shape [1,4]: the model reads 3 features");
  CHECK_REFUSAL(binary_refusal(binary_input("[2, 3]", "INT32", "24"), six.substr(0, 24)), 400,
                "inputs[0].datatype: \"INT32\" is not supported");
  // The limits hold for the whole body and for the rows.
  decode_limits small;
  small.max_body_bytes = 100;
  small.max_rows = 1;
  CHECK_REFUSAL(binary_refusal(binary_input("[2, 3]", "FP64", "48"), six, 3, small), 413, "body: ");
  small.max_body_bytes = 1000;
  CHECK_REFUSAL(binary_refusal(binary_input("[2, 3]", "FP64", "48"), six, 3, small), 413,
                "inputs[0].shape [2,3]: 2 rows; send at most 1 per request");
}

TEST_CASE("binary outputs: after the JSON, as Triton sends them, where the request asks", "[serve][request]") {
  scored_rows s;
  s.labels = {"setosa", "versi\"color"};
  s.probabilities = rows({{0.5, 0.25}, {1, 3}});
  s.served_by = {"quantum", "cache"};
  const std::string predictions_bytes = "\x06\x00\x00\x00setosa\x0b\x00\x00\x00versi\"color"s;
  const std::string probabilities_bytes = f64_half + f64_quarter + f64_1 + f64_3;
  const std::string served_by_bytes = "\x07\x00\x00\x00quantum\x05\x00\x00\x00"s + "cache";

  SECTION("binary_data_output: every output in binary, in the JSON's order") {
    infer_request req;
    req.binary_data_output = true;
    const auto out = encode_infer_response_as_asked(req, s, "iris", "v3");
    REQUIRE(out.binary());
    const json head = json::parse(out.body.substr(0, out.json_size));
    const json& o = head.at("outputs");
    REQUIRE(o.size() == 3);
    CHECK(o[0] == json{{"name", "predictions"},
                       {"datatype", "BYTES"},
                       {"shape", {2}},
                       {"parameters", {{"binary_data_size", predictions_bytes.size()}}}});
    CHECK(o[1] == json{{"name", "probabilities"},
                       {"datatype", "FP64"},
                       {"shape", {2, 2}},
                       {"parameters", {{"binary_data_size", 32}}}});
    CHECK(o[2].at("parameters").at("binary_data_size") == served_by_bytes.size());
    CHECK(out.body.substr(out.json_size) == predictions_bytes + probabilities_bytes + served_by_bytes);
  }
  SECTION("an output's binary_data overrides the request's, either way") {
    infer_request req;
    req.outputs = {"served_by", "probabilities", "predictions"};
    req.output_binary = {false, true, std::nullopt};
    req.binary_data_output = true;
    const auto out = encode_infer_response_as_asked(req, s, "iris", "v3");
    const json head = json::parse(out.body.substr(0, out.json_size));
    const json& o = head.at("outputs");
    REQUIRE(o.size() == 3);
    CHECK(o[0].at("data") == json(s.served_by));
    CHECK(!o[0].contains("parameters"));
    CHECK(!o[1].contains("data"));
    CHECK(!o[2].contains("data"));
    CHECK(out.body.substr(out.json_size) == probabilities_bytes + predictions_bytes);
    req.binary_data_output = false;
    const auto one = encode_infer_response_as_asked(req, s, "iris", "v3");
    CHECK(one.body.substr(one.json_size) == probabilities_bytes);
    CHECK(json::parse(one.body.substr(0, one.json_size)).at("outputs")[2].at("data") == json(s.labels));
  }
  SECTION("nothing asked in binary: the JSON response, byte for byte") {
    infer_request req;
    req.id = "r";
    req.outputs = {"probabilities"};
    req.output_binary = {false};
    const auto out = encode_infer_response_as_asked(req, s, "iris", "v3");
    CHECK(!out.binary());
    CHECK(out.json_size == out.body.size());
    CHECK(out.body == encode_infer_response(req, s, "iris", "v3"));
  }
  SECTION("encode_infer_response answers in JSON whatever was asked") {
    infer_request req;
    req.binary_data_output = true;
    const json all = json::parse(encode_infer_response(req, s, "iris", "v3"));
    for (const json& o : all.at("outputs")) CHECK((o.contains("data") && !o.contains("parameters")));
  }
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

TEST_CASE("json_string quotes and escapes, and replaces bytes that are not UTF-8", "[serve][request]") {
  CHECK(json_string("") == "\"\"");
  CHECK(json_string("a \"q\" \\ b") == R"("a \"q\" \\ b")");
  CHECK(json_string("line\n\x01") == R"("line\n\u0001")");
  CHECK(json_string("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
  CHECK(json_string("bad \xff byte") == "\"bad \xef\xbf\xbd byte\"");
  CHECK(json::parse(json_string("x\ty")) == "x\ty");
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
