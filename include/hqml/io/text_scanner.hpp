#pragma once
// Tokenizers that remember where every token came from, so that a reader can say
// "file:line:col: expected ..., found ..." for any malformed input: one for line-oriented
// numeric text (Gset, bqp, COO, Pauli sums) and a small JSON reader whose values carry their position
// (general JSON libraries drop positions once parsing succeeds, but a bad field in a valid JSON
// document still deserves a line number).

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <hqml/error.hpp>
#include <hqml/io/read_file.hpp>

namespace hqml::io::detail {

/// Whole file as text; a missing or unreadable file is reported by name.
[[nodiscard]] inline std::string read_text_file(const std::string& path) { return read_input_file(path); }

struct token {
  std::string_view text;  // empty at the end of a line or of the input
  std::size_t line = 0;
  std::size_t column = 0;
};

/// Whitespace-separated tokens; '#' and '%' start comments that run to the end of the line.
class text_scanner {
 public:
  text_scanner(std::string_view text, std::string name) : text_(text), name_(std::move(name)) {}

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// Next token on the current line, or an empty token (positioned at the line's end) if none.
  token next_in_line() {
    skip_spaces();
    token t{{}, line_, col()};
    const std::size_t begin = pos_;
    while (pos_ < text_.size() && !is_space(text_[pos_]) && text_[pos_] != '\n' && !is_comment(text_[pos_])) ++pos_;
    t.text = text_.substr(begin, pos_ - begin);
    return t;
  }
  /// Next token anywhere (crossing line ends and comments); empty at the end of the input.
  token next_any() {
    skip_blank_lines();
    return next_in_line();
  }
  /// Moves to the first token of the next non-blank line; false at the end of the input.
  bool next_line() {
    skip_blank_lines();
    return pos_ < text_.size();
  }
  /// Fails unless only spaces or a comment remain on the current line; then moves past it.
  void end_line(std::string_view expected_before) {
    token t = next_in_line();
    if (!t.text.empty())
      fail(t,
           "unexpected '" + std::string(t.text) + "' after " + std::string(expected_before) + ", expected end of line");
    skip_comment();
    if (pos_ < text_.size() && text_[pos_] == '\n') advance_line();
  }
  [[nodiscard]] std::size_t line() const noexcept { return line_; }
  [[nodiscard]] std::size_t column() const noexcept { return col(); }

  [[noreturn]] void fail(const token& t, const std::string& message) const {
    throw hqml::parse_error(name_, t.line, t.column, message);
  }

  /// Parses an integer in [lo, hi]; `what` names it in the message.
  template <class Int>
  Int integer(const token& t, std::string_view what, Int lo, Int hi) const {
    if (t.text.empty()) fail(t, "expected " + std::string(what) + ", found end of line");
    Int v{};
    const auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (ec == std::errc::result_out_of_range || (ec == std::errc() && (v < lo || v > hi)))
      fail(t, std::string(what) + " " + std::string(t.text) + " out of range [" + std::to_string(lo) + ", " +
                  std::to_string(hi) + "]");
    if (ec != std::errc() || ptr != t.text.data() + t.text.size())
      fail(t, "expected " + std::string(what) + " (an integer), found '" + std::string(t.text) + "'");
    return v;
  }
  /// Parses a finite real number.
  double real(const token& t, std::string_view what) const {
    if (t.text.empty()) fail(t, "expected " + std::string(what) + ", found end of line");
    double v = 0.0;
    std::string_view s = t.text;
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v))
      fail(t, "expected " + std::string(what) + " (a finite number), found '" + std::string(t.text) + "'");
    return v;
  }

 private:
  static bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
  static bool is_comment(char c) noexcept { return c == '#' || c == '%'; }
  [[nodiscard]] std::size_t col() const noexcept { return pos_ - line_start_ + 1; }
  void advance_line() {
    ++pos_;
    ++line_;
    line_start_ = pos_;
  }
  void skip_spaces() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }
  void skip_comment() {
    if (pos_ < text_.size() && is_comment(text_[pos_]))
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
  }
  void skip_blank_lines() {
    for (;;) {
      skip_spaces();
      skip_comment();
      if (pos_ < text_.size() && text_[pos_] == '\n') {
        advance_line();
        continue;
      }
      return;
    }
  }

  std::string_view text_;
  std::string name_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t line_start_ = 0;
};

/// A parsed JSON value with the position it started at.
struct json_value {
  enum class kind : std::uint8_t { null, boolean, number, string, array, object };
  kind type = kind::null;
  bool boolean = false;
  double number = 0.0;
  std::string text;               // string value, or a number's spelling
  std::vector<json_value> items;  // array elements
  // Object members in order, as parallel lists: a pair<string, json_value> member would need
  // json_value complete inside its own definition (clang rejects it).
  std::vector<std::string> keys;
  std::vector<json_value> values;
  std::size_t line = 0, column = 0;

  [[nodiscard]] const json_value* find(std::string_view key) const {
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) return &values[i];
    return nullptr;
  }
  [[nodiscard]] const char* type_name() const noexcept {
    switch (type) {
      case kind::null:
        return "null";
      case kind::boolean:
        return "a boolean";
      case kind::number:
        return "a number";
      case kind::string:
        return "a string";
      case kind::array:
        return "an array";
      case kind::object:
        return "an object";
    }
    return "?";
  }
};

/// Recursive-descent JSON reader (RFC 8259), nesting limited so hostile input cannot exhaust
/// the stack.
class json_reader {
 public:
  json_reader(std::string_view text, std::string name) : s_(text), name_(std::move(name)) {}

  json_value parse() {
    json_value v = value(0);
    skip_ws();
    if (p_ < s_.size()) fail("unexpected '" + std::string(1, s_[p_]) + "' after the JSON document");
    return v;
  }

  [[noreturn]] void fail_at(std::size_t line, std::size_t column, const std::string& m) const {
    throw hqml::parse_error(name_, line, column, m);
  }

 private:
  static constexpr int max_depth = 512;

  [[noreturn]] void fail(const std::string& m) const { throw hqml::parse_error(name_, line_, p_ - ls_ + 1, m); }
  void skip_ws() {
    while (p_ < s_.size()) {
      const char c = s_[p_];
      if (c == '\n') {
        ++p_;
        ++line_;
        ls_ = p_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++p_;
      } else {
        break;
      }
    }
  }
  [[nodiscard]] std::string found() const {
    if (p_ >= s_.size()) return "end of input";
    return "'" + std::string(1, s_[p_]) + "'";
  }
  void expect(char c, const char* what) {
    skip_ws();
    if (p_ >= s_.size() || s_[p_] != c) fail(std::string("expected ") + what + ", found " + found());
    ++p_;
  }

  json_value value(int depth) {
    if (depth > max_depth) fail("JSON nested deeper than " + std::to_string(max_depth) + " levels");
    skip_ws();
    json_value v;
    v.line = line_;
    v.column = p_ - ls_ + 1;
    if (p_ >= s_.size()) fail("expected a JSON value, found end of input");
    const char c = s_[p_];
    if (c == '{') {
      ++p_;
      v.type = json_value::kind::object;
      skip_ws();
      if (p_ < s_.size() && s_[p_] == '}') {
        ++p_;
        return v;
      }
      for (;;) {
        skip_ws();
        if (p_ >= s_.size() || s_[p_] != '"') fail("expected a member name in quotes, found " + found());
        std::string key = string_body();
        expect(':', "':' after a member name");
        json_value member = value(depth + 1);
        v.keys.push_back(std::move(key));
        v.values.push_back(std::move(member));
        skip_ws();
        if (p_ < s_.size() && s_[p_] == ',') {
          ++p_;
          continue;
        }
        expect('}', "',' or '}' in an object");
        return v;
      }
    }
    if (c == '[') {
      ++p_;
      v.type = json_value::kind::array;
      skip_ws();
      if (p_ < s_.size() && s_[p_] == ']') {
        ++p_;
        return v;
      }
      for (;;) {
        v.items.push_back(value(depth + 1));
        skip_ws();
        if (p_ < s_.size() && s_[p_] == ',') {
          ++p_;
          continue;
        }
        expect(']', "',' or ']' in an array");
        return v;
      }
    }
    if (c == '"') {
      v.type = json_value::kind::string;
      v.text = string_body();
      return v;
    }
    if (literal("true")) {
      v.type = json_value::kind::boolean;
      v.boolean = true;
      return v;
    }
    if (literal("false")) {
      v.type = json_value::kind::boolean;
      return v;
    }
    if (literal("null")) return v;
    if (c == '-' || (c >= '0' && c <= '9')) {
      const std::size_t b = p_;
      if (s_[p_] == '-') ++p_;
      while (p_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[p_])) || s_[p_] == '.' || s_[p_] == 'e' ||
                                s_[p_] == 'E' || s_[p_] == '+' || s_[p_] == '-'))
        ++p_;
      v.type = json_value::kind::number;
      v.text = std::string(s_.substr(b, p_ - b));
      const auto [ptr, ec] = std::from_chars(s_.data() + b, s_.data() + p_, v.number);
      if (ec != std::errc() || ptr != s_.data() + p_ || !std::isfinite(v.number))
        fail_at(v.line, v.column, "malformed number '" + v.text + "'");
      return v;
    }
    fail("expected a JSON value, found " + found());
  }

  bool literal(std::string_view word) {
    if (s_.substr(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  std::string string_body() {
    ++p_;  // opening quote
    std::string out;
    while (p_ < s_.size()) {
      const char c = s_[p_++];
      if (c == '"') return out;
      if (c == '\n') fail("unterminated string");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (p_ >= s_.size()) break;
      const char e = s_[p_++];
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          if (p_ + 4 > s_.size()) fail("truncated \\u escape");
          unsigned code = 0;
          const auto [ptr, ec] = std::from_chars(s_.data() + p_, s_.data() + p_ + 4, code, 16);
          if (ec != std::errc() || ptr != s_.data() + p_ + 4) fail("malformed \\u escape");
          p_ += 4;
          // Names in these files are ASCII; other code points are kept as UTF-8 (BMP only).
          if (code < 0x80) {
            out.push_back(static_cast<char>(code));
          } else if (code < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (code >> 6)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
          } else {
            out.push_back(static_cast<char>(0xE0 | (code >> 12)));
            out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
          }
          break;
        }
        default:
          fail(std::string("unknown escape '\\") + e + "'");
      }
    }
    fail("unterminated string");
  }

  std::string_view s_;
  std::string name_;
  std::size_t p_ = 0;
  std::size_t line_ = 1;
  std::size_t ls_ = 0;
};

}  // namespace hqml::io::detail
