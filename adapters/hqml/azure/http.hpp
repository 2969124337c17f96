#pragma once
// HTTP for the Azure adapter over libcurl: a request/response pair, a pool of easy handles (kept between
// requests so that connections are reused; one request per handle at a time, so any number of threads may
// send at once), and the retrying pipeline every storage and token request goes through (retry.hpp says when
// it retries and how long it waits).
//
// A response is whole or an error: a body shorter than its Content-Length (libcurl's "partial file", or a
// count that differs) is a transport error and is retried, never returned. A body is never buffered beyond
// the request's max_response_body (a ranged read: its range): a larger one aborts the transfer with a
// non-retryable error. The libcurl callbacks never let an exception unwind through libcurl: they return 0
// (libcurl aborts) and perform() rethrows it. Redirects are not followed (they
// would carry the Authorization header elsewhere); only http and https are spoken. Every message the
// pipeline logs or throws goes through redact().

#include <hqml/azure/redact.hpp>
#include <hqml/azure/retry.hpp>
#include <hqml/azure/uri.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <curl/curl.h>

namespace hqml::azure {

/// The largest response body read when a request names no limit of its own (listings, token replies, error
/// bodies): larger answers are refused rather than buffered without bound.
inline constexpr std::size_t default_max_response_body = std::size_t{16} << 20;

/// Header fields in order; names compared ASCII case-insensitively.
class http_headers {
 public:
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const {
    for (const auto& [n, v] : fields_)
      if (detail::ifind(n, name) == 0 && n.size() == name.size()) return std::string_view(v);
    return std::nullopt;
  }
  void set(std::string_view name, std::string_view value) {
    remove(name);
    fields_.emplace_back(std::string(name), std::string(value));
  }
  void remove(std::string_view name) {
    std::erase_if(fields_,
                  [&](const auto& f) { return f.first.size() == name.size() && detail::ifind(f.first, name) == 0; });
  }
  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  void clear() { fields_.clear(); }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct http_request {
  std::string method = "GET";
  std::string base;                                        // "scheme://host[:port][/prefix]", no trailing '/'
  std::string path;                                        // percent-encoded, starting with '/' (or empty)
  std::vector<std::pair<std::string, std::string>> query;  // decoded names and values, encoded when sent
  std::string sas;  // a SAS query appended verbatim (already encoded); set by the SAS credential
  http_headers headers;
  std::string_view body;  // not owned: the caller keeps it alive until send() returns
  // The most response-body bytes accepted (0: default_max_response_body); beyond it the transfer is aborted
  // with a non-retryable error. Ranged reads set it to the range's length (plus room for an error body).
  std::size_t max_response_body = 0;

  /// The path of the URL as the server sees it: the base's own path prefix (path-style endpoints) + path.
  [[nodiscard]] std::string url_path() const {
    const auto scheme = base.find("://");
    const auto slash = base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    std::string p = slash == std::string::npos ? std::string() : base.substr(slash);
    p += path;
    return p.empty() ? "/" : p;
  }
  [[nodiscard]] std::string url() const {
    std::string u = base + path;
    if (path.empty()) u += '/';
    char sep = '?';
    for (const auto& [n, v] : query) {
      u += sep;
      u += url_encode(n) + "=" + url_encode(v);
      sep = '&';
    }
    if (!sas.empty()) {
      u += sep;
      u += sas;
    }
    return u;
  }
};

struct http_response {
  long status = 0;
  http_headers headers;
  std::string body;
};

/// A failure below HTTP (no status): refused or reset connection, timeout, truncated body.
class transport_error : public azure_error {
 public:
  transport_error(std::string_view message, bool retryable, bool timed_out = false)
      : azure_error(message, 0, {}, retryable), timed_out_(timed_out) {}
  [[nodiscard]] bool timed_out() const noexcept { return timed_out_; }

 private:
  bool timed_out_;
};

/// "Sun, 06 Nov 1994 08:49:37 GMT" for `t` (the x-ms-date of each try), independent of the C locale.
[[nodiscard]] inline std::string http_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

/// Easy handles for reuse, and the one call that performs a request with them. Thread-safe.
class http_transport {
 public:
  http_transport() {
    static const bool once = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
    if (!once) throw azure_error("libcurl could not be initialized");
  }
  http_transport(const http_transport&) = delete;
  http_transport& operator=(const http_transport&) = delete;
  ~http_transport() {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  /// One try of `req`, bounded by `timeout` (whole transfer) and `connect_timeout`; when stall_timeout is
  /// positive, a transfer that moves no byte for about that long (libcurl's low-speed check: below 1 byte/s,
  /// measured over its last few seconds) fails as a timeout too. Returns any status; throws transport_error
  /// for everything below HTTP.
  http_response perform(const http_request& req, std::chrono::milliseconds timeout,
                        std::chrono::milliseconds connect_timeout,
                        std::chrono::milliseconds stall_timeout = std::chrono::milliseconds(0)) {
    handle h(*this);
    CURL* c = h.get();
    http_response resp;
    state st{&resp, req.max_response_body != 0 ? req.max_response_body : default_max_response_body, false, {}};
    const std::string url = req.url();
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = nullptr;
    struct slist_guard {
      curl_slist*& l;
      ~slist_guard() { curl_slist_free_all(l); }
    } guard{headers};
    const bool has_body = req.method == "PUT" || req.method == "POST" || req.method == "PATCH";
    bool has_content_type = false;
    for (const auto& [n, v] : req.headers.fields()) {
      has_content_type = has_content_type || (n.size() == 12 && detail::ifind(n, "content-type") == 0);
      if (n.size() == 14 && detail::ifind(n, "content-length") == 0) continue;  // libcurl sets it from the body
      const std::string line = v.empty() ? n + ";" : n + ": " + v;
      headers = curl_slist_append(headers, line.c_str());
    }
    if (has_body && !has_content_type) headers = curl_slist_append(headers, "Content-Type:");  // not form data
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<std::int64_t>(timeout.count(), 1)));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::max<std::int64_t>(std::min(connect_timeout, timeout).count(), 1)));
    if (stall_timeout.count() > 0) {
      curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
      curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
                       static_cast<long>(std::max<std::int64_t>((stall_timeout.count() + 999) / 1000, 1)));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &st);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &st);
    if (req.method == "HEAD") {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (req.method == "GET") {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
    if (has_body) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.empty() ? "" : req.body.data());
    }
    const CURLcode rc = curl_easy_perform(c);
    // A callback that failed returned 0 (libcurl aborts); its exception is rethrown here, past libcurl's C frames.
    if (st.error) {
      h.discard();
      std::rethrow_exception(st.error);
    }
    if (st.too_large) {
      h.discard();
      throw transport_error(req.method + " " + url + ": the response body exceeds the " + std::to_string(st.limit) +
                                " bytes expected; the transfer was aborted",
                            false);
    }
    if (rc != CURLE_OK) {
      h.discard();  // a handle after a failed transfer may hold a broken connection: start afresh
      const std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
      const bool timed_out = rc == CURLE_OPERATION_TIMEDOUT;
      throw transport_error(req.method + " " + url + ": " + detail + " (curl " + std::to_string(rc) + ")",
                            retryable_curl(rc), timed_out);
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
    if (req.method != "HEAD" && resp.status != 204 && resp.status != 304) {
      if (const auto cl = resp.headers.get("content-length")) {
        const auto expected = detail::parse_digits(*cl);
        if (!expected || *expected != resp.body.size()) {
          h.discard();
          throw transport_error(req.method + " " + url + ": response body truncated: " +
                                    std::to_string(resp.body.size()) + " of " + std::string(*cl) + " bytes",
                                true);
        }
      }
    }
    return resp;
  }

 private:
  struct state {
    http_response* resp;
    std::size_t limit;  // the most body bytes accepted
    bool too_large = false;
    std::exception_ptr error;  // what a callback threw (it returned 0 instead of unwinding through libcurl)
  };

  static bool retryable_curl(CURLcode rc) {
    switch (rc) {
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_CONNECT:
      case CURLE_OPERATION_TIMEDOUT:
      case CURLE_PARTIAL_FILE:
      case CURLE_GOT_NOTHING:
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_HTTP2:
      case CURLE_HTTP2_STREAM:
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_WEIRD_SERVER_REPLY:
        return true;
      default:
        return false;
    }
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) noexcept {
    auto* st = static_cast<state*>(user);
    try {
      return header_line(st, data, size * n);
    } catch (...) {
      st->error = std::current_exception();
      return 0;
    }
  }
  static std::size_t header_line(state* st, char* data, std::size_t bytes) {
    std::string_view line(data, bytes);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.substr(0, 5) == "HTTP/") {
      st->resp->headers.clear();  // a new response (after 100 Continue): its own fields only
    } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      st->resp->headers.add(std::string(line.substr(0, colon)), std::string(value));
    }
    return bytes;
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) noexcept {
    auto* st = static_cast<state*>(user);
    try {
      const std::size_t bytes = size * n;
      std::string& body = st->resp->body;
      if (body.empty()) {
        if (const auto cl = st->resp->headers.get("content-length")) {
          const auto v = detail::parse_digits(*cl);
          if (v && *v > st->limit) {
            st->too_large = true;  // announced too large: refused before anything is buffered
            return 0;
          }
          if (v) body.reserve(static_cast<std::size_t>(*v));
        }
      }
      if (bytes > st->limit - body.size()) {
        st->too_large = true;
        return 0;
      }
      body.append(data, bytes);
      return bytes;
    } catch (...) {
      st->error = std::current_exception();
      return 0;
    }
  }

  // An easy handle borrowed from the pool for one request; back to the pool (reset, connections kept) after.
  class handle {
   public:
    explicit handle(http_transport& t) : t_(t) {
      {
        const std::lock_guard lock(t_.mutex_);
        if (!t_.idle_.empty()) {
          h_ = t_.idle_.back();
          t_.idle_.pop_back();
        }
      }
      if (h_ == nullptr) h_ = curl_easy_init();
      if (h_ == nullptr) throw azure_error("libcurl: cannot create a handle");
    }
    handle(const handle&) = delete;
    handle& operator=(const handle&) = delete;
    ~handle() {
      if (discard_) {
        curl_easy_cleanup(h_);
        return;
      }
      curl_easy_reset(h_);
      const std::lock_guard lock(t_.mutex_);
      t_.idle_.push_back(h_);
    }
    [[nodiscard]] CURL* get() const { return h_; }
    void discard() { discard_ = true; }

   private:
    http_transport& t_;
    CURL* h_ = nullptr;
    bool discard_ = false;
  };

  std::mutex mutex_;
  std::vector<CURL*> idle_;
};

using log_function = std::function<void(std::string_view)>;

/// Sends requests with retries (retry.hpp). authorize(req) is called before every try (fresh x-ms-date,
/// fresh or cached token); log, when set, receives one redacted line per retry.
class pipeline {
 public:
  pipeline(std::shared_ptr<http_transport> transport, retry_policy policy, log_function log = {})
      : transport_(std::move(transport)), policy_(policy), log_(std::move(log)) {}

  [[nodiscard]] const retry_policy& policy() const { return policy_; }
  void log(std::string_view message) const {
    if (log_) log_(redact(message));
  }

  /// The final response (any status, retryable ones included once tries or time ran out: the caller turns
  /// it into an error); throws transport_error when the last try failed below HTTP, or the total timeout
  /// was reached.
  http_response send(const http_request& request, const std::function<void(http_request&)>& authorize = {}) const {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    const auto deadline = start + policy_.total_timeout;
    const int tries = std::max(policy_.max_tries, 1);
    std::string last_error;
    for (int attempt = 1;; ++attempt) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
      if (left.count() <= 0) throw total_timeout(request, attempt - 1, last_error);
      http_request req = request;
      req.headers.set("x-ms-date", http_date(std::chrono::system_clock::now()));
      if (authorize) authorize(req);
      std::chrono::milliseconds wait{0};
      try {
        http_response resp = transport_->perform(req, std::min(policy_.per_try_timeout, left), policy_.connect_timeout,
                                                 policy_.stall_timeout);
        if (!retryable_status(resp.status) || attempt >= tries) return resp;
        wait = retry_wait(policy_, attempt, jitter(), resp.headers.get("x-ms-retry-after-ms"),
                          resp.headers.get("retry-after"));
        last_error = request.method + " " + request.url() + ": status " + std::to_string(resp.status);
        if (const auto code = resp.headers.get("x-ms-error-code")) last_error += " " + std::string(*code);
        if (clock::now() + wait >= deadline)
          throw total_timeout(request, attempt,
                              last_error + " (next try due in " + std::to_string(wait.count()) + " ms)");
      } catch (const transport_error& e) {
        last_error = e.what();
        if (!e.retryable()) throw;
        if (attempt >= tries)
          throw transport_error(std::string(e.what()) + " (after " + std::to_string(attempt) + " tries)", false,
                                e.timed_out());
        wait = backoff_delay(policy_, attempt, jitter());
        if (clock::now() + wait >= deadline) throw total_timeout(request, attempt, last_error);
      }
      log("retrying (try " + std::to_string(attempt + 1) + " of " + std::to_string(tries) + " in " +
          std::to_string(wait.count()) + " ms): " + last_error);
      std::this_thread::sleep_for(wait);
    }
  }

  [[nodiscard]] http_transport& transport() const { return *transport_; }
  [[nodiscard]] const std::shared_ptr<http_transport>& shared_transport() const { return transport_; }
  [[nodiscard]] const log_function& logger() const { return log_; }

 private:
  transport_error total_timeout(const http_request& r, int tries, const std::string& last) const {
    return transport_error(r.method + " " + r.url() + ": total timeout of " +
                               std::to_string(policy_.total_timeout.count()) + " ms reached after " +
                               std::to_string(tries) + " tries" + (last.empty() ? "" : "; last: " + last),
                           false, true);
  }
  static double jitter() {
    thread_local std::mt19937_64 gen{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
  }

  std::shared_ptr<http_transport> transport_;
  retry_policy policy_;
  log_function log_;
};

}  // namespace hqml::azure
