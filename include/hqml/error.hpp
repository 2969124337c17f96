#pragma once
// Exceptions thrown by hqml. All derive from std standard exceptions so callers can catch broadly.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hqml {

/// `text` as it may be shown on a terminal in one line: control and non-ASCII bytes as \xNN, and at most
/// `max_bytes` of it (the middle elided), so a binary file name or a megabyte-long value cannot flood the
/// screen or move the cursor.
[[nodiscard]] inline std::string printable(std::string_view text, std::size_t max_bytes = 160) {
  std::string out;
  const auto put = [&out](std::string_view part) {
    static constexpr char hex[] = "0123456789abcdef";
    for (const char ch : part) {
      const auto c = static_cast<unsigned char>(ch);
      if (c >= 0x20 && c < 0x7f) {
        out += ch;
      } else {
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
  };
  if (text.size() <= max_bytes) {
    put(text);
  } else {
    const std::size_t head = max_bytes * 3 / 4, tail = max_bytes - head;
    put(text.substr(0, head));
    out += "...(" + std::to_string(text.size() - head - tail) + " bytes)...";
    put(text.substr(text.size() - tail));
  }
  return out;
}

/// A file or text that could not be parsed; what() reads "file:line:col: message".
class parse_error : public std::runtime_error {
 public:
  parse_error(std::string file, std::size_t line, std::size_t column, const std::string& message)
      : std::runtime_error(printable(file) + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                           message),
        file_(std::move(file)),
        line_(line),
        column_(column),
        message_(message) {}
  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  [[nodiscard]] std::size_t line() const noexcept { return line_; }
  [[nodiscard]] std::size_t column() const noexcept { return column_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  std::string file_;
  std::size_t line_;
  std::size_t column_;
  std::string message_;
};

/// An allocation hqml refused or failed to make; says how many bytes were asked for.
class out_of_memory : public std::runtime_error {
 public:
  out_of_memory(const std::string& what_was_allocated, std::size_t bytes, std::size_t available)
      : std::runtime_error("cannot allocate " + what_was_allocated + ": needs " + std::to_string(bytes) + " bytes" +
                           (available ? " but only " + std::to_string(available) + " are available" : std::string())),
        bytes_(bytes) {}
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }

 private:
  std::size_t bytes_;
};

}  // namespace hqml
