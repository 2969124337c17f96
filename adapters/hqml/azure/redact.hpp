#pragma once
// Secrets never leave the Azure adapter in text: every exception message and every log line it makes goes
// through redact(), one function, so a key, a SAS signature, a token or a client secret cannot appear in
// logs, errors or exceptions whatever message carried it. Two layers:
//  - a process-wide registry of the secret values themselves (account keys, client secrets, tokens, federated
//    assertions, SAS signatures), registered by whoever loads or receives one, replaced wherever they occur;
//  - patterns for secrets the registry may not know yet (a SAS pasted in a URI, a bearer token in a header,
//    a token in a JSON body, a JWT): `sig=...`, `Authorization: ...`, `Bearer ...`, `"access_token": "..."`.
// The result is also made one line and printable (control bytes as \xNN).

#include <hqml/error.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <functional>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hqml::azure {

inline constexpr std::string_view redacted_mark = "[REDACTED]";

namespace detail {

struct secret_registry {
  std::mutex mutex;
  std::set<std::string> values;
};

inline secret_registry& secrets() {
  static secret_registry r;
  return r;
}

inline char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Position of `needle` in `hay` at or after `from`, ASCII case-insensitively; npos when absent.
inline std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from = 0) {
  if (needle.empty() || hay.size() < needle.size()) return std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= hay.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && lower(hay[i + k]) == lower(needle[k])) ++k;
    if (k == needle.size()) return i;
  }
  return std::string_view::npos;
}

// Percent-encoding of `s` as a URL query would carry it (for registering the encoded form of a secret too).
inline std::string query_encoded(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Replaces the value after every occurrence of `key` (case-insensitive) up to the first byte in `stops`.
inline void mask_after(std::string& s, std::string_view key, std::string_view stops) {
  std::size_t pos = 0;
  while ((pos = ifind(s, key, pos)) != std::string::npos) {
    const std::size_t start = pos + key.size();
    std::size_t end = start;
    while (end < s.size() && stops.find(s[end]) == std::string_view::npos) ++end;
    // "bearer (client secret)" names a credential: a parenthesis starts no token.
    if (end > start && s[start] != '(' && std::string_view(s).substr(start, end - start) != redacted_mark) {
      s.replace(start, end - start, redacted_mark);
    }
    pos = start + redacted_mark.size();
  }
}

// A query or form parameter `name=value`: only where `name` starts a parameter (after ?, &, ; or a space),
// so that "designature=" is not taken for "sig=".
inline void mask_param(std::string& s, std::string_view name) {
  std::size_t pos = 0;
  while ((pos = ifind(s, name, pos)) != std::string::npos) {
    const bool starts = pos == 0 || std::string_view("?&; \t\"'(,\n").find(s[pos - 1]) != std::string_view::npos;
    const std::size_t start = pos + name.size();
    if (!starts) {
      pos = start;
      continue;
    }
    std::size_t end = start;
    while (end < s.size() && std::string_view("& \t\r\n\"'<>),;#").find(s[end]) == std::string_view::npos) ++end;
    if (end > start && std::string_view(s).substr(start, end - start) != redacted_mark)
      s.replace(start, end - start, redacted_mark);
    pos = start + redacted_mark.size();
  }
}

// A JSON member "name": "value" (any spacing): the value string is masked.
inline void mask_json_member(std::string& s, std::string_view quoted_name) {
  std::size_t pos = 0;
  while ((pos = ifind(s, quoted_name, pos)) != std::string::npos) {
    std::size_t i = pos + quoted_name.size();
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= s.size() || s[i] != ':') {
      pos = i;
      continue;
    }
    ++i;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= s.size() || s[i] != '"') {
      pos = i;
      continue;
    }
    const std::size_t start = i + 1;
    std::size_t end = start;
    while (end < s.size() && s[end] != '"') end += (s[end] == '\\' && end + 1 < s.size()) ? 2 : 1;
    end = std::min(end, s.size());
    s.replace(start, end - start, redacted_mark);
    pos = start + redacted_mark.size();
  }
}

inline bool base64url_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '=';
}

// A JWT (three base64url parts, the first starting "eyJ", the encoding of '{"'): masked whole.
inline void mask_jwts(std::string& s) {
  std::size_t pos = 0;
  while ((pos = s.find("eyJ", pos)) != std::string::npos) {
    if (pos > 0 && base64url_char(s[pos - 1])) {
      pos += 3;
      continue;
    }
    std::size_t end = pos, dots = 0;
    while (end < s.size() && (base64url_char(s[end]) || s[end] == '.')) dots += s[end++] == '.';
    if (dots >= 2 && end - pos >= 16) {
      s.replace(pos, end - pos, redacted_mark);
      pos += redacted_mark.size();
    } else {
      pos = end;
    }
  }
}

}  // namespace detail

/// Registers a secret value: from now on redact() replaces it (and its percent-encoded form) wherever it
/// occurs. Values shorter than 6 bytes are not registered (they would mask ordinary words); such values are
/// not secrets anyone should use.
inline void register_secret(std::string_view value) {
  if (value.size() < 6) return;
  auto& r = detail::secrets();
  const std::lock_guard lock(r.mutex);
  r.values.emplace(value);
  const std::string encoded = detail::query_encoded(value);
  if (encoded != value) r.values.insert(encoded);
}

/// `text` with every secret replaced by [REDACTED], in one printable line (at most max_bytes, the middle
/// elided). Every message of the Azure adapter, logged or thrown, is made by this function.
[[nodiscard]] inline std::string redact(std::string_view text, std::size_t max_bytes = 2000) {
  std::string s(text);
  {
    auto& r = detail::secrets();
    const std::lock_guard lock(r.mutex);
    // Longer values first, so that a secret containing another is masked whole.
    std::vector<const std::string*> order;
    order.reserve(r.values.size());
    for (const auto& v : r.values) order.push_back(&v);
    std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->size() > b->size(); });
    for (const std::string* v : order) {
      std::size_t pos = 0;
      while ((pos = s.find(*v, pos)) != std::string::npos) {
        s.replace(pos, v->size(), redacted_mark);
        pos += redacted_mark.size();
      }
    }
  }
  for (const std::string_view p : {"sig=", "signature=", "client_secret=", "client_assertion=", "assertion=",
                                   "access_token=", "refresh_token=", "password=", "accountkey="}) {
    detail::mask_param(s, p);
  }
  for (const std::string_view m : {"\"access_token\"", "\"refresh_token\"", "\"id_token\"", "\"client_secret\"",
                                   "\"client_assertion\"", "\"token\""}) {
    detail::mask_json_member(s, m);
  }
  // Header values that are credentials, to the end of the line.
  for (const std::string_view h : {"authorization:", "x-identity-header:", "x-ms-copy-source-authorization:"}) {
    detail::mask_after(s, h, "\r\n");
  }
  detail::mask_after(s, "bearer ", " \t\r\n\"',;");
  detail::mask_after(s, "sharedkey ", " \t\r\n\"',;");
  detail::mask_jwts(s);
  return printable(s, max_bytes);
}

/// What every Azure adapter exception is: its message redacted at construction, whatever the caller passed.
/// status: the HTTP status when one was received (0 otherwise); code: the service's x-ms-error-code or the
/// token service's "error" (empty if none).
class azure_error : public std::runtime_error {
 public:
  explicit azure_error(std::string_view message, long status = 0, std::string code = {}, bool retryable = false)
      : std::runtime_error(redact(message)), status_(status), code_(redact(code, 200)), retryable_(retryable) {}
  [[nodiscard]] long status() const noexcept { return status_; }
  [[nodiscard]] const std::string& code() const noexcept { return code_; }
  [[nodiscard]] bool retryable() const noexcept { return retryable_; }

 private:
  long status_;
  std::string code_;
  bool retryable_;
};

}  // namespace hqml::azure
