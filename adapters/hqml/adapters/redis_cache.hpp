#pragma once
// hqml serve's shared result cache on Redis (hiredis), for several replicas of the server: a row one replica
// scored is answered by the others. Put behind the embedded cache (serve::tiered_cache), it only sees the
// keys that replica has not kept itself.
//
// A cache must never make scoring slower than no cache: every get and put returns within connect_timeout +
// command_timeout whatever Redis does (refuses, hangs, accepts the connection and never answers, closes it
// midway), counts the failure, drops the connection, and does not try again before retry_after, so a dead
// Redis costs a clock read per request. To bound the whole command (SO_RCVTIMEO would bound each read, not
// the reply, and not the wait for the connection) the commands' bytes go through the socket here, non-blocking
// against one deadline; hiredis connects (with its timeout), formats the commands and parses the replies.
// Sends use MSG_NOSIGNAL: a server gone away is an error, never SIGPIPE.
//
// One connection guarded by one mutex: simple, and enough because the embedded cache in front takes the hot
// keys; a call that cannot get the connection before its deadline is a miss, not an error. Host names are
// resolved by the system resolver when (re)connecting, which no timeout here bounds: use an address or a name
// in /etc/hosts where that matters.

#include <hqml/serve/cache.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

namespace hqml::adapters {

struct redis_options {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::chrono::milliseconds connect_timeout{100}, command_timeout{50};
  std::chrono::seconds ttl{3600};  // 0 = no expiry
  std::string key_prefix = "hqml:";
  std::chrono::milliseconds retry_after{1000};  // after a failure, do not try to reconnect sooner than this
};

namespace detail {

// The URL as it may appear in a one-line message: control and non-ASCII bytes escaped.
inline std::string printable(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(ch);
    } else {
      std::array<char, 5> buf{};
      std::snprintf(buf.data(), buf.size(), "\\x%02x", c);
      out.append(buf.data());
    }
  }
  return out;
}

inline bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace detail

/// Parses "redis://HOST:PORT" or "redis://HOST" (port 6379); an IPv6 address in brackets ("redis://[::1]:6379");
/// a trailing "/" is allowed. Throws std::invalid_argument with a one-line message for anything else: another
/// scheme (rediss:// included: no TLS), an empty host, a port not in 1..65535, a user or password, a path or
/// database number, a query.
[[nodiscard]] inline redis_options parse_redis_url(std::string_view url) {
  const auto fail = [url](std::string_view why) {
    throw std::invalid_argument("redis URL \"" + detail::printable(url) + "\": " + std::string(why));
  };
  constexpr std::string_view scheme = "redis://";
  if (url.size() < scheme.size() || !detail::iequals(url.substr(0, scheme.size()), scheme)) {
    if (url.size() >= 9 && detail::iequals(url.substr(0, 9), "rediss://"))
      fail("TLS (rediss://) is not supported; use redis://HOST:PORT");
    fail("expected redis://HOST:PORT");
  }
  std::string_view rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);  // an empty path
  if (rest.find('@') != std::string_view::npos) fail("a user or password (USER@HOST) is not supported");
  if (rest.find_first_of("/?#") != std::string_view::npos)
    fail("a path, database number or query is not supported; use redis://HOST:PORT");

  std::string_view host, port;
  bool has_port = false;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) fail("'[' without ']' around an IPv6 address");
    host = rest.substr(1, close - 1);
    const auto after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') fail("expected ':PORT' after the ']' of an IPv6 address");
      port = after.substr(1);
      has_port = true;
    }
    if (host.find(':') == std::string_view::npos && !host.empty()) fail("brackets hold an IPv6 address only");
    if (host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos)
      fail("bad IPv6 address '" + detail::printable(host) + "'");
  } else {
    const auto colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      has_port = true;
      if (port.find(':') != std::string_view::npos) fail("an IPv6 address needs brackets: redis://[::1]:6379");
    }
    const bool bad = std::any_of(host.begin(), host.end(), [](char ch) {
      return !(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '_');
    });
    if (bad) fail("bad host name '" + detail::printable(host) + "'");
  }
  if (host.empty()) fail("empty host; use redis://HOST:PORT");

  redis_options o;
  o.host = std::string(host);
  if (has_port) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value < 1 || value > 65535)
      fail("port '" + detail::printable(port) + "' is not in 1..65535");
    o.port = static_cast<int>(value);
  }
  return o;
}

/// The shared cache: GET and SET (with EX ttl) of key_prefix + key, binary-safe. Never throws for a Redis
/// failure and never blocks longer than connect_timeout + command_timeout (see the top of this file).
/// Connects lazily, on the first call. Thread-safe.
class redis_cache final : public serve::result_cache {
 public:
  /// Throws std::invalid_argument for options that cannot work (port, timeouts); not when Redis is down.
  explicit redis_cache(redis_options o) : o_(std::move(o)) {
    if (o_.port < 1 || o_.port > 65535)
      throw std::invalid_argument("hqml::adapters::redis_cache: port not in 1..65535");
    if (o_.connect_timeout.count() <= 0 || o_.command_timeout.count() <= 0)
      throw std::invalid_argument("hqml::adapters::redis_cache: connect_timeout and command_timeout must be positive");
    if (o_.ttl.count() < 0 || o_.retry_after.count() < 0)
      throw std::invalid_argument("hqml::adapters::redis_cache: ttl and retry_after must not be negative");
    ttl_arg_ = std::to_string(o_.ttl.count());
  }
  redis_cache(const redis_cache&) = delete;
  redis_cache& operator=(const redis_cache&) = delete;

  /// Every get counts one hit or one miss (failures, and calls skipped while Redis is given up on, are
  /// misses); errors counts failed connects and commands.
  std::optional<std::string> get(std::string_view key) override {
    const std::string full = o_.key_prefix + std::string(key);
    const std::array<std::string_view, 2> args{"GET", full};
    const auto reply = command(args);
    if (reply && reply->type == REDIS_REPLY_STRING) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      return std::string(reply->str, reply->len);
    }
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }

  void put(std::string_view key, std::string_view value) override {
    const std::string full = o_.key_prefix + std::string(key);
    const std::array<std::string_view, 5> args{"SET", full, value, "EX", ttl_arg_};
    (void)command(std::span(args).first(o_.ttl.count() > 0 ? 5 : 3));
  }

  /// One MGET for all the keys: one round trip, one deadline. Each key counts a hit or a miss.
  std::vector<std::optional<std::string>> get_many(std::span<const std::string> keys) override {
    std::vector<std::optional<std::string>> out(keys.size());
    if (keys.empty()) return out;
    std::vector<std::string> full;
    full.reserve(keys.size());
    for (const auto& k : keys) full.push_back(o_.key_prefix + k);
    std::vector<std::string_view> args{"MGET"};
    for (const auto& k : full) args.push_back(k);
    std::vector<reply_ptr> replies = commands({std::span<const std::string_view>(args)});
    const redisReply* r = replies.empty() ? nullptr : replies.front().get();
    std::uint64_t hits = 0;
    if (r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == keys.size())
      for (std::size_t i = 0; i < keys.size(); ++i)
        if (r->element[i]->type == REDIS_REPLY_STRING) {
          out[i].emplace(r->element[i]->str, r->element[i]->len);
          ++hits;
        }
    hits_.fetch_add(hits, std::memory_order_relaxed);
    misses_.fetch_add(keys.size() - hits, std::memory_order_relaxed);
    return out;
  }

  /// The SETs pipelined: all sent, then all replies read, under one deadline.
  void put_many(std::span<const std::pair<std::string, std::string>> entries) override {
    if (entries.empty()) return;
    std::vector<std::string> full;
    full.reserve(entries.size());
    for (const auto& e : entries) full.push_back(o_.key_prefix + e.first);
    std::vector<std::array<std::string_view, 5>> args(entries.size());
    std::vector<std::span<const std::string_view>> cmds;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      args[i] = {"SET", full[i], entries[i].second, "EX", ttl_arg_};
      cmds.push_back(std::span<const std::string_view>(args[i]).first(o_.ttl.count() > 0 ? 5 : 3));
    }
    (void)commands(cmds);
  }

  [[nodiscard]] serve::cache_stats stats() const {
    return {.hits = hits_.load(std::memory_order_relaxed),
            .misses = misses_.load(std::memory_order_relaxed),
            .evictions = 0,
            .errors = errors_.load(std::memory_order_relaxed),
            .entries = 0,
            .bytes = 0};
  }

  /// Whether a connection is open now (it was when last used; a server gone since is found by the next call).
  [[nodiscard]] bool connected() const noexcept { return connected_.load(std::memory_order_relaxed); }

  /// The last failure, one line ("" if none), for the server's log.
  [[nodiscard]] std::string last_error() const {
    const std::lock_guard lock(error_mutex_);
    return last_error_;
  }

  [[nodiscard]] const redis_options& options() const noexcept { return o_; }

 private:
  using clock = std::chrono::steady_clock;
  struct context_free {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
  };
  struct reply_free {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
  };
  using reply_ptr = std::unique_ptr<redisReply, reply_free>;

  // One command and its reply within connect_timeout + command_timeout of now. Null when it was skipped
  // (connection busy past the deadline, or within retry_after of a failure) or failed (counted, dropped).
  // A reply of another type than expected (an error reply: OOM, LOADING, READONLY) also counts as a failure.
  reply_ptr command(std::span<const std::string_view> args) {
    auto replies = commands({args});
    return replies.empty() ? nullptr : std::move(replies.front());
  }

  // Several commands pipelined (all sent, then each reply read) within connect_timeout + command_timeout of now:
  // one reply per command, or none when the batch was skipped (connection busy past the deadline, or within
  // retry_after of a failure) or failed (counted, connection dropped). A reply of another type than expected (an
  // error reply: OOM, LOADING, READONLY) also counts as a failure.
  std::vector<reply_ptr> commands(const std::vector<std::span<const std::string_view>>& cmds) {
    const auto start = clock::now();
    const auto deadline = start + o_.connect_timeout + o_.command_timeout;
    std::unique_lock lock(mutex_, std::defer_lock);
    if (!lock.try_lock_until(deadline)) return {};
    if (!ctx_) {
      if (clock::now() < retry_at_ || !connect(deadline)) return {};
    }
    const auto command_deadline = std::min(deadline, clock::now() + o_.command_timeout);
    std::string bytes;
    std::vector<const char*> argv;
    std::vector<std::size_t> argvlen;
    for (const auto& args : cmds) {
      argv.clear();
      argvlen.clear();
      for (const auto& a : args) {
        argv.push_back(a.data());
        argvlen.push_back(a.size());
      }
      char* formatted = nullptr;
      const int len = redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), argv.data(), argvlen.data());
      if (len < 0) {
        fail("cannot format a command (out of memory)");
        return {};
      }
      const std::unique_ptr<char, void (*)(char*)> owned(formatted, redisFreeCommand);
      bytes.append(formatted, static_cast<std::size_t>(len));
    }
    if (!send_all(bytes, command_deadline)) return {};
    std::vector<reply_ptr> replies;
    for (const auto& args : cmds) {
      reply_ptr reply = receive(command_deadline);
      if (!reply) return {};
      const bool expected = args.front() == "SET" ? reply->type == REDIS_REPLY_STATUS
                            : args.front() == "MGET"
                                ? reply->type == REDIS_REPLY_ARRAY
                                : reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_NIL;
      if (!expected) {
        fail(reply->type == REDIS_REPLY_ERROR ? "error reply: " + std::string(reply->str, reply->len)
                                              : "unexpected reply type " + std::to_string(reply->type));
        return {};
      }
      replies.push_back(std::move(reply));
    }
    return replies;
  }

  bool connect(clock::time_point deadline) {
    const auto budget = std::min<clock::duration>(o_.connect_timeout, deadline - clock::now());
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(budget).count();
    if (us <= 0) return false;  // the wait for the connection took the time: skipped, not a failure
    const timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
    ctx_.reset(redisConnectWithTimeout(o_.host.c_str(), o_.port, tv));
    if (!ctx_) {
      fail("cannot allocate a connection");
      return false;
    }
    if (ctx_->err != 0) {
      fail(std::string("cannot connect: ") + ctx_->errstr);
      return false;
    }
    connected_.store(true, std::memory_order_relaxed);
    return true;
  }

  // Waits for `events` on the connection until the deadline; false when it passed.
  bool wait(short events, clock::time_point deadline) {
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
      if (left <= 0) return false;
      pollfd p{ctx_->fd, events, 0};
      const int n = ::poll(&p, 1, static_cast<int>(left));
      if (n > 0) return true;  // ready, or an error the next send/recv reports
      if (n < 0 && errno != EINTR) return false;
    }
  }

  bool send_all(std::string_view bytes, clock::time_point deadline) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(ctx_->fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        bytes.remove_prefix(static_cast<std::size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!wait(POLLOUT, deadline)) return fail("timed out sending a command");
      } else if (n < 0 && errno != EINTR) {
        return fail(std::string("send: ") + std::strerror(errno));
      }
    }
    return true;
  }

  reply_ptr receive(clock::time_point deadline) {
    for (;;) {
      void* reply = nullptr;
      if (redisGetReplyFromReader(ctx_.get(), &reply) != REDIS_OK) {
        fail("protocol error: " + std::string(ctx_->errstr));
        return nullptr;
      }
      if (reply != nullptr) return reply_ptr(static_cast<redisReply*>(reply));
      std::array<char, 16384> buf;
      const ssize_t n = ::recv(ctx_->fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n > 0) {
        if (redisReaderFeed(ctx_->reader, buf.data(), static_cast<std::size_t>(n)) != REDIS_OK) {
          fail("cannot buffer a reply (out of memory)");
          return nullptr;
        }
      } else if (n == 0) {
        fail("the server closed the connection");
        return nullptr;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!wait(POLLIN, deadline)) {
          fail("timed out waiting for a reply");
          return nullptr;
        }
      } else if (errno != EINTR) {
        fail(std::string("recv: ") + std::strerror(errno));
        return nullptr;
      }
    }
  }

  // Counts a failure, drops the connection (its state is unknown) and gives Redis up for retry_after.
  bool fail(std::string why) {
    ctx_.reset();
    connected_.store(false, std::memory_order_relaxed);
    errors_.fetch_add(1, std::memory_order_relaxed);
    retry_at_ = clock::now() + o_.retry_after;
    const std::lock_guard lock(error_mutex_);
    last_error_ = "redis " + o_.host + ":" + std::to_string(o_.port) + ": " + std::move(why);
    return false;
  }

  const redis_options o_;
  std::string ttl_arg_;
  std::timed_mutex mutex_;  // guards ctx_ and retry_at_
  std::unique_ptr<redisContext, context_free> ctx_;
  clock::time_point retry_at_{};
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, errors_{0};
  mutable std::mutex error_mutex_;
  std::string last_error_;
};

}  // namespace hqml::adapters
