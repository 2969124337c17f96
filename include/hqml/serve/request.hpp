#pragma once
// hqml serve's request bodies and response bodies, without HTTP: Azure ML's scoring protocol
// ({"data": [[...]]} or pandas split orient under "input_data"), MLflow's scoring bodies (dataframe_split,
// dataframe_records, instances, inputs) and the Open Inference Protocol (KServe v2: JSON tensors, or binary
// ones after the JSON with the binary tensor data extension) in, the model's rows out; scored rows in, JSON
// bodies (and binary outputs where a v2 client asks for them) out.
//
// A body is read with nlohmann's SAX interface straight into the matrix: no DOM of the data is built, the
// parser keeps its nesting on the heap, and this reader refuses nesting deeper than detail::max_nesting, so a
// hostile body (a megabyte of '[', 16 MiB of rows) costs neither stack nor memory much beyond the body. Every
// refusal is a request_error whose one-line message starts with the JSON path of what is wrong:
//   input_data.data[3][2]: "abc" is a string; a number is needed

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <hqml/error.hpp>

namespace hqml::serve {

/// `s` as a JSON string, quotes included, for log lines and bodies written by hand: bytes that are not UTF-8
/// become U+FFFD instead of throwing (a path, a client's model name, a body logged with --log-payloads).
[[nodiscard]] inline std::string json_string(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace detail {

// `message` with control characters as \xNN: a refusal is one line of a log, a terminal or a JSON body.
inline std::string one_line(std::string_view message) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(message.size());
  for (const char ch : message) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace detail

/// A request the server refuses; status() is the HTTP status it answers with (400, or 413 for too large).
class request_error : public std::runtime_error {
 public:
  request_error(int status, const std::string& message)
      : std::runtime_error(detail::one_line(message)), status_(status) {}
  [[nodiscard]] int status() const noexcept { return status_; }

 private:
  int status_;
};

struct decode_limits {
  std::size_t max_body_bytes = std::size_t{16} << 20;  // 413 beyond
  std::size_t max_rows = 65536;                        // rows of one request; 413 beyond
  bool allow_missing = false;  // JSON null -> NaN (the model imputes); otherwise null is refused
};

struct decoded_rows {
  Eigen::MatrixXd x;               // rows x n_features, in the model's column order
  std::vector<std::string> index;  // AML split orient "index" entries as compact JSON text (empty if absent)
};

struct infer_request {
  std::string id;                    // the request's "id", echoed back (empty if absent)
  std::string input_name;            // the input tensor's name
  std::string datatype;              // "FP64" or "FP32"
  Eigen::MatrixXd x;                 // rows x n_features
  std::vector<std::string> outputs;  // names from "outputs":[{"name":...}] (empty: all)
  // Per entry of `outputs`: its "parameters": {"binary_data": ...} where given (the binary tensor data extension).
  std::vector<std::optional<bool>> output_binary;
  bool binary_data_output = false;  // "parameters": {"binary_data_output": true}: outputs binary unless one says not
  bool binary_input = false;        // the tensor came as binary data after the JSON, not as JSON numbers
};

/// An Open Inference Protocol response as it is sent: `body` starts with `json_size` bytes of JSON; the outputs
/// asked for in binary follow it (their bytes in the order of the JSON's outputs). Where any do, the HTTP
/// header Inference-Header-Content-Length carries json_size.
struct infer_response {
  std::string body;
  std::size_t json_size = 0;
  [[nodiscard]] bool binary() const noexcept { return json_size < body.size(); }
};

struct scored_rows {
  std::vector<std::string> labels;     // predicted class name per row
  Eigen::MatrixXd probabilities;       // rows x classes (calibrated)
  std::vector<std::string> served_by;  // "quantum", "classical" or "cache" per row
};

namespace detail {

// Deepest nesting a body may have: the protocols need 4 (v2: body, inputs, input, data rows) plus what a
// "parameters" object or a pandas index entry carries; deeper is refused before it costs anything.
inline constexpr std::size_t max_nesting = 64;

// Response bodies: a label or message that is not valid UTF-8 is written with U+FFFD instead of throwing.
template <class Json>
std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// A string of the body as a message quotes it: JSON-escaped, at most `max_bytes` of it (cut on a UTF-8
// character boundary; the parser has checked the encoding).
inline std::string json_quote(std::string_view s, std::size_t max_bytes = 64) {
  if (s.size() <= max_bytes) return json_string(s);
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
  std::string text = json_string(s.substr(0, cut));
  text.insert(text.size() - 1, "...");
  return text + " (" + std::to_string(s.size()) + " bytes)";
}

// "1 value", "5 values"; "1 entry", "2 entries".
inline std::string count_of(std::size_t n, std::string_view noun, std::string_view nouns = {}) {
  std::string text = std::to_string(n);
  text += ' ';
  if (n == 1 || nouns.empty()) {
    text += noun;
    if (n != 1) text += 's';
  } else {
    text += nouns;
  }
  return text;
}

[[noreturn]] inline void refuse(std::string_view path, std::string_view why, int status = 400) {
  std::string message(path);
  message += ": ";
  message += why;
  throw request_error(status, message);
}

// One JSON scalar as the parser reports it.
struct scalar {
  enum class kind { null, boolean, number, string } type = kind::null;
  double number = 0;                   // number: its value (finite: the parser refuses overflow)
  std::optional<std::uint64_t> whole;  // number: a non-negative integer within 64 bits, as written
  bool integer = false;                // number: written as an integer within 64 bits
  bool boolean = false;
  std::string_view text;  // number: as written; string: its value

  // What a message says it is: `1.5 is a number`, `"abc" is a string`, `true is a boolean`, `null`.
  [[nodiscard]] std::string describe() const {
    switch (type) {
      case kind::null:
        return "null";
      case kind::boolean:
        return boolean ? "true is a boolean" : "false is a boolean";
      case kind::number:
        return printable(text, 40) + " is a number";
      case kind::string:
        return json_quote(text) + " is a string";
    }
    return "a value";
  }

  // Compact JSON text, as nlohmann's dump writes the value.
  [[nodiscard]] std::string json() const {
    switch (type) {
      case kind::null:
        return "null";
      case kind::boolean:
        return boolean ? "true" : "false";
      case kind::number:
        return integer ? std::string(text) : dump(nlohmann::json(number));
      case kind::string:
        return json_string(text);
    }
    return "null";
  }
};

inline std::string container(bool array) { return array ? "an array" : "an object"; }

// The SAX handler both decoders share (CRTP): it turns nlohmann's events into the decoder's on_key,
// on_scalar, on_open and on_close calls and keeps the stack of open containers, from which a message renders
// the JSON path of the value at hand. The decoder gives each container a role (what it is in the protocol)
// in on_open and may throw request_error from any call; parsing stops there.
template <class Decoder, class Role>
class json_reader {
 public:
  using json = nlohmann::json;

  explicit json_reader(std::string_view body) : body_(body) {}

  bool null() { return put(scalar{}); }
  bool boolean(bool b) {
    scalar s;
    s.type = scalar::kind::boolean;
    s.boolean = b;
    return put(s);
  }
  bool number_integer(json::number_integer_t v) {
    number_text_ = std::to_string(v);
    scalar s;
    s.type = scalar::kind::number;
    s.number = static_cast<double>(v);
    s.integer = true;
    s.text = number_text_;
    return put(s);
  }
  bool number_unsigned(json::number_unsigned_t v) {
    number_text_ = std::to_string(v);
    scalar s;
    s.type = scalar::kind::number;
    s.number = static_cast<double>(v);
    s.whole = v;
    s.integer = true;
    s.text = number_text_;
    return put(s);
  }
  bool number_float(json::number_float_t v, const json::string_t& text) {
    scalar s;
    s.type = scalar::kind::number;
    s.number = v;
    s.text = text;
    return put(s);
  }
  bool string(json::string_t& v) {
    scalar s;
    s.type = scalar::kind::string;
    s.text = v;
    return put(s);
  }
  bool binary(json::binary_t&) { return false; }  // JSON text has no binary values
  bool start_object(std::size_t) { return open(false); }
  bool start_array(std::size_t) { return open(true); }
  bool key(json::string_t& k) {
    frames_.back().key = std::move(k);
    self().on_key(frames_.back());
    return true;
  }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool parse_error(std::size_t position, const std::string& token, const json::exception& e) {
    // 406: a number beyond double's range (1e400), which JSON allows and the model cannot read.
    if (e.id == 406) refuse(here(), printable(token, 40) + " is beyond the range of a double");
    // nlohmann's message reads "[json.exception.parse_error.101] parse error at line 1, column 17: why"; its
    // line and column are those after the last byte read (a line break read is column 0 of the next line),
    // so the position is the byte's own, counted here: `position` bytes were read.
    const std::string_view what(e.what());
    const auto colon = what.find(": ");
    std::string why = printable(colon == std::string_view::npos ? what : what.substr(colon + 2), 200);
    // The lexer stops at the first letter of NaN, Infinity or -Infinity.
    if (token.ends_with('N') || token.ends_with('I')) why += "; NaN and Infinity are not JSON numbers";
    const std::size_t at = std::min(position == 0 ? 0 : position - 1, body_.size());
    const std::size_t line_start = at == 0 ? 0 : body_.rfind('\n', at - 1) + 1;  // npos + 1 == 0
    const auto line = 1 + static_cast<std::size_t>(std::count(body_.begin(), body_.begin() + at, '\n'));
    refuse("body", "not valid JSON at line " + std::to_string(line) + ", column " +
                       std::to_string(at - line_start + 1) + " (" + why + ")");
  }

 protected:
  struct frame {
    Role role;
    bool array;
    std::size_t index = 0;  // array: elements read so far, the index of the next one; object: keys read
    std::string key;        // object: the key of the value at hand
    unsigned seen = 0;      // object: the known keys given so far (the decoder's bits)
  };

  // The JSON path of the first `depth` containers' current slots: "body" for none, "input_data.data[3]".
  [[nodiscard]] std::string path(std::size_t depth) const {
    std::string p;
    for (std::size_t i = 0; i < depth; ++i) {
      const frame& f = frames_[i];
      if (f.array) {
        p += '[';
        p += std::to_string(f.index);
        p += ']';
      } else if (identifier(f.key)) {
        if (!p.empty()) p += '.';
        p += f.key;
      } else {
        p += '[';
        p += json_quote(f.key, 32);
        p += ']';
      }
    }
    if (p.empty()) return "body";
    // 64 levels of 64-byte keys would be a 4 KiB path: keep its ends (on UTF-8 character boundaries).
    if (p.size() > 240) {
      const auto boundary = [&p](std::size_t k) {
        while (k > 0 && (static_cast<unsigned char>(p[k]) & 0xc0) == 0x80) --k;
        return k;
      };
      const std::size_t head = boundary(120), tail = boundary(p.size() - 100);
      p = p.substr(0, head) + "..." + p.substr(tail);
    }
    return p;
  }
  // The path of the value being read now.
  [[nodiscard]] std::string here() const { return path(frames_.size()); }
  // The path of the innermost open container.
  [[nodiscard]] std::string container_path() const { return path(frames_.size() - 1); }
  // The key of the innermost open object ("" in an array or at the top).
  [[nodiscard]] std::string_view slot_key() const {
    return frames_.empty() || frames_.back().array ? std::string_view() : std::string_view(frames_.back().key);
  }
  // Marks a known key of the innermost object seen; refuses it given twice.
  void once(unsigned bit) {
    frame& f = frames_.back();
    if (f.seen & bit) refuse(here(), "given twice; send it once");
    f.seen |= bit;
  }

  std::vector<frame> frames_;

 private:
  std::string_view body_;  // for the line and column of a syntax error
  static bool identifier(std::string_view key) {
    if (key.empty() || key.size() > 64) return false;
    for (const char c : key)
      if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    return true;
  }
  Decoder& self() { return static_cast<Decoder&>(*this); }
  bool put(const scalar& s) {
    self().on_scalar(s);
    advance();
    return true;
  }
  bool open(bool array) {
    if (frames_.size() >= max_nesting)
      refuse(here(), "nested deeper than " + std::to_string(max_nesting) + " levels; " + container(array) +
                         " is not expected there");
    const Role role = self().on_open(array);
    frames_.push_back(frame{role, array, 0, std::string(), 0});
    return true;
  }
  bool close() {
    self().on_close(frames_.back());
    frames_.pop_back();
    advance();
    return true;
  }
  void advance() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }

  std::string number_text_;
};

// The number a model feature reads from `s`: NaN for null where missing values are allowed.
inline double feature_value(const scalar& s, bool allow_missing, const std::string& path) {
  if (s.type == scalar::kind::number) return s.number;
  if (s.type == scalar::kind::null) {
    if (allow_missing) return std::numeric_limits<double>::quiet_NaN();
    refuse(path, "null; a number is needed (this model is served without imputing missing values)");
  }
  refuse(path, s.describe() + "; a number is needed");
}

// `values` (row-major, rows x cols) as the model's matrix, column j of the body going to column perm[j].
inline Eigen::MatrixXd to_matrix(const std::vector<double>& values, std::size_t rows, std::size_t cols,
                                 const std::vector<std::size_t>& perm = {}) {
  using row_major = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const row_major> body(values.data(), static_cast<Eigen::Index>(rows),
                                         static_cast<Eigen::Index>(cols));
  if (perm.empty()) return body;
  Eigen::MatrixXd x(body.rows(), body.cols());
  for (std::size_t j = 0; j < cols; ++j)
    x.col(static_cast<Eigen::Index>(perm[j])) = body.col(static_cast<Eigen::Index>(j));
  return x;
}

// The body size check every decoder makes first, before parsing.
inline void check_size(std::string_view body, const decode_limits& limits) {
  if (body.size() > limits.max_body_bytes)
    refuse("body",
           std::to_string(body.size()) + " bytes; the limit is " + std::to_string(limits.max_body_bytes) +
               " bytes (send fewer rows per request)",
           413);
}

template <class Reader>
void parse(std::string_view body, Reader& reader) {
  // The reader throws request_error for what it refuses; false comes back only from binary(), which JSON
  // text never reaches.
  if (!nlohmann::json::sax_parse(body.data(), body.data() + body.size(), &reader)) refuse("body", "not valid JSON");
}

enum class score_role { body, rows, row, input_data, columns, index, index_value, records, record, skip };

// The body's keys that hold the rows, one per body; the index is the key's bit in the body frame's `seen`.
// data: Azure ML; input_data: Azure ML's MLflow models (rows, or pandas split orient); dataframe_split,
// dataframe_records, instances, inputs: MLflow's scoring server.
inline constexpr std::string_view score_forms[] = {"data",      "input_data", "dataframe_split", "dataframe_records",
                                                   "instances", "inputs"};

// Azure ML and MLflow scoring bodies: {"data": rows}, {"input_data": rows} (MLflow's tensor form),
// {"input_data" or "dataframe_split": {"columns": [...], "index": [...], "data": rows}} (pandas split orient),
// {"dataframe_records": [{"column": value, ...}, ...]} (pandas records orient), {"instances": rows} or
// {"inputs": rows}; the keys in any order.
class score_reader : public json_reader<score_reader, score_role> {
  friend class json_reader<score_reader, score_role>;

 public:
  score_reader(std::string_view body, std::size_t n_features, std::span<const std::string> columns,
               const decode_limits& limits)
      : json_reader(body), n_(n_features), columns_(columns), limits_(limits) {
    if (n_features == 0) throw std::invalid_argument("hqml::serve: a model reads at least one feature");
    if (!columns.empty()) {
      if (columns.size() != n_features)
        throw std::invalid_argument("hqml::serve: " + std::to_string(columns.size()) + " column names for " +
                                    std::to_string(n_features) + " features");
      for (std::size_t j = 0; j < columns.size(); ++j)
        if (!by_name_.emplace(columns[j], j).second)
          throw std::invalid_argument("hqml::serve: the model's column " + json_quote(columns[j]) + " is named twice");
      body_column_.assign(n_features, npos);
    }
  }

  decoded_rows finish() {
    if (!have_rows_)
      refuse("body",
             "no \"data\" or \"input_data\"; send {\"data\": [[...], ...]} or "
             "{\"input_data\": {\"columns\": [...], \"data\": [[...], ...]}} (or MLflow's dataframe_split, "
             "dataframe_records, instances or inputs)");
    decoded_rows out;
    out.x = to_matrix(values_, rows_, n_, named_columns_ ? perm_ : std::vector<std::size_t>{});
    out.index = std::move(index_);
    return out;
  }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  enum : unsigned { key_data = 1, key_columns = 4, key_index = 8 };
  static constexpr std::size_t no_form = std::size(score_forms);

  static std::size_t form_of(std::string_view key) {
    return static_cast<std::size_t>(std::find(std::begin(score_forms), std::end(score_forms), key) -
                                    std::begin(score_forms));
  }

  void on_key(frame& f) {
    if (f.role == score_role::body) {
      const std::size_t form = form_of(f.key);
      if (form == no_form) return;
      once(1u << form);
      // A second form: the two named in the table's order ("data" before "input_data").
      for (std::size_t other = 0; other < no_form; ++other)
        if (other != form && (f.seen & (1u << other)))
          refuse(here(), "the body has both " + json_quote(score_forms[std::min(form, other)]) + " and " +
                             json_quote(score_forms[std::max(form, other)]) + "; send one of them");
    } else if (f.role == score_role::record) {
      const auto it = by_name_.find(f.key);
      if (it == by_name_.end())
        refuse(here(), json_quote(f.key) + " is not an input of the model (" + model_columns() + ")");
      if (record_seen_[it->second]) refuse(here(), "given twice; send it once");
      record_seen_[it->second] = true;
      record_column_ = it->second;
    } else if (f.role == score_role::input_data) {
      if (f.key == "columns") once(key_columns);
      if (f.key == "index") once(key_index);
      if (f.key == "data") once(key_data);
    } else if (f.role == score_role::index_value) {
      if (f.index++ > 0) capture_ += ',';
      capture_ += json_string(f.key);
      capture_ += ':';
    }
  }

  score_role on_open(bool array) {
    if (frames_.empty()) {
      if (array)
        refuse("body", "an array; a JSON object is needed, {\"data\": [[...], ...]} or {\"input_data\": {...}}");
      return score_role::body;
    }
    frame& top = frames_.back();
    const std::string_view key = slot_key();
    switch (top.role) {
      case score_role::body:
        if (key == "data" || key == "instances" || key == "inputs") {
          if (!array) refuse(here(), "an object; an array of rows is needed");
          form_ = std::string(key);
          return start_rows();
        }
        if (key == "input_data") return array ? start_rows() : score_role::input_data;
        if (key == "dataframe_split") {
          if (array) refuse(here(), "an array; an object {\"columns\": [...], \"data\": [[...], ...]} is needed");
          return score_role::input_data;
        }
        if (key == "dataframe_records") {
          if (!array) refuse(here(), "an object; an array of records [{\"column\": value, ...}, ...] is needed");
          if (columns_.empty())
            refuse(here(),
                   "this model has no column names to match the records' keys with; send dataframe_split "
                   "or data, the columns in the model's order");
          have_rows_ = true;
          return score_role::records;
        }
        return score_role::skip;
      case score_role::input_data:
        if (key == "columns") {
          if (!array) refuse(here(), "an object; an array of column names is needed");
          return score_role::columns;
        }
        if (key == "index") {
          if (!array) refuse(here(), "an object; an array (one entry per row) is needed");
          have_index_ = true;
          return score_role::index;
        }
        if (key == "data") {
          if (!array) refuse(here(), "an object; an array of rows is needed");
          return start_rows();
        }
        return score_role::skip;
      case score_role::rows:
        if (!array)
          refuse(here(), form_ == "inputs" ? "an object; a row (an array of numbers) is needed (an Open Inference "
                                             "Protocol request goes to POST /v2/models/NAME/infer)"
                                           : "an object; a row (an array of numbers) is needed");
        if (rows_ == limits_.max_rows)
          refuse(container_path(),
                 "more than " + count_of(limits_.max_rows, "row") + "; send at most that many per request", 413);
        ++rows_;
        row_length_ = 0;
        return score_role::row;
      case score_role::row:
        refuse(here(), container(array) + "; a number is needed");
      case score_role::columns:
        refuse(here(), container(array) + "; a column name is needed");
      case score_role::index:
        check_index_count();
        capture_ = array ? "[" : "{";
        return score_role::index_value;
      case score_role::index_value:
        if (top.array && top.index > 0) capture_ += ',';
        capture_ += array ? '[' : '{';
        return score_role::index_value;
      case score_role::records:
        if (array) refuse(here(), "an array; a record {\"column\": value, ...} is needed");
        if (rows_ == limits_.max_rows)
          refuse(container_path(),
                 "more than " + count_of(limits_.max_rows, "record") + "; send at most that many per request", 413);
        ++rows_;
        // The record's values go straight to the model's columns; NaN until given (a missing one is refused).
        values_.resize(values_.size() + n_, std::numeric_limits<double>::quiet_NaN());
        record_seen_.assign(n_, false);
        return score_role::record;
      case score_role::record:
        refuse(here(), container(array) + "; a number is needed");
      case score_role::skip:
        return score_role::skip;
    }
    return score_role::skip;
  }

  void on_scalar(const scalar& s) {
    if (frames_.empty())
      refuse("body", s.describe() + "; a JSON object is needed, {\"data\": [[...], ...]} or {\"input_data\": {...}}");
    frame& top = frames_.back();
    const std::string_view key = slot_key();
    switch (top.role) {
      case score_role::body:
        if (key == "data" || key == "instances" || key == "inputs")
          refuse(here(), s.describe() + "; an array of rows is needed");
        if (key == "input_data" || key == "dataframe_split")
          refuse(here(), s.describe() + "; an object {\"columns\": [...], \"data\": [[...], ...]} is needed");
        if (key == "dataframe_records")
          refuse(here(), s.describe() + "; an array of records [{\"column\": value, ...}, ...] is needed");
        return;
      case score_role::input_data:
        if (key == "columns") refuse(here(), s.describe() + "; an array of column names is needed");
        if (key == "index") refuse(here(), s.describe() + "; an array (one entry per row) is needed");
        if (key == "data") refuse(here(), s.describe() + "; an array of rows is needed");
        return;
      case score_role::rows:
        refuse(here(), s.describe() + "; a row (an array of numbers) is needed");
      case score_role::row: {
        const double v = feature_value(s, limits_.allow_missing, s.type == scalar::kind::number ? "" : here());
        // A row longer than the model's is refused when it ends (with its length); nothing past n is kept.
        if (row_length_ < n_) values_.push_back(v);
        ++row_length_;
        return;
      }
      case score_role::columns:
        column(s, top.index);
        return;
      case score_role::index:
        check_index_count();
        index_.push_back(s.json());
        return;
      case score_role::index_value:
        if (top.array && top.index > 0) capture_ += ',';
        capture_ += s.json();
        return;
      case score_role::records:
        refuse(here(), s.describe() + "; a record {\"column\": value, ...} is needed");
      case score_role::record:
        values_[(rows_ - 1) * n_ + record_column_] =
            feature_value(s, limits_.allow_missing, s.type == scalar::kind::number ? "" : here());
        return;
      case score_role::skip:
        return;
    }
  }

  void on_close(const frame& f) {
    switch (f.role) {
      case score_role::rows:
      case score_role::records:
        if (rows_ == 0) refuse(container_path(), "empty batch; send at least one row");
        return;
      case score_role::record:
        for (std::size_t j = 0; j < n_; ++j)
          if (!record_seen_[j])
            refuse(container_path(), json_quote(columns_[j]) + " is missing (" + model_columns() + ")");
        return;
      case score_role::row:
        if (row_length_ != n_)
          refuse(container_path(), count_of(row_length_, "value") + "; the model reads " + count_of(n_, "feature"));
        return;
      case score_role::columns:
        finish_columns();
        return;
      case score_role::index_value:
        capture_ += f.array ? ']' : '}';
        if (frames_[frames_.size() - 2].role == score_role::index) index_.push_back(std::move(capture_));
        return;
      case score_role::input_data:
        if (!(f.seen & key_data))
          refuse(container_path(), "no \"data\"; send {\"columns\": [...], \"data\": [[...], ...]}");
        if (have_index_ && index_.size() != rows_)
          refuse(container_path() + ".index", count_of(index_.size(), "entry", "entries") + "; " + container_path() +
                                                  ".data has " + count_of(rows_, "row"));
        return;
      default:
        return;
    }
  }

  score_role start_rows() {
    have_rows_ = true;
    return score_role::rows;
  }

  void check_index_count() {
    if (index_.size() == limits_.max_rows)
      refuse(container_path(),
             "more than " + std::to_string(limits_.max_rows) + " entries; send at most " +
                 count_of(limits_.max_rows, "row") + " per request",
             413);
  }

  // Column `i` of the body. With the model's names, it is matched by name; without, only counted.
  void column(const scalar& s, std::size_t i) {
    ++body_columns_;
    if (columns_.empty()) return;
    named_columns_ = true;
    if (s.type != scalar::kind::string) refuse(here(), s.describe() + "; a column name (a string) is needed");
    const auto it = by_name_.find(std::string(s.text));
    if (it == by_name_.end())
      refuse(here(), json_quote(s.text) + " is not an input of the model (" + model_columns() + ")");
    if (body_column_[it->second] != npos)
      refuse(here(), json_quote(s.text) + " is given twice (also " + container_path() + "[" +
                         std::to_string(body_column_[it->second]) + "])");
    body_column_[it->second] = i;
    perm_.push_back(it->second);
  }

  void finish_columns() {
    if (columns_.empty()) {
      if (body_columns_ != n_)
        refuse(container_path(), count_of(body_columns_, "name") + "; the model reads " + count_of(n_, "feature"));
      return;
    }
    named_columns_ = true;
    for (std::size_t j = 0; j < n_; ++j)
      if (body_column_[j] == npos)
        refuse(container_path(), json_quote(columns_[j]) + " is missing (" + model_columns() + ")");
  }

  // "the model reads 3 features: "a", "b", "c"", at most 8 names of them.
  std::string model_columns() const {
    std::string text = "the model reads " + count_of(n_, "feature") + ": ";
    for (std::size_t j = 0; j < columns_.size() && j < 8; ++j) {
      if (j) text += ", ";
      text += json_quote(columns_[j], 32);
    }
    if (columns_.size() > 8) text += ", ...";
    return text;
  }

  std::size_t n_;
  std::span<const std::string> columns_;
  const decode_limits& limits_;
  std::unordered_map<std::string, std::size_t> by_name_;  // the model's column name -> its index
  std::vector<std::size_t> body_column_;                  // the model's column -> the body's column (npos: none yet)
  std::vector<std::size_t> perm_;                         // the body's column -> the model's column
  std::size_t body_columns_ = 0;
  bool named_columns_ = false;
  bool have_rows_ = false;
  std::size_t rows_ = 0, row_length_ = 0;
  std::vector<double> values_;  // the rows, row-major, in the body's column order
  bool have_index_ = false;
  std::vector<std::string> index_;
  std::string capture_;            // the index entry being read, an array or object, as compact JSON text
  std::string form_;               // the body's key of the rows when they are an array of rows ("data", ...)
  std::vector<bool> record_seen_;  // dataframe_records: the model's columns the record at hand has given
  std::size_t record_column_ = 0;  // dataframe_records: the model's column of the value at hand
};

enum class infer_role {
  body,
  inputs,
  input,
  shape,
  data,
  data_row,
  input_parameters,
  outputs,
  output,
  output_parameters,
  parameters,
  skip
};

// Open Inference Protocol (KServe v2) inference requests: the JSON part, and the binary part after it where the
// request has one (`binary`: the bytes after the JSON; nullopt: no Inference-Header-Content-Length, all JSON).
class infer_reader : public json_reader<infer_reader, infer_role> {
  friend class json_reader<infer_reader, infer_role>;

 public:
  infer_reader(std::string_view json_part, std::size_t n_features, const decode_limits& limits,
               std::optional<std::string_view> binary = std::nullopt)
      : json_reader(json_part), n_(n_features), limits_(limits), binary_(binary) {
    if (n_features == 0) throw std::invalid_argument("hqml::serve: a model reads at least one feature");
    max_values_ = limits.max_rows > std::numeric_limits<std::size_t>::max() / n_features
                      ? std::numeric_limits<std::size_t>::max()
                      : limits.max_rows * n_features;
  }

  infer_request finish() {
    if (!have_inputs_)
      refuse("body", "no \"inputs\"; send {\"inputs\": [{\"name\": \"x\", \"shape\": [rows, " + std::to_string(n_) +
                         "], \"datatype\": \"FP64\", \"data\": [...]}]}");
    if (binary_ && binary_used_ != binary_->size())
      refuse("body", count_of(binary_->size() - binary_used_, "byte") +
                         " after the JSON part (Inference-Header-Content-Length) that no input's binary_data_size "
                         "accounts for; send only the tensors' bytes after it");
    return std::move(request_);
  }

 private:
  enum : unsigned { key_id = 1, key_inputs = 2, key_outputs = 4, key_parameters = 8 };
  enum : unsigned { key_name = 1, key_shape = 2, key_datatype = 4, key_data = 8, key_input_parameters = 16 };
  enum : unsigned { key_output_name = 1, key_output_parameters = 2 };
  enum : unsigned { key_binary_data_size = 1 };

  void on_key(frame& f) {
    const std::string_view k = f.key;
    switch (f.role) {
      case infer_role::body:
        if (k == "id") once(key_id);
        if (k == "inputs") once(key_inputs);
        if (k == "outputs") once(key_outputs);
        if (k == "parameters") once(key_parameters);
        return;
      case infer_role::input:
        if (k == "name") once(key_name);
        if (k == "shape") once(key_shape);
        if (k == "datatype") once(key_datatype);
        if (k == "data") once(key_data);
        if (k == "parameters") once(key_input_parameters);
        return;
      case infer_role::input_parameters:
        if (k == "binary_data_size") once(key_binary_data_size);
        if (k.starts_with("shared_memory_"))
          refuse(here(), "the shared-memory extension is not supported; send the tensor as JSON numbers in \"data\"");
        return;
      case infer_role::output:
        if (k == "name") once(key_output_name);
        if (k == "parameters") once(key_output_parameters);
        return;
      case infer_role::output_parameters:
        if (k.starts_with("shared_memory_"))
          refuse(here(), "the shared-memory extension is not supported; leave it out to get the output as JSON");
        if (k == "classification")
          refuse(here(),
                 "the classification extension is not supported; ask for \"predictions\" (the class "
                 "names) and \"probabilities\"");
        return;
      default:
        return;
    }
  }

  infer_role on_open(bool array) {
    if (frames_.empty()) {
      if (array) refuse("body", "an array; a JSON object is needed, {\"inputs\": [...]}");
      return infer_role::body;
    }
    const frame& top = frames_.back();
    const std::string_view key = slot_key();
    const auto need_array = [&](std::string_view what) {
      if (!array) refuse(here(), "an object; " + std::string(what) + " is needed");
    };
    const auto need_object = [&] {
      if (array) refuse(here(), "an array; an object is needed");
    };
    switch (top.role) {
      case infer_role::body:
        if (key == "inputs") {
          need_array("an array of inputs");
          have_inputs_ = true;
          return infer_role::inputs;
        }
        if (key == "outputs") {
          need_array("an array of outputs");
          return infer_role::outputs;
        }
        if (key == "parameters") {
          need_object();
          return infer_role::parameters;
        }
        if (key == "id") refuse(here(), container(array) + "; a string is needed");
        return infer_role::skip;
      case infer_role::inputs:
        if (array) refuse(here(), "an array; an input {\"name\", \"shape\", \"datatype\", \"data\"} is needed");
        if (top.index > 0)
          refuse(container_path(), "more than one input; this model reads one tensor, send exactly one");
        binary_size_.reset();
        return infer_role::input;
      case infer_role::input:
        if (key == "shape") {
          need_array("an array of dimensions");
          return infer_role::shape;
        }
        if (key == "data") {
          need_array("an array of numbers");
          data_path_ = here();
          return infer_role::data;
        }
        if (key == "parameters") {
          need_object();
          return infer_role::input_parameters;
        }
        if (key == "name" || key == "datatype") refuse(here(), container(array) + "; a string is needed");
        return infer_role::skip;
      case infer_role::shape:
        refuse(here(), container(array) + "; a dimension (a non-negative integer) is needed");
      case infer_role::data:
        if (!array) refuse(here(), "an object; a number is needed");
        if (flat_) refuse(here(), "an array among numbers; send the data flat or nested to the shape, not both");
        nested_ = true;
        row_length_ = 0;
        return infer_role::data_row;
      case infer_role::data_row:
        refuse(here(), container(array) + "; a number is needed (data nests at most two deep, [rows][features])");
      case infer_role::outputs:
        if (array) refuse(here(), "an array; an output {\"name\": ...} is needed");
        output_name_.reset();
        output_binary_.reset();
        return infer_role::output;
      case infer_role::output:
        if (key == "parameters") {
          need_object();
          return infer_role::output_parameters;
        }
        if (key == "name") refuse(here(), container(array) + "; a string is needed");
        return infer_role::skip;
      case infer_role::output_parameters:
      case infer_role::parameters:
        if (key == "binary_data" || key == "binary_data_output")
          refuse(here(), container(array) + "; true or false is needed");
        return infer_role::skip;
      case infer_role::input_parameters:
        if (key == "binary_data_size") refuse(here(), container(array) + "; " + size_needed);
        return infer_role::skip;
      default:
        return infer_role::skip;
    }
  }

  void on_scalar(const scalar& s) {
    if (frames_.empty()) refuse("body", s.describe() + "; a JSON object is needed, {\"inputs\": [...]}");
    const frame& top = frames_.back();
    const std::string_view key = slot_key();
    const auto need_string = [&] {
      if (s.type != scalar::kind::string) refuse(here(), s.describe() + "; a string is needed");
      return std::string(s.text);
    };
    switch (top.role) {
      case infer_role::body:
        if (key == "id") request_.id = need_string();
        if (key == "inputs" || key == "outputs") refuse(here(), s.describe() + "; an array is needed");
        if (key == "parameters") refuse(here(), s.describe() + "; an object is needed");
        return;
      case infer_role::inputs:
        refuse(here(), s.describe() + "; an input {\"name\", \"shape\", \"datatype\", \"data\"} is needed");
      case infer_role::input:
        if (key == "name") request_.input_name = need_string();
        if (key == "datatype") {
          request_.datatype = need_string();
          if (request_.datatype != "FP64" && request_.datatype != "FP32")
            refuse(here(), json_quote(request_.datatype) + " is not supported; send FP64 or FP32");
        }
        if (key == "shape" || key == "data") refuse(here(), s.describe() + "; an array is needed");
        if (key == "parameters") refuse(here(), s.describe() + "; an object is needed");
        return;
      case infer_role::shape:
        if (!s.whole) refuse(here(), s.describe() + "; a dimension is a non-negative integer");
        if (shape_.size() == 2)
          refuse(container_path(),
                 "more than two dimensions; send [rows, " + std::to_string(n_) + "] or [" + std::to_string(n_) + "]");
        shape_.push_back(*s.whole);
        return;
      case infer_role::data:
        if (nested_) refuse(here(), s.describe() + " among rows; send the data flat or nested to the shape, not both");
        flat_ = true;
        take(s);
        return;
      case infer_role::data_row:
        take(s);
        ++row_length_;
        return;
      case infer_role::outputs:
        refuse(here(), s.describe() + "; an output {\"name\": ...} is needed");
      case infer_role::output:
        if (key == "name") output_name_ = need_string();
        if (key == "parameters") refuse(here(), s.describe() + "; an object is needed");
        return;
      case infer_role::output_parameters:
      case infer_role::parameters:
        if (key == "binary_data" || key == "binary_data_output") {
          if (s.type != scalar::kind::boolean) refuse(here(), s.describe() + "; true or false is needed");
          // tritonclient's defaults: InferRequestedOutput(name) asks for binary_data, a request listing no
          // outputs sends "binary_data_output": true. Each key counts where the extension puts it.
          if (top.role == infer_role::output_parameters && key == "binary_data") output_binary_ = s.boolean;
          if (top.role == infer_role::parameters && key == "binary_data_output")
            request_.binary_data_output = s.boolean;
        }
        return;
      case infer_role::input_parameters:
        if (key == "binary_data_size") {
          if (!s.whole) refuse(here(), s.describe() + "; " + size_needed);
          binary_size_ = *s.whole;
          binary_size_path_ = here();
        }
        return;
      default:
        return;
    }
  }

  void on_close(const frame& f) {
    switch (f.role) {
      case infer_role::shape:
        check_shape();
        return;
      case infer_role::data_row:
        if (rows_ == 0) {
          row_width_ = row_length_;
          first_row_path_ = container_path();
        } else if (row_length_ != row_width_) {
          refuse(container_path(),
                 count_of(row_length_, "value") + "; " + first_row_path_ + " has " + std::to_string(row_width_));
        }
        ++rows_;
        return;
      case infer_role::input:
        finish_input(f);
        return;
      case infer_role::inputs:
        if (f.index == 0) refuse(container_path(), "no input; send exactly one");
        return;
      case infer_role::output:
        if (!output_name_) refuse(container_path(), "no \"name\"; name the output, {\"name\": \"predictions\"}");
        request_.outputs.push_back(std::move(*output_name_));
        request_.output_binary.push_back(output_binary_);
        return;
      default:
        return;
    }
  }

  void take(const scalar& s) {
    const double v = feature_value(s, limits_.allow_missing, s.type == scalar::kind::number ? "" : here());
    if (values_.size() == max_values_)
      refuse(data_path_,
             "more than " + count_of(max_values_, "value") + "; send at most " + count_of(limits_.max_rows, "row") +
                 " of " + std::to_string(n_) + " per request",
             413);
    values_.push_back(v);
  }

  // "[2,3]", as the messages show a shape.
  std::string shape_text() const {
    std::string text = "[";
    for (std::size_t i = 0; i < shape_.size(); ++i) {
      if (i) text += ',';
      text += std::to_string(shape_[i]);
    }
    return text + "]";
  }

  void check_shape() {
    const std::string where = container_path() + " " + shape_text();
    const std::string send = "send [rows, " + std::to_string(n_) + "] or [" + std::to_string(n_) + "]";
    if (shape_.empty()) refuse(where, "no dimensions; " + send);
    if (shape_.back() != n_) refuse(where, "the model reads " + count_of(n_, "feature") + "; " + send);
    if (shape_.size() == 2) {
      if (shape_[0] == 0) refuse(where, "empty batch; send at least one row");
      if (shape_[0] > limits_.max_rows)
        refuse(where,
               count_of(shape_[0], "row") + "; send at most " + std::to_string(limits_.max_rows) + " per request", 413);
    }
  }

  void finish_input(const frame& f) {
    const std::string where = container_path();
    if (!(f.seen & key_name)) refuse(where, "no \"name\"; name the input tensor");
    if (!(f.seen & key_datatype)) refuse(where, "no \"datatype\"; send \"FP64\" or \"FP32\"");
    if (!(f.seen & key_shape)) refuse(where, "no \"shape\"; send [rows, " + std::to_string(n_) + "]");
    // check_shape bounds the rows by max_rows and the columns are n: the product does not overflow.
    const std::size_t rows = shape_.size() == 2 ? static_cast<std::size_t>(shape_[0]) : 1;
    const std::size_t elements = rows * n_;
    if (binary_size_) {
      if (f.seen & key_data)
        refuse(where,
               "both \"data\" and parameters.binary_data_size; send the tensor as JSON numbers or as binary "
               "data after the JSON, not both");
      read_binary(where, rows, elements);
      return;
    }
    if (!(f.seen & key_data)) refuse(where, "no \"data\"; send the tensor as JSON numbers in \"data\"");
    if (values_.size() != elements)
      refuse(where + ".shape " + shape_text(),
             count_of(elements, "element") + ", data has " + std::to_string(values_.size()));
    if (nested_ && shape_.size() == 1)
      refuse(data_path_, "rows nested in the data, but shape " + shape_text() + " is one row; send it flat");
    if (nested_ && row_width_ != n_)
      refuse(data_path_, "rows of " + count_of(row_width_, "value") + "; shape " + shape_text() + " has rows of " +
                             std::to_string(n_));
    request_.x = to_matrix(values_, rows, n_);
  }

  // The input's tensor from the binary part: binary_data_size bytes from where the previous input's ended,
  // little-endian IEEE doubles (FP64) or floats (FP32), row-major.
  void read_binary(const std::string& where, std::size_t rows, std::size_t elements) {
    if (!binary_)
      refuse(binary_size_path_,
             "binary data, but the request has no Inference-Header-Content-Length header (the length of its JSON "
             "part); send that header, or the tensor as JSON numbers in \"data\"");
    const std::size_t width = request_.datatype == "FP64" ? 8 : 4;
    const std::uint64_t want = static_cast<std::uint64_t>(elements) * width;
    if (*binary_size_ != want)
      refuse(binary_size_path_, std::to_string(*binary_size_) + (*binary_size_ == 1 ? " byte" : " bytes") + "; shape " +
                                    shape_text() + " of " + request_.datatype + " is " +
                                    count_of(static_cast<std::size_t>(want), "byte"));
    const std::size_t left = binary_->size() - binary_used_;
    if (want > left)
      refuse(binary_size_path_, count_of(static_cast<std::size_t>(want), "byte") + ", but " + count_of(left, "byte") +
                                    " of binary data follow the JSON part (Inference-Header-Content-Length)");
    const std::string_view bytes = binary_->substr(binary_used_, static_cast<std::size_t>(want));
    binary_used_ += static_cast<std::size_t>(want);
    Eigen::MatrixXd x(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(n_));
    for (std::size_t k = 0; k < elements; ++k) {
      // Assembled byte by byte: little-endian whatever this machine's order.
      std::uint64_t bits = 0;
      for (std::size_t b = width; b-- > 0;) bits = (bits << 8) | static_cast<unsigned char>(bytes[k * width + b]);
      double v = width == 8 ? std::bit_cast<double>(bits)
                            : static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(bits)));
      if (!std::isfinite(v)) {
        const std::string at = where + " binary element " + std::to_string(k) + " (row " + std::to_string(k / n_) +
                               ", feature " + std::to_string(k % n_) + ")";
        if (!std::isnan(v)) refuse(at, std::string(v > 0 ? "inf" : "-inf") + "; a finite number is needed");
        if (!limits_.allow_missing)
          refuse(at, "NaN; a number is needed (this model is served without imputing missing values)");
        v = std::numeric_limits<double>::quiet_NaN();  // a missing value, as null is in JSON
      }
      x(static_cast<Eigen::Index>(k / n_), static_cast<Eigen::Index>(k % n_)) = v;
    }
    request_.x = std::move(x);
    request_.binary_input = true;
  }

  static constexpr const char size_needed[] = "a size in bytes (a non-negative integer) is needed";

  std::size_t n_;
  const decode_limits& limits_;
  std::optional<std::string_view> binary_;  // the bytes after the JSON part, where the request has one
  std::size_t binary_used_ = 0;             // of binary_, taken by the inputs read so far
  std::optional<std::uint64_t> binary_size_;
  std::string binary_size_path_;
  std::optional<bool> output_binary_;
  std::size_t max_values_;
  infer_request request_;
  bool have_inputs_ = false;
  std::vector<std::uint64_t> shape_;
  std::string data_path_;
  std::vector<double> values_;  // the tensor, row-major
  bool flat_ = false, nested_ = false;
  std::size_t rows_ = 0, row_length_ = 0, row_width_ = 0;
  std::string first_row_path_;
  std::optional<std::string> output_name_;
};

inline constexpr std::string_view output_names[] = {"predictions", "probabilities", "served_by"};

inline void check_scored(const scored_rows& r) {
  const auto n = r.labels.size();
  if (static_cast<std::size_t>(r.probabilities.rows()) != n || r.served_by.size() != n)
    throw std::invalid_argument("hqml::serve: scored rows of " + std::to_string(n) + " labels, " +
                                std::to_string(r.probabilities.rows()) + " probability rows and " +
                                std::to_string(r.served_by.size()) + " served_by entries");
}

}  // namespace detail

/// Azure ML scoring body: {"data": [[...], ...]} or {"input_data": {"columns": [...], "index": [...], "data": [[...],
/// ...]}} (pandas split orient; also MLflow's {"input_data": [[...], ...]}), or MLflow's scoring bodies:
/// {"dataframe_split": {"columns", "index", "data"}} (as input_data), {"dataframe_records": [{"col": v, ...}, ...]},
/// {"instances": [[...], ...]} or {"inputs": [[...], ...]}; exactly one of these keys. `columns`: the model's input
/// column names (may be empty). When the body names its columns and `columns` is not empty, the body's columns are
/// matched BY NAME and reordered into the model's order (extra columns refused, missing ones refused, duplicates
/// refused, each naming the column); when `columns` is empty, the body's column count must equal n_features.
/// Records need the model's names: each record gives every column once, by name, and no other.
/// Throws request_error (400, or 413 beyond `limits`); std::invalid_argument for n_features == 0 or `columns`
/// that are not n_features distinct names.
[[nodiscard]] inline decoded_rows decode_score_request(std::string_view body, std::size_t n_features,
                                                       std::span<const std::string> columns,
                                                       const decode_limits& limits = {}) {
  detail::check_size(body, limits);
  detail::score_reader reader(body, n_features, columns, limits);
  detail::parse(body, reader);
  return reader.finish();
}

/// Open Inference Protocol v2 request {"id":..,"inputs":[{"name","shape","datatype","data"}],"outputs":[..],
/// "parameters":{..}}: exactly one input, datatype FP64 or FP32 (anything else refused, naming it), shape
/// [rows, n_features] or [n_features] (one row), "data" flat row-major or nested to the shape (tritonclient's
/// HTTP client sends flat). The element count must equal the shape's product. FP32 data are read as the
/// doubles sent.
/// Binary tensor data extension (tritonclient's set_data_from_numpy default): `json_size`, the HTTP header
/// Inference-Header-Content-Length (parse_inference_header_length), splits the body into the JSON and the bytes
/// after it; an input with "parameters": {"binary_data_size": B} and no "data" takes the next B bytes, which
/// must be its shape's elements as little-endian FP64 or FP32, row-major, and the inputs must take every byte.
/// NaN among them is a missing value where `limits` allows missing values, infinities are refused. The
/// outputs' "binary_data" and the request's "binary_data_output" are recorded for encode_infer_response_as_asked.
/// The shared-memory and classification extensions are refused.
[[nodiscard]] inline infer_request decode_infer_request(std::string_view body, std::size_t n_features,
                                                        const decode_limits& limits = {},
                                                        std::optional<std::size_t> json_size = std::nullopt) {
  detail::check_size(body, limits);
  if (json_size && *json_size == 0)
    detail::refuse("Inference-Header-Content-Length",
                   "0: the JSON part cannot be empty (it is the length of the "
                   "JSON before the binary tensors)");
  if (json_size && *json_size > body.size())
    detail::refuse("Inference-Header-Content-Length", std::to_string(*json_size) + " is beyond the body's " +
                                                          detail::count_of(body.size(), "byte") +
                                                          "; it is the length of the JSON part");
  const std::string_view json_part = json_size ? body.substr(0, *json_size) : body;
  detail::infer_reader reader(json_part, n_features, limits,
                              json_size ? std::optional<std::string_view>(body.substr(*json_size)) : std::nullopt);
  detail::parse(json_part, reader);
  return reader.finish();
}

/// The value of the HTTP header Inference-Header-Content-Length as decode_infer_request takes it: decimal
/// digits (a byte count), nothing else. Throws request_error (400) naming the header otherwise.
[[nodiscard]] inline std::size_t parse_inference_header_length(std::string_view value) {
  const auto refuse = [&](std::string_view why) {
    detail::refuse("Inference-Header-Content-Length", detail::json_quote(value, 32) + " " + std::string(why));
  };
  if (value.empty()) refuse("is empty; a length in bytes (decimal digits) is needed");
  std::size_t n = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') refuse("is not a length in bytes (decimal digits)");
    const auto digit = static_cast<std::size_t>(c - '0');
    if (n > (std::numeric_limits<std::size_t>::max() - digit) / 10)
      refuse("is beyond any body; it is the length of the JSON part");
    n = n * 10 + digit;
  }
  return n;
}

/// Refuses (400) a requested output this server does not have, or one asked for twice, before any scoring.
inline void check_outputs(const infer_request& req) {
  for (std::size_t i = 0; i < req.outputs.size(); ++i) {
    const std::string& name = req.outputs[i];
    const std::string path = "outputs[" + std::to_string(i) + "].name";
    bool known = false;
    for (const std::string_view o : detail::output_names) known = known || name == o;
    if (!known)
      detail::refuse(path, detail::json_quote(name) +
                               " is not an output of this model; ask for \"predictions\", \"probabilities\" or "
                               "\"served_by\"");
    for (std::size_t j = 0; j < i; ++j)
      if (req.outputs[j] == name)
        detail::refuse(path,
                       detail::json_quote(name) + " is asked for twice (also outputs[" + std::to_string(j) + "])");
  }
}

/// {"predictions": [labels...], "probabilities": [[...],...], "served_by": [...], "model_version": "..."}
[[nodiscard]] inline std::string encode_score_response(const scored_rows& r, std::string_view model_version) {
  detail::check_scored(r);
  nlohmann::ordered_json out;
  out["predictions"] = r.labels;
  auto probabilities = nlohmann::ordered_json::array();
  for (Eigen::Index i = 0; i < r.probabilities.rows(); ++i) {
    auto row = nlohmann::ordered_json::array();
    for (Eigen::Index j = 0; j < r.probabilities.cols(); ++j) row.push_back(r.probabilities(i, j));
    probabilities.push_back(std::move(row));
  }
  out["probabilities"] = std::move(probabilities);
  out["served_by"] = r.served_by;
  out["model_version"] = std::string(model_version);
  return detail::dump(out);
}

namespace detail {

inline void put_le(std::string& out, std::uint64_t bits, std::size_t bytes) {
  for (std::size_t b = 0; b < bytes; ++b) out += static_cast<char>((bits >> (8 * b)) & 0xff);
}

// The response to `req`; with `binary` false every output in JSON, whatever the request asked.
inline infer_response infer_response_of(const infer_request& req, const scored_rows& r, std::string_view model_name,
                                        std::string_view model_version, bool binary) {
  check_outputs(req);
  check_scored(r);
  using json = nlohmann::ordered_json;
  const auto n = r.labels.size();
  std::string tail;  // the binary outputs' bytes, in the order of the JSON's outputs
  const auto tensor = [&](std::string_view name, bool as_binary) {
    json t;
    t["name"] = std::string(name);
    const bool probabilities = name == "probabilities";
    t["datatype"] = probabilities ? "FP64" : "BYTES";
    t["shape"] = probabilities ? json::array({n, static_cast<std::size_t>(r.probabilities.cols())}) : json::array({n});
    const std::vector<std::string>& strings = name == "predictions" ? r.labels : r.served_by;
    if (as_binary) {
      // Little-endian doubles, row-major; BYTES: each element a 4-byte little-endian length and its bytes.
      const std::size_t before = tail.size();
      if (probabilities) {
        for (Eigen::Index i = 0; i < r.probabilities.rows(); ++i)
          for (Eigen::Index j = 0; j < r.probabilities.cols(); ++j)
            put_le(tail, std::bit_cast<std::uint64_t>(r.probabilities(i, j)), 8);
      } else {
        for (const std::string& s : strings) {
          if (s.size() > std::numeric_limits<std::uint32_t>::max())
            throw std::invalid_argument("hqml::serve: a BYTES element of " + std::to_string(s.size()) + " bytes");
          put_le(tail, s.size(), 4);
          tail += s;
        }
      }
      t["parameters"] = json{{"binary_data_size", tail.size() - before}};
    } else if (probabilities) {
      auto data = json::array();
      for (Eigen::Index i = 0; i < r.probabilities.rows(); ++i)
        for (Eigen::Index j = 0; j < r.probabilities.cols(); ++j) data.push_back(r.probabilities(i, j));
      t["data"] = std::move(data);
    } else {
      t["data"] = strings;
    }
    return t;
  };
  json out;
  out["model_name"] = std::string(model_name);
  out["model_version"] = std::string(model_version);
  if (!req.id.empty()) out["id"] = req.id;
  auto outputs = json::array();
  if (req.outputs.empty()) {
    for (const std::string_view name : output_names) outputs.push_back(tensor(name, binary && req.binary_data_output));
  } else {
    for (std::size_t i = 0; i < req.outputs.size(); ++i) {
      const auto asked = i < req.output_binary.size() ? req.output_binary[i] : std::nullopt;
      outputs.push_back(tensor(req.outputs[i], binary && asked.value_or(req.binary_data_output)));
    }
  }
  out["outputs"] = std::move(outputs);
  infer_response response;
  response.body = dump(out);
  response.json_size = response.body.size();
  response.body += tail;
  return response;
}

}  // namespace detail

/// {"model_name":..,"model_version":..,"id":..(only if non-empty),"outputs":[
///   {"name":"predictions","datatype":"BYTES","shape":[n],"data":[labels]},
///   {"name":"probabilities","datatype":"FP64","shape":[n,k],"data":[flat row-major]},
///   {"name":"served_by","datatype":"BYTES","shape":[n],"data":[..]}]}: the requested outputs in the
/// order asked for when req.outputs is not empty (check_outputs refuses unknown ones), else all three.
/// Every output in JSON, even those asked for in binary (the protocol lets a client read JSON in every case).
[[nodiscard]] inline std::string encode_infer_response(const infer_request& req, const scored_rows& r,
                                                       std::string_view model_name, std::string_view model_version) {
  return detail::infer_response_of(req, r, model_name, model_version, false).body;
}

/// As encode_infer_response, but the outputs asked for in binary (an output's "binary_data": true, or the
/// request's "binary_data_output": true for those that do not say) are sent after the JSON, each with
/// "parameters": {"binary_data_size": B} in place of "data": FP64 little-endian, BYTES as a 4-byte little-endian
/// length and the bytes per element, as Triton sends them and tritonclient reads them.
[[nodiscard]] inline infer_response encode_infer_response_as_asked(const infer_request& req, const scored_rows& r,
                                                                   std::string_view model_name,
                                                                   std::string_view model_version) {
  return detail::infer_response_of(req, r, model_name, model_version, true);
}

/// Error bodies: Azure ML style {"message": "..."}; v2 style {"error": "..."}.
[[nodiscard]] inline std::string encode_error(std::string_view message, bool v2 = false) {
  nlohmann::json out;
  out[v2 ? "error" : "message"] = std::string(message);
  return detail::dump(out);
}

}  // namespace hqml::serve
