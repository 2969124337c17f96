#pragma once
// One writer per output: a program that publishes a directory (hqml run --out DIR, a saved model) holds an
// exclusive advisory lock on a hidden file beside it, ".DIR.lock", for as long as it computes and writes.
// A second writer is refused at once, naming the process that holds the lock, instead of both publishing
// and the last one silently winning. The lock is released by the kernel when its holder dies (kill -9
// included), so a stale lock file never blocks anyone; the holder removes it on exit.
//
// With the lock held, temporaries of earlier writers that were killed (".DIR.tmpdir.PID.N", ".DIR.old.PID.N",
// ".DIR.tmp.PID.N" whose process is gone) are leftovers nobody can finish: remove_stale_temporaries()
// deletes them, and nothing else.

#include <hqml/error.hpp>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hqml::io {

/// Another process is writing the same output right now.
class output_busy : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class output_lock {
 public:
  /// Locks `target` (a file or directory path, which need not exist yet) or throws output_busy.
  /// Throws std::filesystem::filesystem_error when the folder cannot hold the lock file (missing, read-only).
  explicit output_lock(std::filesystem::path target) {
    if (target.filename().empty()) target = target.parent_path();
    auto parent = target.parent_path();
    if (parent.empty()) parent = ".";
    path_ = parent / ("." + target.filename().string() + ".lock");
    for (int attempt = 0;; ++attempt) {
      fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
      if (fd_ < 0)
        throw std::filesystem::filesystem_error("cannot create the lock file beside the output", path_,
                                                std::error_code(errno, std::generic_category()));
      if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        const std::string holder = read_holder();
        ::close(fd_);
        fd_ = -1;
        if (err != EWOULDBLOCK)
          throw std::filesystem::filesystem_error("cannot lock", path_, std::error_code(err, std::generic_category()));
        throw output_busy("'" + printable(target.string()) + "': another hqml process" +
                          (holder.empty() ? std::string{} : " (pid " + holder + ")") +
                          " is writing it now; wait for it to finish or choose another output");
      }
      // The previous holder may have unlinked the file between our open and flock: then this lock guards a
      // name nobody else will open. Lock what the path names now.
      struct stat a {
      }, b{};
      if (::fstat(fd_, &a) == 0 && ::stat(path_.c_str(), &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        break;
      ::close(fd_);
      fd_ = -1;
      if (attempt > 100) throw output_busy("'" + printable(target.string()) + "': the lock file keeps changing");
    }
    const std::string pid = std::to_string(static_cast<long long>(::getpid())) + "\n";
    if (::ftruncate(fd_, 0) == 0) {
      [[maybe_unused]] const auto n = ::pwrite(fd_, pid.data(), pid.size(), 0);
    }
    target_ = std::move(target);
  }
  output_lock(const output_lock&) = delete;
  output_lock& operator=(const output_lock&) = delete;
  ~output_lock() {
    if (fd_ < 0) return;
    ::unlink(path_.c_str());  // before unlocking: a waiter that opened it re-checks the inode
    ::close(fd_);
  }

  [[nodiscard]] const std::filesystem::path& lock_file() const noexcept { return path_; }

  /// Removes the temporaries that killed writers of this target left beside it; returns how many.
  std::size_t remove_stale_temporaries() const {
    namespace fs = std::filesystem;
    auto parent = target_.parent_path();
    if (parent.empty()) parent = ".";
    const std::string stem = "." + target_.filename().string() + ".";
    std::vector<fs::path> stale;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(parent, ec)) {
      const std::string name = e.path().filename().string();
      if (!name.starts_with(stem)) continue;
      std::string_view rest = std::string_view(name).substr(stem.size());
      const auto dot = rest.find('.');
      if (dot == std::string_view::npos) continue;
      const auto tag = rest.substr(0, dot);
      if (tag != "tmpdir" && tag != "old" && tag != "tmp") continue;
      rest.remove_prefix(dot + 1);
      const auto dot2 = rest.find('.');
      if (dot2 == std::string_view::npos || rest.find_first_not_of("0123456789.") != std::string_view::npos) continue;
      long long pid = 0;
      if (std::from_chars(rest.data(), rest.data() + dot2, pid).ec != std::errc() || pid <= 0) continue;
      if (pid == ::getpid()) continue;
      if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
      stale.push_back(e.path());
    }
    for (const auto& p : stale) fs::remove_all(p, ec);
    return stale.size();
  }

 private:
  std::string read_holder() const {
    char buf[32] = {};
    const auto n = ::pread(fd_, buf, sizeof buf - 1, 0);
    std::string s(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s.find_first_not_of("0123456789") == std::string::npos ? s : std::string{};
  }

  std::filesystem::path target_, path_;
  int fd_ = -1;
};

}  // namespace hqml::io
