#pragma once
// Storage locations: what a URI names (account, container or file system, path, SAS) and the request URLs
// that reach it. Accepted forms:
//   abfss://FS@ACCOUNT.dfs.core.windows.net/PATH          (abfs:// too: hqml always speaks HTTPS)
//   https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH  (or ACCOUNT.dfs...), optionally ?SAS
//   azureml://datastores/NAME/paths/PATH                  (and the long form azureml://subscriptions/S/
//                                                          resourcegroups/R/workspaces/W/datastores/NAME/paths/PATH)
// The endpoint suffix may be that of another cloud (core.chinacloudapi.cn, core.usgovcloudapi.net).
//
// An azureml:// URI is resolved through a datastore map, NAME -> the datastore's base URI (abfss:// or
// https://, the container and an optional path prefix). datastores_from_env() reads it from
//   HQML_AZUREML_DATASTORES="NAME=URI;NAME2=URI2"        and/or
//   HQML_AZUREML_DATASTORES_FILE=FILE.json               ({"NAME": "URI", ...}; the variable wins on a clash)
//
// Where requests go: https://ACCOUNT.blob.SUFFIX and https://ACCOUNT.dfs.SUFFIX, unless an endpoint override
// is given (HQML_AZURE_STORAGE_ENDPOINT, e.g. http://127.0.0.1:10000/{account}): then both services go to
// that base URL, "{account}" replaced, path-style (BASE/CONTAINER/PATH), as Azurite and the tests' server
// expect.
//
// Hostile input is refused with a one-line azure_error (the URI redacted): a user or port in the host, a
// host that is not an Azure storage endpoint, bad account or container names, "." or ".." or empty path
// segments, control bytes or backslashes (encoded or not), bad percent escapes, fragments, a query that is
// not a SAS, paths over 1024 bytes.

#include <hqml/azure/redact.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hqml::azure {

enum class service { blob, dfs };

/// A parsed storage location. path: decoded, without a leading '/', "" for the container itself.
struct location {
  std::string account;
  std::string container;  // a Blob container or a Data Lake file system (the same thing)
  std::string path;
  service kind = service::blob;  // the API the URI named: abfss:// and *.dfs.* -> dfs
  std::string sas;               // the SAS query, as given (percent-encoded), without '?'; empty if none
  std::string endpoint_suffix = "core.windows.net";
  bool directory_hint = false;  // the URI ended in '/'

  /// The same location with `child` ("a/b") appended to its path.
  [[nodiscard]] location child(std::string_view rel) const {
    location l = *this;
    if (!rel.empty()) l.path = l.path.empty() ? std::string(rel) : l.path + "/" + std::string(rel);
    return l;
  }
  /// A printable name for messages: abfss:// or https:// form without any SAS.
  [[nodiscard]] std::string display() const {
    if (kind == service::dfs) return "abfss://" + container + "@" + account + ".dfs." + endpoint_suffix + "/" + path;
    return "https://" + account + ".blob." + endpoint_suffix + "/" + container + "/" + path;
  }
};

using datastore_map = std::map<std::string, std::string, std::less<>>;

/// Percent-encodes `s` for a URL: unreserved bytes (RFC 3986) stay; '/' stays when keep_slash.
[[nodiscard]] inline std::string url_encode(std::string_view s, bool keep_slash = false) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || ch == '-' || ch == '.' || ch == '_' || ch == '~' || (keep_slash && ch == '/')) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

/// Decodes %XX escapes (and, when plus_is_space, '+' as a space, as in a query); nullopt for a bad escape.
[[nodiscard]] inline std::optional<std::string> url_decode(std::string_view s, bool plus_is_space = false) {
  const auto hexval = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

/// The query string split into (name, decoded value) pairs, in order. nullopt for a bad escape.
[[nodiscard]] inline std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view q) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    auto name = url_decode(part.substr(0, eq), true);
    auto value = url_decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

namespace detail {

inline bool valid_account(std::string_view a) {
  return a.size() >= 3 && a.size() <= 24 &&
         std::all_of(a.begin(), a.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

// Container / file system names: 3-63 of [a-z0-9-], starting and ending alphanumeric, no "--"; and the
// special Blob containers $root and $web.
inline bool valid_container(std::string_view c) {
  if (c == "$root" || c == "$web" || c == "$logs") return true;
  if (c.size() < 3 || c.size() > 63) return false;
  if (!std::all_of(c.begin(), c.end(),
                   [](char x) { return (x >= 'a' && x <= 'z') || (x >= '0' && x <= '9') || x == '-'; }))
    return false;
  return c.front() != '-' && c.back() != '-' && c.find("--") == std::string_view::npos;
}

inline constexpr std::string_view known_suffixes[] = {"core.windows.net", "core.chinacloudapi.cn",
                                                      "core.usgovcloudapi.net", "core.cloudapi.de"};

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "ACCOUNT.SERVICE.SUFFIX" -> account, service name, suffix; false when the host is not of that shape.
inline bool split_host(std::string_view host, std::string& account, std::string& svc, std::string& suffix) {
  const auto dot1 = host.find('.');
  if (dot1 == std::string_view::npos) return false;
  const auto dot2 = host.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return false;
  account = std::string(host.substr(0, dot1));
  svc = std::string(host.substr(dot1 + 1, dot2 - dot1 - 1));
  suffix = std::string(host.substr(dot2 + 1));
  return std::find(std::begin(known_suffixes), std::end(known_suffixes), suffix) != std::end(known_suffixes);
}

}  // namespace detail

/// Checks and normalizes a decoded object path: no leading '/', segments neither empty nor "." nor "..", no
/// control bytes or backslashes, at most 1024 bytes. Returns the message of what is wrong, or "" when fine.
[[nodiscard]] inline std::string check_path(std::string_view path) {
  if (path.size() > 1024) return "the path is longer than 1024 bytes";
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return "the path holds a control byte";
    if (ch == '\\') return "the path holds a backslash";
  }
  std::size_t start = 0;
  while (start <= path.size() && !path.empty()) {
    const auto slash = path.find('/', start);
    const std::string_view seg = path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    if (seg.empty()) return "the path has an empty segment ('//' or a leading '/')";
    if (seg == "." || seg == "..") return "the path has a '.' or '..' segment";
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return {};
}

/// Parses an abfss:// or https:// storage URI (not azureml://: see resolve_uri). Throws azure_error.
[[nodiscard]] inline location parse_storage_uri(std::string_view uri) {
  const auto fail = [uri](std::string_view why) -> location {
    throw azure_error("storage URI \"" + std::string(uri) + "\": " + std::string(why));
  };
  if (uri.find('#') != std::string_view::npos) return fail("a fragment ('#') is not allowed");
  for (const char ch : uri) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f) return fail("control, space or non-ASCII byte (percent-encode it)");
  }
  const auto scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos)
    return fail(
        "expected abfss://FS@ACCOUNT.dfs.core.windows.net/PATH or "
        "https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH");
  const std::string scheme = detail::ascii_lower(uri.substr(0, scheme_end));
  std::string_view rest = uri.substr(scheme_end + 3);
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  std::string_view raw_path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);

  location loc;
  std::string svc;
  if (scheme == "abfss" || scheme == "abfs") {
    const auto at = authority.find('@');
    if (at == std::string_view::npos) return fail("abfss:// needs FILESYSTEM@ACCOUNT.dfs.core.windows.net");
    if (authority.find('@', at + 1) != std::string_view::npos) return fail("more than one '@' in the host");
    loc.container = std::string(authority.substr(0, at));
    const std::string host = detail::ascii_lower(authority.substr(at + 1));
    if (host.find(':') != std::string::npos) return fail("a port is not allowed in the host");
    if (!detail::split_host(host, loc.account, svc, loc.endpoint_suffix) || svc != "dfs")
      return fail("the host must be ACCOUNT.dfs.core.windows.net (or another Azure cloud's suffix)");
    loc.kind = service::dfs;
  } else if (scheme == "https") {
    if (authority.find('@') != std::string_view::npos) return fail("a user name ('@') is not allowed in the host");
    const std::string host = detail::ascii_lower(authority);
    if (host.find(':') != std::string::npos) return fail("a port is not allowed in the host");
    if (!detail::split_host(host, loc.account, svc, loc.endpoint_suffix) || (svc != "blob" && svc != "dfs"))
      return fail("the host must be ACCOUNT.blob.core.windows.net or ACCOUNT.dfs.core.windows.net");
    loc.kind = svc == "dfs" ? service::dfs : service::blob;
    const auto s2 = raw_path.find('/');
    loc.container = std::string(raw_path.substr(0, s2));
    raw_path = s2 == std::string_view::npos ? std::string_view() : raw_path.substr(s2 + 1);
  } else {
    return fail("unsupported scheme '" + scheme + "' (abfss://, https:// or azureml://)");
  }
  if (!detail::valid_account(loc.account)) return fail("bad account name (3-24 lowercase letters and digits)");
  if (!detail::valid_container(loc.container))
    return fail("bad container or file system name '" + loc.container +
                "' (3-63 of a-z, 0-9, '-', starting and ending with a letter or digit)");
  if (!raw_path.empty() && raw_path.back() == '/') {
    loc.directory_hint = true;
    raw_path.remove_suffix(1);
  }
  const auto decoded = url_decode(raw_path);
  if (!decoded) return fail("bad percent escape in the path");
  if (const std::string why = check_path(*decoded); !why.empty()) return fail(why);
  loc.path = *decoded;
  if (!query.empty()) {
    const auto params = parse_query(query);
    if (!params) return fail("bad percent escape in the query");
    const bool has_sig = std::any_of(params->begin(), params->end(), [](auto& p) { return p.first == "sig"; });
    const bool has_sv = std::any_of(params->begin(), params->end(), [](auto& p) { return p.first == "sv"; });
    if (!has_sig || !has_sv) return fail("the query is not a SAS token (sv=...&sig=...)");
    for (const auto& [name, value] : *params)
      if (name == "sig") register_secret(value);
    loc.sas = std::string(query);
    register_secret(loc.sas);
  }
  return loc;
}

/// Reads the azureml datastore map from HQML_AZUREML_DATASTORES ("NAME=URI;...") and
/// HQML_AZUREML_DATASTORES_FILE (a JSON object NAME -> URI). Throws azure_error for a malformed one.
[[nodiscard]] inline datastore_map datastores_from_env() {
  datastore_map out;
  if (const char* file = std::getenv("HQML_AZUREML_DATASTORES_FILE"); file != nullptr && *file != '\0') {
    std::ifstream in(file);
    if (!in) throw azure_error(std::string("HQML_AZUREML_DATASTORES_FILE: cannot read '") + file + "'");
    nlohmann::json j;
    try {
      in >> j;
    } catch (const std::exception&) {
      throw azure_error(std::string("HQML_AZUREML_DATASTORES_FILE '") + file + "': not valid JSON");
    }
    if (!j.is_object())
      throw azure_error(std::string("HQML_AZUREML_DATASTORES_FILE '") + file + "': expected {\"NAME\": \"URI\", ...}");
    for (const auto& [name, value] : j.items()) {
      if (!value.is_string())
        throw azure_error(std::string("HQML_AZUREML_DATASTORES_FILE '") + file + "': datastore '" + name +
                          "' is not a string");
      out[name] = value.get<std::string>();
    }
  }
  if (const char* spec = std::getenv("HQML_AZUREML_DATASTORES"); spec != nullptr) {
    std::string_view s(spec);
    while (!s.empty()) {
      const auto semi = s.find(';');
      std::string_view item = s.substr(0, semi);
      s = semi == std::string_view::npos ? std::string_view() : s.substr(semi + 1);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      if (item.empty()) continue;
      const auto eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0)
        throw azure_error("HQML_AZUREML_DATASTORES: expected NAME=URI;NAME2=URI2, got '" + std::string(item) + "'");
      out[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
    }
  }
  for (const auto& [name, uri] : out)
    if (const auto q = uri.find('?'); q != std::string::npos) register_secret(uri.substr(q + 1));
  return out;
}

/// Parses any accepted URI, resolving azureml:// through `datastores`. Throws azure_error.
[[nodiscard]] inline location resolve_uri(std::string_view uri, const datastore_map& datastores = {}) {
  constexpr std::string_view azureml = "azureml://";
  if (uri.size() < azureml.size() || detail::ascii_lower(uri.substr(0, azureml.size())) != azureml)
    return parse_storage_uri(uri);
  const auto fail = [uri](std::string_view why) -> location {
    throw azure_error("azureml URI \"" + std::string(uri) + "\": " + std::string(why));
  };
  if (uri.find_first_of("?#") != std::string_view::npos) return fail("a query or fragment is not allowed");
  std::string_view rest = uri.substr(azureml.size());
  // The long form: skip subscriptions/S/resourcegroups/R/workspaces/W/ (the datastore name is what maps).
  if (const auto ds = rest.find("datastores/"); ds != std::string_view::npos && ds != 0) {
    const std::string_view head = rest.substr(0, ds);
    if (head.substr(0, 14) != "subscriptions/" || head.find("/workspaces/") == std::string_view::npos)
      return fail("expected azureml://datastores/NAME/paths/PATH");
    rest = rest.substr(ds);
  }
  constexpr std::string_view ds_prefix = "datastores/";
  if (rest.substr(0, ds_prefix.size()) != ds_prefix) return fail("expected azureml://datastores/NAME/paths/PATH");
  rest = rest.substr(ds_prefix.size());
  const auto slash = rest.find('/');
  const std::string_view name = rest.substr(0, slash);
  if (name.empty() || name.size() > 255 || !std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      }))
    return fail("bad datastore name");
  rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  constexpr std::string_view paths = "paths/";
  std::string_view path;
  if (rest == "paths" || rest.empty()) {
    path = {};
  } else if (rest.substr(0, paths.size()) == paths) {
    path = rest.substr(paths.size());
  } else {
    return fail("expected azureml://datastores/NAME/paths/PATH");
  }
  const auto it = datastores.find(name);
  if (it == datastores.end())
    return fail("datastore '" + std::string(name) +
                "' is not configured (HQML_AZUREML_DATASTORES=NAME=abfss://FS@ACCOUNT.dfs.core.windows.net/PREFIX or "
                "HQML_AZUREML_DATASTORES_FILE)");
  location base = parse_storage_uri(it->second);
  const bool dir = !path.empty() && path.back() == '/';
  if (dir) path.remove_suffix(1);
  const auto decoded = url_decode(path);
  if (!decoded) return fail("bad percent escape in the path");
  if (const std::string why = check_path(*decoded); !why.empty()) return fail(why);
  location out = base.child(*decoded);
  out.directory_hint = dir || (decoded->empty() && base.directory_hint);
  if (out.path.size() > 1024) return fail("the path is longer than 1024 bytes");
  return out;
}

/// Where requests for `loc`'s account go: "https://ACCOUNT.blob.SUFFIX" (or .dfs.), or the override with
/// "{account}" replaced. No trailing '/'.
[[nodiscard]] inline std::string service_base(const location& loc, service svc, std::string_view endpoint_override) {
  if (!endpoint_override.empty()) {
    std::string base(endpoint_override);
    if (const auto p = base.find("{account}"); p != std::string::npos) base.replace(p, 9, loc.account);
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
  }
  return "https://" + loc.account + (svc == service::dfs ? ".dfs." : ".blob.") + loc.endpoint_suffix;
}

/// The URL path of a container or of a path in it, percent-encoded ("/CONTAINER" or "/CONTAINER/a/b%20c").
[[nodiscard]] inline std::string resource_path(const location& loc, std::string_view path) {
  std::string out = "/" + url_encode(loc.container);
  if (!path.empty()) out += "/" + url_encode(path, true);
  return out;
}

}  // namespace hqml::azure
