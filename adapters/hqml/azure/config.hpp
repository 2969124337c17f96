#pragma once
// What the Azure adapter reads from the environment, gathered in one struct so that a program (or a test)
// can also fill it itself. config::from_env() reads:
//   HQML_AZURE_STORAGE_ENDPOINT   override of both service endpoints, path-style, "{account}" replaced
//                                 (e.g. http://127.0.0.1:10000/{account}); default https://ACCOUNT.blob|dfs.SUFFIX
//   AZURE_STORAGE_KEY             an account key (base64) for SharedKey; AZURE_STORAGE_ACCOUNT, when set, names
//                                 the only account it is used for
//   AZURE_AUTHORITY_HOST          the Entra ID authority (default https://login.microsoftonline.com), as the
//                                 Azure SDKs read it
//   AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET     client credentials
//   AZURE_FEDERATED_TOKEN_FILE    workload identity (with AZURE_TENANT_ID and AZURE_CLIENT_ID)
//   IDENTITY_ENDPOINT, IDENTITY_HEADER                        App Service / Functions managed identity
//   HQML_AZURE_IMDS_ENDPOINT      the instance metadata service (default http://169.254.169.254); when unset,
//                                 AZURE_POD_IDENTITY_AUTHORITY_HOST is honoured as the Azure SDKs do
//   HQML_AZUREML_DATASTORES, HQML_AZUREML_DATASTORES_FILE    azureml:// datastores (uri.hpp)
// Every secret read is registered with redact() at once.

#include <hqml/azure/http.hpp>
#include <hqml/azure/redact.hpp>
#include <hqml/azure/retry.hpp>
#include <hqml/azure/uri.hpp>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <string>
#include <string_view>

namespace hqml::azure {

namespace detail {

// The host of "scheme://[userinfo@]host[:port][/...]", lowercased, without IPv6 brackets.
inline std::string url_host(std::string_view url) {
  if (const auto p = url.find("://"); p != std::string_view::npos) url.remove_prefix(p + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  if (const auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (url.starts_with('[')) return ascii_lower(url.substr(1, url.find(']') - 1));
  return ascii_lower(url.substr(0, url.find(':')));
}

inline bool loopback_host(std::string_view host) { return host == "localhost" || host == "::1" || host == "127.0.0.1"; }

// 169.254.0.0/16: the instance metadata service (and App Service's identity endpoint), not routable.
inline bool link_local_host(std::string_view host) { return host.starts_with("169.254."); }

// Credentials (a key's signature, a bearer token, a client secret) may travel over plain http only to a host
// on this machine (or a link-local service for the managed identity endpoints): elsewhere https is required.
inline void require_https(std::string_view url, std::string_view what, bool link_local_ok) {
  if (url.starts_with("https://")) return;
  const std::string host = url_host(url);
  if (url.starts_with("http://") && (loopback_host(host) || (link_local_ok && link_local_host(host)))) return;
  throw azure_error(std::string(what) + " must be https:// (plain http:// only for 127.0.0.1, ::1 or localhost" +
                    (link_local_ok ? std::string(", or a link-local 169.254.x.x address") : std::string()) + ")");
}

}  // namespace detail

struct config {
  std::string storage_endpoint;
  std::string storage_account;
  std::string storage_key;
  std::string authority_host = "https://login.microsoftonline.com";
  std::string tenant_id, client_id, client_secret, federated_token_file;
  std::string imds_endpoint = "http://169.254.169.254";
  std::string identity_endpoint, identity_header;
  std::string scope = "https://storage.azure.com/.default";
  datastore_map datastores;
  retry_policy retry;
  std::size_t chunk_size = std::size_t{4} << 20;   // ranged reads and uploaded blocks
  unsigned parallelism = 4;                        // chunks in flight per stream
  std::chrono::seconds token_refresh_margin{300};  // refresh a token this long before it expires (at most half
                                                   // its lifetime)
  log_function log;  // receives redacted lines (retries, credential choices); none by default

  /// Registers the secrets this config holds with redact() (from_env does; call it after filling one by hand).
  void register_secrets() const {
    register_secret(storage_key);
    register_secret(client_secret);
    register_secret(identity_header);
  }

  /// Throws azure_error for values that cannot work (an endpoint that is not http(s)://, zero chunk size) or
  /// that would send credentials in cleartext (http:// to a host that is not this machine; see require_https).
  void validate() const {
    const auto http_url = [](std::string_view u) { return u.starts_with("http://") || u.starts_with("https://"); };
    if (!storage_endpoint.empty() && !http_url(storage_endpoint))
      throw azure_error("HQML_AZURE_STORAGE_ENDPOINT must start with http:// or https://");
    if (!http_url(authority_host)) throw azure_error("AZURE_AUTHORITY_HOST must start with http:// or https://");
    if (!http_url(imds_endpoint)) throw azure_error("the IMDS endpoint must start with http:// or https://");
    if (!identity_endpoint.empty() && !http_url(identity_endpoint))
      throw azure_error("IDENTITY_ENDPOINT must start with http:// or https://");
    if (!storage_endpoint.empty()) detail::require_https(storage_endpoint, "HQML_AZURE_STORAGE_ENDPOINT", false);
    detail::require_https(authority_host, "AZURE_AUTHORITY_HOST", false);
    detail::require_https(imds_endpoint, "the IMDS endpoint", true);
    if (!identity_endpoint.empty()) detail::require_https(identity_endpoint, "IDENTITY_ENDPOINT", true);
    if (chunk_size == 0 || chunk_size > (std::size_t{100} << 20))
      throw azure_error("chunk size must be in 1 byte..100 MiB");
    if (parallelism == 0 || parallelism > 64) throw azure_error("parallelism must be in 1..64");
  }

  [[nodiscard]] static config from_env() {
    const auto env = [](const char* name) -> std::string {
      const char* v = std::getenv(name);
      return v == nullptr ? std::string() : std::string(v);
    };
    config c;
    c.storage_endpoint = env("HQML_AZURE_STORAGE_ENDPOINT");
    c.storage_account = env("AZURE_STORAGE_ACCOUNT");
    c.storage_key = env("AZURE_STORAGE_KEY");
    if (auto a = env("AZURE_AUTHORITY_HOST"); !a.empty()) {
      while (!a.empty() && a.back() == '/') a.pop_back();
      c.authority_host = a;
    }
    c.tenant_id = env("AZURE_TENANT_ID");
    c.client_id = env("AZURE_CLIENT_ID");
    c.client_secret = env("AZURE_CLIENT_SECRET");
    c.federated_token_file = env("AZURE_FEDERATED_TOKEN_FILE");
    if (auto i = env("HQML_AZURE_IMDS_ENDPOINT"); !i.empty()) {
      c.imds_endpoint = i;
    } else if (auto p = env("AZURE_POD_IDENTITY_AUTHORITY_HOST"); !p.empty()) {
      c.imds_endpoint = p;
    }
    while (!c.imds_endpoint.empty() && c.imds_endpoint.back() == '/') c.imds_endpoint.pop_back();
    c.identity_endpoint = env("IDENTITY_ENDPOINT");
    c.identity_header = env("IDENTITY_HEADER");
    c.datastores = datastores_from_env();
    c.register_secrets();
    c.validate();
    return c;
  }
};

}  // namespace hqml::azure
