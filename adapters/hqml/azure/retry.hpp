#pragma once
// When and how long to retry a storage or token request. Retried: the statuses 408, 429, 500, 502, 503, 504
// and transport errors (connection refused or reset, a body shorter than its Content-Length, a try that ran
// past its timeout). The wait before retry n (1-based) is the server's own when it gave one
// (x-ms-retry-after-ms, then Retry-After as seconds or an HTTP date), capped at max_retry_after; otherwise
// exponential backoff with jitter: d = min(max_delay, base_delay * 2^(n-1)), a wait drawn uniformly from
// [d/2, d] (half fixed so that waits grow; half random so that clients that failed together spread out).
// A try ends when it moves no data for stall_timeout, or at the latest after per_try_timeout (a generous
// cap: a large transfer that progresses is not cut off), and all of them, waits included, are bounded by
// total_timeout: a wait that would end past the total deadline is not begun, the request fails at once.

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hqml::azure {

struct retry_policy {
  int max_tries = 5;  // including the first
  std::chrono::milliseconds base_delay{400};
  std::chrono::milliseconds max_delay{20000};
  std::chrono::milliseconds max_retry_after{60000};  // a longer server-requested wait is cut to this
  std::chrono::milliseconds connect_timeout{10000};
  // A try may take as long as it moves data (a large chunk on a slow link is not cut off and retried from
  // scratch forever): stall_timeout ends a try that moves nothing for about that long (0: off), and
  // per_try_timeout is only a generous cap on one try.
  std::chrono::milliseconds stall_timeout{60000};
  std::chrono::milliseconds per_try_timeout{600000};
  std::chrono::milliseconds total_timeout{600000};
};

[[nodiscard]] inline bool retryable_status(long status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

/// The backoff wait before retry `retry` (1 = the first retry), for a jitter draw u in [0, 1).
[[nodiscard]] inline std::chrono::milliseconds backoff_delay(const retry_policy& p, int retry, double u) {
  const double base = static_cast<double>(std::max<std::int64_t>(p.base_delay.count(), 0));
  const double cap = static_cast<double>(std::max<std::int64_t>(p.max_delay.count(), 0));
  const double d = std::min(cap, base * std::pow(2.0, std::clamp(retry - 1, 0, 62)));
  u = std::clamp(u, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(d / 2 + u * d / 2));
}

namespace detail {

inline std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// A non-negative decimal integer, digits only (surrounding spaces allowed); nullopt otherwise or on overflow.
inline std::optional<std::uint64_t> parse_digits(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

inline std::optional<unsigned> month_number(std::string_view m) {
  static constexpr std::array<std::string_view, 12> names{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned i = 0; i < 12; ++i)
    if (names[i] == m) return i + 1;
  return std::nullopt;
}

// "HH:MM:SS" -> seconds of the day.
inline std::optional<int> parse_clock(std::string_view t) {
  if (t.size() != 8 || t[2] != ':' || t[5] != ':') return std::nullopt;
  const auto h = parse_int(t.substr(0, 2)), m = parse_int(t.substr(3, 2)), s = parse_int(t.substr(6, 2));
  if (!h || !m || !s || *h > 23 || *m > 59 || *s > 60) return std::nullopt;
  return *h * 3600 + *m * 60 + *s;
}

inline std::optional<std::chrono::system_clock::time_point> make_time(int year, unsigned month, int day, int secs) {
  const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                        std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd) + std::chrono::seconds(secs);
}

}  // namespace detail

/// An HTTP date (RFC 9110 section 5.6.7): the preferred IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" and the
/// two obsolete forms recipients must accept, RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" (a two-digit year below
/// 70 is 20xx, else 19xx) and asctime "Sun Nov  6 08:49:37 1994". nullopt for anything else.
[[nodiscard]] inline std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s) {
  using detail::parse_clock;
  using detail::parse_int;
  const auto comma = s.find(',');
  if (comma != std::string_view::npos) {
    std::string_view rest = s.substr(comma + 1);
    if (rest.empty() || rest.front() != ' ') return std::nullopt;
    rest.remove_prefix(1);
    if (rest.size() == 24 && rest[2] == ' ' && rest[6] == ' ' && rest[11] == ' ' && rest.substr(20) == " GMT") {
      // IMF-fixdate: "06 Nov 1994 08:49:37 GMT"
      const auto day = parse_int(rest.substr(0, 2));
      const auto month = detail::month_number(rest.substr(3, 3));
      const auto year = parse_int(rest.substr(7, 4));
      const auto secs = parse_clock(rest.substr(12, 8));
      if (comma != 3 || !day || !month || !year || !secs) return std::nullopt;
      return detail::make_time(*year, *month, *day, *secs);
    }
    if (rest.size() == 22 && rest[2] == '-' && rest[6] == '-' && rest[9] == ' ' && rest.substr(18) == " GMT") {
      // RFC 850: "06-Nov-94 08:49:37 GMT"
      const auto day = parse_int(rest.substr(0, 2));
      const auto month = detail::month_number(rest.substr(3, 3));
      const auto yy = parse_int(rest.substr(7, 2));
      const auto secs = parse_clock(rest.substr(10, 8));
      if (!day || !month || !yy || !secs) return std::nullopt;
      return detail::make_time(*yy < 70 ? 2000 + *yy : 1900 + *yy, *month, *day, *secs);
    }
    return std::nullopt;
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (s.size() == 24 && s[3] == ' ' && s[7] == ' ' && s[10] == ' ' && s[19] == ' ') {
    const auto month = detail::month_number(s.substr(4, 3));
    std::string_view d = s.substr(8, 2);
    if (d.front() == ' ') d.remove_prefix(1);
    const auto day = parse_int(d);
    const auto secs = parse_clock(s.substr(11, 8));
    const auto year = parse_int(s.substr(20, 4));
    if (!month || !day || !secs || !year) return std::nullopt;
    return detail::make_time(*year, *month, *day, *secs);
  }
  return std::nullopt;
}

/// The wait a Retry-After value asks for: delta-seconds, or an HTTP date (then date - now, never negative).
/// nullopt for anything else (the caller backs off as if there were none).
[[nodiscard]] inline std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::chrono::milliseconds(std::chrono::hours(24 * 365));  // absurd: the cap applies
    return std::chrono::seconds(*detail::parse_int(value));
  }
  const auto when = parse_http_date(value);
  if (!when) return std::nullopt;
  if (*when <= now) return std::chrono::milliseconds(0);
  return std::chrono::ceil<std::chrono::milliseconds>(*when - now);
}

/// x-ms-retry-after-ms: a whole number of milliseconds; nullopt otherwise.
[[nodiscard]] inline std::optional<std::chrono::milliseconds> parse_retry_after_ms(std::string_view value) {
  const auto v = detail::parse_digits(value);
  if (!v || *v > (std::uint64_t{1} << 40)) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(*v));
}

/// The wait before the next try: the server's (x-ms-retry-after-ms first, then Retry-After; capped at
/// max_retry_after) when it gave a usable one, else backoff_delay.
[[nodiscard]] inline std::chrono::milliseconds retry_wait(
    const retry_policy& p, int retry, double u, std::optional<std::string_view> retry_after_ms,
    std::optional<std::string_view> retry_after,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) {
  std::optional<std::chrono::milliseconds> server;
  if (retry_after_ms) server = parse_retry_after_ms(*retry_after_ms);
  if (!server && retry_after) server = parse_retry_after(*retry_after, now);
  if (server) return std::min(*server, p.max_retry_after);
  return backoff_delay(p, retry, u);
}

}  // namespace hqml::azure
