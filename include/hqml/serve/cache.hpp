#pragma once
// hqml serve's result caches: scores are a pure function of (model version, input row), so a row seen before
// is answered from a cache instead of running the circuit again. lru_cache is the embedded one (the
// default), bounded by bytes; a shared cache for several replicas (adapters/hqml/adapters/redis_cache.hpp)
// implements the same interface, and tiered_cache puts the embedded one in front of it. Keys and values are
// opaque bytes; no HTTP types.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace hqml::serve {

/// A cache of opaque byte strings. Implementations are thread-safe, and a failing backend (a shared cache
/// that is down) never throws from get or put: it answers a miss and drops the write.
class result_cache {
 public:
  virtual ~result_cache() = default;
  virtual std::optional<std::string> get(std::string_view key) = 0;
  virtual void put(std::string_view key, std::string_view value) = 0;
  /// Several keys at once (a request's rows): one round trip where the backend can (Redis: MGET).
  virtual std::vector<std::optional<std::string>> get_many(std::span<const std::string> keys) {
    std::vector<std::optional<std::string>> out;
    out.reserve(keys.size());
    for (const auto& k : keys) out.push_back(get(k));
    return out;
  }
  /// Several entries at once (Redis: the SETs pipelined).
  virtual void put_many(std::span<const std::pair<std::string, std::string>> entries) {
    for (const auto& [k, v] : entries) put(k, v);
  }
};

/// Counters of one cache since it was made; entries and bytes are the current contents (0 where unknown).
struct cache_stats {
  std::uint64_t hits = 0, misses = 0, evictions = 0, errors = 0;
  std::size_t entries = 0, bytes = 0;
};

/// Least-recently-used cache bounded by bytes: an entry costs its key's and value's bytes plus
/// entry_overhead, and the total never exceeds max_bytes. get and put are O(1) and refresh the entry; the
/// least recently used entries are evicted to make room. An entry that alone costs more than max_bytes is not
/// stored (and replaces nothing); max_bytes 0 disables the cache. One mutex guards it: its work under the
/// lock is a hash lookup, a list splice and a copy of the value.
class lru_cache final : public result_cache {
  struct entry {
    std::string key, value;
  };
  using list_type = std::list<entry>;
  // Keyed by views of the keys stored in the list's nodes, which never move: a lookup by string_view
  // allocates nothing and each key is stored once.
  using index_type = std::unordered_map<std::string_view, list_type::iterator>;

 public:
  /// The bookkeeping of one entry beyond its bytes: a list node (two links), an index node (link, cached
  /// hash) and its bucket. An estimate of the standard library's, so that a flood of tiny entries cannot
  /// outgrow the bound through their overhead.
  static constexpr std::size_t entry_overhead = sizeof(entry) + sizeof(index_type::value_type) + 5 * sizeof(void*);

  explicit lru_cache(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  lru_cache(const lru_cache&) = delete;
  lru_cache& operator=(const lru_cache&) = delete;

  std::optional<std::string> get(std::string_view key) override {
    const std::lock_guard lock(mutex_);
    const auto it = index_.find(key);
    if (it == index_.end()) {
      ++misses_;
      return std::nullopt;
    }
    entries_.splice(entries_.begin(), entries_, it->second);
    ++hits_;
    return it->second->value;
  }

  void put(std::string_view key, std::string_view value) override {
    if (max_bytes_ == 0) return;
    const std::size_t cost = cost_of(key.size(), value.size());
    const std::lock_guard lock(mutex_);
    const auto it = index_.find(key);
    if (cost > max_bytes_) {
      // Too big to keep; an older value under this key must not outlive the newer one.
      if (it != index_.end()) erase(it);
      return;
    }
    if (it != index_.end()) {
      auto node = it->second;
      const std::size_t old_size = node->value.size();
      node->value.assign(value);
      bytes_ = bytes_ - old_size + value.size();
      entries_.splice(entries_.begin(), entries_, node);
    } else {
      entries_.push_front(entry{std::string(key), std::string(value)});
      try {
        index_.emplace(entries_.front().key, entries_.begin());
      } catch (...) {
        entries_.pop_front();
        throw;
      }
      bytes_ += cost;
    }
    // The new entry is at the front and fits alone, so this stops before reaching it.
    while (bytes_ > max_bytes_) {
      erase(index_.find(entries_.back().key));
      ++evictions_;
    }
  }

  [[nodiscard]] cache_stats stats() const {
    const std::lock_guard lock(mutex_);
    return {.hits = hits_,
            .misses = misses_,
            .evictions = evictions_,
            .errors = 0,
            .entries = index_.size(),
            .bytes = bytes_};
  }

  [[nodiscard]] std::size_t max_bytes() const noexcept { return max_bytes_; }

  /// What an entry with keys and values of these sizes costs against max_bytes.
  [[nodiscard]] static constexpr std::size_t cost_of(std::size_t key_bytes, std::size_t value_bytes) noexcept {
    return key_bytes + value_bytes + entry_overhead;
  }

 private:
  void erase(index_type::iterator it) {
    const auto node = it->second;
    bytes_ -= cost_of(node->key.size(), node->value.size());
    index_.erase(it);  // before the node whose key it views
    entries_.erase(node);
  }

  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  list_type entries_;  // most recently used first
  index_type index_;
  std::size_t bytes_ = 0;
  std::uint64_t hits_ = 0, misses_ = 0, evictions_ = 0;
};

/// The embedded cache in front of a shared one: get asks `near` first, then `far`, and copies a far hit into
/// near so that the next request for it stays in the process; put writes both. Holds references: both
/// caches outlive it. Thread-safe when both are.
class tiered_cache final : public result_cache {
 public:
  tiered_cache(result_cache& near, result_cache& far) : near_(near), far_(far) {}

  std::optional<std::string> get(std::string_view key) override {
    if (auto hit = near_.get(key)) return hit;
    auto hit = far_.get(key);
    if (hit) near_.put(key, *hit);
    return hit;
  }

  void put(std::string_view key, std::string_view value) override {
    near_.put(key, value);
    far_.put(key, value);
  }

  std::vector<std::optional<std::string>> get_many(std::span<const std::string> keys) override {
    auto out = near_.get_many(keys);
    std::vector<std::string> missing;
    std::vector<std::size_t> where;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (!out[i]) {
        missing.push_back(keys[i]);
        where.push_back(i);
      }
    if (missing.empty()) return out;
    auto far = far_.get_many(missing);
    for (std::size_t j = 0; j < where.size() && j < far.size(); ++j)
      if (far[j]) {
        near_.put(missing[j], *far[j]);
        out[where[j]] = std::move(far[j]);
      }
    return out;
  }

  void put_many(std::span<const std::pair<std::string, std::string>> entries) override {
    near_.put_many(entries);
    far_.put_many(entries);
  }

 private:
  result_cache& near_;
  result_cache& far_;
};

/// The cache key of one input row: the model version's length and bytes, then each value's 8 IEEE-754 bytes,
/// little-endian whatever the host (replicas sharing a cache agree). Exact bytes, not numeric equality: -0.0
/// and 0.0, or NaNs with different payloads, are different keys (a score may tell them apart), and the length
/// prefix keeps a version's bytes from running into the row's.
[[nodiscard]] inline std::string row_key(std::string_view model_version, std::span<const double> row) {
  std::string key = std::to_string(model_version.size());
  key.reserve(key.size() + 1 + model_version.size() + 8 * row.size());
  key.push_back(':');
  key.append(model_version);
  for (const double x : row) {
    auto bits = std::bit_cast<std::uint64_t>(x);
    for (int b = 0; b < 8; ++b, bits >>= 8) key.push_back(static_cast<char>(bits & 0xffU));
  }
  return key;
}

}  // namespace hqml::serve
