#pragma once
// The Data Lake Storage Gen2 (dfs endpoint) operations for one file system: create/delete it; create a file
// or directory; append at a position and flush (the file's content becomes what was flushed); ranged read;
// properties; listing (recursive, paged); rename (atomic, files and whole directories: how a model directory
// is published); delete (recursive).
// Creating and renaming onto a final name are guarded by If-None-Match: * unless overwrite is asked for.

#include <hqml/azure/blob.hpp>
#include <hqml/azure/redact.hpp>
#include <hqml/azure/service.hpp>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace hqml::azure {

struct path_item {
  std::string name;
  std::uint64_t size = 0;
  bool is_directory = false;
};

class datalake_filesystem : public container_client {
 public:
  using container_client::container_client;

  void create(bool exist_ok = true) const {
    (void)send(make(service::dfs, "PUT", "", {{"resource", "filesystem"}}), "create file system",
               {201, exist_ok ? 409L : 201L});
  }
  void remove() const {
    (void)send(make(service::dfs, "DELETE", "", {{"resource", "filesystem"}}), "delete file system", {202});
  }

  /// Creates an empty file (replacing one only when overwrite).
  void create_file(std::string_view path, bool overwrite = false) const { create_path(path, "file", overwrite); }
  /// Creates a directory (and its parents); an existing one is fine.
  void create_directory(std::string_view path) const { create_path(path, "directory", true); }

  /// Appends `data` at byte `position` of the file (uncommitted until flush).
  void append(std::string_view path, std::uint64_t position, std::string_view data) const {
    auto req = make(service::dfs, "PATCH", path, {{"action", "append"}, {"position", std::to_string(position)}});
    req.headers.set("Content-Type", "application/octet-stream");
    req.body = data;
    (void)send(req, "append", {202});
  }

  /// Commits the appended data up to `position` (the file's new length).
  void flush(std::string_view path, std::uint64_t position, bool close = true) const {
    auto req = make(service::dfs, "PATCH", path,
                    {{"action", "flush"}, {"position", std::to_string(position)}, {"close", close ? "true" : "false"}});
    (void)send(req, "flush", {200});
  }

  /// nullopt when the path does not exist.
  [[nodiscard]] std::optional<object_properties> properties(std::string_view path) const {
    const auto resp = send(make(service::dfs, "HEAD", path), "get properties", {200, 404});
    if (resp.status == 404) return std::nullopt;
    object_properties p;
    p.size = detail::parse_size(resp.headers.get("content-length").value_or("0"), "Content-Length");
    p.etag = std::string(resp.headers.get("etag").value_or(""));
    p.is_directory = resp.headers.get("x-ms-resource-type").value_or("") == "directory";
    return p;
  }

  /// Bytes [offset, offset + length): exactly `length` of them or an error (see blob_container::get_range).
  [[nodiscard]] std::string read(std::string_view path, std::uint64_t offset, std::uint64_t length,
                                 std::string_view if_match = {}) const {
    return detail::ranged_get(*this, service::dfs, path, offset, length, if_match);
  }

  /// The paths under `directory` ("" = the whole file system), all pages.
  [[nodiscard]] std::vector<path_item> list(std::string_view directory = {}, bool recursive = true) const {
    std::vector<path_item> out;
    std::string continuation;
    std::set<std::string> seen;  // continuation tokens already followed: a repeat would loop forever
    do {
      std::vector<std::pair<std::string, std::string>> q{{"resource", "filesystem"},
                                                         {"recursive", recursive ? "true" : "false"}};
      if (!directory.empty()) q.emplace_back("directory", std::string(directory));
      if (!continuation.empty()) q.emplace_back("continuation", continuation);
      const auto req = make(service::dfs, "GET", "", std::move(q));
      const auto resp = send(req, "list paths", {200, 404});
      if (resp.status == 404) {
        // No such directory: nothing under it. Any other 404 (a mistyped file system) is an error, not "empty".
        if (error_code(resp) == "PathNotFound") return out;
        fail(req, resp, "list paths");
      }
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(resp.body);
      } catch (const std::exception&) {
        throw azure_error("list paths: the reply is not JSON");
      }
      if (!j.is_object() || !j.contains("paths") || !j["paths"].is_array())
        throw azure_error("list paths: the reply has no \"paths\" array");
      for (const auto& p : j["paths"]) {
        path_item item;
        if (!p.contains("name") || !p["name"].is_string()) throw azure_error("list paths: an entry has no name");
        item.name = p["name"].get<std::string>();
        const auto flag = p.find("isDirectory");
        item.is_directory = flag != p.end() && ((flag->is_string() && flag->get<std::string>() == "true") ||
                                                (flag->is_boolean() && flag->get<bool>()));
        if (const auto len = p.find("contentLength"); len != p.end()) {
          if (len->is_string())
            item.size = detail::parse_size(len->get<std::string>(), "contentLength");
          else if (len->is_number_unsigned())
            item.size = len->get<std::uint64_t>();
        }
        out.push_back(std::move(item));
      }
      continuation = std::string(resp.headers.get("x-ms-continuation").value_or(""));
      if (!continuation.empty() && !seen.insert(continuation).second)
        throw azure_error("list paths: the service repeated the continuation token '" + continuation + "'");
    } while (!continuation.empty());
    return out;
  }

  /// Renames `from` to `to` (both in this file system), atomically; fails if `to` exists unless overwrite
  /// (a non-empty directory is never replaced). A retry after a rename that succeeded but whose answer was
  /// lost meets SourcePathNotFound (or, checked in the other order, the destination that now exists): then
  /// `from` gone and `to` present (a file of expected_size bytes when given, else a directory) is the success
  /// it was. Callers rename temporary names of their own, so "from is gone" is theirs to judge.
  void rename(std::string_view from, std::string_view to, bool overwrite = false,
              std::optional<std::uint64_t> expected_size = std::nullopt) const {
    auto req = make(service::dfs, "PUT", to);
    std::string source = resource_path(loc_, from);
    if (!loc_.sas.empty()) source += "?" + loc_.sas;
    req.headers.set("x-ms-rename-source", source);
    if (!overwrite) req.headers.set("If-None-Match", "*");
    const auto resp = send(req, "rename", {201, 404, 409, 412});
    if (resp.status == 201) return;
    const std::string code = error_code(resp);
    const bool maybe_done = code == "SourcePathNotFound" || (!overwrite && (resp.status == 409 || resp.status == 412));
    if (maybe_done && !properties(from)) {
      if (const auto p = properties(to)) {
        if (expected_size ? (!p->is_directory && p->size == *expected_size) : p->is_directory) return;
      }
    }
    fail(req, resp, "rename");
  }

  /// Deletes a file, or a directory with everything under it when recursive; false if there was nothing.
  bool remove_path(std::string_view path, bool recursive = false) const {
    std::string continuation;
    std::set<std::string> seen;  // as in list(): a repeated token would loop forever
    bool existed = false;
    do {
      std::vector<std::pair<std::string, std::string>> q{{"recursive", recursive ? "true" : "false"}};
      if (!continuation.empty()) q.emplace_back("continuation", continuation);
      const auto resp = send(make(service::dfs, "DELETE", path, std::move(q)), "delete", {200, 202, 404});
      if (resp.status == 404) return existed;
      existed = true;
      continuation = std::string(resp.headers.get("x-ms-continuation").value_or(""));
      if (!continuation.empty() && !seen.insert(continuation).second)
        throw azure_error("delete: the service repeated the continuation token '" + continuation + "'");
    } while (!continuation.empty());
    return true;
  }

 private:
  void create_path(std::string_view path, std::string_view resource, bool overwrite) const {
    auto req = make(service::dfs, "PUT", path, {{"resource", std::string(resource)}});
    if (!overwrite) req.headers.set("If-None-Match", "*");
    (void)send(req, resource == "file" ? "create file" : "create directory", {201});
  }
};

}  // namespace hqml::azure
