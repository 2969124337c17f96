// hqml serve's embedded result cache (include/hqml/serve/cache.hpp): the byte bound, least-recently-used
// eviction, entries too big to keep, the disabled cache, the tiered cache in front of a shared one, the key of
// a row, and concurrent use.
#include <catch2/catch.hpp>

#include <hqml/serve/cache.hpp>

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using hqml::serve::cache_stats;
using hqml::serve::lru_cache;
using hqml::serve::result_cache;
using hqml::serve::row_key;
using hqml::serve::tiered_cache;

namespace {

// A cache room for exactly n entries of 1-byte keys and `value_bytes`-byte values.
std::size_t room_for(std::size_t n, std::size_t value_bytes) { return n * lru_cache::cost_of(1, value_bytes); }

// A far cache that records what it was asked, for the tiered cache's tests.
class recording_cache final : public result_cache {
 public:
  std::optional<std::string> get(std::string_view key) override {
    ++gets;
    const auto it = data.find(std::string(key));
    if (it == data.end()) return std::nullopt;
    return it->second;
  }
  void put(std::string_view key, std::string_view value) override {
    ++puts;
    data[std::string(key)] = std::string(value);
  }
  std::map<std::string, std::string> data;
  int gets = 0, puts = 0;
};

}  // namespace

TEST_CASE("lru_cache: a put is found by get, a missing key is a miss, and both are counted", "[serve][cache]") {
  lru_cache cache(1 << 16);
  REQUIRE_FALSE(cache.get("a").has_value());
  cache.put("a", "one");
  cache.put(std::string_view("b\0c", 3), std::string_view("\0\xff", 2));
  REQUIRE(cache.get("a") == "one");
  REQUIRE(cache.get(std::string_view("b\0c", 3)) == std::string("\0\xff", 2));
  REQUIRE_FALSE(cache.get("b").has_value());  // "b\0c" is not "b"
  cache.put("a", "uno");                      // replaces
  REQUIRE(cache.get("a") == "uno");
  const cache_stats s = cache.stats();
  CHECK(s.hits == 3);
  CHECK(s.misses == 2);
  CHECK(s.entries == 2);
  CHECK(s.bytes == lru_cache::cost_of(1, 3) + lru_cache::cost_of(3, 2));
  CHECK(s.evictions == 0);
}

TEST_CASE("lru_cache: the least recently used entry goes first, and get refreshes", "[serve][cache]") {
  lru_cache cache(room_for(3, 4));
  cache.put("a", "AAAA");
  cache.put("b", "BBBB");
  cache.put("c", "CCCC");
  REQUIRE(cache.get("a") == "AAAA");  // a is now the most recent: b is the oldest
  cache.put("d", "DDDD");
  CHECK_FALSE(cache.get("b").has_value());
  CHECK(cache.get("a") == "AAAA");
  CHECK(cache.get("c") == "CCCC");
  CHECK(cache.get("d") == "DDDD");
  CHECK(cache.stats().evictions == 1);
  // Order now (oldest first): a, c, d. Refreshing a by put leaves c the oldest.
  cache.put("a", "aaaa");
  cache.put("e", "EEEE");
  CHECK_FALSE(cache.get("c").has_value());
  CHECK(cache.get("a") == "aaaa");
  CHECK(cache.stats().entries == 3);
  // A bigger value under an existing key evicts the oldest others to fit.
  cache.put("a", std::string(4 + lru_cache::cost_of(1, 4), 'x'));
  CHECK(cache.stats().entries == 2);
  CHECK(cache.stats().bytes <= cache.max_bytes());
  CHECK(cache.get("a").has_value());
}

TEST_CASE("lru_cache: the byte bound is never exceeded", "[serve][cache]") {
  const std::size_t max_bytes = 4096;
  lru_cache cache(max_bytes);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> key_len(1, 40), value_len(0, 700), key_char(0, 60);
  for (int i = 0; i < 5000; ++i) {
    std::string key(static_cast<std::size_t>(key_len(rng)), 'k');
    for (auto& ch : key) ch = static_cast<char>('A' + key_char(rng));
    cache.put(key, std::string(static_cast<std::size_t>(value_len(rng)), 'v'));
    const auto s = cache.stats();
    REQUIRE(s.bytes <= max_bytes);
    REQUIRE(s.entries * lru_cache::entry_overhead <= s.bytes);
  }
  CHECK(cache.stats().evictions > 0);
  CHECK(cache.stats().entries > 1);
}

TEST_CASE("lru_cache: an entry bigger than the whole cache is not stored", "[serve][cache]") {
  const std::size_t max_bytes = room_for(2, 8);
  lru_cache cache(max_bytes);
  cache.put("a", "12345678");
  cache.put("b", "12345678");
  const std::string huge(max_bytes, 'x');  // with its key and overhead it cannot fit
  cache.put("h", huge);
  CHECK_FALSE(cache.get("h").has_value());
  CHECK(cache.get("a") == "12345678");  // nothing was evicted for it
  CHECK(cache.get("b") == "12345678");
  CHECK(cache.stats().evictions == 0);
  // Exactly the bound fits.
  const std::string fits(max_bytes - lru_cache::cost_of(1, 0), 'y');
  cache.put("f", fits);
  CHECK(cache.get("f") == fits);
  CHECK(cache.stats().entries == 1);
  CHECK(cache.stats().bytes == max_bytes);
  // A too-big value under a stored key removes the old value rather than leaving it stale.
  cache.put("f", huge);
  CHECK_FALSE(cache.get("f").has_value());
  CHECK(cache.stats().entries == 0);
  CHECK(cache.stats().bytes == 0);
}

TEST_CASE("lru_cache: max_bytes 0 disables the cache", "[serve][cache]") {
  lru_cache cache(0);
  cache.put("a", "1");
  CHECK_FALSE(cache.get("a").has_value());
  CHECK(cache.stats().entries == 0);
  CHECK(cache.stats().bytes == 0);
  CHECK(cache.stats().misses == 1);
}

TEST_CASE("tiered_cache: near first, a far hit is copied near, puts go to both", "[serve][cache]") {
  lru_cache near(1 << 16);
  recording_cache far;
  tiered_cache tiers(near, far);

  tiers.put("k", "v");
  CHECK(near.get("k") == "v");
  CHECK(far.data.at("k") == "v");

  const int far_gets = far.gets;
  CHECK(tiers.get("k") == "v");  // a near hit does not ask far
  CHECK(far.gets == far_gets);

  far.data["only-far"] = "f";  // another replica put it
  CHECK_FALSE(near.get("only-far").has_value());
  CHECK(tiers.get("only-far") == "f");
  CHECK(far.gets == far_gets + 1);
  CHECK(near.get("only-far") == "f");  // copied near
  CHECK(tiers.get("only-far") == "f");
  CHECK(far.gets == far_gets + 1);  // answered near

  CHECK_FALSE(tiers.get("nowhere").has_value());
  CHECK(far.gets == far_gets + 2);
  CHECK_FALSE(near.get("nowhere").has_value());

  // Many at once: near answers what it holds, far is asked only for the rest, and its hits are copied near.
  far.data["far-2"] = "2";
  const std::vector<std::string> keys{"k", "far-2", "nowhere"};
  const auto got = tiers.get_many(keys);
  REQUIRE(got.size() == 3);
  CHECK(got[0] == "v");
  CHECK(got[1] == "2");
  CHECK_FALSE(got[2].has_value());
  CHECK(far.gets == far_gets + 4);  // far-2 and nowhere, one get each through the default get_many
  CHECK(near.get("far-2") == "2");
  const std::vector<std::pair<std::string, std::string>> entries{{"a", "1"}, {"b", "2"}};
  tiers.put_many(entries);
  CHECK(near.get("b") == "2");
  CHECK(far.data.at("a") == "1");
}

TEST_CASE("row_key: the exact bytes of the row and the model version", "[serve][cache]") {
  const std::vector<double> row{1.5, -2.0, 0.0};
  CHECK(row_key("v1", row) == row_key("v1", row));
  CHECK(row_key("v1", row) != row_key("v2", row));
  CHECK(row_key("v1", row).size() == 4 + 3 * 8);  // "2:v1", then 8 bytes a value

  const double pos_zero = 0.0, neg_zero = -0.0;
  REQUIRE(pos_zero == neg_zero);
  CHECK(row_key("v", std::vector<double>{pos_zero}) != row_key("v", std::vector<double>{neg_zero}));

  const double nan_a = std::bit_cast<double>(std::uint64_t{0x7ff8000000000000});
  const double nan_b = std::bit_cast<double>(std::uint64_t{0x7ff8000000000001});
  CHECK(row_key("v", std::vector<double>{nan_a}) != row_key("v", std::vector<double>{nan_b}));
  CHECK(row_key("v", std::vector<double>{nan_a}) == row_key("v", std::vector<double>{nan_a}));

  // Row length matters, and a version cannot run into the row's bytes.
  CHECK(row_key("v", std::vector<double>{1.0}) != row_key("v", std::vector<double>{1.0, 1.0}));
  const std::string one_byte_version(1, static_cast<char>(0xf0));
  CHECK(row_key("", std::vector<double>{1.0}) != row_key(one_byte_version, std::vector<double>{}));
  CHECK(row_key("", std::vector<double>{}) != row_key("0", std::vector<double>{}));

  // Little-endian whatever the host: 1.0 is 0x3ff0000000000000.
  const std::string k = row_key("", std::vector<double>{1.0});
  REQUIRE(k.size() == 2 + 8);
  CHECK(k.substr(0, 2) == "0:");
  CHECK(k.substr(2) == std::string("\x00\x00\x00\x00\x00\x00\xf0\x3f", 8));
}

TEST_CASE("lru_cache: concurrent gets and puts keep the bound and return the right values", "[serve][cache]") {
  const std::size_t max_bytes = 64 * 1024;
  lru_cache cache(max_bytes);
  lru_cache near(8 * 1024);
  tiered_cache tiers(near, cache);
  // A key's value is a function of the key, so any hit can be checked whoever put it.
  const auto value_of = [](int k) {
    return std::string(static_cast<std::size_t>(k % 97), static_cast<char>('a' + k % 26)) + std::to_string(k);
  };
  constexpr int threads = 4, ops = 20000;
  std::atomic<int> wrong{0}, over_bound{0};
  std::atomic<std::uint64_t> gets{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      std::uniform_int_distribution<int> key(0, 1999), op(0, 3);
      for (int i = 0; i < ops; ++i) {
        const int k = key(rng);
        const std::string name = "key" + std::to_string(k);
        result_cache& target = (i % 2 == 0) ? static_cast<result_cache&>(cache) : tiers;
        if (op(rng) == 0) {
          target.put(name, value_of(k));
        } else {
          if (&target == &cache) gets.fetch_add(1);
          if (const auto hit = target.get(name); hit && *hit != value_of(k)) wrong.fetch_add(1);
        }
        if (cache.stats().bytes > max_bytes || near.stats().bytes > near.max_bytes()) over_bound.fetch_add(1);
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(wrong.load() == 0);
  CHECK(over_bound.load() == 0);
  const auto s = cache.stats();
  CHECK(s.hits > 0);
  CHECK(s.evictions > 0);
  // Every get reached `cache` directly or through a near miss: at least the direct ones are counted.
  CHECK(s.hits + s.misses >= gets.load());
}
