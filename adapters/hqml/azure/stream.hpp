#pragma once
// Streams over storage objects, memory bounded by the chunk size whatever the object's size:
//   parallel_reader  reads [0, size) in chunk-sized ranges, up to `parallelism` of them in flight ahead of
//                    the reader (each retried on its own), handed out in order; read_stream wraps it as a
//                    std::istream (errors propagate as exceptions: badbit is in its exception mask).
//   chunked_writer   buffers one chunk, uploads full chunks (up to `parallelism` at once) through an
//                    upload_target, and publishes them on commit(); abort(), or destroying it uncommitted,
//                    leaves no final object (upload_target::abort cleans up what was staged).
// Holding at most (parallelism + 1) chunks: no whole-file buffering.

#include <hqml/azure/redact.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <istream>
#include <memory>
#include <streambuf>
#include <string>
#include <string_view>
#include <utility>

namespace hqml::azure {

class parallel_reader {
 public:
  /// fetch(offset, length) returns exactly `length` bytes or throws; it is called from several threads.
  using fetch_function = std::function<std::string(std::uint64_t offset, std::uint64_t length)>;

  parallel_reader(fetch_function fetch, std::uint64_t size, std::size_t chunk, unsigned parallelism)
      : fetch_(std::move(fetch)),
        size_(size),
        chunk_(std::max<std::size_t>(chunk, 1)),
        parallelism_(std::max(parallelism, 1U)) {
    fill();
  }
  parallel_reader(const parallel_reader&) = delete;
  parallel_reader& operator=(const parallel_reader&) = delete;
  ~parallel_reader() {
    cancelled_->store(true);
    for (auto& f : inflight_) f.wait();  // fetches already running finish; those not begun return at once
  }

  [[nodiscard]] std::uint64_t size() const { return size_; }

  /// Copies up to n bytes into out; 0 only at the end. Throws what a fetch threw, and after a failure
  /// throws that same error on every later call: the bytes of the failed chunk are gone, so the stream must
  /// never look like it ended cleanly. Bytes copied before the failure are returned first.
  std::size_t read(char* out, std::size_t n) {
    if (error_) std::rethrow_exception(error_);
    std::size_t done = 0;
    while (done < n) {
      if (pos_ == current_.size()) {
        if (inflight_.empty()) break;
        auto f = std::move(inflight_.front());
        inflight_.pop_front();
        try {
          current_ = f.get();
        } catch (...) {
          error_ = std::current_exception();
          current_.clear();
          pos_ = 0;
          cancelled_->store(true);  // the chunks after it are of no use
          if (done > 0) return done;
          throw;
        }
        pos_ = 0;
        fill();
        if (current_.empty()) continue;
      }
      const std::size_t take = std::min(n - done, current_.size() - pos_);
      std::memcpy(out + done, current_.data() + pos_, take);
      pos_ += take;
      done += take;
    }
    return done;
  }

 private:
  void fill() {
    while (inflight_.size() < parallelism_ && next_ < size_) {
      const std::uint64_t offset = next_, length = std::min<std::uint64_t>(chunk_, size_ - next_);
      next_ += length;
      inflight_.push_back(std::async(std::launch::async, [fetch = fetch_, offset, length, c = cancelled_] {
        if (c->load()) return std::string();
        std::string data = fetch(offset, length);
        if (data.size() != length)
          throw azure_error("ranged read at offset " + std::to_string(offset) + ": got " + std::to_string(data.size()) +
                            " bytes of " + std::to_string(length));
        return data;
      }));
    }
  }

  fetch_function fetch_;
  std::uint64_t size_;
  std::size_t chunk_;
  unsigned parallelism_;
  std::uint64_t next_ = 0;
  std::deque<std::future<std::string>> inflight_;
  std::string current_;
  std::size_t pos_ = 0;
  std::exception_ptr error_;  // the first failure, rethrown by every later read
  std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);
};

/// A std::istream over a parallel_reader.
class read_stream : public std::istream {
 public:
  explicit read_stream(std::unique_ptr<parallel_reader> reader) : std::istream(nullptr), buf_(std::move(reader)) {
    rdbuf(&buf_);
    exceptions(std::ios::badbit);  // a failed read throws its azure_error instead of looking like an end
  }
  [[nodiscard]] std::uint64_t size() const { return buf_.reader->size(); }

 private:
  struct buffer : std::streambuf {
    explicit buffer(std::unique_ptr<parallel_reader> r) : reader(std::move(r)), area(std::size_t{64} * 1024, '\0') {}
    int_type underflow() override {
      if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
      const std::size_t n = reader->read(area.data(), area.size());
      if (n == 0) return traits_type::eof();
      setg(area.data(), area.data(), area.data() + n);
      return traits_type::to_int_type(*gptr());
    }
    std::unique_ptr<parallel_reader> reader;
    std::string area;
  };
  buffer buf_;
};

/// Where a chunked_writer's chunks go.
class upload_target {
 public:
  virtual ~upload_target() = default;
  /// Stores chunk `index` (bytes [offset, offset + data.size())); may be called from several threads at once
  /// when parallel() is true, else one at a time in order.
  virtual void upload(std::size_t index, std::uint64_t offset, std::string_view data) = 0;
  /// Publishes chunks [0, count) as the object (total bytes); `small` holds the whole object when no chunk
  /// was uploaded (count == 0), so a small object may be written in one request.
  virtual void commit(std::size_t count, std::uint64_t total, std::string_view small) = 0;
  /// Removes whatever was staged; never throws.
  virtual void abort() noexcept = 0;
  [[nodiscard]] virtual bool parallel() const { return true; }
};

class chunked_writer {
 public:
  chunked_writer(std::unique_ptr<upload_target> target, std::size_t chunk, unsigned parallelism)
      : target_(std::move(target)),
        chunk_(std::max<std::size_t>(chunk, 1)),
        parallelism_(target_->parallel() ? std::max(parallelism, 1U) : 1U) {
    buffer_.reserve(std::min<std::size_t>(chunk_, std::size_t{1} << 20));
  }
  chunked_writer(const chunked_writer&) = delete;
  chunked_writer& operator=(const chunked_writer&) = delete;
  ~chunked_writer() { abort(); }

  void write(std::string_view data) {
    if (state_ != state::open) throw azure_error("write to a storage writer that is already committed or aborted");
    while (!data.empty()) {
      const std::size_t take = std::min(data.size(), chunk_ - buffer_.size());
      buffer_.append(data.substr(0, take));
      data.remove_prefix(take);
      if (buffer_.size() == chunk_) ship();
    }
  }

  /// Uploads what is left and publishes the object. On failure the object is not published, what was
  /// staged is removed, and the error is rethrown.
  void commit() {
    if (state_ != state::open) throw azure_error("commit of a storage writer that is already committed or aborted");
    try {
      if (count_ > 0 && !buffer_.empty()) ship();
      drain();
      target_->commit(count_, total_ + buffer_.size(), count_ == 0 ? std::string_view(buffer_) : std::string_view());
      state_ = state::committed;
      buffer_.clear();
    } catch (...) {
      abort();
      throw;
    }
  }

  /// Drops everything written; never throws.
  void abort() noexcept {
    if (state_ != state::open) return;
    state_ = state::aborted;
    for (auto& f : inflight_) f.wait();
    inflight_.clear();
    target_->abort();
  }

  [[nodiscard]] std::uint64_t bytes_written() const { return total_ + buffer_.size(); }

 private:
  enum class state { open, committed, aborted };

  void ship() {
    while (inflight_.size() >= parallelism_) {
      auto f = std::move(inflight_.front());
      inflight_.pop_front();
      try {
        f.get();
      } catch (...) {
        abort();
        throw;
      }
    }
    auto data = std::make_shared<std::string>(std::move(buffer_));
    buffer_.clear();
    buffer_.reserve(std::min<std::size_t>(chunk_, std::size_t{1} << 20));
    const std::size_t index = count_++;
    const std::uint64_t offset = total_;
    total_ += data->size();
    inflight_.push_back(
        std::async(std::launch::async, [t = target_.get(), index, offset, data] { t->upload(index, offset, *data); }));
  }
  void drain() {
    while (!inflight_.empty()) {
      auto f = std::move(inflight_.front());
      inflight_.pop_front();
      f.get();
    }
  }

  std::unique_ptr<upload_target> target_;
  std::size_t chunk_;
  unsigned parallelism_;
  std::string buffer_;
  std::size_t count_ = 0;
  std::uint64_t total_ = 0;
  std::deque<std::future<void>> inflight_;
  state state_ = state::open;
};

}  // namespace hqml::azure
