#pragma once
// What the Blob and Data Lake clients share: a request for a path of one container (or file system) of one
// account, sent through the retrying pipeline with the location's credential, and the one error a refused
// request becomes (status, the service's error code and message, the request id; the URL without any SAS).

#include <hqml/azure/credential.hpp>
#include <hqml/azure/http.hpp>
#include <hqml/azure/redact.hpp>
#include <hqml/azure/uri.hpp>

#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hqml::azure {

inline constexpr std::string_view storage_api_version = "2021-08-06";

/// How requests reach an account: the pipeline, the credential, the endpoint override (config.hpp).
struct storage_context {
  std::shared_ptr<const pipeline> pipe;
  std::shared_ptr<credential> cred;
  std::string endpoint_override;
};

namespace detail {

// The raw content of the first <tag>...</tag> in `xml` at or after *from (entities NOT decoded: for an element
// whose children are read with xml_text, so that each text is decoded exactly once), or "".
inline std::string_view xml_element(std::string_view xml, std::string_view tag, std::size_t* from = nullptr) {
  const std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  const auto b = xml.find(open, from ? *from : 0);
  if (b == std::string_view::npos) return {};
  const auto e = xml.find(close, b + open.size());
  if (e == std::string_view::npos) return {};
  if (from) *from = e + close.size();
  return xml.substr(b + open.size(), e - b - open.size());
}

// The text of the first <tag>...</tag> in `xml` (entities decoded), or "".
inline std::string xml_text(std::string_view xml, std::string_view tag, std::size_t* from = nullptr) {
  const std::string_view raw = xml_element(xml, tag, from);
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '&') {
      out += raw[i];
      continue;
    }
    const auto semi = raw.find(';', i);
    const std::string_view ent = semi == std::string_view::npos ? std::string_view() : raw.substr(i + 1, semi - i - 1);
    if (ent == "amp")
      out += '&';
    else if (ent == "lt")
      out += '<';
    else if (ent == "gt")
      out += '>';
    else if (ent == "quot")
      out += '"';
    else if (ent == "apos")
      out += '\'';
    else if (ent.size() > 1 && ent[0] == '#') {
      unsigned long cp = 0;
      try {
        cp = ent[1] == 'x' ? std::stoul(std::string(ent.substr(2)), nullptr, 16)
                           : std::stoul(std::string(ent.substr(1)));
      } catch (const std::exception&) {
        cp = '?';
      }
      // UTF-8 encode.
      if (cp < 0x80) {
        out += static_cast<char>(cp);
      } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
      } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
      } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
      }
    } else {
      out += '&';
      continue;
    }
    i = semi;
  }
  return out;
}

inline std::string xml_escape(std::string_view s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace detail

/// Requests against one container / file system of `loc`'s account.
class container_client {
 public:
  container_client(location loc, storage_context ctx) : loc_(std::move(loc)), ctx_(std::move(ctx)) {
    if (!ctx_.pipe || !ctx_.cred) throw azure_error("storage client: no pipeline or credential");
  }
  [[nodiscard]] const location& where() const { return loc_; }
  [[nodiscard]] const storage_context& context() const { return ctx_; }

  /// A request for `path` ("" = the container itself) on `svc`'s endpoint.
  [[nodiscard]] http_request make(service svc, std::string method, std::string_view path,
                                  std::vector<std::pair<std::string, std::string>> query = {}) const {
    http_request r;
    r.method = std::move(method);
    r.base = service_base(loc_, svc, ctx_.endpoint_override);
    r.path = resource_path(loc_, path);
    r.query = std::move(query);
    r.headers.set("x-ms-version", storage_api_version);
    return r;
  }

  /// Sends `req` (retrying) and returns the response if its status is one of `ok`; else throws azure_error
  /// naming `what` and the object.
  http_response send(const http_request& req, std::string_view what, std::initializer_list<long> ok) const {
    auto cred = ctx_.cred;
    http_response resp = ctx_.pipe->send(req, [&cred](http_request& r) { cred->authorize(r); });
    for (const long s : ok)
      if (resp.status == s) return resp;
    fail(req, resp, what);
  }

  /// The service's error code of a reply: x-ms-error-code, else the code in its XML or JSON body; "" if none.
  [[nodiscard]] static std::string error_code(const http_response& resp) {
    if (const auto c = resp.headers.get("x-ms-error-code")) return std::string(*c);
    if (!resp.body.empty() && resp.body.front() == '<') return detail::xml_text(resp.body, "Code");
    if (!resp.body.empty()) {
      try {
        const auto j = nlohmann::json::parse(resp.body);
        if (j.contains("error") && j["error"].is_object() && j["error"].contains("code") &&
            j["error"]["code"].is_string())
          return j["error"]["code"].get<std::string>();
      } catch (const std::exception&) {
      }
    }
    return {};
  }

  [[noreturn]] void fail(const http_request& req, const http_response& resp, std::string_view what) const {
    std::string code(resp.headers.get("x-ms-error-code").value_or(""));
    std::string message;
    if (!resp.body.empty() && resp.body.front() == '<') {
      message = detail::xml_text(resp.body, "Message");
      if (code.empty()) code = detail::xml_text(resp.body, "Code");
    } else if (!resp.body.empty()) {
      try {
        const auto j = nlohmann::json::parse(resp.body);
        if (j.contains("error") && j["error"].is_object()) {
          if (j["error"].contains("message") && j["error"]["message"].is_string())
            message = j["error"]["message"].get<std::string>();
          if (code.empty() && j["error"].contains("code") && j["error"]["code"].is_string())
            code = j["error"]["code"].get<std::string>();
        }
      } catch (const std::exception&) {
      }
    }
    if (const auto nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
    std::string text =
        std::string(what) + " " + req.method + " " + req.base + req.path + ": status " + std::to_string(resp.status);
    if (!code.empty()) text += " " + code;
    if (!message.empty()) text += ": " + message;
    // The "not replaced" hint only for a request that asked not to replace (If-None-Match: *).
    if (req.headers.get("if-none-match").value_or("") == "*" &&
        (resp.status == 412 || code == "BlobAlreadyExists" || code == "PathAlreadyExists"))
      text += " (not replaced: it exists and overwriting was not asked for)";
    if (const auto id = resp.headers.get("x-ms-request-id")) text += " (request id " + std::string(*id) + ")";
    throw azure_error(text, resp.status, code, retryable_status(resp.status));
  }

 protected:
  location loc_;
  storage_context ctx_;
};

}  // namespace hqml::azure
