// The Azure storage adapter against the loopback storage server (storage_server.py, started by the ctest
// fixture: HQML_AZURE_TEST_DIR/server holds its port file and the workload identity assertion; a second one,
// with 4-second tokens, in HQML_AZURE_TEST_DIR/server-short). Every Blob and Data Lake operation, every way to
// authenticate (SAS, SharedKey, client secret, workload identity, IMDS, App Service; the token cache and its
// refresh counted in the server's request log), every fault (429 + Retry-After, 503, reset, truncated body,
// slow body vs the per-try timeout, the total timeout), atomic publishing, and no secret in any error or log.
// Each test case uses containers and token requests of its own names, so the cases may run in parallel.
#include "common/skip.hpp"

#include <catch2/catch.hpp>

#include <hqml/azure/storage.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace az = hqml::azure;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

constexpr const char* azurite_key =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
// SAS tokens made by azure-storage-blob 12.31.1 with the key above, expiring 2099-01-01:
//   generate_container_sas("devstoreaccount1", "sas-container", account_key=KEY, permission=racwdl, expiry=...)
//   generate_account_sas("devstoreaccount1", account_key=KEY, resource_types=sco, permission=rwdlac, expiry=...)
constexpr const char* container_sas =
    "se=2099-01-01T00%3A00%3A00Z&sp=racwdl&sv=2026-10-06&sr=c&sig=/Idqhsz9lv93Jgmn3SESKNpVlJew0/D6aIURlXbPNPw%3D";
constexpr const char* account_sas =
    "se=2099-01-01T00%3A00%3A00Z&sp=rwdlac&sv=2026-10-06&ss=b&srt=sco&sig=5x/"
    "ZkIOORRabQ%2BcTQiijQru%2BqlZISjMz8nC58gJezkk%3D";
constexpr const char* client_secret = "hqml-secret";
constexpr const char* identity_header = "hqml-identity-header";

struct server {
  std::string dir;
  int port = 0;
  [[nodiscard]] std::string base() const { return "http://127.0.0.1:" + std::to_string(port); }
};

// The server whose folder is HQML_AZURE_TEST_DIR/`which` (server or server-short: tests/azure/CMakeLists.txt).
std::optional<server> find_server(const char* which) {
  const char* top = std::getenv("HQML_AZURE_TEST_DIR");
  if (top == nullptr || *top == '\0') return std::nullopt;
  server s{std::string(top) + "/" + which};
  std::ifstream in(s.dir + "/port");
  if (!(in >> s.port) || s.port <= 0) return std::nullopt;
  return s;
}

#define REQUIRE_SERVER(which, name)                                                          \
  const auto name##_opt = find_server(which);                                                \
  if (!name##_opt)                                                                           \
    HQML_SKIP_TEST(std::string("no loopback storage server (HQML_AZURE_TEST_DIR/") + which + \
                   "/port: run "                                                             \
                   "through ctest, whose fixture starts it)");                               \
  const server& name = *name##_opt

std::string random_hex(std::size_t n) {
  static std::mt19937_64 gen{std::random_device{}()};
  static std::mutex m;
  const std::lock_guard lock(m);
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += "0123456789abcdef"[gen() & 15];
  return s;
}

// A fresh container / file system name for one test.
std::string fresh(std::string_view tag) { return std::string(tag) + "-" + random_hex(10); }

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    const std::uint64_t v = gen();
    for (std::size_t k = 0; k < 8 && i + k < n; ++k) s[i + k] = static_cast<char>((v >> (8 * k)) & 0xff);
  }
  return s;
}

// A config for the loopback server: SharedKey unless the test changes it; fast retries.
az::config loopback_config(const server& s, std::vector<std::string>* log = nullptr, std::mutex* log_mutex = nullptr) {
  az::config c;
  c.storage_endpoint = s.base() + "/{account}";
  c.authority_host = s.base();
  c.imds_endpoint = s.base();
  c.storage_key = azurite_key;
  c.retry.base_delay = 50ms;
  c.retry.max_delay = 400ms;
  c.retry.per_try_timeout = 20s;
  c.retry.total_timeout = 60s;
  c.retry.max_tries = 5;
  c.chunk_size = 256 * 1024;
  c.parallelism = 4;
  if (log != nullptr) {
    c.log = [log, log_mutex](std::string_view line) {
      const std::lock_guard lock(*log_mutex);
      log->emplace_back(line);
    };
  }
  return c;
}

std::string blob_uri(std::string_view container, std::string_view path) {
  return "https://devstoreaccount1.blob.core.windows.net/" + std::string(container) + "/" + std::string(path);
}
std::string dfs_uri(std::string_view fs, std::string_view path) {
  return "abfss://" + std::string(fs) + "@devstoreaccount1.dfs.core.windows.net/" + std::string(path);
}

// The test server's own endpoints (no authorization).
az::http_response admin(const server& s, const std::string& method, const std::string& path,
                        const std::string& body = {}) {
  static az::http_transport transport;
  az::http_request r;
  r.method = method;
  r.base = s.base();
  r.path = path;
  r.body = body;
  r.max_response_body = std::size_t{1} << 30;  // the request log of a long run is large
  if (!body.empty()) r.headers.set("Content-Type", "application/json");
  auto resp = transport.perform(r, 10s, 5s);
  REQUIRE(resp.status == 200);
  return resp;
}
void add_faults(const server& s, const json& rules) { (void)admin(s, "POST", "/__hqml/faults", rules.dump()); }
// The request log entries whose path contains `part` (and, when given, whose query contains `query_part`).
// The server records a request after sending its response, so the last one may show up a moment after the
// client has its answer: the log is read until it stays the same for 150 ms.
std::vector<json> log_of(const server& s, std::string_view part, std::string_view query_part = {}) {
  const auto read = [&] {
    std::vector<json> out;
    for (const auto& e : json::parse(admin(s, "GET", "/__hqml/log").body)) {
      const std::string path = e.value("path", ""), query = e.value("query", "");
      if (path.find(part) != std::string::npos && query.find(query_part) != std::string::npos) out.push_back(e);
    }
    return out;
  };
  auto last = read();
  for (int i = 0; i < 40; ++i) {
    std::this_thread::sleep_for(150ms);
    auto now = read();
    if (now.size() == last.size()) return now;
    last = std::move(now);
  }
  return last;
}
std::size_t count_if(const std::vector<json>& log, const std::function<bool(const json&)>& f) {
  return static_cast<std::size_t>(std::count_if(log.begin(), log.end(), f));
}

std::string read_all(std::istream& in) { return std::string(std::istreambuf_iterator<char>(in), {}); }

template <class F>
std::string error_text(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

// Every string in `texts` is free of every string in `secrets`.
void check_no_secrets(const std::vector<std::string>& texts, const std::vector<std::string>& secrets) {
  for (const auto& t : texts) {
    for (const auto& s : secrets) {
      INFO("text: " << t);
      CHECK(t.find(s) == std::string::npos);
    }
  }
}

std::string sas_sig(std::string_view sas) {
  const auto p = sas.find("sig=");
  return std::string(sas.substr(p + 4));
}

}  // namespace

TEST_CASE("azure server: Blob operations (SharedKey)", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  az::storage_client client(loopback_config(srv));
  const std::string cname = fresh("blob");
  const auto loc = client.resolve(blob_uri(cname, "x"));
  auto c = client.blob(loc);
  c.create();
  c.create();  // exists: fine when exist_ok
  CHECK_THROWS_WITH(c.create(false), Catch::Contains("409"));

  c.put_blob("small/a.txt", "hello, blob");
  CHECK(c.get_range("small/a.txt", 7, 4) == "blob");
  const auto props = c.properties("small/a.txt");
  REQUIRE(props);
  CHECK(props->size == 11);
  CHECK_FALSE(props->etag.empty());
  CHECK_FALSE(c.properties("small/none.txt"));
  // Never replaced unless asked.
  const auto refused = error_text([&] { c.put_blob("small/a.txt", "other"); });
  CHECK(refused.find("not replaced") != std::string::npos);
  CHECK(c.get_range("small/a.txt", 0, 11) == "hello, blob");
  c.put_blob("small/a.txt", "replaced!", true);
  CHECK(c.get_range("small/a.txt", 0, 9) == "replaced!");

  // Blocks: invisible until committed, committed in the listed order.
  const std::string id0 = az::base64_encode("block-000"), id1 = az::base64_encode("block-001");
  c.put_block("big/b.bin", id1, "WORLD");
  c.put_block("big/b.bin", id0, "HELLO ");
  CHECK_FALSE(c.properties("big/b.bin"));
  c.put_block_list("big/b.bin", {id0, id1});
  CHECK(c.get_range("big/b.bin", 0, 11) == "HELLO WORLD");
  CHECK_THROWS_WITH(c.put_block_list("big/b.bin", {id0}), Catch::Contains("not replaced"));

  // A read past the end is an error, not a short answer.
  const auto past = error_text([&] { (void)c.get_range("big/b.bin", 5, 100); });
  CHECK_FALSE(past.empty());

  const auto items = c.list();
  std::map<std::string, std::uint64_t> names;
  for (const auto& i : items) names[i.name] = i.size;
  CHECK(names == std::map<std::string, std::uint64_t>{{"big/b.bin", 11}, {"small/a.txt", 9}});
  CHECK(c.list("big/").size() == 1);
  CHECK(c.remove_blob("big/b.bin"));
  CHECK_FALSE(c.remove_blob("big/b.bin"));
  const az::azure_error* none = nullptr;
  try {
    (void)c.get_range("big/b.bin", 0, 1);
  } catch (const az::azure_error& e) {
    CHECK(e.status() == 404);
    CHECK(e.code() == "BlobNotFound");
    none = &e;
  }
  CHECK(none != nullptr);
  const auto log = log_of(srv, "/" + cname);
  CHECK(count_if(log, [](const json& e) { return e["auth"] == "sharedkey"; }) == log.size());
  c.remove();
}

TEST_CASE("azure server: Data Lake operations (SharedKey)", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  az::storage_client client(loopback_config(srv));
  const std::string fsname = fresh("dfs");
  auto fsys = client.dfs(client.resolve(dfs_uri(fsname, "x")));
  fsys.create();
  fsys.create_directory("models/run1");
  fsys.create_file("models/run1/w.bin");
  fsys.append("models/run1/w.bin", 0, "0123456789");
  fsys.append("models/run1/w.bin", 10, "abcdef");
  CHECK(fsys.properties("models/run1/w.bin")->size == 0);  // appended, not flushed
  fsys.flush("models/run1/w.bin", 16);
  CHECK(fsys.read("models/run1/w.bin", 8, 4) == "89ab");
  const auto p = fsys.properties("models/run1/w.bin");
  REQUIRE(p);
  CHECK(p->size == 16);
  CHECK_FALSE(p->is_directory);
  CHECK(fsys.properties("models/run1")->is_directory);
  CHECK_FALSE(fsys.properties("models/none"));
  CHECK_THROWS_WITH(fsys.create_file("models/run1/w.bin"), Catch::Contains("not replaced"));

  fsys.create_file("models/run1/meta.json");
  fsys.append("models/run1/meta.json", 0, "{}");
  fsys.flush("models/run1/meta.json", 2);
  auto all = fsys.list("models", true);
  std::set<std::string> names;
  for (const auto& i : all) names.insert(i.name + (i.is_directory ? "/" : ""));
  CHECK(names == std::set<std::string>{"models/run1/", "models/run1/w.bin", "models/run1/meta.json"});
  CHECK(fsys.list("models", false).size() == 1);
  CHECK(fsys.list("nothing-here").empty());

  // Rename: atomic, refused onto an existing name unless overwrite.
  fsys.rename("models/run1/meta.json", "models/run1/meta2.json");
  CHECK_FALSE(fsys.properties("models/run1/meta.json"));
  CHECK(fsys.read("models/run1/meta2.json", 0, 2) == "{}");
  CHECK_THROWS_WITH(fsys.rename("models/run1/meta2.json", "models/run1/w.bin"), Catch::Contains("not replaced"));
  CHECK(fsys.properties("models/run1/w.bin")->size == 16);
  fsys.rename("models/run1/meta2.json", "models/run1/w.bin", true);
  CHECK(fsys.properties("models/run1/w.bin")->size == 2);
  fsys.rename("models/run1", "models/run2");  // a whole directory
  CHECK(fsys.properties("models/run2/w.bin"));
  CHECK_FALSE(fsys.properties("models/run1"));

  CHECK_THROWS_AS(fsys.remove_path("models"), az::azure_error);  // not empty, not recursive
  CHECK(fsys.remove_path("models", true));
  CHECK_FALSE(fsys.remove_path("models", true));
  CHECK(fsys.list().empty());
  fsys.remove();
}

TEST_CASE("azure server: a parallel ranged read of a multi-MB object equals the bytes written", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  az::storage_client client(loopback_config(srv));
  const std::string cname = fresh("stream");
  client.blob(client.resolve(blob_uri(cname, "x"))).create();
  client.dfs(client.resolve(dfs_uri(cname, "x"))).create();
  const std::string data = random_bytes(5 * 1024 * 1024 + 12345, 42);
  for (const auto& uri : {blob_uri(cname, "dir/blob.bin"), dfs_uri(cname, "dir/lake.bin")}) {
    INFO(uri);
    auto w = client.open_write(uri);
    for (std::size_t i = 0; i < data.size(); i += 100000) w->write(std::string_view(data).substr(i, 100000));
    CHECK_FALSE(client.stat(uri));  // nothing visible before commit
    w->commit();
    const auto st = client.stat(uri);
    REQUIRE(st);
    CHECK(st->size == data.size());
    auto in = client.open_read(uri);
    CHECK(in->size() == data.size());
    const std::string got = read_all(*in);
    CHECK(got.size() == data.size());
    CHECK(az::to_hex(az::digest_bytes(az::sha256(got))) == az::to_hex(az::digest_bytes(az::sha256(data))));
  }
  // The reads were ranged, one chunk each, none larger than a chunk.
  const std::size_t chunks = (data.size() + 256 * 1024 - 1) / (256 * 1024);
  const auto gets = log_of(srv, "/" + cname + "/dir/");
  std::size_t ranged = 0;
  for (const auto& e : gets) {
    if (e["method"] != "GET") continue;
    CHECK(e["range"].is_string());
    CHECK(e["bytes_out"].get<std::uint64_t>() <= 256 * 1024);
    ++ranged;
  }
  CHECK(ranged == 2 * chunks);
  // The Blob upload staged blocks (one per chunk) and committed once; Data Lake appended and renamed.
  CHECK(count_if(gets, [](const json& e) {
          return e["query"].get<std::string>().find("comp=block&") != std::string::npos;
        }) == chunks);
  CHECK(count_if(gets, [](const json& e) { return e["query"] == "comp=blocklist"; }) == 1);
  CHECK(count_if(gets, [](const json& e) {
          return e["query"].get<std::string>().find("action=append") != std::string::npos;
        }) == chunks);
  // Small objects: one request.
  auto w = client.open_write(blob_uri(cname, "tiny.txt"));
  w->write("tiny");
  w->commit();
  CHECK(read_all(*client.open_read(blob_uri(cname, "tiny.txt"))) == "tiny");
  auto e = client.open_write(dfs_uri(cname, "empty.bin"));
  e->commit();
  CHECK(client.stat(dfs_uri(cname, "empty.bin"))->size == 0);
  CHECK(read_all(*client.open_read(dfs_uri(cname, "empty.bin"))).empty());
  CHECK_THROWS_WITH(client.open_read(blob_uri(cname, "absent.bin")), Catch::Contains("no such object"));
}

TEST_CASE("azure server: SAS in the URI (container SAS and account SAS, made by the SDK)", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  std::vector<std::string> lines;
  std::mutex m;
  auto cfg = loopback_config(srv, &lines, &m);
  cfg.storage_key.clear();  // the SAS alone
  az::storage_client client(cfg);
  az::storage_client admin_client(loopback_config(srv));
  admin_client.blob(admin_client.resolve(blob_uri("sas-container", "x"))).create();

  const std::string name = "f-" + random_hex(8) + ".bin";
  const std::string uri = blob_uri("sas-container", name) + "?" + container_sas;
  const std::string data = random_bytes(700000, 3);
  auto w = client.open_write(uri);
  w->write(data);
  w->commit();
  CHECK(read_all(*client.open_read(uri)) == data);
  auto log = log_of(srv, "/sas-container/" + name);
  REQUIRE_FALSE(log.empty());
  CHECK(count_if(log, [](const json& e) { return e["auth"] == "sas"; }) == log.size());

  // An account SAS on the Data Lake endpoint, rename included (the source carries the SAS too).
  const std::string fsname = fresh("sasfs");
  admin_client.dfs(admin_client.resolve(dfs_uri(fsname, "x"))).create();
  const std::string duri = dfs_uri(fsname, "d/model.bin") + "?" + account_sas;
  auto dw = client.open_write(duri);
  dw->write(data);
  dw->commit();
  CHECK(read_all(*client.open_read(duri)) == data);
  const auto dlog = log_of(srv, "/" + fsname + "/");
  CHECK(count_if(dlog, [](const json& e) { return e["auth"] == "sas" && e["status"] == 201; }) >= 2);

  // A tampered signature: refused, and neither signature appears in the error or the log.
  std::string bad = container_sas;
  bad.replace(bad.find("sig=") + 4, 4, "AAAA");
  const std::string msg = error_text([&] { (void)client.open_read(blob_uri("sas-container", name) + "?" + bad); });
  CHECK(msg.find("403") != std::string::npos);
  check_no_secrets({msg}, {sas_sig(bad), sas_sig(container_sas), "Idqhsz9lv93Jgmn3"});
  check_no_secrets(lines, {sas_sig(container_sas), sas_sig(account_sas), "Idqhsz9lv93Jgmn3", "5x/ZkIOORRabQ"});
}

TEST_CASE("azure server: OAuth client secret - the token is cached", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  auto cfg = loopback_config(srv);
  cfg.storage_key.clear();
  cfg.tenant_id = "tenant-" + random_hex(8);
  cfg.client_id = "hqml-client";
  cfg.client_secret = client_secret;
  az::storage_client client(cfg);
  const std::string cname = fresh("oauth");
  client.blob(client.resolve(blob_uri(cname, "x"))).create();
  for (int i = 0; i < 3; ++i) {
    auto w = client.open_write(blob_uri(cname, "f" + std::to_string(i)));
    w->write(random_bytes(300000, static_cast<unsigned>(i)));
    w->commit();
  }
  CHECK(client.stat(blob_uri(cname, "f2"))->size == 300000);
  const auto tokens = log_of(srv, "/" + cfg.tenant_id + "/oauth2/v2.0/token");
  CHECK(tokens.size() == 1);  // one token for all the requests
  const auto storage = log_of(srv, "/" + cname);
  CHECK(storage.size() >= 8);
  CHECK(count_if(storage, [](const json& e) { return e["auth"] == "bearer" && e["status"].get<int>() < 300; }) ==
        storage.size());
  REQUIRE(client.bearer());
  CHECK(client.bearer()->fetches() == 1);
  CHECK(client.bearer()->name() == "bearer (client secret)");

  // A wrong secret: a clear error naming the reason, without the secret.
  auto bad_cfg = cfg;
  bad_cfg.tenant_id = "tenant-" + random_hex(8);
  bad_cfg.client_secret = "wrong-secret-" + random_hex(6);
  bad_cfg.imds_endpoint = "http://127.0.0.1:1";  // the chain's last resort: nothing listens there
  bad_cfg.retry.max_tries = 1;
  az::storage_client bad(bad_cfg);
  const std::string msg = error_text([&] { (void)bad.stat(blob_uri(cname, "f0")); });
  CHECK(msg.find("invalid_client") != std::string::npos);
  CHECK(msg.find("client secret") != std::string::npos);
  check_no_secrets({msg}, {bad_cfg.client_secret});
}

TEST_CASE("azure server: workload identity (federated token file)", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  auto cfg = loopback_config(srv);
  cfg.storage_key.clear();
  cfg.tenant_id = "tenant-" + random_hex(8);
  cfg.client_id = "hqml-workload";
  cfg.federated_token_file = srv.dir + "/federated.jwt";
  az::storage_client client(cfg);
  const std::string fsname = fresh("wi");
  client.dfs(client.resolve(dfs_uri(fsname, "x"))).create();
  auto w = client.open_write(dfs_uri(fsname, "a/b.bin"));
  w->write("workload");
  w->commit();
  CHECK(read_all(*client.open_read(dfs_uri(fsname, "a/b.bin"))) == "workload");
  CHECK(log_of(srv, "/" + cfg.tenant_id + "/oauth2/v2.0/token").size() == 1);
  CHECK(client.bearer()->name() == "bearer (workload identity)");
  const auto storage = log_of(srv, "/" + fsname);
  CHECK(count_if(storage, [](const json& e) { return e["auth"] == "bearer"; }) == storage.size());

  // An assertion the server does not expect: refused, and its text is nowhere in the error.
  const auto other = fs::temp_directory_path() / ("hqml-wi-" + random_hex(6) + ".jwt");
  std::ofstream(other) << "eyJhbGciOiJub25lIn0.eyJzdWIiOiJvdGhlciJ9.b3RoZXJzaWduYXR1cmU\n";
  cfg.federated_token_file = other.string();
  cfg.imds_endpoint = "http://127.0.0.1:1";
  cfg.retry.max_tries = 1;
  az::storage_client bad(cfg);
  const std::string msg = error_text([&] { (void)bad.stat(dfs_uri(fsname, "a/b.bin")); });
  CHECK(msg.find("workload identity") != std::string::npos);
  check_no_secrets({msg}, {"b3RoZXJzaWduYXR1cmU", "eyJzdWIiOiJvdGhlciJ9"});
  fs::remove(other);
}

TEST_CASE("azure server: managed identity through IMDS and App Service", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  const std::string cname = fresh("mi");
  {
    az::storage_client admin_client(loopback_config(srv));
    admin_client.blob(admin_client.resolve(blob_uri(cname, "x"))).create();
  }
  SECTION("IMDS") {
    auto cfg = loopback_config(srv);
    cfg.storage_key.clear();
    cfg.client_id = "imds-" + random_hex(8);  // a user-assigned identity: its id marks this test's requests
    az::storage_client client(cfg);
    for (int i = 0; i < 3; ++i) {
      auto w = client.open_write(blob_uri(cname, "imds" + std::to_string(i)));
      w->write("x");
      w->commit();
    }
    CHECK(log_of(srv, "/metadata/identity/oauth2/token", "client_id=" + cfg.client_id).size() == 1);
    CHECK(client.bearer()->name() == "bearer (managed identity (IMDS))");
  }
  SECTION("App Service") {
    auto cfg = loopback_config(srv);
    cfg.storage_key.clear();
    cfg.client_id = "appsvc-" + random_hex(8);
    cfg.identity_endpoint = srv.base() + "/msi/token";
    cfg.identity_header = identity_header;
    az::storage_client client(cfg);
    for (int i = 0; i < 3; ++i) CHECK_FALSE(client.stat(blob_uri(cname, "none" + std::to_string(i))));
    CHECK(log_of(srv, "/msi/token", "client_id=" + cfg.client_id).size() == 1);
    CHECK(log_of(srv, "/metadata/identity", "client_id=" + cfg.client_id).empty());  // App Service came first
    CHECK(client.bearer()->name() == "bearer (managed identity (App Service))");
    // A wrong header: refused (401), and that answer ends the chain: IMDS is not tried (credential.hpp).
    cfg.identity_header = "wrong-identity-header-" + random_hex(4);
    cfg.imds_endpoint = "http://127.0.0.1:1";
    cfg.retry.max_tries = 1;
    az::storage_client bad(cfg);
    const std::string msg = error_text([&] { (void)bad.stat(blob_uri(cname, "x")); });
    CHECK(msg.find("App Service") != std::string::npos);
    CHECK(msg.find("IMDS") == std::string::npos);
    check_no_secrets({msg}, {cfg.identity_header});
  }
}

TEST_CASE("azure server: tokens are refreshed shortly before they expire", "[azure][server]") {
  REQUIRE_SERVER("server-short", srv);  // this server issues 4-second tokens
  auto cfg = loopback_config(srv);
  cfg.storage_key.clear();
  cfg.tenant_id = "tenant-" + random_hex(8);
  cfg.client_id = "hqml-client";
  cfg.client_secret = client_secret;
  az::storage_client client(cfg);
  const std::string cname = fresh("expiry");
  client.blob(client.resolve(blob_uri(cname, "x"))).create();
  const std::string token_path = "/" + cfg.tenant_id + "/oauth2/v2.0/token";
  CHECK_FALSE(client.stat(blob_uri(cname, "a")));
  CHECK_FALSE(client.stat(blob_uri(cname, "b")));
  CHECK(log_of(srv, token_path).size() == 1);  // reused within its lifetime
  std::this_thread::sleep_for(2500ms);         // past half the lifetime: refresh before the next request
  CHECK_FALSE(client.stat(blob_uri(cname, "c")));
  CHECK(log_of(srv, token_path).size() == 2);
  std::this_thread::sleep_for(4500ms);  // the second token has expired meanwhile
  CHECK_FALSE(client.stat(blob_uri(cname, "d")));
  CHECK(log_of(srv, token_path).size() == 3);
  // No request was ever refused for an expired token.
  const auto storage = log_of(srv, "/" + cname);
  CHECK(count_if(storage, [](const json& e) { return e["status"] == 401 || e["status"] == 403; }) == 0);
}

TEST_CASE("azure server: faults are retried as the server asks - timeouts hold", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  std::vector<std::string> lines;
  std::mutex m;
  auto cfg = loopback_config(srv, &lines, &m);
  const std::string cname = fresh("faults");
  az::storage_client setup(cfg);
  auto c = setup.blob(setup.resolve(blob_uri(cname, "x")));
  c.create();
  const std::string data = random_bytes(200000, 9);
  c.put_blob("obj.bin", data);
  const std::string obj = "/" + cname + "/obj.bin";

  SECTION("429 with Retry-After: 1 is waited out") {
    add_faults(srv, json::array({{{"method", "GET"},
                                  {"path", obj + "$"},
                                  {"kind", "status"},
                                  {"status", 429},
                                  {"headers", {{"Retry-After", "1"}}},
                                  {"times", 1}}}));
    const auto t0 = steady::now();
    CHECK(c.get_range("obj.bin", 0, 1000) == data.substr(0, 1000));
    const auto waited = steady::now() - t0;
    CHECK(waited >= 1000ms);
    CHECK(waited < 4000ms);
    const auto log = log_of(srv, obj);
    REQUIRE(log.size() >= 2);
    CHECK(log[log.size() - 2]["status"] == 429);
    CHECK(log.back()["status"] == 206);
  }
  SECTION("503 with x-ms-retry-after-ms, twice, then success") {
    add_faults(srv, json::array({{{"method", "GET"},
                                  {"path", obj + "$"},
                                  {"kind", "status"},
                                  {"status", 503},
                                  {"headers", {{"x-ms-retry-after-ms", "300"}}},
                                  {"times", 2}}}));
    const auto t0 = steady::now();
    CHECK(c.get_range("obj.bin", 100, 100) == data.substr(100, 100));
    CHECK(steady::now() - t0 >= 600ms);
    const auto log = log_of(srv, obj);
    CHECK(count_if(log, [](const json& e) { return e["status"] == 503; }) == 2);
    CHECK(lines.size() >= 2);  // one log line per retry
  }
  SECTION("Retry-After as an HTTP date") {
    const auto when = std::chrono::system_clock::now() + 2s;
    add_faults(srv, json::array({{{"method", "GET"},
                                  {"path", obj + "$"},
                                  {"kind", "status"},
                                  {"status", 503},
                                  {"headers", {{"Retry-After", az::http_date(when)}}},
                                  {"times", 1}}}));
    const auto t0 = steady::now();
    CHECK(c.get_range("obj.bin", 0, 10) == data.substr(0, 10));
    CHECK(steady::now() - t0 >= 900ms);  // the date has one-second resolution
  }
  SECTION("a connection reset is retried") {
    add_faults(srv, json::array({{{"method", "GET"}, {"path", obj + "$"}, {"kind", "reset"}, {"times", 2}}}));
    CHECK(c.get_range("obj.bin", 0, 50000) == data.substr(0, 50000));
    CHECK(count_if(log_of(srv, obj), [](const json& e) { return e["fault"] == "reset"; }) == 2);
  }
  SECTION("a truncated body is detected and retried, never returned short") {
    add_faults(
        srv,
        json::array(
            {{{"method", "GET"}, {"path", obj + "$"}, {"kind", "truncate"}, {"after_bytes", 1000}, {"times", 1}}}));
    CHECK(c.get_range("obj.bin", 0, 100000) == data.substr(0, 100000));
    const auto log = log_of(srv, obj);
    CHECK(count_if(log, [](const json& e) { return e["fault"] == "truncate"; }) == 1);
    bool said = false;
    for (const auto& l : lines) said = said || l.find("retrying") != std::string::npos;
    CHECK(said);
    // Always truncated: the error says so after the last try.
    add_faults(
        srv, json::array(
                 {{{"method", "GET"}, {"path", obj + "$"}, {"kind", "truncate"}, {"after_bytes", 10}, {"times", 5}}}));
    const std::string msg = error_text([&] { (void)c.get_range("obj.bin", 0, 100000); });
    CHECK_FALSE(msg.empty());
    CHECK((msg.find("transfer closed") != std::string::npos || msg.find("truncated") != std::string::npos ||
           msg.find("curl 18") != std::string::npos));
  }
  SECTION("a slow body runs into the per-try timeout and is retried") {
    auto fast = cfg;
    fast.retry.per_try_timeout = 1000ms;
    az::storage_client client(fast);
    auto fc = client.blob(client.resolve(blob_uri(cname, "x")));
    add_faults(srv, json::array({{{"method", "GET"},
                                  {"path", obj + "$"},
                                  {"kind", "slow"},
                                  {"after_bytes", 100},
                                  {"delay_s", 3},
                                  {"times", 1}}}));
    const auto t0 = steady::now();
    CHECK(fc.get_range("obj.bin", 0, 5000) == data.substr(0, 5000));
    const auto took = steady::now() - t0;
    CHECK(took >= 1000ms);
    CHECK(took < 2900ms);  // did not wait for the slow body
  }
  SECTION("the total timeout bounds all tries") {
    auto fast = cfg;
    fast.retry.per_try_timeout = 800ms;
    fast.retry.total_timeout = 2000ms;
    fast.retry.max_tries = 20;
    az::storage_client client(fast);
    auto fc = client.blob(client.resolve(blob_uri(cname, "x")));
    add_faults(srv, json::array({{{"method", "GET"},
                                  {"path", obj + "$"},
                                  {"kind", "slow"},
                                  {"after_bytes", 10},
                                  {"delay_s", 5},
                                  {"times", 20}}}));
    const auto t0 = steady::now();
    const std::string msg = error_text([&] { (void)fc.get_range("obj.bin", 0, 5000); });
    const auto took = steady::now() - t0;
    CHECK(msg.find("total timeout of 2000 ms") != std::string::npos);
    CHECK(took < 3000ms);
    CHECK(took >= 1500ms);
  }
  SECTION("retries end: the last status is reported; other errors are not retried") {
    auto few = cfg;
    few.retry.max_tries = 3;
    az::storage_client client(few);
    auto fc = client.blob(client.resolve(blob_uri(cname, "x")));
    add_faults(srv, json::array(
                        {{{"method", "GET"}, {"path", obj + "$"}, {"kind", "status"}, {"status", 500}, {"times", 3}}}));
    try {
      (void)fc.get_range("obj.bin", 0, 10);
      FAIL("no error");
    } catch (const az::azure_error& e) {
      CHECK(e.status() == 500);
      CHECK(std::string(e.what()).find("InternalError") != std::string::npos);
    }
    CHECK(count_if(log_of(srv, obj), [](const json& e) { return e["status"] == 500; }) == 3);
    const auto before = log_of(srv, "/" + cname + "/missing.bin").size();
    CHECK_THROWS_AS(fc.get_range("missing.bin", 0, 10), az::azure_error);
    CHECK(log_of(srv, "/" + cname + "/missing.bin").size() == before + 1);  // a 404 is final
  }
}

TEST_CASE("azure server: atomic writes and publishing - nothing final after a failure", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  auto cfg = loopback_config(srv);
  cfg.retry.max_tries = 2;
  az::storage_client client(cfg);
  const std::string cname = fresh("publish");
  client.blob(client.resolve(blob_uri(cname, "x"))).create();
  auto fsys = client.dfs(client.resolve(dfs_uri(cname, "x")));

  // A local model directory: a few files, one of several chunks.
  const fs::path local = fs::temp_directory_path() / ("hqml-publish-" + random_hex(8));
  fs::create_directories(local / "weights");
  std::map<std::string, std::string> files{{"model.json", R"({"kind":"qsvm"})"},
                                           {"weights/w0.bin", random_bytes(900000, 1)},
                                           {"weights/w1.bin", random_bytes(1000, 2)},
                                           {"README", "hqml model"}};
  for (const auto& [rel, content] : files) std::ofstream(local / rel, std::ios::binary) << content;

  SECTION("Data Lake: a reader sees no directory or the whole of it") {
    const std::string uri = dfs_uri(cname, "models/m1");
    std::atomic<bool> done{false};
    std::atomic<int> empty_views{0}, full_views{0}, partial_views{0};
    std::thread reader([&] {
      az::storage_client rc(cfg);
      auto rfs = rc.dfs(rc.resolve(dfs_uri(cname, "x")));
      while (!done.load()) {
        std::size_t n = 0;
        for (const auto& i : rfs.list("models/m1", true)) n += i.is_directory ? 0 : 1;
        if (n == 0)
          ++empty_views;
        else if (n == files.size())
          ++full_views;
        else
          ++partial_views;
      }
    });
    client.publish_directory(local, uri);
    std::this_thread::sleep_for(50ms);
    done = true;
    reader.join();
    CHECK(partial_views.load() == 0);
    CHECK(empty_views.load() > 0);
    CHECK(full_views.load() > 0);
    for (const auto& [rel, content] : files) CHECK(read_all(*client.open_read(uri + "/" + rel)) == content);
    CHECK(client.published(uri));
    // No temporary directory left beside it.
    const auto top = fsys.list("models", false);
    REQUIRE(top.size() == 1);
    CHECK(top[0].name == "models/m1");
    // Publishing onto an existing directory is refused.
    CHECK_THROWS_WITH(client.publish_directory(local, uri), Catch::Contains("exists already"));
  }
  SECTION("Data Lake: a publish that fails leaves nothing, final or temporary") {
    add_faults(srv, json::array({{{"method", "PATCH"},
                                  {"path", "/" + cname + "/models/\\.m2\\.hqml-tmp-[0-9a-f]+/weights/w1\\.bin$"},
                                  {"query", "action=flush"},
                                  {"kind", "status"},
                                  {"status", 500},
                                  {"times", 10}}}));
    CHECK_THROWS_AS(client.publish_directory(local, dfs_uri(cname, "models/m2")), az::azure_error);
    CHECK_FALSE(client.stat(dfs_uri(cname, "models/m2")));
    CHECK(fsys.list("models", true).empty());
    // The rename is what fails: same result.
    add_faults(srv, json::array({{{"method", "PUT"},
                                  {"path", "/" + cname + "/models/m3$"},
                                  {"kind", "status"},
                                  {"status", 503},
                                  {"times", 10}}}));
    CHECK_THROWS_AS(client.publish_directory(local, dfs_uri(cname, "models/m3")), az::azure_error);
    CHECK_FALSE(client.stat(dfs_uri(cname, "models/m3")));
    CHECK(fsys.list("models", true).empty());
  }
  SECTION("Blob: files committed after all are staged, the marker last; a failure removes what was committed") {
    const std::string uri = blob_uri(cname, "models/b1");
    client.publish_directory(local, uri);
    const auto log = log_of(srv, "/" + cname + "/models/b1/");
    CHECK(client.published(uri));
    for (const auto& [rel, content] : files) CHECK(read_all(*client.open_read(uri + "/" + rel)) == content);
    std::size_t last_block = 0, first_commit = log.size(), marker = 0;
    for (std::size_t i = 0; i < log.size(); ++i) {
      const std::string q = log[i]["query"];
      if (q.find("comp=block&") != std::string::npos) last_block = i;
      if ((q == "comp=blocklist" || (q.empty() && log[i]["method"] == "PUT")) && first_commit == log.size())
        first_commit = i;
      if (log[i]["path"].get<std::string>().ends_with(".hqml-published")) marker = i;
    }
    CHECK(last_block < first_commit);
    CHECK(marker == log.size() - 1);
    CHECK_THROWS_WITH(client.publish_directory(local, uri), Catch::Contains("exists already"));

    add_faults(srv, json::array({{{"method", "PUT"},
                                  {"path", "/" + cname + "/models/b2/weights/w1\\.bin$"},
                                  {"query", "comp=blocklist"},
                                  {"kind", "status"},
                                  {"status", 500},
                                  {"times", 10}}}));
    CHECK_THROWS_AS(client.publish_directory(local, blob_uri(cname, "models/b2")), az::azure_error);
    CHECK_FALSE(client.published(blob_uri(cname, "models/b2")));
    CHECK(client.blob(client.resolve(uri)).list("models/b2/").empty());
  }
  SECTION("single objects: never replaced unless asked; a failed commit leaves no object") {
    for (const auto& uri : {blob_uri(cname, "one/a.bin"), dfs_uri(cname, "one/b.bin")}) {
      INFO(uri);
      auto w = client.open_write(uri);
      w->write("first");
      w->commit();
      auto w2 = client.open_write(uri);
      w2->write("second");
      CHECK_THROWS_WITH(w2->commit(), Catch::Contains("not replaced"));
      CHECK(read_all(*client.open_read(uri)) == "first");
      auto w3 = client.open_write(uri, {.overwrite = true});
      w3->write("third");
      w3->commit();
      CHECK(read_all(*client.open_read(uri)) == "third");
    }
    // Failures: Blob's commit (Put Block List) and Data Lake's flush refused.
    add_faults(srv, json::array({{{"method", "PUT"},
                                  {"path", "/" + cname + "/one/c\\.bin$"},
                                  {"query", "comp=blocklist"},
                                  {"kind", "status"},
                                  {"status", 500},
                                  {"times", 10}},
                                 {{"method", "PATCH"},
                                  {"path", "/" + cname + "/one/\\.d\\.bin\\.hqml-tmp-"},
                                  {"query", "action=flush"},
                                  {"kind", "status"},
                                  {"status", 500},
                                  {"times", 10}}}));
    const std::string big = random_bytes(600000, 5);
    for (const auto& uri : {blob_uri(cname, "one/c.bin"), dfs_uri(cname, "one/d.bin")}) {
      INFO(uri);
      auto w = client.open_write(uri);
      w->write(big);
      CHECK_THROWS_AS(w->commit(), az::azure_error);
      CHECK_FALSE(client.stat(uri));
    }
    // No temporary file left either; abandoned writers publish nothing.
    for (const auto& i : fsys.list("one", true)) CHECK(i.name.find("hqml-tmp") == std::string::npos);
    {
      auto w = client.open_write(dfs_uri(cname, "one/e.bin"));
      w->write(big);
    }
    CHECK_FALSE(client.stat(dfs_uri(cname, "one/e.bin")));
    for (const auto& i : fsys.list("one", true)) CHECK(i.name.find("hqml-tmp") == std::string::npos);
  }
  fs::remove_all(local);
}

TEST_CASE("azure server: no secret in any exception text or log line", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  std::vector<std::string> lines;
  std::mutex m;
  std::vector<std::string> errors;
  const std::string cname = fresh("secrets");
  {
    az::storage_client setup(loopback_config(srv));
    setup.blob(setup.resolve(blob_uri(cname, "x"))).create();
  }
  // A wrong account key (a valid base64 key of another account).
  const std::string wrong_key = az::base64_encode(random_bytes(64, 77));
  auto cfg = loopback_config(srv, &lines, &m);
  cfg.storage_key = wrong_key;
  {
    az::storage_client client(cfg);
    errors.push_back(error_text([&] { (void)client.stat(blob_uri(cname, "a")); }));
    CHECK(errors.back().find("403") != std::string::npos);
    CHECK(errors.back().find("AuthenticationFailed") != std::string::npos);
  }
  // Retries with a SAS in the URL are logged without its signature; the token is never logged.
  auto sas_cfg = loopback_config(srv, &lines, &m);
  sas_cfg.storage_key.clear();
  az::storage_client sas_client(sas_cfg);
  add_faults(srv, json::array({{{"method", "*"},
                                {"path", "/sas-container/secret-probe"},
                                {"kind", "status"},
                                {"status", 503},
                                {"times", 2}}}));
  {
    az::storage_client admin_client(loopback_config(srv));
    admin_client.blob(admin_client.resolve(blob_uri("sas-container", "x"))).create();
  }
  CHECK_FALSE(sas_client.stat(blob_uri("sas-container", "secret-probe") + "?" + container_sas));
  std::string bad_sas = account_sas;
  bad_sas.replace(bad_sas.find("sig=") + 4, 3, "Zzz");
  errors.push_back(error_text([&] { (void)sas_client.stat(blob_uri("sas-container", "x") + "?" + bad_sas); }));
  CHECK(errors.back().find("403") != std::string::npos);

  auto tok_cfg = loopback_config(srv, &lines, &m);
  tok_cfg.storage_key.clear();
  tok_cfg.tenant_id = "tenant-" + random_hex(8);
  tok_cfg.client_id = "hqml-client";
  tok_cfg.client_secret = client_secret;
  az::storage_client tok_client(tok_cfg);
  add_faults(srv, json::array({{{"method", "*"},
                                {"path", "/" + cname + "/retry-probe"},
                                {"kind", "status"},
                                {"status", 503},
                                {"times", 2}}}));
  CHECK_FALSE(tok_client.stat(blob_uri(cname, "retry-probe")));
  const std::string token = tok_client.bearer()->token();
  CHECK(token.size() > 20);

  CHECK(lines.size() >= 4);
  std::vector<std::string> all = lines;
  all.insert(all.end(), errors.begin(), errors.end());
  check_no_secrets(all, {wrong_key, azurite_key, sas_sig(container_sas), sas_sig(bad_sas), "Idqhsz9lv93Jgmn3",
                         "5x/ZkIOORRabQ", client_secret, token, token.substr(token.rfind('.') + 1)});
  // And the redaction itself knows all of them now.
  for (const auto& s : {wrong_key, std::string(client_secret), token})
    CHECK(az::redact("x " + s + " y").find(s) == std::string::npos);
}

TEST_CASE("azure server: the configuration from the environment", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  const std::string cname = fresh("env");
  ::setenv("HQML_AZURE_STORAGE_ENDPOINT", (srv.base() + "/{account}").c_str(), 1);
  ::setenv("AZURE_STORAGE_KEY", azurite_key, 1);
  ::setenv("HQML_AZUREML_DATASTORES",
           ("models=abfss://" + cname + "@devstoreaccount1.dfs.core.windows.net/base").c_str(), 1);
  az::storage_client client;  // config::from_env()
  ::unsetenv("HQML_AZURE_STORAGE_ENDPOINT");
  ::unsetenv("AZURE_STORAGE_KEY");
  ::unsetenv("HQML_AZUREML_DATASTORES");
  client.dfs(client.resolve(dfs_uri(cname, "x"))).create();
  auto w = client.open_write("azureml://datastores/models/paths/run/out.txt");
  w->write("via azureml");
  w->commit();
  CHECK(read_all(*client.open_read(dfs_uri(cname, "base/run/out.txt"))) == "via azureml");
  CHECK(az::redact(std::string("k=") + azurite_key).find(azurite_key) == std::string::npos);
}

TEST_CASE("azure server: a wrong client secret or a busy AAD is an error, never a switch to managed identity",
          "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  const std::string cname = fresh("chain");
  {
    az::storage_client admin_client(loopback_config(srv));
    admin_client.blob(admin_client.resolve(blob_uri(cname, "x"))).create();
  }
  auto cfg = loopback_config(srv);
  cfg.storage_key.clear();
  cfg.tenant_id = "tenant-" + random_hex(8);
  cfg.client_id = "hqml-client";
  cfg.client_secret = "wrong-secret-" + random_hex(6);
  cfg.imds_endpoint = srv.base();  // IMDS is available and would hand out a token
  cfg.retry.max_tries = 2;
  {
    az::storage_client client(cfg);
    const std::string msg = error_text([&] { (void)client.stat(blob_uri(cname, "x")); });
    CHECK(msg.find("invalid_client") != std::string::npos);
    check_no_secrets({msg}, {cfg.client_secret});
    CHECK(client.bearer()->fetches() == 0);
  }
  // AAD answers 503 (every try): the error, not IMDS.
  cfg.client_secret = client_secret;
  cfg.tenant_id = "tenant-" + random_hex(8);
  add_faults(srv, json::array({{{"method", "POST"},
                                {"path", "/" + cfg.tenant_id + "/oauth2/v2\\.0/token$"},
                                {"kind", "status"},
                                {"status", 503},
                                {"times", 2}}}));
  {
    az::storage_client client(cfg);
    try {
      (void)client.stat(blob_uri(cname, "x"));
      FAIL("no error");
    } catch (const az::azure_error& e) {
      CHECK(e.status() == 503);
    }
    // Once AAD is back, the client secret is what is used.
    CHECK_FALSE(client.stat(blob_uri(cname, "none")));
    CHECK(client.bearer()->name() == "bearer (client secret)");
  }
}

TEST_CASE("azure server: a server answering more than the range is refused at once, memory bounded",
          "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  auto cfg = loopback_config(srv);
  az::storage_client client(cfg);
  const std::string cname = fresh("oversize");
  auto c = client.blob(client.resolve(blob_uri(cname, "x")));
  c.create();
  c.put_blob("obj.bin", random_bytes(1000, 3));
  // 64 MiB more than asked for: aborted once the limit (the range, or 64 KiB for an error body) is passed.
  add_faults(srv, json::array({{{"method", "GET"},
                                {"path", "/" + cname + "/obj\\.bin$"},
                                {"kind", "oversize"},
                                {"after_bytes", 64 << 20},
                                {"times", 1}}}));
  const auto t0 = steady::now();
  const std::string msg = error_text([&] { (void)c.get_range("obj.bin", 0, 10); });
  CHECK(msg.find("exceeds") != std::string::npos);
  CHECK(steady::now() - t0 < 5s);
  const auto log = log_of(srv, "/" + cname + "/obj.bin");
  CHECK(count_if(log, [](const json& e) { return e["method"] == "GET"; }) == 1);  // not retried
  // Without the fault the same read works (the handle was discarded, the next connection is clean).
  CHECK(c.get_range("obj.bin", 0, 10).size() == 10);
}

TEST_CASE("azure server: a read stream that lost a chunk fails on every read, never ends cleanly", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  auto cfg = loopback_config(srv);
  cfg.chunk_size = 4;
  cfg.parallelism = 2;
  az::storage_client client(cfg);
  const std::string cname = fresh("lostchunk");
  auto c = client.blob(client.resolve(blob_uri(cname, "x")));
  c.create();
  c.put_blob("obj.bin", "0123456789AB");
  auto in = client.open_read(blob_uri(cname, "obj.bin"));
  // One ranged GET refused with a status that is not retried (which chunk it hits depends on timing).
  add_faults(srv, json::array({{{"method", "GET"},
                                {"path", "/" + cname + "/obj\\.bin$"},
                                {"kind", "status"},
                                {"status", 403},
                                {"code", "AuthorizationFailure"},
                                {"times", 1}}}));
  std::string got;
  CHECK_THROWS_WITH(got.assign(std::istreambuf_iterator<char>(*in), std::istreambuf_iterator<char>()),
                    Catch::Contains("AuthorizationFailure"));
  for (int i = 0; i < 2; ++i) {
    in->clear();
    char ch = 0;
    CHECK_THROWS_WITH(in->get(ch), Catch::Contains("AuthorizationFailure"));
  }
}

TEST_CASE("azure server: publishing survives a lost answer of a commit or rename that succeeded", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  auto cfg = loopback_config(srv);
  cfg.retry.max_tries = 3;
  cfg.chunk_size = 64 * 1024;
  az::storage_client client(cfg);
  const std::string cname = fresh("ambiguous");
  client.blob(client.resolve(blob_uri(cname, "x"))).create();
  auto fsys = client.dfs(client.resolve(dfs_uri(cname, "x")));
  const std::string big = random_bytes(300000, 7);
  const fs::path local = fs::temp_directory_path() / ("hqml-ambiguous-" + random_hex(8));
  fs::create_directories(local / "sub");
  std::ofstream(local / "a.bin", std::ios::binary) << big;
  std::ofstream(local / "sub" / "b.txt", std::ios::binary) << "bee";
  const auto after_status = [&](const std::string& method, const std::string& path, const std::string& query,
                                int times) {
    json rule = {{"method", method}, {"path", path}, {"kind", "after_status"}, {"status", 500}, {"times", times}};
    if (!query.empty()) rule["query"] = query;
    add_faults(srv, json::array({rule}));
  };

  SECTION("single objects: Blob commit, small Put Blob, Data Lake rename") {
    after_status("PUT", "/" + cname + "/s/big\\.bin$", "comp=blocklist", 1);
    auto w = client.open_write(blob_uri(cname, "s/big.bin"));
    w->write(big);
    CHECK_NOTHROW(w->commit());
    CHECK(read_all(*client.open_read(blob_uri(cname, "s/big.bin"))) == big);
    after_status("PUT", "/" + cname + "/s/small\\.bin$", "", 1);
    auto ws = client.open_write(blob_uri(cname, "s/small.bin"));
    ws->write("small");
    CHECK_NOTHROW(ws->commit());
    CHECK(read_all(*client.open_read(blob_uri(cname, "s/small.bin"))) == "small");
    after_status("PUT", "/" + cname + "/s/d\\.bin$", "", 1);  // the rename onto the final name
    auto wd = client.open_write(dfs_uri(cname, "s/d.bin"));
    wd->write(big);
    CHECK_NOTHROW(wd->commit());
    CHECK(read_all(*client.open_read(dfs_uri(cname, "s/d.bin"))) == big);
    for (const auto& i : fsys.list("s", true)) CHECK(i.name.find("hqml-tmp") == std::string::npos);
    // Someone else's object is still never replaced, and the error says so.
    auto w2 = client.open_write(blob_uri(cname, "s/big.bin"));
    w2->write(big);
    CHECK_THROWS_WITH(w2->commit(), Catch::Contains("not replaced"));
    auto w3 = client.open_write(blob_uri(cname, "s/small.bin"));
    w3->write("other");
    CHECK_THROWS_WITH(w3->commit(), Catch::Contains("not replaced"));
    CHECK(read_all(*client.open_read(blob_uri(cname, "s/small.bin"))) == "small");
  }
  SECTION("directories: Data Lake rename and Blob marker") {
    after_status("PUT", "/" + cname + "/m/d1$", "", 1);
    CHECK_NOTHROW(client.publish_directory(local, dfs_uri(cname, "m/d1")));
    CHECK(client.published(dfs_uri(cname, "m/d1")));
    CHECK(read_all(*client.open_read(dfs_uri(cname, "m/d1/a.bin"))) == big);
    const auto top = fsys.list("m", false);
    REQUIRE(top.size() == 1);
    CHECK(top[0].name == "m/d1");

    after_status("PUT", "/" + cname + "/m/b1/\\.hqml-published$", "", 1);
    after_status("PUT", "/" + cname + "/m/b1/a\\.bin$", "comp=blocklist", 1);
    CHECK_NOTHROW(client.publish_directory(local, blob_uri(cname, "m/b1")));
    CHECK(client.published(blob_uri(cname, "m/b1")));
    CHECK(read_all(*client.open_read(blob_uri(cname, "m/b1/sub/b.txt"))) == "bee");

    // The marker written but every answer lost: the publish fails, and the rollback removes the marker first,
    // then the files: nothing announces a directory that is not there.
    after_status("PUT", "/" + cname + "/m/b2/\\.hqml-published$", "", 10);
    CHECK_THROWS_AS(client.publish_directory(local, blob_uri(cname, "m/b2")), az::azure_error);
    CHECK_FALSE(client.published(blob_uri(cname, "m/b2")));
    CHECK(client.blob(client.resolve(blob_uri(cname, "x"))).list("m/b2/").empty());
    const auto log = log_of(srv, "/" + cname + "/m/b2/");
    std::size_t marker_delete = log.size(), first_file_delete = log.size();
    for (std::size_t i = 0; i < log.size(); ++i) {
      if (log[i]["method"] != "DELETE") continue;
      if (log[i]["path"].get<std::string>().ends_with(".hqml-published"))
        marker_delete = std::min(marker_delete, i);
      else
        first_file_delete = std::min(first_file_delete, i);
    }
    CHECK(marker_delete < first_file_delete);
    CHECK(first_file_delete < log.size());
  }
  fs::remove_all(local);
}

TEST_CASE("azure server: listings and reads that must not look empty", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  az::storage_client client(loopback_config(srv));
  const std::string cname = fresh("notempty");
  auto c = client.blob(client.resolve(blob_uri(cname, "x")));
  c.create();
  auto fsys = client.dfs(client.resolve(dfs_uri(cname, "x")));
  // A mistyped file system is an error; a missing directory in an existing one lists as empty.
  auto typo = client.dfs(client.resolve(dfs_uri(cname + "-typo", "x")));
  CHECK_THROWS_WITH(typo.list(""), Catch::Contains("404"));
  CHECK(fsys.list("no/such/dir").empty());
  // A Data Lake directory read through the Blob endpoint is refused, not 0 bytes.
  fsys.create_directory("dir1/sub");
  const auto p = client.stat(blob_uri(cname, "dir1/sub"));
  REQUIRE(p);
  CHECK(p->is_directory);
  CHECK_THROWS_WITH(client.open_read(blob_uri(cname, "dir1/sub")), Catch::Contains("it is a directory"));
  // A name with an entity-like text lists as it is (decoded once).
  c.put_blob("R&amp;D.txt", "x");
  std::set<std::string> names;
  for (const auto& i : c.list()) names.insert(i.name);
  CHECK(names.count("R&amp;D.txt") == 1);
  CHECK(names.count("R&D.txt") == 0);
}

TEST_CASE("azure server: a stalled transfer is ended by the stall timeout, not by a per-try cap", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  auto cfg = loopback_config(srv);
  cfg.retry.per_try_timeout = 60s;  // the cap alone would wait for the whole stall
  cfg.retry.stall_timeout = 1s;
  az::storage_client client(cfg);
  const std::string cname = fresh("stall");
  auto c = client.blob(client.resolve(blob_uri(cname, "x")));
  c.create();
  const std::string data = random_bytes(5000, 4);
  c.put_blob("obj.bin", data);
  add_faults(srv, json::array({{{"method", "GET"},
                                {"path", "/" + cname + "/obj\\.bin$"},
                                {"kind", "slow"},
                                {"after_bytes", 100},
                                {"delay_s", 20},
                                {"times", 1}}}));
  const auto t0 = steady::now();
  CHECK(c.get_range("obj.bin", 0, 5000) == data);
  const auto took = steady::now() - t0;
  CHECK(took >= 1s);
  CHECK(took < 15s);  // libcurl measures speed over its last few seconds: the stall shows after ~1 + 5 s
  // The retry's GET (no fault) is logged; the stalled one only when the server's stall ends.
  CHECK(count_if(log_of(srv, "/" + cname + "/obj.bin"), [](const json& e) {
          return e["method"] == "GET" && e["fault"].is_null() && e["status"] == 206;
        }) == 1);
}

TEST_CASE("azure server: IMDS answering 404/410 while it boots is retried", "[azure][server]") {
  REQUIRE_SERVER("server", srv);
  const std::string cname = fresh("imdsboot");
  {
    az::storage_client admin_client(loopback_config(srv));
    admin_client.blob(admin_client.resolve(blob_uri(cname, "x"))).create();
  }
  auto cfg = loopback_config(srv);
  cfg.storage_key.clear();
  cfg.client_id = "imdsboot-" + random_hex(8);
  add_faults(srv, json::array({{{"method", "GET"},
                                {"path", "^/metadata/identity/oauth2/token$"},
                                {"query", "client_id=" + cfg.client_id},
                                {"kind", "status"},
                                {"status", 410},
                                {"code", "Gone"},
                                {"times", 1}},
                               {{"method", "GET"},
                                {"path", "^/metadata/identity/oauth2/token$"},
                                {"query", "client_id=" + cfg.client_id},
                                {"kind", "status"},
                                {"status", 404},
                                {"code", "NotFound"},
                                {"times", 1}}}));
  az::storage_client client(cfg);
  CHECK_FALSE(client.stat(blob_uri(cname, "none")));
  CHECK(client.bearer()->name() == "bearer (managed identity (IMDS))");
  CHECK(log_of(srv, "/metadata/identity/oauth2/token", "client_id=" + cfg.client_id).size() == 3);
}
