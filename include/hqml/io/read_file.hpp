#pragma once
// The one way hqml's readers (CSV, OpenQASM, Gset/bqp/COO/JSON, Pauli sums, model files) load a file: whole,
// into memory, refusing more than a limit so that /dev/zero, a FIFO that never ends or a wrong multi-GB file
// cannot exhaust memory. Errors name the file: "'PATH': cannot open: No such file or directory".

#include <hqml/error.hpp>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hqml::io {

/// Largest input file a reader accepts: HQML_MAX_INPUT_BYTES when set to a positive integer, else 1 GiB
/// (the quantum-kernel pipeline's N x N kernels run out of memory long before a CSV of that size).
[[nodiscard]] inline std::uint64_t max_input_bytes() {
  constexpr std::uint64_t fallback = std::uint64_t{1} << 30;
  const char* env = std::getenv("HQML_MAX_INPUT_BYTES");
  if (!env || !*env) return fallback;
  std::uint64_t v = 0;
  const std::string_view s(env);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && v > 0 ? v : fallback;
}

/// An input file that cannot be read: a std::filesystem::filesystem_error (path1() is the file, code() the
/// reason) whose what() reads "'PATH': cannot open: No such file or directory".
class input_error : public std::filesystem::filesystem_error {
 public:
  input_error(const std::filesystem::path& p, const std::string& what, int err)
      : std::filesystem::filesystem_error(what, p, std::error_code(err, std::generic_category())),
        message_("'" + printable(p.string()) + "': " + what + ": " + code().message()) {}
  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

namespace detail {
[[noreturn]] inline void throw_input_error(const std::filesystem::path& p, const std::string& what, int err) {
  throw input_error(p, what, err);
}
inline std::string byte_size(std::uint64_t n) {
  if (n % (std::uint64_t{1} << 30) == 0) return std::to_string(n >> 30) + " GiB";
  if (n % (std::uint64_t{1} << 20) == 0) return std::to_string(n >> 20) + " MiB";
  return std::to_string(n) + " bytes";
}
}  // namespace detail

/// The whole file at `p` (a regular file, or a stream such as a FIFO or /dev/stdin), at most `limit` bytes.
[[nodiscard]] inline std::string read_input_file(const std::filesystem::path& p,
                                                 std::uint64_t limit = max_input_bytes()) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) detail::throw_input_error(p, "cannot open", errno);
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) detail::throw_input_error(p, "cannot read", errno);
  if (S_ISDIR(st.st_mode)) detail::throw_input_error(p, "is a directory, not a file", EISDIR);
  const auto too_large = [&] {
    detail::throw_input_error(
        p, "larger than the input limit of " + detail::byte_size(limit) + " (set HQML_MAX_INPUT_BYTES to raise it)",
        EFBIG);
  };
  std::string text;
  if (S_ISREG(st.st_mode)) {
    if (static_cast<std::uint64_t>(st.st_size) > limit) too_large();
    text.reserve(static_cast<std::size_t>(st.st_size));
  }
  char buf[1 << 16];
  for (;;) {
    const ::ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      detail::throw_input_error(p, "cannot read", errno);
    }
    if (n == 0) break;
    if (text.size() + static_cast<std::size_t>(n) > limit) too_large();
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

}  // namespace hqml::io
