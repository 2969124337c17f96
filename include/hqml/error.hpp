#pragma once
// Exceptions thrown by hqml. All derive from std standard exceptions so callers can catch broadly.

#include <cstddef>
#include <stdexcept>
#include <string>

namespace hqml {

/// A file or text that could not be parsed; what() reads "file:line:col: message".
class parse_error : public std::runtime_error {
 public:
  parse_error(std::string file, std::size_t line, std::size_t column, const std::string& message)
      : std::runtime_error(file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message),
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
      : std::runtime_error("hqml: cannot allocate " + what_was_allocated + ": needs " + std::to_string(bytes) +
                           " bytes" +
                           (available ? " but only " + std::to_string(available) + " are available" : std::string())),
        bytes_(bytes) {}
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }

 private:
  std::size_t bytes_;
};

}  // namespace hqml
