#pragma once
// How storage requests are authorized. A credential signs or decorates a request before each try:
//   sas_credential          appends the SAS query of the URI
//   shared_key_credential   signs with an account key (SharedKey: HMAC-SHA-256 of the string-to-sign,
//                           https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key)
//   bearer_credential       "Authorization: Bearer TOKEN" from a token source, the token cached until shortly
//                           before it expires (refresh_margin, at most half the token's lifetime)
// Token sources (OAuth 2 for the scope https://storage.azure.com/.default):
//   client_secret_source       POST {authority}/{tenant}/oauth2/v2.0/token, grant client_credentials
//   workload_identity_source   the same with client_assertion = the federated token file (read each time)
//   imds_source                GET {imds}/metadata/identity/oauth2/token (Metadata: true)
//   app_service_source         GET IDENTITY_ENDPOINT (X-IDENTITY-HEADER), api-version 2019-08-01
//   chain_source               the first of several that works, remembered for later fetches; a source that
//                              answered with an error (wrong secret, AAD busy) ends the chain with it
// make_credential() picks, for one location, in this order: the SAS in its URI; SharedKey from the
// configured key; a bearer token from the chain of configured token sources (client secret, workload
// identity, App Service, IMDS last).

#include <hqml/azure/config.hpp>
#include <hqml/azure/crypto.hpp>
#include <hqml/azure/http.hpp>
#include <hqml/azure/redact.hpp>
#include <hqml/azure/uri.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace hqml::azure {

class credential {
 public:
  virtual ~credential() = default;
  /// Called before every try of a request (after x-ms-date is set).
  virtual void authorize(http_request& req) = 0;
  /// "SAS", "SharedKey", "bearer (client secret)", ...: for messages.
  [[nodiscard]] virtual std::string name() const = 0;
};

class sas_credential final : public credential {
 public:
  explicit sas_credential(std::string sas) : sas_(std::move(sas)) { register_secret(sas_); }
  void authorize(http_request& req) override { req.sas = sas_; }
  [[nodiscard]] std::string name() const override { return "SAS"; }

 private:
  std::string sas_;
};

/// The SharedKey string-to-sign of `req` for `account` (Blob, Queue and File services, version 2009-09-19 and
/// later; Data Lake uses the same). Content-Length is the body's size for PUT, POST and PATCH (libcurl sends
/// it), empty when zero. x-ms-* headers lowercased, trimmed, sorted by name; the resource is "/ACCOUNT" + the
/// URL path as sent + "\nname:value" per query parameter (names lowercased and sorted, values decoded, a
/// repeated name's values sorted and joined by ',').
[[nodiscard]] inline std::string string_to_sign(const http_request& req, std::string_view account) {
  const auto header = [&](std::string_view name) -> std::string {
    const auto v = req.headers.get(name);
    return v ? std::string(*v) : std::string();
  };
  std::string length;
  if (req.method == "PUT" || req.method == "POST" || req.method == "PATCH") {
    if (!req.body.empty()) length = std::to_string(req.body.size());
  } else if (const auto cl = req.headers.get("content-length"); cl && *cl != "0") {
    length = std::string(*cl);
  }
  std::string s = req.method + "\n";
  s += header("content-encoding") + "\n";
  s += header("content-language") + "\n";
  s += length + "\n";
  s += header("content-md5") + "\n";
  s += header("content-type") + "\n";
  s += header("date") + "\n";
  s += header("if-modified-since") + "\n";
  s += header("if-match") + "\n";
  s += header("if-none-match") + "\n";
  s += header("if-unmodified-since") + "\n";
  s += header("range") + "\n";
  std::vector<std::pair<std::string, std::string>> ms;
  for (const auto& [n, v] : req.headers.fields()) {
    std::string name = detail::ascii_lower(n);
    if (!name.starts_with("x-ms-")) continue;
    std::string_view value = v;
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    auto it = std::find_if(ms.begin(), ms.end(), [&](auto& p) { return p.first == name; });
    if (it == ms.end()) {
      ms.emplace_back(std::move(name), std::string(value));
    } else {
      it->second += "," + std::string(value);
    }
  }
  std::sort(ms.begin(), ms.end());
  for (const auto& [n, v] : ms) s += n + ":" + v + "\n";
  s += "/" + std::string(account) + req.url_path();
  std::vector<std::pair<std::string, std::vector<std::string>>> q;
  for (const auto& [n, v] : req.query) {
    std::string name = detail::ascii_lower(n);
    auto it = std::find_if(q.begin(), q.end(), [&](auto& p) { return p.first == name; });
    if (it == q.end()) {
      q.push_back({std::move(name), {v}});
    } else {
      it->second.push_back(v);
    }
  }
  std::sort(q.begin(), q.end());
  for (auto& [n, values] : q) {
    std::sort(values.begin(), values.end());
    s += "\n" + n + ":";
    for (std::size_t i = 0; i < values.size(); ++i) s += (i ? "," : "") + values[i];
  }
  return s;
}

class shared_key_credential final : public credential {
 public:
  /// key: the account key as the portal shows it (base64). Throws azure_error (without the key) if it is not
  /// base64.
  shared_key_credential(std::string account, std::string_view key)
      : account_(std::move(account)), key_(base64_decode(key, "the storage account key (AZURE_STORAGE_KEY)")) {
    register_secret(key);
    if (key_.empty()) throw azure_error("the storage account key (AZURE_STORAGE_KEY) is empty");
  }
  void authorize(http_request& req) override {
    req.headers.set("Authorization", "SharedKey " + account_ + ":" + signature(req));
  }
  [[nodiscard]] std::string signature(const http_request& req) const {
    return base64_encode(digest_bytes(hmac_sha256(key_, string_to_sign(req, account_))));
  }
  [[nodiscard]] std::string name() const override { return "SharedKey"; }

 private:
  std::string account_;
  std::string key_;
};

struct access_token {
  std::string token;
  std::chrono::system_clock::time_point expires_on;
};

class token_source {
 public:
  virtual ~token_source() = default;
  virtual access_token fetch(std::string_view scope) = 0;
  [[nodiscard]] virtual std::string name() const = 0;
};

namespace detail {

// "https://storage.azure.com/.default" -> "https://storage.azure.com" (the v1 resource IMDS and App Service take).
inline std::string resource_of(std::string_view scope) {
  constexpr std::string_view suffix = "/.default";
  if (scope.ends_with(suffix)) scope.remove_suffix(suffix.size());
  return std::string(scope);
}

// Splits "scheme://host[:port]/path?query" into base and path (both as given) for an http_request.
inline void set_url(http_request& req, std::string_view url) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  req.base = std::string(url.substr(0, slash));
  if (slash != std::string_view::npos) {
    std::string_view rest = url.substr(slash);
    if (const auto q = rest.find('?'); q != std::string_view::npos) {
      if (const auto params = parse_query(rest.substr(q + 1))) req.query = *params;
      rest = rest.substr(0, q);
    }
    req.path = std::string(rest);
  }
}

inline std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [n, v] : fields) {
    if (!out.empty()) out += '&';
    out += url_encode(n) + "=" + url_encode(v);
  }
  return out;
}

// The longest token lifetime believed (24 h): a longer one is clamped, a reply's numbers are not trusted blindly.
inline constexpr std::int64_t max_token_lifetime_s = 24 * 3600;

// A number given as a JSON number or a string of digits (optionally negative).
inline std::optional<std::int64_t> json_seconds(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_unsigned())
    return static_cast<std::int64_t>(std::min<std::uint64_t>(it->get<std::uint64_t>(), std::uint64_t{1} << 62));
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_string()) {
    std::string_view text = it->get_ref<const std::string&>();
    const bool negative = text.starts_with('-');
    if (negative) text.remove_prefix(1);
    const auto v = parse_digits(text);
    if (v && *v < (std::uint64_t{1} << 62))
      return negative ? -static_cast<std::int64_t>(*v) : static_cast<std::int64_t>(*v);
  }
  return std::nullopt;
}

// The token in a token endpoint's reply; throws azure_error naming `who` for an error reply or a bad one.
inline access_token parse_token_response(const http_response& resp, std::string_view who) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(resp.body);
  } catch (const std::exception&) {
    j = nullptr;
  }
  if (resp.status != 200) {
    std::string what = std::string(who) + ": token request failed with status " + std::to_string(resp.status);
    std::string code;
    if (j.is_object()) {
      if (j.contains("error") && j["error"].is_string()) code = j["error"].get<std::string>();
      if (j.contains("error") && j["error"].is_object() && j["error"].contains("code") &&
          j["error"]["code"].is_string())
        code = j["error"]["code"].get<std::string>();
      if (!code.empty()) what += " (" + code + ")";
      if (j.contains("error_description") && j["error_description"].is_string())
        what += ": " + j["error_description"].get<std::string>();
    }
    throw azure_error(what, resp.status, code, retryable_status(resp.status));
  }
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string())
    throw azure_error(std::string(who) + ": the token reply has no access_token", resp.status);
  access_token t;
  t.token = j["access_token"].get<std::string>();
  register_secret(t.token);
  // Lifetimes are computed in seconds and clamped to max_token_lifetime_s (a huge expires_in/expires_on would
  // overflow system_clock); a lifetime <= 0 is an error, not a token to use.
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::int64_t lifetime_s = 0;
  if (const auto in = json_seconds(j, "expires_in")) {
    lifetime_s = *in;
  } else if (const auto on = json_seconds(j, "expires_on")) {
    lifetime_s = *on > now_s ? *on - now_s : 0;
  } else {
    throw azure_error(std::string(who) + ": the token reply has neither expires_in nor expires_on", resp.status);
  }
  if (lifetime_s <= 0)
    throw azure_error(std::string(who) + ": the token reply says the token has already expired", resp.status);
  lifetime_s = std::min(lifetime_s, max_token_lifetime_s);
  t.expires_on = std::chrono::system_clock::time_point(std::chrono::seconds(now_s + lifetime_s));
  if (t.token.empty()) throw azure_error(std::string(who) + ": the token reply has an empty access_token");
  return t;
}

inline bool valid_tenant(std::string_view t) {
  return !t.empty() && t.size() <= 100 && std::all_of(t.begin(), t.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

}  // namespace detail

/// Client credentials (a secret, or a federated assertion read from a file each time: workload identity).
class client_secret_source : public token_source {
 public:
  client_secret_source(std::shared_ptr<const pipeline> p, std::string authority, std::string tenant,
                       std::string client_id, std::string secret)
      : pipeline_(std::move(p)),
        authority_(std::move(authority)),
        tenant_(std::move(tenant)),
        client_id_(std::move(client_id)),
        secret_(std::move(secret)) {
    if (!detail::valid_tenant(tenant_)) throw azure_error("AZURE_TENANT_ID: not a tenant id or domain name");
    register_secret(secret_);
  }
  access_token fetch(std::string_view scope) override {
    return request({{"grant_type", "client_credentials"},
                    {"client_id", client_id_},
                    {"client_secret", secret_},
                    {"scope", std::string(scope)}});
  }
  [[nodiscard]] std::string name() const override { return "client secret"; }

 protected:
  access_token request(const std::vector<std::pair<std::string, std::string>>& form) const {
    http_request req;
    detail::set_url(req, authority_ + "/" + tenant_ + "/oauth2/v2.0/token");
    req.method = "POST";
    req.headers.set("Content-Type", "application/x-www-form-urlencoded");
    req.headers.set("Accept", "application/json");
    const std::string body = detail::form_encode(form);
    req.body = body;
    return detail::parse_token_response(pipeline_->send(req), name() + " credential");
  }
  std::shared_ptr<const pipeline> pipeline_;
  std::string authority_, tenant_, client_id_, secret_;
};

class workload_identity_source final : public client_secret_source {
 public:
  workload_identity_source(std::shared_ptr<const pipeline> p, std::string authority, std::string tenant,
                           std::string client_id, std::string token_file)
      : client_secret_source(std::move(p), std::move(authority), std::move(tenant), std::move(client_id), {}),
        file_(std::move(token_file)) {}
  access_token fetch(std::string_view scope) override {
    std::ifstream in(file_);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string assertion = ss.str();
    while (!assertion.empty() && std::isspace(static_cast<unsigned char>(assertion.back()))) assertion.pop_back();
    if (!in || assertion.empty())
      throw azure_error("workload identity credential: cannot read the federated token file '" + file_ + "'");
    register_secret(assertion);
    return request({{"grant_type", "client_credentials"},
                    {"client_id", client_id_},
                    {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
                    {"client_assertion", assertion},
                    {"scope", std::string(scope)}});
  }
  [[nodiscard]] std::string name() const override { return "workload identity"; }

 private:
  std::string file_;
};

/// Managed identity through the instance metadata service. client_id: a user-assigned identity (or empty).
/// Until the endpoint has answered once, a try that cannot connect within probe_timeout is not retried: off
/// Azure there is no IMDS, and the chain should say so at once rather than after minutes of retries.
class imds_source final : public token_source {
 public:
  imds_source(std::shared_ptr<const pipeline> p, std::string endpoint, std::string client_id,
              std::chrono::milliseconds probe_timeout = std::chrono::milliseconds(2000))
      : pipeline_(std::move(p)), endpoint_(std::move(endpoint)), client_id_(std::move(client_id)) {
    retry_policy probe = pipeline_->policy();
    probe.max_tries = 1;
    probe.connect_timeout = std::min(probe.connect_timeout, probe_timeout);
    probe_ = std::make_shared<pipeline>(pipeline_->shared_transport(), probe, pipeline_->logger());
  }
  access_token fetch(std::string_view scope) override {
    http_request req;
    detail::set_url(req, endpoint_ + "/metadata/identity/oauth2/token");
    req.query = {{"api-version", "2018-02-01"}, {"resource", detail::resource_of(scope)}};
    if (!client_id_.empty()) req.query.emplace_back("client_id", client_id_);
    req.headers.set("Metadata", "true");
    if (!answered_.load()) {
      try {
        http_response first = probe_->send(req);
        answered_ = true;
        if (!retryable_status(first.status) && !booting(first.status)) return detail::parse_token_response(first, who);
      } catch (const transport_error& e) {
        throw azure_error(std::string(who) + ": the metadata endpoint " + endpoint_ +
                          " is unreachable (not on an Azure VM, or HQML_AZURE_IMDS_ENDPOINT is wrong): " + e.what());
      }
    }
    // IMDS answers 404 while the VM's identity is being set up and 410 during platform updates: both are
    // retried (with the pipeline's backoff, up to its number of tries), as the IMDS documentation asks.
    const retry_policy& p = pipeline_->policy();
    for (int attempt = 1;; ++attempt) {
      http_response resp = pipeline_->send(req);
      if (!booting(resp.status) || attempt >= std::max(p.max_tries, 1)) return detail::parse_token_response(resp, who);
      std::string line(who);  // appended piecewise: GCC 12 warns (falsely) about a chain of operator+ here
      line.append(": status ").append(std::to_string(resp.status)).append(", retrying");
      pipeline_->log(line);
      std::this_thread::sleep_for(backoff_delay(p, attempt, 0.5));
    }
  }
  [[nodiscard]] std::string name() const override { return "managed identity (IMDS)"; }

 private:
  static constexpr const char* who = "managed identity (IMDS) credential";
  static bool booting(long status) { return status == 404 || status == 410; }
  std::shared_ptr<const pipeline> pipeline_, probe_;
  std::string endpoint_, client_id_;
  std::atomic<bool> answered_{false};
};

/// Managed identity on App Service and Functions (IDENTITY_ENDPOINT, IDENTITY_HEADER).
class app_service_source final : public token_source {
 public:
  app_service_source(std::shared_ptr<const pipeline> p, std::string endpoint, std::string header, std::string client_id)
      : pipeline_(std::move(p)),
        endpoint_(std::move(endpoint)),
        header_(std::move(header)),
        client_id_(std::move(client_id)) {
    register_secret(header_);
  }
  access_token fetch(std::string_view scope) override {
    http_request req;
    detail::set_url(req, endpoint_);
    req.query.emplace_back("api-version", "2019-08-01");
    req.query.emplace_back("resource", detail::resource_of(scope));
    if (!client_id_.empty()) req.query.emplace_back("client_id", client_id_);
    req.headers.set("X-IDENTITY-HEADER", header_);
    return detail::parse_token_response(pipeline_->send(req), "managed identity (App Service) credential");
  }
  [[nodiscard]] std::string name() const override { return "managed identity (App Service)"; }

 private:
  std::shared_ptr<const pipeline> pipeline_;
  std::string endpoint_, header_, client_id_;
};

/// Tries its sources in order; the first that returns a token is used from then on. A source that is not
/// available (its error has no HTTP status: not configured, endpoint unreachable) passes to the next; one that
/// answered with an error (a wrong secret, AAD busy) stops the chain with that error, as azure-identity's
/// ChainedTokenCredential does: a broken credential must not silently become another identity. When all
/// are unavailable, one error lists each failure.
class chain_source final : public token_source {
 public:
  explicit chain_source(std::vector<std::shared_ptr<token_source>> sources) : sources_(std::move(sources)) {}
  access_token fetch(std::string_view scope) override {
    {
      const std::lock_guard lock(mutex_);
      if (chosen_) return chosen_->fetch(scope);
    }
    std::string failures;
    for (const auto& s : sources_) {
      try {
        access_token t = s->fetch(scope);
        const std::lock_guard lock(mutex_);
        chosen_ = s;
        return t;
      } catch (const azure_error& e) {
        if (e.status() != 0) throw;  // configured and answered: its error is the answer
        failures += std::string(failures.empty() ? "" : "; ") + s->name() + ": " + e.what();
      }
    }
    throw azure_error("no credential could get a token for " + std::string(scope) +
                      (sources_.empty() ? std::string(": none configured") : " (" + failures + ")"));
  }
  [[nodiscard]] std::string name() const override {
    const std::lock_guard lock(mutex_);
    if (chosen_) return chosen_->name();
    std::string n;
    for (const auto& s : sources_) n += (n.empty() ? "" : ", ") + s->name();
    return "chain of " + n;
  }
  [[nodiscard]] const std::vector<std::shared_ptr<token_source>>& sources() const { return sources_; }

 private:
  std::vector<std::shared_ptr<token_source>> sources_;
  mutable std::mutex mutex_;
  std::shared_ptr<token_source> chosen_;
};

/// Bearer tokens from a source, cached: reused until refresh_margin (at most half the token's lifetime)
/// before it expires, then fetched again. One fetch at a time; concurrent callers wait for it.
class bearer_credential final : public credential {
 public:
  bearer_credential(std::shared_ptr<token_source> source, std::string scope,
                    std::chrono::seconds refresh_margin = std::chrono::seconds(300))
      : source_(std::move(source)), scope_(std::move(scope)), margin_(refresh_margin) {}
  void authorize(http_request& req) override { req.headers.set("Authorization", "Bearer " + token()); }
  [[nodiscard]] std::string token() {
    const std::lock_guard lock(mutex_);
    const auto now = std::chrono::system_clock::now();
    if (!cached_.token.empty() && now < refresh_at_) return cached_.token;
    cached_ = source_->fetch(scope_);
    const auto lifetime = cached_.expires_on - now;
    const auto margin = std::min<std::chrono::system_clock::duration>(margin_, lifetime / 2);
    refresh_at_ = cached_.expires_on - margin;
    ++fetches_;
    return cached_.token;
  }
  [[nodiscard]] std::string name() const override { return "bearer (" + source_->name() + ")"; }
  [[nodiscard]] int fetches() const {
    const std::lock_guard lock(mutex_);
    return fetches_;
  }

 private:
  std::shared_ptr<token_source> source_;
  std::string scope_;
  std::chrono::seconds margin_;
  mutable std::mutex mutex_;
  access_token cached_;
  std::chrono::system_clock::time_point refresh_at_;
  int fetches_ = 0;
};

/// The token sources `cfg` configures, in the documented order (IMDS always last).
[[nodiscard]] inline std::shared_ptr<chain_source> default_token_chain(const config& cfg,
                                                                       std::shared_ptr<const pipeline> p) {
  std::vector<std::shared_ptr<token_source>> s;
  if (!cfg.tenant_id.empty() && !cfg.client_id.empty() && !cfg.client_secret.empty())
    s.push_back(
        std::make_shared<client_secret_source>(p, cfg.authority_host, cfg.tenant_id, cfg.client_id, cfg.client_secret));
  if (!cfg.tenant_id.empty() && !cfg.client_id.empty() && !cfg.federated_token_file.empty())
    s.push_back(std::make_shared<workload_identity_source>(p, cfg.authority_host, cfg.tenant_id, cfg.client_id,
                                                           cfg.federated_token_file));
  if (!cfg.identity_endpoint.empty() && !cfg.identity_header.empty())
    s.push_back(std::make_shared<app_service_source>(p, cfg.identity_endpoint, cfg.identity_header, cfg.client_id));
  s.push_back(std::make_shared<imds_source>(p, cfg.imds_endpoint, cfg.client_id));
  return std::make_shared<chain_source>(std::move(s));
}

}  // namespace hqml::azure
