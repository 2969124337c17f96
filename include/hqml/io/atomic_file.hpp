#pragma once
// The project's one atomic-write helper. A reader of the target path sees either the old complete file
// (or directory) or the new complete one, never a half-written one, even across a crash or power loss:
// data goes to a temporary name in the same folder (rename is only atomic within one file system),
// is fsynced, renamed over the target, and the folder is fsynced so that the rename itself is durable.
// On any failure, or when the writer is destroyed without commit(), the temporary is removed.

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hqml::io {

/// Writing an output failed (no space, an I/O error, permissions changed while running): the program's
/// input was fine, the work could not be saved. Readers of the target still see the previous version.
class write_error : public std::filesystem::filesystem_error {
 public:
  using std::filesystem::filesystem_error::filesystem_error;
};

namespace detail {

[[noreturn]] inline void throw_fs_error(const std::string& what, const std::filesystem::path& p, int err) {
  throw write_error(what, p, std::error_code(err, std::generic_category()));
}

// A name no other writer in this or another process picks: pid + per-process counter + address entropy.
inline std::filesystem::path temporary_sibling(const std::filesystem::path& target, std::string_view tag) {
  static std::atomic<std::uint64_t> counter{0};
  const auto n = counter.fetch_add(1, std::memory_order_relaxed);
  // Built by append: GCC 12 misreports `"." + std::string` under -Wrestrict at -O3.
  std::string name(1, '.');
  name.append(target.filename().string()).append(1, '.').append(tag).append(1, '.');
  name.append(std::to_string(static_cast<long long>(::getpid()))).append(1, '.').append(std::to_string(n));
  return target.parent_path() / name;
}

inline void fsync_path(const std::filesystem::path& p, bool directory) {
  const int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) throw_fs_error("cannot open for fsync", p, errno);
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    // Some file systems refuse fsync on directories; the data itself was synced already.
    if (directory && (err == EINVAL || err == ENOTSUP)) return;
    throw_fs_error("fsync failed", p, err);
  }
  ::close(fd);
}

inline std::filesystem::path parent_or_dot(const std::filesystem::path& p) {
  auto parent = p.parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

}  // namespace detail

/// Checks, before any work, that `target` can be written as a file: it is not a directory, and it exists or
/// its folder exists and is writable. Throws std::filesystem::filesystem_error naming the path otherwise
/// (a path that can never be written is bad input, unlike write_error, a failure while writing).
inline void check_output_path(const std::filesystem::path& target) {
  const auto refuse = [&](const std::string& why, const std::filesystem::path& p, int err) {
    throw std::filesystem::filesystem_error(why, p, std::error_code(err, std::generic_category()));
  };
  if (target.empty() || target.filename().empty()) refuse("not a file name", target, EINVAL);
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) refuse("is a directory, not a file", target, EISDIR);
    if (!S_ISREG(st.st_mode)) {
      if (::access(target.c_str(), W_OK) != 0) refuse("cannot write", target, errno);
      return;  // written in place (a device node, a FIFO)
    }
  } else if (errno != ENOENT && errno != ENOTDIR) {
    refuse("cannot use as an output", target, errno);
  }
  const auto dir = detail::parent_or_dot(target);
  if (::stat(dir.c_str(), &st) != 0) refuse("the folder of this output does not exist", target, errno);
  if (!S_ISDIR(st.st_mode)) refuse("the folder of this output is not a directory", target, ENOTDIR);
  if (::access(dir.c_str(), W_OK | X_OK) != 0) refuse("cannot write in the folder of this output", target, errno);
}

/// Makes a completed rename or file creation in `dir` durable.
inline void fsync_directory(const std::filesystem::path& dir) { detail::fsync_path(dir, true); }

/// Writes one file atomically. Usage: atomic_file f(path); f.write(...); f.commit();
/// Destroying it without commit() (for instance while an exception unwinds) removes the temporary.
/// A target that is a device node, FIFO or socket (/dev/null, /dev/stdout, a named pipe) is written in place:
/// renaming over it would replace the node with a regular file, and a stream has no half-written state to
/// hide. A directory as the target is refused.
class atomic_file {
 public:
  explicit atomic_file(std::filesystem::path target, std::size_t buffer_bytes = std::size_t{1} << 20)
      : target_(std::move(target)), temp_(detail::temporary_sibling(target_, "tmp")) {
    if (target_.filename().empty()) detail::throw_fs_error("not a file name", target_, EINVAL);
    struct stat st {};
    if (::stat(target_.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) detail::throw_fs_error("is a directory, not a file", target_, EISDIR);
      if (!S_ISREG(st.st_mode)) {
        in_place_ = true;
        fd_ = ::open(target_.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd_ < 0) detail::throw_fs_error("cannot open for writing", target_, errno);
        buffer_.reserve(buffer_bytes);
        return;
      }
    }
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0) detail::throw_fs_error("cannot create temporary file", temp_, errno);
    buffer_.reserve(buffer_bytes);
  }
  atomic_file(const atomic_file&) = delete;
  atomic_file& operator=(const atomic_file&) = delete;
  ~atomic_file() { abort(); }

  void write(const void* data, std::size_t bytes) {
    if (fd_ < 0) detail::throw_fs_error("write after commit or abort", target_, EBADF);
    const auto* p = static_cast<const char*>(data);
    written_ += bytes;
    // Large blocks bypass the buffer: a streamed 20 GB kernel should not be copied twice.
    if (bytes >= buffer_.capacity()) {
      flush_buffer();
      raw_write(p, bytes);
      return;
    }
    if (buffer_.size() + bytes > buffer_.capacity()) flush_buffer();
    buffer_.insert(buffer_.end(), p, p + bytes);
  }
  void write(std::string_view text) { write(text.data(), text.size()); }

  /// Bytes handed to write() so far.
  [[nodiscard]] std::uint64_t bytes_written() const noexcept { return written_; }
  [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }
  [[nodiscard]] const std::filesystem::path& temporary() const noexcept { return temp_; }

  /// Flushes, fsyncs, renames over the target and fsyncs the folder. Throws filesystem_error naming the
  /// file on any failure, after removing the temporary.
  void commit() {
    if (fd_ < 0) detail::throw_fs_error("commit after commit or abort", target_, EBADF);
    if (in_place_) {
      flush_buffer();  // throws, naming the target, when the device refuses the data (/dev/full)
      const int fd = fd_;
      fd_ = -1;
      committed_ = true;
      if (::close(fd) != 0) detail::throw_fs_error("close failed", target_, errno);
      return;
    }
    try {
      flush_buffer();
      if (::fsync(fd_) != 0) detail::throw_fs_error("fsync failed", temp_, errno);
      const int fd = fd_;
      fd_ = -1;
      if (::close(fd) != 0) detail::throw_fs_error("close failed", temp_, errno);
      if (std::rename(temp_.c_str(), target_.c_str()) != 0) detail::throw_fs_error("rename failed", target_, errno);
      committed_ = true;
    } catch (...) {
      abort();
      throw;
    }
    fsync_directory(detail::parent_or_dot(target_));
  }

  /// Drops everything written; the target is left as it was. Safe to call more than once.
  void abort() noexcept {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (!committed_ && !removed_ && !in_place_) {
      ::unlink(temp_.c_str());
      removed_ = true;
    }
  }

 private:
  void raw_write(const char* p, std::size_t bytes) {
    while (bytes > 0) {
      const ::ssize_t n = ::write(fd_, p, bytes);
      if (n < 0) {
        if (errno == EINTR) continue;
        detail::throw_fs_error("write failed", in_place_ ? target_ : temp_, errno);
      }
      p += n;
      bytes -= static_cast<std::size_t>(n);
    }
  }
  void flush_buffer() {
    if (buffer_.empty()) return;
    raw_write(buffer_.data(), buffer_.size());
    buffer_.clear();
  }

  std::filesystem::path target_;
  std::filesystem::path temp_;
  int fd_ = -1;
  std::vector<char> buffer_;
  std::uint64_t written_ = 0;
  bool committed_ = false;
  bool removed_ = false;
  bool in_place_ = false;
};

/// Writes `content` to `target` atomically.
inline void write_file_atomically(const std::filesystem::path& target, std::string_view content) {
  atomic_file f(target);
  f.write(content);
  f.commit();
}

/// Builds a directory atomically: files are written into a temporary sibling directory; commit() fsyncs
/// them and swaps the directory into place. An existing directory at the target is replaced only after
/// the new one is complete (Linux renameat2 RENAME_EXCHANGE swaps both names in one step; elsewhere the
/// old one is first moved aside, so the target name is briefly absent but never half-written).
class atomic_directory {
 public:
  explicit atomic_directory(std::filesystem::path target) : target_(std::move(target)) {
    if (target_.filename().empty()) target_ = target_.parent_path();  // "model/" names the folder "model"
    temp_ = detail::temporary_sibling(target_, "tmpdir");
    if (::mkdir(temp_.c_str(), 0777) != 0) detail::throw_fs_error("cannot create temporary directory", temp_, errno);
  }
  atomic_directory(const atomic_directory&) = delete;
  atomic_directory& operator=(const atomic_directory&) = delete;
  ~atomic_directory() { abort(); }

  /// Where files go until commit().
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return temp_; }
  [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }

  /// Writes a file inside the directory (name relative to it) and fsyncs it.
  void write_file(const std::filesystem::path& name, std::string_view content) {
    const auto p = temp_ / name;
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) detail::throw_fs_error("cannot create file", p, errno);
    const char* d = content.data();
    std::size_t left = content.size();
    while (left > 0) {
      const ::ssize_t n = ::write(fd, d, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        detail::throw_fs_error("write failed", p, err);
      }
      d += n;
      left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
      const int err = errno;
      ::close(fd);
      detail::throw_fs_error("fsync failed", p, err);
    }
    if (::close(fd) != 0) detail::throw_fs_error("close failed", p, errno);
  }

  /// Files written into path() by other means must be fsynced by the caller (npy writers do so).
  void commit() {
    if (done_) detail::throw_fs_error("commit after commit or abort", target_, EINVAL);
    try {
      fsync_directory(temp_);
      std::error_code ec;
      const bool exists = std::filesystem::exists(std::filesystem::symlink_status(target_, ec));
      if (!exists) {
        if (std::rename(temp_.c_str(), target_.c_str()) != 0) detail::throw_fs_error("rename failed", target_, errno);
      } else {
        swap_into_place();
      }
      done_ = true;
    } catch (...) {
      abort();
      throw;
    }
    fsync_directory(detail::parent_or_dot(target_));
    // temp_ now names the previous version (or nothing); removing it is cleanup, not correctness.
    std::error_code ec;
    std::filesystem::remove_all(old_, ec);
  }

  void abort() noexcept {
    if (done_) return;
    done_ = true;
    std::error_code ec;
    std::filesystem::remove_all(temp_, ec);
  }

 private:
  void swap_into_place() {
#if defined(__linux__) && defined(RENAME_EXCHANGE)
    if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
      old_ = temp_;
      return;
    }
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
      detail::throw_fs_error("rename (exchange) failed", target_, errno);
#endif
    old_ = detail::temporary_sibling(target_, "old");
    if (std::rename(target_.c_str(), old_.c_str()) != 0) detail::throw_fs_error("cannot move aside", target_, errno);
    if (std::rename(temp_.c_str(), target_.c_str()) != 0) {
      const int err = errno;
      std::rename(old_.c_str(), target_.c_str());
      detail::throw_fs_error("rename failed", target_, err);
    }
  }

  std::filesystem::path target_;
  std::filesystem::path temp_;
  std::filesystem::path old_;
  bool done_ = false;
};

}  // namespace hqml::io
