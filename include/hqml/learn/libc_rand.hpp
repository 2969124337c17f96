#pragma once
// glibc's rand() as a value type. libsvm shuffles the folds of its probability cross-validation with the
// process-wide rand(); carrying the same generator as an object makes that step seedable, thread-safe and
// reproducible, and (on glibc) draws exactly what libsvm draws after srand(seed), so probA/probB can be
// checked against libsvm itself. Algorithm: glibc random_r TYPE_3, an additive lagged Fibonacci generator
// r[i] = r[i-3] + r[i-31] (mod 2^32) seeded by a Park-Miller LCG, the first 310 outputs discarded.

#include <array>
#include <cstdint>

namespace hqml::learn {

class libc_rand {
 public:
  static constexpr std::int32_t max = 2147483647;  // RAND_MAX on glibc

  explicit libc_rand(std::uint32_t seed = 1) noexcept { this->seed(seed); }

  void seed(std::uint32_t s) noexcept {
    std::int32_t word = static_cast<std::int32_t>(s == 0 ? 1u : s);
    r_[0] = static_cast<std::uint32_t>(word);
    for (std::size_t i = 1; i < r_.size(); ++i) {
      // 16807 * word % (2^31 - 1) without overflow (Schrage's method), as glibc computes it.
      const std::int64_t hi = word / 127773;
      const std::int64_t lo = word % 127773;
      std::int64_t next = 16807 * lo - 2836 * hi;
      if (next < 0) next += 2147483647;
      word = static_cast<std::int32_t>(next);
      r_[i] = static_cast<std::uint32_t>(word);
    }
    front_ = 3;
    rear_ = 0;
    for (int k = 0; k < 310; ++k) (void)(*this)();
  }

  /// The next value in [0, max].
  std::int32_t operator()() noexcept {
    r_[front_] += r_[rear_];
    const auto result = static_cast<std::int32_t>(r_[front_] >> 1);
    front_ = front_ + 1 == r_.size() ? 0 : front_ + 1;
    rear_ = rear_ + 1 == r_.size() ? 0 : rear_ + 1;
    return result;
  }

 private:
  std::array<std::uint32_t, 31> r_{};
  std::size_t front_ = 3;
  std::size_t rear_ = 0;
};

}  // namespace hqml::learn
