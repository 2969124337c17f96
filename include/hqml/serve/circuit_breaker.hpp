#pragma once
// hqml serve's circuit breaker around the quantum path: after K consecutive failures the server stops trying
// that path (requests go to the classical model at once instead of failing slowly), and after a while lets
// ONE request probe it again. No HTTP types; the clock is a template parameter so tests can move time.

#include <hqml/name_table.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string_view>

namespace hqml::serve {

/// closed: the guarded path is tried; open: it is not (until open_for has passed); half_open: one probe is out.
enum class breaker_state : std::uint8_t { closed, open, half_open };

/// Every breaker state and its name (the server's metrics label and status text).
inline constexpr name_table<breaker_state, 3> breaker_state_names{{
    {breaker_state::closed, "closed"},
    {breaker_state::open, "open"},
    {breaker_state::half_open, "half_open"},
}};

[[nodiscard]] constexpr std::string_view to_string(breaker_state s) {
  return name_in(breaker_state_names, s, "hqml::serve::to_string", "breaker state");
}

/// Opens after `failures_to_open` consecutive failures; while open, allow() is false until `open_for` has
/// passed; then half-open: allow() is true for exactly ONE caller (the probe) until a result is recorded:
/// success() closes the breaker, failure() opens it again for open_for. A probe that records nothing (its
/// caller lost it) would keep the breaker half-open for good, so once a probe has been out for open_for
/// another caller is let through as the next probe. Thread-safe.
///
/// Results are not tied to the allow() that preceded them: a call let through while the breaker was closed
/// that finishes while it is open is ignored, and one that finishes while it is half-open decides like the
/// probe's would. `Clock` needs a static now() and the std::chrono clock typedefs.
template <class Clock = std::chrono::steady_clock>
class basic_circuit_breaker {
 public:
  using clock = Clock;
  using duration = typename Clock::duration;
  using time_point = typename Clock::time_point;

  basic_circuit_breaker(unsigned failures_to_open, duration open_for)
      : failures_to_open_(failures_to_open), open_for_(open_for) {
    if (failures_to_open == 0)
      throw std::invalid_argument("hqml::serve::circuit_breaker: failures_to_open must be at least 1");
    if (open_for < duration::zero())
      throw std::invalid_argument("hqml::serve::circuit_breaker: open_for must not be negative");
  }
  basic_circuit_breaker(const basic_circuit_breaker&) = delete;
  basic_circuit_breaker& operator=(const basic_circuit_breaker&) = delete;

  /// May the caller try the guarded path now? True while closed; false while open, until open_for has
  /// passed, when the first caller becomes the probe (half-open) and every other caller gets false.
  [[nodiscard]] bool allow() {
    const std::lock_guard lock(mutex_);
    switch (state_) {
      case breaker_state::closed:
        return true;
      case breaker_state::open:
        if (Clock::now() - since_ < open_for_) return false;
        state_ = breaker_state::half_open;
        since_ = Clock::now();
        return true;
      case breaker_state::half_open:
        // The probe is out; a probe lost for open_for is replaced by this caller.
        if (Clock::now() - since_ < open_for_) return false;
        since_ = Clock::now();
        return true;
    }
    return false;
  }

  /// The guarded path worked: the failure count starts again; a half-open breaker closes.
  void success() {
    const std::lock_guard lock(mutex_);
    if (state_ == breaker_state::open) return;  // a call from before the breaker opened: the probe decides
    state_ = breaker_state::closed;
    consecutive_failures_ = 0;
  }

  /// The guarded path failed: the failures_to_open-th failure in a row opens a closed breaker; a failed probe
  /// opens a half-open one again.
  void failure() {
    const std::lock_guard lock(mutex_);
    switch (state_) {
      case breaker_state::closed:
        if (++consecutive_failures_ >= failures_to_open_) open_now();
        return;
      case breaker_state::open:
        return;  // already open: late failures do not extend open_for
      case breaker_state::half_open:
        open_now();
        return;
    }
  }

  /// The state as last changed by allow(), success() or failure(): an open breaker whose open_for has passed
  /// reads open until a caller's allow() makes it half-open.
  [[nodiscard]] breaker_state state() const {
    const std::lock_guard lock(mutex_);
    return state_;
  }

  /// How many times the breaker has opened (a failed probe's reopening included).
  [[nodiscard]] std::uint64_t times_opened() const {
    const std::lock_guard lock(mutex_);
    return times_opened_;
  }

 private:
  void open_now() {
    state_ = breaker_state::open;
    since_ = Clock::now();
    consecutive_failures_ = 0;
    ++times_opened_;
  }

  mutable std::mutex mutex_;
  const unsigned failures_to_open_;
  const duration open_for_;
  breaker_state state_ = breaker_state::closed;
  unsigned consecutive_failures_ = 0;
  time_point since_{};  // when the breaker opened (open) or the probe went out (half_open)
  std::uint64_t times_opened_ = 0;
};

using circuit_breaker = basic_circuit_breaker<>;

}  // namespace hqml::serve
