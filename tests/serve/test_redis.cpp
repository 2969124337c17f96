// hqml serve's shared cache on Redis (adapters/hqml/adapters/redis_cache.hpp): its URL, a round trip of
// binary values through a real redis-server this test starts on a free loopback port, the TTL it sets, and
// what it does when Redis refuses, never answers, is stopped (SIGSTOP) or killed mid-use: every call returns
// within connect_timeout + command_timeout (3x here: a behaviour check, not a benchmark), the failures are
// counted, and the cache works again once Redis is back and retry_after has passed.
#include "common/skip.hpp"

#include <catch2/catch.hpp>

#include <hqml/adapters/redis_cache.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using hqml::adapters::parse_redis_url;
using hqml::adapters::redis_cache;
using hqml::adapters::redis_options;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

// A loopback socket bound to a port the kernel picked; listening when asked (and then never accepting nor
// answering: a server that takes the connection and says nothing).
class loopback_socket {
 public:
  explicit loopback_socket(bool listening) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0 || (listening && ::listen(fd_, 16) != 0)) {
      const int err = errno;
      ::close(fd_);
      throw std::system_error(err, std::generic_category(), "bind/listen on 127.0.0.1");
    }
    port_ = ntohs(a.sin_port);
  }
  ~loopback_socket() { close(); }
  loopback_socket(const loopback_socket&) = delete;
  loopback_socket& operator=(const loopback_socket&) = delete;
  int port() const { return port_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port nothing listens on (for a moment: the kernel gave it to us and we let it go).
int free_port() {
  loopback_socket s(false);
  return s.port();
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string_view rest(path);
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const std::filesystem::path dir(std::string(rest.substr(0, colon)));
    if (::access((dir / program).c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return false;
}

// A connection of the test's own, to check what the cache wrote and whether Redis answers.
struct raw_connection {
  explicit raw_connection(int port) {
    c = redisConnectWithTimeout("127.0.0.1", port, timeval{0, 200000});
    if (c != nullptr && c->err == 0) redisSetTimeout(c, timeval{0, 500000});
  }
  ~raw_connection() {
    if (c != nullptr) redisFree(c);
  }
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;
  bool ok() const { return c != nullptr && c->err == 0; }
  // The integer reply of a one-key command (TTL, EXISTS); nullopt when there is none.
  std::optional<long long> integer(const char* command, std::string_view key) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "%s %b", command, key.data(), key.size()));
    if (r == nullptr) return std::nullopt;
    std::optional<long long> out;
    if (r->type == REDIS_REPLY_INTEGER) out = r->integer;
    freeReplyObject(r);
    return out;
  }
  std::optional<std::string> get(std::string_view key) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "GET %b", key.data(), key.size()));
    if (r == nullptr) return std::nullopt;
    std::optional<std::string> out;
    if (r->type == REDIS_REPLY_STRING) out = std::string(r->str, r->len);
    freeReplyObject(r);
    return out;
  }
  bool ping() {
    auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
    const bool pong = r != nullptr && r->type == REDIS_REPLY_STATUS && std::string_view(r->str, r->len) == "PONG";
    if (r != nullptr) freeReplyObject(r);
    return pong;
  }
  redisContext* c = nullptr;
};

// A private redis-server on 127.0.0.1:port, killed (with its children's death signal, if this test dies) at the
// end. No persistence: nothing is written to disk.
class redis_server {
 public:
  explicit redis_server(int port) : port_(port) { start(); }
  ~redis_server() { kill_now(); }
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  void start() {
    const std::string port = std::to_string(port_);
    pid_ = ::fork();
    if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int null = ::open("/dev/null", O_RDWR);
      if (null >= 0) {
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
      }
      ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--daemonize", "no", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    const auto give_up = steady::now() + 10s;
    while (steady::now() < give_up) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server on port " + port + " exited at start");
      }
      if (raw_connection r(port_); r.ok() && r.ping()) return;
      std::this_thread::sleep_for(20ms);
    }
    throw std::runtime_error("redis-server on port " + port + " did not answer PING within 10 s");
  }
  void pause() const { ::kill(pid_, SIGSTOP); }
  void kill_now() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int port() const { return port_; }

 private:
  int port_;
  pid_t pid_ = -1;
};

redis_options fast_options(int port) {
  redis_options o;
  o.port = port;
  o.connect_timeout = 100ms;
  o.command_timeout = 50ms;
  o.retry_after = 300ms;
  o.key_prefix = "hqml-test:";
  return o;
}

// What no call may exceed: 3x the sum of the timeouts.
steady::duration bound_of(const redis_options& o) { return 3 * (o.connect_timeout + o.command_timeout); }

template <class F>
steady::duration timed(F&& f) {
  const auto t0 = steady::now();
  f();
  return steady::now() - t0;
}

// Calls get and put alternately for `how_long`; every call is timed and every get must miss. Returns the
// slowest call.
steady::duration hammer(redis_cache& cache, steady::duration how_long, int& hits) {
  steady::duration slowest{};
  const auto end = steady::now() + how_long;
  for (int i = 0; steady::now() < end; ++i) {
    const std::string key = "k" + std::to_string(i);
    slowest = std::max(slowest, timed([&] {
                         if (cache.get(key)) ++hits;
                       }));
    slowest = std::max(slowest, timed([&] { cache.put(key, "value"); }));
    std::this_thread::sleep_for(5ms);
  }
  return slowest;
}

double ms(steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

TEST_CASE("parse_redis_url: accepted forms", "[serve][redis]") {
  auto o = parse_redis_url("redis://cache.internal:6380");
  CHECK(o.host == "cache.internal");
  CHECK(o.port == 6380);
  o = parse_redis_url("redis://10.0.0.7");
  CHECK(o.host == "10.0.0.7");
  CHECK(o.port == 6379);
  o = parse_redis_url("redis://[::1]:7000");
  CHECK(o.host == "::1");
  CHECK(o.port == 7000);
  o = parse_redis_url("redis://[::1]");
  CHECK(o.host == "::1");
  CHECK(o.port == 6379);
  o = parse_redis_url("REDIS://localhost:1/");
  CHECK(o.host == "localhost");
  CHECK(o.port == 1);
  CHECK(parse_redis_url("redis://h:65535").port == 65535);
  CHECK(o.ttl == redis_options{}.ttl);  // the rest keeps its defaults
  CHECK(o.key_prefix == "hqml:");
}

TEST_CASE("parse_redis_url: refused forms, each with a one-line message", "[serve][redis]") {
  const std::vector<std::pair<std::string, std::string>> bad{
      {"http://h:6379", "expected redis://HOST:PORT"},
      {"rediss://h:6379", "TLS"},
      {"h:6379", "expected redis://"},
      {"redis://", "empty host"},
      {"redis://:6379", "empty host"},
      {"redis://[]:6379", "empty host"},
      {"redis://h:0", "port '0' is not in 1..65535"},
      {"redis://h:65536", "not in 1..65535"},
      {"redis://h:-1", "not in 1..65535"},
      {"redis://h:", "port '' is not"},
      {"redis://h:63x", "not in 1..65535"},
      {"redis://user:pw@h:6379", "user or password"},
      {"redis://h:6379/0", "database number"},
      {"redis://h:6379?db=1", "query"},
      {"redis://::1:6379", "brackets"},
      {"redis://[::1:6379", "without ']'"},
      {"redis://[::1]6379", "expected ':PORT'"},
      {"redis://[host]:6379", "IPv6 address only"},
      {"redis://bad host:6379", "bad host name"},
      {std::string("redis://h\n:6379"), "bad host name 'h\\x0a'"},
  };
  for (const auto& [url, why] : bad) {
    INFO(url);
    try {
      (void)parse_redis_url(url);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      CHECK_THAT(what, Catch::Matchers::Contains(why));
      CHECK(what.find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("redis_cache: options that cannot work are refused, a down server is not", "[serve][redis]") {
  auto o = fast_options(free_port());
  CHECK_NOTHROW(redis_cache{o});
  o.command_timeout = 0ms;
  CHECK_THROWS_AS(redis_cache{o}, std::invalid_argument);
  o = fast_options(0);
  CHECK_THROWS_AS(redis_cache{o}, std::invalid_argument);
  o = fast_options(6379);
  o.ttl = -1s;
  CHECK_THROWS_AS(redis_cache{o}, std::invalid_argument);
}

TEST_CASE("redis_cache: a refused connection is one counted error, then nothing until retry_after", "[serve][redis]") {
  const auto o = fast_options(free_port());
  redis_cache cache(o);
  CHECK_FALSE(cache.connected());
  CHECK(timed([&] { CHECK_FALSE(cache.get("a").has_value()); }) < bound_of(o));
  CHECK(cache.stats().errors == 1);
  CHECK_THAT(cache.last_error(), Catch::Matchers::Contains("cannot connect"));
  // Within retry_after nothing is tried: no more errors, however many calls.
  for (int i = 0; i < 20; ++i) {
    cache.put("a", "b");
    CHECK_FALSE(cache.get("a").has_value());
  }
  CHECK(cache.stats().errors == 1);
  CHECK(cache.stats().misses == 21);
  CHECK(cache.stats().hits == 0);
  std::this_thread::sleep_for(o.retry_after + 50ms);
  cache.put("a", "b");  // tried again
  CHECK(cache.stats().errors == 2);
  CHECK_FALSE(cache.connected());
}

TEST_CASE("redis_cache: a server that accepts the connection and never answers costs the timeouts only",
          "[serve][redis]") {
  loopback_socket silent(true);
  const auto o = fast_options(silent.port());
  redis_cache cache(o);
  const auto first = timed([&] { CHECK_FALSE(cache.get("a").has_value()); });
  INFO("first get took " << ms(first) << " ms");
  CHECK(first >= o.command_timeout);  // it did wait for a reply
  CHECK(first < bound_of(o));
  CHECK(cache.stats().errors == 1);
  CHECK_THAT(cache.last_error(), Catch::Matchers::Contains("timed out waiting for a reply"));
  CHECK_FALSE(cache.connected());
  std::this_thread::sleep_for(o.retry_after + 50ms);
  const auto put = timed([&] { cache.put("a", std::string(1 << 20, 'x')); });  // more than a socket buffer
  INFO("put after retry_after took " << ms(put) << " ms");
  CHECK(put < bound_of(o));
  CHECK(cache.stats().errors == 2);
}

TEST_CASE("redis_cache: round trip of binary values, the TTL, and concurrent use of a real Redis", "[serve][redis]") {
  if (!on_path("redis-server")) HQML_SKIP_TEST("redis-server is not on PATH; the Redis cache test did not run");
  redis_server server(free_port());
  auto o = fast_options(server.port());
  o.ttl = 600s;
  redis_cache cache(o);
  raw_connection raw(server.port());
  REQUIRE(raw.ok());

  const std::string key("row\0\x01\xff", 6), value("\0score\0\xfe\n", 10);
  CHECK_FALSE(cache.get(key).has_value());
  cache.put(key, value);
  CHECK(cache.connected());
  CHECK(cache.get(key) == value);
  CHECK(raw.get("hqml-test:" + key) == value);  // under the prefix, bytes intact
  const auto ttl = raw.integer("TTL", "hqml-test:" + key);
  REQUIRE(ttl.has_value());
  CHECK(*ttl > 590);
  CHECK(*ttl <= 600);
  CHECK(cache.stats().hits == 1);
  CHECK(cache.stats().misses == 1);
  CHECK(cache.stats().errors == 0);

  auto forever = o;
  forever.ttl = 0s;
  redis_cache no_expiry(forever);
  no_expiry.put("kept", "1");
  CHECK(raw.integer("TTL", "hqml-test:kept") == -1);  // exists, no expiry
  CHECK(cache.get("kept") == "1");

  // Many keys in one round trip: the SETs pipelined, one MGET; hits and misses counted per key.
  const auto before = cache.stats();
  std::vector<std::pair<std::string, std::string>> entries;
  for (int i = 0; i < 64; ++i) entries.emplace_back("m" + std::to_string(i), std::string("v\0", 2) + std::to_string(i));
  cache.put_many(entries);
  CHECK(raw.get("hqml-test:m63") == std::string("v\0", 2) + "63");
  CHECK(raw.integer("TTL", "hqml-test:m0").value_or(0) > 590);
  std::vector<std::string> keys{"m0", "absent", "m63", key};
  const auto got = cache.get_many(keys);
  REQUIRE(got.size() == 4);
  CHECK(got[0] == std::string("v\0", 2) + "0");
  CHECK_FALSE(got[1].has_value());
  CHECK(got[2] == std::string("v\0", 2) + "63");
  CHECK(got[3] == value);
  CHECK(cache.stats().hits == before.hits + 3);
  CHECK(cache.stats().misses == before.misses + 1);
  CHECK(cache.stats().errors == 0);

  // Several threads on the one connection: every hit is the value its key was given.
  std::atomic<int> wrong{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const std::string k = "c" + std::to_string((i * 7 + t) % 50);
        if (i % 3 == 0) {
          cache.put(k, k + "-value");
        } else if (const auto hit = cache.get(k); hit && *hit != k + "-value") {
          wrong.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(wrong.load() == 0);
  CHECK(cache.stats().errors == 0);
  CHECK(cache.stats().hits > 1);
}

TEST_CASE("redis_cache: Redis stopped, then killed, then back: bounded calls, counted errors, recovery",
          "[serve][redis]") {
  if (!on_path("redis-server")) HQML_SKIP_TEST("redis-server is not on PATH; the Redis cache test did not run");
  redis_server server(free_port());
  const auto o = fast_options(server.port());
  redis_cache cache(o);
  cache.put("before", "1");
  REQUIRE(cache.get("before") == "1");
  REQUIRE(cache.connected());
  REQUIRE(cache.stats().errors == 0);

  // Slow: the process is stopped; the kernel still accepts connections for it, nobody answers.
  server.pause();
  int hits = 0;
  auto slowest = hammer(cache, 3 * o.retry_after + 100ms, hits);
  INFO("stopped: slowest call " << ms(slowest) << " ms");
  CHECK(slowest < bound_of(o));
  CHECK(hits == 0);
  const auto errors_stopped = cache.stats().errors;
  CHECK(errors_stopped >= 2);  // the first failure, and at least one retry after retry_after
  CHECK(errors_stopped <= 5);  // but not one per call
  CHECK_THAT(cache.last_error(), Catch::Matchers::Contains("timed out"));

  // Down: killed; connections are refused.
  server.kill_now();
  slowest = hammer(cache, 3 * o.retry_after + 100ms, hits);
  INFO("killed: slowest call " << ms(slowest) << " ms");
  CHECK(slowest < bound_of(o));
  CHECK(hits == 0);
  CHECK(cache.stats().errors >= errors_stopped + 2);
  CHECK_FALSE(cache.connected());

  // Back on the same port (empty: no persistence): the cache works again once retry_after has passed.
  server.start();
  std::this_thread::sleep_for(o.retry_after + 50ms);
  const auto errors_down = cache.stats().errors;
  cache.put("after", "2");
  CHECK(cache.get("after") == "2");
  CHECK(cache.connected());
  CHECK(cache.stats().errors == errors_down);
  CHECK_FALSE(cache.get("before").has_value());
}
