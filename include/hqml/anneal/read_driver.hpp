#pragma once
// Runs independent reads over OpenMP threads so that the result depends on the seed alone.
//
// Each read r uses only its own generator xoshiro256ss(seed, r), and reads are claimed in
// increasing order, so a fixed number of reads gives the same samples whatever the thread count.
// A target energy keeps that property: once read r reaches it, reads after r are abandoned and
// dropped, while reads before r (already claimed, hence certain to finish) are kept, so the set
// is always reads 0..r. Only a time limit or a callback's "stop" makes the set depend on timing.
//
// Finished reads enter the sample set in read order (a read that finishes early waits in a small
// buffer for those before it), so the set can drop states as it goes (run_options::limits) and a run
// of unbounded reads stays in bounded memory: a thread claims a read at most `window` ahead of the
// oldest unfinished one.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include <hqml/anneal/model.hpp>
#include <hqml/anneal/sample_set.hpp>
#include <hqml/backends/cpu.hpp>

namespace hqml::anneal {

/// Limits shared by every solver.
struct run_options {
  std::size_t num_reads = 1;            // 0: unbounded, only with a time limit or target energy
  std::uint64_t seed = 0;
  int num_threads = 0;                  // 0: OpenMP's default
  double time_limit_s = 0.0;            // 0: none
  std::optional<double> target_energy;  // stop once a read reaches an energy <= this
  progress_callback on_progress;        // after every finished read; false stops the run
  sample_limits limits;                 // what the sample set keeps (default: every state)
  /// Whenever the run's best energy improves (a read finished lower, or a solver that keeps its
  /// best state reported one), with the time since the start; called under a lock, keep it short.
  std::function<void(double energy, double elapsed_s)> on_improvement;
};

/// Number of threads a run would use (the CPU backend's rule).
using cpu_detail::resolve_threads;

/// Handed to a read so it can stop early; cheap enough to ask once per sweep.
class read_control {
 public:
  using clock = std::chrono::steady_clock;
  /// Run-wide state the reads share (owned by run_reads).
  struct shared {
    std::atomic<std::size_t> first_hit{std::numeric_limits<std::size_t>::max()};
    std::atomic<bool> halt{false};
    std::atomic<double> best{std::numeric_limits<double>::infinity()};
    std::mutex mutex;
    double time_to_best = 0.0;
  };
  read_control(std::size_t read, const run_options& opt, clock::time_point start, shared& run)
      : read_(read), opt_(opt), start_(start), first_hit_(run.first_hit), halt_(run.halt), run_(run) {
    if (opt.time_limit_s > 0.0)
      deadline_ = start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(opt.time_limit_s));
  }
  /// True when the read should end now (its state so far is still returned).
  [[nodiscard]] bool should_stop(double current_energy) {
    if (opt_.target_energy && current_energy <= *opt_.target_energy) {
      reached_ = true;
      return true;
    }
    if (first_hit_.load(std::memory_order_relaxed) < read_) return true;
    if (halt_.load(std::memory_order_relaxed)) return true;
    if (deadline_ && clock::now() >= *deadline_) {
      timed_out_ = true;
      return true;
    }
    return false;
  }
  [[nodiscard]] bool reached_target() const noexcept { return reached_; }
  [[nodiscard]] bool timed_out() const noexcept { return timed_out_; }
  [[nodiscard]] std::size_t read() const noexcept { return read_; }
  [[nodiscard]] std::optional<double> target() const noexcept { return opt_.target_energy; }

  /// For solvers that keep their best state: announces the energy of a state that this read will
  /// return (or better), so the run's best and its time are known before the read ends.
  void report(double energy) {
    if (!(energy < run_.best.load(std::memory_order_relaxed))) return;
    const std::lock_guard lock(run_.mutex);
    if (!(energy < run_.best.load())) return;
    run_.best.store(energy);
    const double elapsed = std::chrono::duration<double>(clock::now() - start_).count();
    run_.time_to_best = elapsed;
    if (opt_.on_improvement) opt_.on_improvement(energy, elapsed);
  }

 private:
  std::size_t read_;
  const run_options& opt_;
  clock::time_point start_;
  std::optional<clock::time_point> deadline_;
  const std::atomic<std::size_t>& first_hit_;
  const std::atomic<bool>& halt_;
  shared& run_;
  bool reached_ = false;
  bool timed_out_ = false;
};

/// What one read hands back.
struct read_result {
  std::vector<std::int8_t> state;  // +-1 spins
  double energy = 0.0;             // exact energy of `state` on the model
  std::size_t spin_updates = 0;
};

/// Runs `read(index, control) -> read_result` for the reads in `opt` and gathers a sample set
/// over spins.
template <class ReadFn>
[[nodiscard]] sample_set run_reads(std::size_t num_variables, const run_options& opt, std::size_t sweeps_per_read,
                                   ReadFn&& read) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const bool unbounded = opt.num_reads == 0;
  if (unbounded && opt.time_limit_s <= 0.0 && !opt.target_energy)
    throw std::invalid_argument("hqml::anneal: num_reads = 0 needs a time limit or a target energy");

  constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  sample_set out(num_variables, vartype::spin, opt.limits);
  read_control::shared run;
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t>& first_hit = run.first_hit;
  std::atomic<bool>& halt = run.halt;
  std::atomic<bool> timed_out{false};
  std::mutex mutex;
  std::condition_variable merged_more;         // `merged` grew, or the run is ending
  std::map<std::size_t, read_result> pending;  // finished reads waiting for an earlier one
  std::size_t merged = 0;                      // reads 0 .. merged - 1 are in `out` (or dropped, past first_hit)
  std::size_t finished = 0;
  std::size_t updates = 0;
  std::exception_ptr error;
  double best = std::numeric_limits<double>::infinity();
  double time_to_best = 0.0;
  bool interrupted = false;
  const auto deadline_passed = [&] {
    return opt.time_limit_s > 0.0 &&
           std::chrono::duration<double>(clock::now() - start).count() >= opt.time_limit_s;
  };
  // Under `mutex`: a read enters the set only after every read before it, so the set is the same
  // whatever the threads' timing, and reads past a target hit are left out.
  const auto merge = [&](std::size_t r, read_result&& res) {
    pending.emplace(r, std::move(res));
    while (!pending.empty() && pending.begin()->first == merged) {
      const auto node = pending.extract(pending.begin());
      if (node.key() <= first_hit.load()) {
        out.add(node.mapped().state, node.mapped().energy);
        updates += node.mapped().spin_updates;
      }
      ++merged;
    }
  };

  const int threads = resolve_threads(opt.num_threads);
  const std::size_t window = 4 * static_cast<std::size_t>(threads) + 16;
#pragma omp parallel num_threads(threads)
  {
    for (;;) {
      if (halt.load()) break;
      if (deadline_passed()) {
        if (unbounded || next.load() < opt.num_reads) timed_out.store(true);
        break;
      }
      const std::size_t r = next.fetch_add(1);
      if ((!unbounded && r >= opt.num_reads) || r > first_hit.load()) break;
      {
        // The oldest unfinished read is running (it was claimed first and never waits), so this ends.
        std::unique_lock lock(mutex);
        merged_more.wait(lock, [&] { return r < merged + window || halt.load() || r > first_hit.load(); });
      }
      if (halt.load() || r > first_hit.load()) break;
      try {
        read_control control(r, opt, start, run);
        read_result res = read(r, control);
        if (control.timed_out()) timed_out.store(true);
        if (control.reached_target()) {
          std::size_t cur = first_hit.load();
          while (r < cur && !first_hit.compare_exchange_weak(cur, r)) {
          }
        }
        const std::lock_guard lock(mutex);
        const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
        if (res.energy < best) {
          best = res.energy;
          time_to_best = elapsed;
        }
        if (res.energy < run.best.load()) {
          // A read's final (polished) energy may beat everything it reported while running.
          const std::lock_guard inner(run.mutex);
          if (res.energy < run.best.load()) {
            run.best.store(res.energy);
            run.time_to_best = elapsed;
            if (opt.on_improvement) opt.on_improvement(res.energy, elapsed);
          }
        }
        merge(r, std::move(res));
        ++finished;
        if (opt.on_progress && !halt.load() && !opt.on_progress(progress{finished, best, elapsed})) {
          interrupted = true;
          halt.store(true);
        }
        merged_more.notify_all();
      } catch (...) {
        const std::lock_guard lock(mutex);
        if (!error) error = std::current_exception();
        halt.store(true);
        merged_more.notify_all();
      }
    }
  }
  if (error) std::rethrow_exception(error);

  // A stop (time limit, callback) can leave a claimed read unrun: the reads after it are kept all the same.
  const std::size_t hit = first_hit.load();
  for (auto& [r, res] : pending) {
    if (r > hit) break;
    out.add(res.state, res.energy);
    updates += res.spin_updates;
  }
  pending.clear();
  out.aggregate();
  out.num_reads = out.reads();
  out.num_sweeps = sweeps_per_read;
  out.spin_updates = updates;
  out.time_s = std::chrono::duration<double>(clock::now() - start).count();
  out.time_to_best_s = !out.empty() && run.best.load() == out.best_energy() ? run.time_to_best : time_to_best;
  if (hit != none)
    out.stopped = stop_reason::target_reached;
  else if (interrupted)
    out.stopped = stop_reason::interrupted;
  else if (timed_out.load() || unbounded || out.num_reads < opt.num_reads)
    out.stopped = stop_reason::time_limit;
  return out;
}

/// A uniformly random spin state from a read's own generator.
template <class Rng>
void random_spins(Rng& rng, std::span<std::int8_t> s) {
  std::size_t i = 0;
  while (i < s.size()) {
    std::uint64_t bits = rng();
    for (int b = 0; b < 64 && i < s.size(); ++b, ++i, bits >>= 1) s[i] = static_cast<std::int8_t>((bits & 1) ? 1 : -1);
  }
}

}  // namespace hqml::anneal
