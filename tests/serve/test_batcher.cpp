// hqml serve's dynamic batcher and circuit breaker: every request gets exactly its own rows' results whatever
// batches it shared, batches respect their row limit and close early when full, a batch's failure reaches that
// batch's requests only, shutdown drains, a full queue refuses, and the breaker's state machine (one probe only).
// Timing is never asserted as an upper bound: waits have a generous limit that only a bug can reach.
#include <catch2/catch.hpp>

#include <hqml/serve/batcher.hpp>
#include <hqml/serve/circuit_breaker.hpp>

#include <Eigen/Core>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <latch>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using hqml::serve::batch_options;
using hqml::serve::dynamic_batcher;

namespace {

// Long enough that reaching it means a hang, not a slow machine.
constexpr auto patience = 60s;

// n rows whose first column numbers them first, first + 1, ...; the other columns hold the width, which the
// concurrent test's process checks (a batch mixing widths would show).
Eigen::MatrixXd numbered_rows(std::int64_t first, Eigen::Index n, Eigen::Index cols = 3) {
  Eigen::MatrixXd m = Eigen::MatrixXd::Constant(n, cols, static_cast<double>(cols));
  for (Eigen::Index i = 0; i < n; ++i) m(i, 0) = static_cast<double>(first + i);
  return m;
}

std::vector<std::int64_t> numbers(std::int64_t first, std::int64_t n) {
  std::vector<std::int64_t> v;
  for (std::int64_t i = 0; i < n; ++i) v.push_back(first + i);
  return v;
}

// What the server's process does to a row, reduced to something that identifies the row.
std::vector<std::int64_t> first_column(const Eigen::MatrixXd& rows) {
  std::vector<std::int64_t> out;
  for (Eigen::Index i = 0; i < rows.rows(); ++i) out.push_back(static_cast<std::int64_t>(rows(i, 0)));
  return out;
}

// The (rows, requests) of every batch, in order, as on_batch reports them.
struct batch_log {
  std::mutex mutex;
  std::vector<std::pair<std::size_t, std::size_t>> batches;
  void attach(dynamic_batcher<std::int64_t>& b) {
    b.on_batch([this](std::size_t rows, std::size_t requests) {
      const std::lock_guard lock(mutex);
      batches.emplace_back(rows, requests);
    });
  }
  std::vector<std::pair<std::size_t, std::size_t>> get() {
    const std::lock_guard lock(mutex);
    return batches;
  }
};

template <class T>
bool ready(std::future<T>& f, std::chrono::seconds wait = patience) {
  return f.wait_for(wait) == std::future_status::ready;
}

}  // namespace

TEST_CASE("dynamic_batcher: concurrent requests each get exactly their own rows' results", "[serve][batcher]") {
  const batch_options options{.max_batch_rows = 16, .max_delay = 300us, .max_queue_rows = 1 << 20};
  std::atomic<bool> mixed_widths{false};
  dynamic_batcher<std::int64_t> batcher(
      [&](const Eigen::MatrixXd& rows) {
        for (Eigen::Index i = 0; i < rows.rows(); ++i)
          if (rows(i, rows.cols() - 1) != static_cast<double>(rows.cols())) mixed_widths = true;
        return first_column(rows);
      },
      options);
  batch_log log;
  log.attach(batcher);

  constexpr int threads = 4, requests_per_thread = 60;
  struct request {
    std::int64_t first;
    std::int64_t rows;
    std::future<std::vector<std::int64_t>> result;
  };
  std::vector<std::vector<request>> sent(threads);
  std::latch start(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      start.arrive_and_wait();  // all at once, so that requests of several threads share batches
      for (int r = 0; r < requests_per_thread; ++r) {
        // 1 to 9 rows, every 13th request larger than a batch; threads 1 and 3 send 2 columns, the others 3.
        const std::int64_t n = r % 13 == 12 ? 19 : (t * 7 + r * 3) % 9 + 1;
        const std::int64_t first = (t * 1000 + r) * 100;
        auto f = batcher.submit(numbered_rows(first, n, 2 + (t + 1) % 2));
        sent[t].push_back({first, n, std::move(f)});
      }
    });
  }
  for (auto& th : pool) th.join();

  std::size_t total_rows = 0, total_requests = 0;
  for (auto& per_thread : sent) {
    for (auto& r : per_thread) {
      REQUIRE(ready(r.result));
      CHECK(r.result.get() == numbers(r.first, r.rows));
      total_rows += static_cast<std::size_t>(r.rows);
      ++total_requests;
    }
  }
  CHECK_FALSE(mixed_widths);
  batcher.shutdown();
  std::size_t logged_rows = 0, logged_requests = 0;
  for (const auto& [rows, requests] : log.get()) {
    INFO("batch of " << rows << " rows from " << requests << " requests");
    CHECK((rows <= options.max_batch_rows || requests == 1));
    logged_rows += rows;
    logged_requests += requests;
  }
  CHECK(logged_rows == total_rows);
  CHECK(logged_requests == total_requests);
  CHECK(batcher.queued_rows() == 0);
}

TEST_CASE("dynamic_batcher: a full batch closes before max_delay", "[serve][batcher]") {
  // max_delay is far beyond the test's patience: only a full batch (or shutdown) can close.
  dynamic_batcher<std::int64_t> batcher(first_column, {.max_batch_rows = 8, .max_delay = 10min});
  batch_log log;
  log.attach(batcher);

  SECTION("rows reaching max_batch_rows") {
    auto a = batcher.submit(numbered_rows(0, 3));
    auto b = batcher.submit(numbered_rows(100, 5));
    REQUIRE(ready(a));
    REQUIRE(ready(b));
    CHECK(a.get() == numbers(0, 3));
    CHECK(b.get() == numbers(100, 5));
    CHECK(log.get() == std::vector<std::pair<std::size_t, std::size_t>>{{8, 2}});
  }
  SECTION("a request that would not fit, or has another width, starts the next batch") {
    auto a = batcher.submit(numbered_rows(0, 3));
    auto b = batcher.submit(numbered_rows(100, 3));
    auto c = batcher.submit(numbered_rows(200, 3));  // 9 rows: c waits for the next batch
    REQUIRE(ready(a));
    REQUIRE(ready(b));
    CHECK(a.get() == numbers(0, 3));
    CHECK(b.get() == numbers(100, 3));
    CHECK(c.wait_for(0s) == std::future_status::timeout);
    auto d = batcher.submit(numbered_rows(300, 1, 2));  // another width closes c's batch
    REQUIRE(ready(c));
    CHECK(c.get() == numbers(200, 3));
    CHECK(d.wait_for(0s) == std::future_status::timeout);
    batcher.shutdown();  // runs d without waiting for max_delay
    REQUIRE(d.wait_for(0s) == std::future_status::ready);
    CHECK(d.get() == numbers(300, 1));
    CHECK(log.get() == std::vector<std::pair<std::size_t, std::size_t>>{{6, 2}, {3, 1}, {1, 1}});
  }
  SECTION("a request larger than max_batch_rows runs alone, at once") {
    auto a = batcher.submit(numbered_rows(0, 2));
    auto big = batcher.submit(numbered_rows(100, 11));
    REQUIRE(ready(a));  // big does not fit with a: a's batch is full
    REQUIRE(ready(big));
    CHECK(a.get() == numbers(0, 2));
    CHECK(big.get() == numbers(100, 11));
    CHECK(log.get() == std::vector<std::pair<std::size_t, std::size_t>>{{2, 1}, {11, 1}});
  }
}

TEST_CASE("dynamic_batcher: a lone request waits max_delay, then runs", "[serve][batcher]") {
  std::mutex mutex;
  std::chrono::steady_clock::time_point ran;
  const auto process = [&](const Eigen::MatrixXd& rows) {
    const std::lock_guard lock(mutex);
    ran = std::chrono::steady_clock::now();
    return first_column(rows);
  };
  SECTION("max_delay 20 ms") {
    dynamic_batcher<std::int64_t> batcher(process, {.max_batch_rows = 64, .max_delay = 20ms});
    const auto submitted = std::chrono::steady_clock::now();
    auto f = batcher.submit(numbered_rows(7, 2));
    REQUIRE(ready(f));
    CHECK(f.get() == numbers(7, 2));
    const std::lock_guard lock(mutex);
    CHECK(ran - submitted >= 20ms);  // a lower bound: the worker must not close the batch early
  }
  SECTION("max_delay 0: whatever is queued runs at once") {
    dynamic_batcher<std::int64_t> batcher(process, {.max_batch_rows = 64, .max_delay = 0us});
    auto f = batcher.submit(numbered_rows(7, 2));
    REQUIRE(ready(f));
    CHECK(f.get() == numbers(7, 2));
  }
  SECTION("a request of no rows is answered at once") {
    dynamic_batcher<std::int64_t> batcher(process, {.max_batch_rows = 64, .max_delay = 10min});
    auto f = batcher.submit(Eigen::MatrixXd(0, 3));
    REQUIRE(f.wait_for(0s) == std::future_status::ready);
    CHECK(f.get().empty());
  }
}

TEST_CASE("dynamic_batcher: a batch's failure reaches that batch's requests only", "[serve][batcher]") {
  const batch_options options{.max_batch_rows = 4, .max_delay = 10min};
  SECTION("process throws") {
    dynamic_batcher<std::int64_t> batcher(
        [](const Eigen::MatrixXd& rows) {
          if ((rows.col(0).array() < 0).any()) throw std::runtime_error("quantum path failed");
          return first_column(rows);
        },
        options);
    // Batches of 4 rows close when full: {a, b}, {c, d}, {e, f}; c carries the row that fails.
    auto a = batcher.submit(numbered_rows(0, 2));
    auto b = batcher.submit(numbered_rows(10, 2));
    auto c = batcher.submit(numbered_rows(-20, 2));
    auto d = batcher.submit(numbered_rows(30, 2));
    auto e = batcher.submit(numbered_rows(40, 2));
    auto f = batcher.submit(numbered_rows(50, 2));
    for (auto* x : {&a, &b, &c, &d, &e, &f}) REQUIRE(ready(*x));
    CHECK(a.get() == numbers(0, 2));
    CHECK(b.get() == numbers(10, 2));
    CHECK_THROWS_WITH(c.get(), "quantum path failed");
    CHECK_THROWS_WITH(d.get(), "quantum path failed");
    CHECK(e.get() == numbers(40, 2));
    CHECK(f.get() == numbers(50, 2));
  }
  SECTION("process returns the wrong number of results") {
    std::atomic<int> calls{0};
    dynamic_batcher<std::int64_t> batcher(
        [&](const Eigen::MatrixXd& rows) {
          auto out = first_column(rows);
          if (calls++ == 0) out.pop_back();  // the first batch only
          return out;
        },
        options);
    auto a = batcher.submit(numbered_rows(0, 1));
    auto b = batcher.submit(numbered_rows(10, 3));
    auto c = batcher.submit(numbered_rows(20, 4));
    for (auto* x : {&a, &b, &c}) REQUIRE(ready(*x));
    CHECK_THROWS_AS(a.get(), std::logic_error);
    CHECK_THROWS_AS(b.get(), std::logic_error);
    CHECK(c.get() == numbers(20, 4));
  }
}

TEST_CASE("dynamic_batcher: shutdown drains the queue and refuses new work", "[serve][batcher]") {
  std::vector<std::future<std::vector<std::int64_t>>> results;
  batch_log log;
  SECTION("shutdown()") {
    dynamic_batcher<std::int64_t> batcher(first_column, {.max_batch_rows = 1000, .max_delay = 10min});
    log.attach(batcher);
    for (std::int64_t n = 1; n <= 10; ++n) results.push_back(batcher.submit(numbered_rows(n * 100, n)));
    CHECK(batcher.queued_rows() == 55);
    batcher.shutdown();
    CHECK(batcher.queued_rows() == 0);
    CHECK_THROWS_AS(batcher.submit(numbered_rows(0, 1)), std::logic_error);
    batcher.shutdown();  // idempotent
  }
  SECTION("the destructor") {
    dynamic_batcher<std::int64_t> batcher(first_column, {.max_batch_rows = 1000, .max_delay = 10min});
    log.attach(batcher);
    for (std::int64_t n = 1; n <= 10; ++n) results.push_back(batcher.submit(numbered_rows(n * 100, n)));
  }
  for (std::int64_t n = 1; n <= 10; ++n) {
    auto& f = results[static_cast<std::size_t>(n - 1)];
    REQUIRE(f.wait_for(0s) == std::future_status::ready);
    CHECK(f.get() == numbers(n * 100, n));
  }
  CHECK(log.get() == std::vector<std::pair<std::size_t, std::size_t>>{{55, 10}});
}

TEST_CASE("dynamic_batcher: a full queue refuses with overloaded_error", "[serve][batcher]") {
  // The first batch blocks in process until released, so the queue behind it fills deterministically.
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first{true};
  dynamic_batcher<std::int64_t> batcher(
      [&](const Eigen::MatrixXd& rows) {
        if (first.exchange(false)) {
          entered.set_value();
          released.wait();
        }
        return first_column(rows);
      },
      {.max_batch_rows = 4, .max_delay = 0us, .max_queue_rows = 10});
  // Declared after the batcher, so destroyed before it: a failed check cannot leave the worker blocked.
  struct gate_guard {
    std::promise<void>& p;
    bool open = false;
    void release() {
      if (!open) p.set_value();
      open = true;
    }
    ~gate_guard() { release(); }
  } gate{release};

  auto blocked = batcher.submit(numbered_rows(0, 1));
  REQUIRE(entered.get_future().wait_for(patience) == std::future_status::ready);
  CHECK(batcher.queued_rows() == 0);  // the blocked batch has left the queue
  std::vector<std::future<std::vector<std::int64_t>>> queued;
  for (const std::int64_t n : {4, 4, 2}) queued.push_back(batcher.submit(numbered_rows(n * 100, n)));
  CHECK(batcher.queued_rows() == 10);
  CHECK_THROWS_AS(batcher.submit(numbered_rows(900, 1)), hqml::serve::overloaded_error);
  CHECK(batcher.queued_rows() == 10);

  gate.release();
  REQUIRE(ready(blocked));
  CHECK(blocked.get() == numbers(0, 1));
  std::size_t i = 0;
  for (const std::int64_t n : {4, 4, 2}) {
    REQUIRE(ready(queued[i]));
    CHECK(queued[i++].get() == numbers(n * 100, n));
  }
  CHECK(batcher.queued_rows() == 0);
  auto again = batcher.submit(numbered_rows(1000, 3));  // room again
  REQUIRE(ready(again));
  CHECK(again.get() == numbers(1000, 3));
  // A request larger than the whole queue can never be taken.
  CHECK_THROWS_AS(batcher.submit(numbered_rows(0, 11)), hqml::serve::overloaded_error);
}

TEST_CASE("dynamic_batcher: options are checked", "[serve][batcher]") {
  using batcher = dynamic_batcher<std::int64_t>;
  CHECK_THROWS_AS(batcher(nullptr), std::invalid_argument);
  CHECK_THROWS_AS(batcher(first_column, {.max_batch_rows = 0}), std::invalid_argument);
  CHECK_THROWS_AS(batcher(first_column, {.max_delay = -1us}), std::invalid_argument);
  CHECK_THROWS_AS(batcher(first_column, {.max_delay = 2h}), std::invalid_argument);
  CHECK_THROWS_AS(batcher(first_column, {.max_queue_rows = 0}), std::invalid_argument);
}

namespace {

// A clock the test moves by hand.
struct fake_clock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<fake_clock>;
  static constexpr bool is_steady = true;
  static inline std::atomic<time_point> current{time_point(1h)};
  static time_point now() noexcept { return current.load(); }
  static void advance(duration d) { current.store(current.load() + d); }
};

using breaker = hqml::serve::basic_circuit_breaker<fake_clock>;
using hqml::serve::breaker_state;

}  // namespace

TEST_CASE("circuit_breaker: opens after K consecutive failures, probes once after open_for", "[serve][breaker]") {
  breaker b(3, 10s);
  CHECK(b.state() == breaker_state::closed);
  CHECK(b.allow());
  b.failure();
  b.failure();
  b.success();  // not consecutive: the count starts again
  b.failure();
  b.failure();
  CHECK(b.state() == breaker_state::closed);
  CHECK(b.times_opened() == 0);
  b.failure();
  CHECK(b.state() == breaker_state::open);
  CHECK(b.times_opened() == 1);
  CHECK_FALSE(b.allow());

  b.success();  // a call let through before the breaker opened: ignored, the probe decides
  b.failure();  // ... and a late failure does not extend open_for
  CHECK(b.state() == breaker_state::open);
  CHECK(b.times_opened() == 1);

  fake_clock::advance(10s - 1ns);
  CHECK_FALSE(b.allow());
  CHECK(b.state() == breaker_state::open);
  fake_clock::advance(1ns);
  CHECK(b.allow());  // the probe
  CHECK(b.state() == breaker_state::half_open);
  CHECK_FALSE(b.allow());
  CHECK_FALSE(b.allow());

  b.failure();  // the probe failed: open again, for open_for from now
  CHECK(b.state() == breaker_state::open);
  CHECK(b.times_opened() == 2);
  fake_clock::advance(5s);
  CHECK_FALSE(b.allow());
  fake_clock::advance(5s);
  CHECK(b.allow());
  CHECK_FALSE(b.allow());

  b.success();  // the probe worked
  CHECK(b.state() == breaker_state::closed);
  CHECK(b.allow());
  CHECK(b.allow());
  b.failure();
  b.failure();
  CHECK(b.state() == breaker_state::closed);  // the count started again when it closed
  b.failure();
  CHECK(b.state() == breaker_state::open);
  CHECK(b.times_opened() == 3);
}

TEST_CASE("circuit_breaker: a probe lost for open_for is replaced", "[serve][breaker]") {
  breaker b(1, 10s);
  b.failure();
  fake_clock::advance(10s);
  CHECK(b.allow());
  fake_clock::advance(10s - 1ns);
  CHECK_FALSE(b.allow());
  fake_clock::advance(1ns);
  CHECK(b.allow());  // the first probe never reported
  CHECK_FALSE(b.allow());
  CHECK(b.state() == breaker_state::half_open);
  CHECK(b.times_opened() == 1);
}

TEST_CASE("circuit_breaker: under concurrency, exactly one probe and exact failure counts", "[serve][breaker]") {
  constexpr int threads = 8;
  SECTION("half-open lets exactly one of many callers through") {
    breaker b(1, 1s);
    b.failure();
    fake_clock::advance(1s);
    std::atomic<int> allowed{0};
    std::latch start(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&] {
        start.arrive_and_wait();
        for (int i = 0; i < 1000; ++i)
          if (b.allow()) ++allowed;
      });
    for (auto& th : pool) th.join();
    CHECK(allowed == 1);
    CHECK(b.state() == breaker_state::half_open);
  }
  SECTION("concurrent failures are all counted") {
    constexpr unsigned per_thread = 500;
    for (const unsigned k : {threads * per_thread, threads * per_thread + 1}) {
      breaker b(k, 1s);
      std::latch start(threads);
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
          start.arrive_and_wait();
          for (unsigned i = 0; i < per_thread; ++i) b.failure();
        });
      for (auto& th : pool) th.join();
      CHECK(b.times_opened() == (k == threads * per_thread ? 1u : 0u));
    }
  }
}

TEST_CASE("circuit_breaker: arguments, names and the steady clock", "[serve][breaker]") {
  CHECK_THROWS_AS(breaker(0, 1s), std::invalid_argument);
  CHECK_THROWS_AS(breaker(1, -1s), std::invalid_argument);
  CHECK(to_string(breaker_state::closed) == "closed");
  CHECK(to_string(breaker_state::open) == "open");
  CHECK(to_string(breaker_state::half_open) == "half_open");

  hqml::serve::circuit_breaker b(1, 0s);  // open_for 0: the next caller probes at once
  b.failure();
  CHECK(b.state() == breaker_state::open);
  CHECK(b.allow());
  CHECK(b.state() == breaker_state::half_open);
  b.success();
  CHECK(b.state() == breaker_state::closed);
}

TEST_CASE("dynamic_batcher: a batch closes before max_delay when nobody else is coming", "[serve][batcher]") {
  std::atomic<int> coming{1};
  batch_options o;
  o.max_delay = std::chrono::seconds(30);
  dynamic_batcher<double> b([](const Eigen::MatrixXd& rows) { return std::vector<double>(rows.rows(), 1.0); }, o);
  b.close_early_when([&] { return coming.load() == 0; });
  const auto t0 = std::chrono::steady_clock::now();
  auto f = b.submit(Eigen::MatrixXd::Zero(1, 2));
  // Someone is still coming: the batch stays open.
  REQUIRE(f.wait_for(std::chrono::milliseconds(200)) == std::future_status::timeout);
  coming = 0;
  b.poke();
  REQUIRE(f.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  REQUIRE(f.get() == std::vector<double>{1.0});
  REQUIRE(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));  // not the 30 s delay
}
