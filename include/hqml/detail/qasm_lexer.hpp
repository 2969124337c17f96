#pragma once
// OpenQASM 2.0 tokens. Internal: include <hqml/qasm.hpp>.
#if !defined(HQML_QASM_INTERNAL_INCLUDE)
#error "hqml/detail/qasm_lexer.hpp is internal; include <hqml/qasm.hpp> instead"
#endif

#include <hqml/error.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hqml::detail::qasm {

enum class tok : std::uint8_t {
  end,
  identifier,  // keywords too: the parser tells them apart, so a misplaced keyword gets a precise message
  integer,
  real,
  string,  // text keeps the quotes; the parser strips them
  semicolon,
  comma,
  lparen,
  rparen,
  lbracket,
  rbracket,
  lbrace,
  rbrace,
  arrow,
  equals,
  plus,
  minus,
  star,
  slash,
  caret,
};

struct token {
  tok kind = tok::end;
  std::string_view text;
  std::size_t line = 1;
  std::size_t column = 1;
};

/// How a token reads in an error message.
[[nodiscard]] inline std::string describe(const token& t) {
  if (t.kind == tok::end) return "end of input";
  return "'" + std::string(t.text) + "'";
}

[[nodiscard]] inline std::string describe_byte(unsigned char c) {
  if (c >= 0x20 && c < 0x7f) return std::string("character '") + static_cast<char>(c) + "'";
  static constexpr char hex[] = "0123456789abcdef";
  return std::string("byte 0x") + hex[c >> 4] + hex[c & 15];
}

/// Reads tokens one at a time, so that the first problem in the text is the one reported, whether the
/// lexer or the parser finds it; throws parse_error on a bad character or literal.
class lexer {
 public:
  lexer(std::string_view text, const std::string& file) : text_(text), file_(&file) {
    // A UTF-8 byte order mark, as some editors write, is an encoding marker, not text.
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") i_ = line_start_ = 3;
  }

  /// The next token; tok::end (again and again) at the end of the text.
  [[nodiscard]] token next() {
    skip_space_and_comments();
    token t;
    t.line = line_;
    t.column = i_ - line_start_ + 1;
    if (i_ >= text_.size()) return t;
    const std::size_t start = i_;
    const char c = text_[i_];
    if (is_ident_start(c)) {
      while (i_ < text_.size() && is_ident_char(text_[i_])) ++i_;
      t.kind = tok::identifier;
    } else if (is_digit(c) || (c == '.' && i_ + 1 < text_.size() && is_digit(text_[i_ + 1]))) {
      t.kind = number(start);
    } else if (c == '"') {
      ++i_;
      while (i_ < text_.size() && text_[i_] != '"' && text_[i_] != '\n') ++i_;
      if (i_ >= text_.size() || text_[i_] != '"')
        fail(start, "unterminated string: the file name has no closing '\"' on its line");
      ++i_;
      t.kind = tok::string;
    } else {
      t.kind = punctuation(start);
    }
    t.text = text_.substr(start, i_ - start);
    return t;
  }

 private:
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }
  static bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
  static bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }
  [[noreturn]] void fail(std::size_t at, const std::string& message) const {
    throw parse_error(*file_, line_, at - line_start_ + 1, message);
  }

  void skip_space_and_comments() {
    const std::size_t n = text_.size();
    while (i_ < n) {
      const char c = text_[i_];
      if (c == '\n') {
        ++i_;
        ++line_;
        line_start_ = i_;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++i_;
      } else if (c == '/' && i_ + 1 < n && text_[i_ + 1] == '/') {
        while (i_ < n && text_[i_] != '\n') ++i_;
      } else {
        return;
      }
    }
  }

  tok number(std::size_t start) {
    const std::size_t n = text_.size();
    bool real = false;
    while (i_ < n && is_digit(text_[i_])) ++i_;
    if (i_ < n && text_[i_] == '.') {
      real = true;
      ++i_;
      while (i_ < n && is_digit(text_[i_])) ++i_;
    }
    if (i_ < n && (text_[i_] == 'e' || text_[i_] == 'E')) {
      real = true;
      std::size_t j = i_ + 1;
      if (j < n && (text_[j] == '+' || text_[j] == '-')) ++j;
      if (j >= n || !is_digit(text_[j]))
        fail(start,
             "malformed number '" + std::string(text_.substr(start, j - start)) + "': the exponent has no digits");
      while (j < n && is_digit(text_[j])) ++j;
      i_ = j;
    }
    // "2pi" or "1.5e3x" would otherwise read as two tokens and give a confusing message later on.
    if (i_ < n && is_ident_char(text_[i_])) {
      std::size_t j = i_;
      while (j < n && is_ident_char(text_[j])) ++j;
      fail(start, "malformed number '" + std::string(text_.substr(start, j - start)) + "'");
    }
    return real ? tok::real : tok::integer;
  }

  tok punctuation(std::size_t start) {
    const char c = text_[i_++];
    const bool more = i_ < text_.size();
    switch (c) {
      case ';':
        return tok::semicolon;
      case ',':
        return tok::comma;
      case '(':
        return tok::lparen;
      case ')':
        return tok::rparen;
      case '[':
        return tok::lbracket;
      case ']':
        return tok::rbracket;
      case '{':
        return tok::lbrace;
      case '}':
        return tok::rbrace;
      case '+':
        return tok::plus;
      case '*':
        return tok::star;
      case '/':
        return tok::slash;
      case '^':
        return tok::caret;
      case '-':
        if (more && text_[i_] == '>') {
          ++i_;
          return tok::arrow;
        }
        return tok::minus;
      case '=':
        if (more && text_[i_] == '=') {
          ++i_;
          return tok::equals;
        }
        fail(start, "unexpected character '=' (comparisons are written '==')");
      default:
        fail(start, "unexpected " + describe_byte(static_cast<unsigned char>(c)));
    }
  }

  std::string_view text_;
  const std::string* file_;
  std::size_t i_ = 0;
  std::size_t line_ = 1;
  std::size_t line_start_ = 0;
};

}  // namespace hqml::detail::qasm
