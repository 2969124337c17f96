#pragma once
// hqml serve's dynamic batching: the rows of concurrent requests are gathered into one batch, so that the
// server runs one batched feature-map simulation and one GEMM against the support vectors for all of them
// instead of one per request. One worker thread runs the batches; callers wait on futures. No HTTP types.

#include <Eigen/Core>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <future>
#include <iterator>
#include <list>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace hqml::serve {

struct batch_options {
  std::size_t max_batch_rows = 64;            // a batch closes when it holds this many rows...
  std::chrono::microseconds max_delay{2000};  // ...or this long after its first request arrived
  std::size_t max_queue_rows = 65536;         // submit() beyond this throws overloaded_error (the server answers 503)
};

/// The batcher's queue is full: the caller should be told to retry later (HTTP 503).
class overloaded_error : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

/// Gathers the rows of concurrent requests into batches run by one worker thread. Result: one value per row.
///
/// A request is never split: a batch is a run of queued requests of the same width whose rows add up to at
/// most max_batch_rows (a request with more rows is a batch of its own). The open batch closes when it is
/// full (the next request would not fit, or has another width), max_delay after its first request arrived,
/// or at shutdown, which runs what is queued without waiting.
template <class Result>
class dynamic_batcher {
 public:
  /// process(rows) is called with every row of a batch (the requests' rows stacked in arrival order) and must
  /// return rows.rows() results in order. It runs on the worker thread, one batch at a time.
  using process_fn = std::function<std::vector<Result>(const Eigen::MatrixXd& rows)>;
  using batch_fn = std::function<void(std::size_t rows, std::size_t requests)>;

  /// Refuses an empty process, max_batch_rows or max_queue_rows of 0, and a max_delay outside [0, 1 h] (far
  /// beyond any sensible wait, and keeps deadlines clear of the clock's range).
  explicit dynamic_batcher(process_fn process, batch_options options = {})
      : process_(std::move(process)), options_(options) {
    if (!process_) throw std::invalid_argument("hqml::serve::dynamic_batcher: no process function");
    if (options_.max_batch_rows == 0)
      throw std::invalid_argument("hqml::serve::dynamic_batcher: max_batch_rows must be at least 1");
    if (options_.max_queue_rows == 0)
      throw std::invalid_argument("hqml::serve::dynamic_batcher: max_queue_rows must be at least 1");
    if (options_.max_delay < std::chrono::microseconds::zero() || options_.max_delay > std::chrono::hours(1))
      throw std::invalid_argument("hqml::serve::dynamic_batcher: max_delay must be between 0 and 1 hour");
    worker_ = std::thread([this] { run(); });  // last: every member the worker reads is initialised
    worker_id_ = worker_.get_id();
  }
  dynamic_batcher(const dynamic_batcher&) = delete;
  dynamic_batcher& operator=(const dynamic_batcher&) = delete;

  /// Stops taking work, finishes every queued request, joins.
  ~dynamic_batcher() { shutdown(); }

  /// Queues one request's rows; the future yields exactly that request's results in order, or rethrows what
  /// process threw for its batch (std::logic_error when process returned the wrong number of results). A
  /// request of no rows gets an empty result at once. Throws overloaded_error when the request's rows would
  /// take the queue past max_queue_rows (a request larger than max_queue_rows is always refused), and
  /// std::logic_error after shutdown().
  [[nodiscard]] std::future<std::vector<Result>> submit(Eigen::MatrixXd rows) {
    const auto n = static_cast<std::size_t>(rows.rows());
    const auto cols = rows.cols();
    // The queue's node is made before the lock is taken: the worker never allocates while holding it.
    std::list<pending> item;
    item.push_back(pending{std::move(rows), {}, {}});
    auto future = item.front().promise.get_future();

    const std::lock_guard lock(mutex_);
    if (stopping_) throw std::logic_error("hqml::serve::dynamic_batcher::submit: the batcher has been shut down");
    if (n == 0) {
      item.front().promise.set_value({});
      return future;
    }
    if (n > options_.max_queue_rows - queued_rows_)
      throw overloaded_error("hqml::serve::dynamic_batcher: the queue holds " + std::to_string(queued_rows_) +
                             " rows; " + std::to_string(n) + " more would pass its limit of " +
                             std::to_string(options_.max_queue_rows));
    item.front().arrived = std::chrono::steady_clock::now();
    const bool was_empty = queue_.empty();
    queue_.splice(queue_.end(), item);
    queued_rows_ += n;
    // The worker waits for the queue to fill or for the open batch to be full: tell it when either happens.
    if (was_empty) {
      open_rows_ = n;
      open_cols_ = cols;
      open_full_ = n >= options_.max_batch_rows;
      cv_.notify_one();
    } else if (!open_full_) {
      if (cols == open_cols_ && n <= options_.max_batch_rows - open_rows_) {
        open_rows_ += n;
        open_full_ = open_rows_ == options_.max_batch_rows;
      } else {
        open_full_ = true;  // this request starts the next batch
      }
      if (open_full_ || early_) cv_.notify_one();
    }
    return future;
  }

  /// Lets the open batch close before max_delay when `nobody_coming()` says no other request is on its way to
  /// this batcher (the engine counts the requests it is still answering that have not submitted yet): a lone
  /// client does not wait out the delay, while concurrent ones still gather. Called under the batcher's lock,
  /// so it must be cheap and must not call back; set it before the first submit. Wake the worker with poke()
  /// when the answer may have changed.
  void close_early_when(std::function<bool()> nobody_coming) {
    const std::lock_guard lock(mutex_);
    early_ = std::move(nobody_coming);
  }
  void poke() {
    { const std::lock_guard lock(mutex_); }  // orders the change poke reports before the worker's next check
    cv_.notify_one();
  }

  /// Drain: stop accepting, finish queued work, join. Idempotent; a second caller waits for the first's drain.
  void shutdown() {
    if (std::this_thread::get_id() == worker_id_)
      throw std::logic_error("hqml::serve::dynamic_batcher::shutdown: called from process (it would wait for itself)");
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_one();
    std::call_once(joined_, [this] { worker_.join(); });
  }

  /// Called after each batch has run (process returned or threw), before its futures are ready, with (rows in
  /// the batch, requests in the batch): for the batch-size histogram. Runs on the worker thread; what it throws
  /// is ignored (a metric must not fail the requests). Meant to be set before the first submit; a later call
  /// applies from the next batch.
  void on_batch(batch_fn fn) {
    auto shared = fn ? std::make_shared<const batch_fn>(std::move(fn)) : nullptr;
    const std::lock_guard lock(mutex_);
    on_batch_ = std::move(shared);
  }

  /// Rows queued and not yet taken into a running batch.
  [[nodiscard]] std::size_t queued_rows() const {
    const std::lock_guard lock(mutex_);
    return queued_rows_;
  }

 private:
  struct pending {
    Eigen::MatrixXd rows;
    std::promise<std::vector<Result>> promise;
    std::chrono::steady_clock::time_point arrived;
  };

  // The open batch is the queue's first request and those after it that fit: true when no more can join.
  void recount_open_batch() {
    open_rows_ = 0;
    open_full_ = false;
    if (queue_.empty()) return;
    open_cols_ = queue_.front().rows.cols();
    for (const auto& p : queue_) {
      const auto n = static_cast<std::size_t>(p.rows.rows());
      if (open_rows_ > 0 && (p.rows.cols() != open_cols_ || n > options_.max_batch_rows - open_rows_)) {
        open_full_ = true;
        return;
      }
      open_rows_ += n;
      if (open_rows_ >= options_.max_batch_rows) {
        open_full_ = true;
        return;
      }
    }
  }

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has run
      // The delay counts from the open batch's first request, which may have waited during the last batch.
      const auto deadline = queue_.front().arrived + options_.max_delay;
      cv_.wait_until(lock, deadline, [this] { return stopping_ || open_full_ || (early_ && early_()); });

      // Take the open batch: the requests counted in open_rows_ (at least the first).
      std::list<pending> batch;
      auto end = queue_.begin();
      std::size_t rows = 0, requests = 0;
      while (end != queue_.end() && (requests == 0 || rows < open_rows_)) {
        rows += static_cast<std::size_t>(end->rows.rows());
        ++requests;
        ++end;
      }
      batch.splice(batch.end(), queue_, queue_.begin(), end);
      queued_rows_ -= rows;
      recount_open_batch();
      const auto on_batch = on_batch_;
      lock.unlock();
      run_batch(batch, rows, requests, on_batch.get());
      batch.clear();  // the requests' rows are freed outside the lock
      lock.lock();
    }
  }

  void run_batch(std::list<pending>& batch, std::size_t rows, std::size_t requests, const batch_fn* on_batch) {
    std::vector<Result> results;
    std::exception_ptr error;
    try {
      if (requests == 1) {
        results = process_(batch.front().rows);
      } else {
        Eigen::MatrixXd stacked(static_cast<Eigen::Index>(rows), batch.front().rows.cols());
        Eigen::Index at = 0;
        for (const auto& p : batch) {
          stacked.middleRows(at, p.rows.rows()) = p.rows;
          at += p.rows.rows();
        }
        results = process_(stacked);
      }
      if (results.size() != rows)
        throw std::logic_error("hqml::serve::dynamic_batcher: process returned " + std::to_string(results.size()) +
                               " results for a batch of " + std::to_string(rows) + " rows");
    } catch (...) {
      error = std::current_exception();
    }
    if (on_batch) {
      try {
        (*on_batch)(rows, requests);
      } catch (...) {  // NOLINT(bugprone-empty-catch): a metric must not fail the requests (see on_batch())
      }
    }

    auto ready = batch.begin();  // the requests before it have their results
    try {
      if (error) std::rethrow_exception(error);
      if (requests == 1) {
        ready->promise.set_value(std::move(results));
        return;
      }
      auto from = results.begin();
      for (; ready != batch.end(); ++ready) {
        const auto to = from + ready->rows.rows();
        ready->promise.set_value(std::vector<Result>(std::make_move_iterator(from), std::make_move_iterator(to)));
        from = to;
      }
    } catch (...) {  // process's error, or no memory for a request's results
      const auto e = std::current_exception();
      for (; ready != batch.end(); ++ready) ready->promise.set_exception(e);
    }
  }

  const process_fn process_;
  const batch_options options_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::list<pending> queue_;
  std::size_t queued_rows_ = 0;
  std::size_t open_rows_ = 0;  // rows of the open batch (the queue's front requests that fit together)
  Eigen::Index open_cols_ = 0;
  bool open_full_ = false;  // no further request can join the open batch
  bool stopping_ = false;
  std::function<bool()> early_;
  std::shared_ptr<const batch_fn> on_batch_;
  std::once_flag joined_;
  std::thread worker_;
  std::thread::id worker_id_;  // worker_'s, kept apart: join() clears worker_'s while another shutdown() reads it
};

}  // namespace hqml::serve
