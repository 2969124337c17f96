#pragma once
// The Blob service for one container: create/delete the container; put a small blob in one request; stage
// blocks and commit a block list (the way large blobs are written: blocks stay invisible until committed, so
// an upload that fails leaves no object); properties, ranged reads, listing, delete.
// Writing the final name is guarded by If-None-Match: * unless overwrite is asked for: hqml never replaces a
// blob it did not write.

#include <hqml/azure/redact.hpp>
#include <hqml/azure/service.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace hqml::azure {

struct object_properties {
  std::uint64_t size = 0;
  std::string etag;
  bool is_directory = false;
};

struct blob_item {
  std::string name;
  std::uint64_t size = 0;
};

namespace detail {

inline std::uint64_t parse_size(std::string_view s, std::string_view what) {
  const auto v = parse_digits(s);
  if (!v) throw azure_error("storage reply: bad " + std::string(what) + " '" + std::string(s) + "'");
  return *v;
}

// "bytes=OFFSET-LAST" for x-ms-range (length > 0); a range past 2^64 is an error, not a wrapped one.
inline std::string byte_range(std::uint64_t offset, std::uint64_t length) {
  if (length == 0 || length - 1 > UINT64_MAX - offset)
    throw azure_error("read: the range at offset " + std::to_string(offset) + " of " + std::to_string(length) +
                      " bytes is out of range");
  return "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1);
}

// The response-body limit of a ranged read of `length` bytes: the range, or an error body if that is larger.
inline std::size_t range_body_limit(std::uint64_t length) {
  constexpr std::uint64_t error_room = 64 * 1024;
  return static_cast<std::size_t>(std::min<std::uint64_t>(std::max(length, error_room), SIZE_MAX));
}

// Bytes [offset, offset + length) of `path` on `svc`'s endpoint (Blob's Get Blob and Data Lake's Read are the same
// ranged GET): exactly `length` of them or an error. if_match: an ETag the object must still have.
inline std::string ranged_get(const container_client& c, service svc, std::string_view path, std::uint64_t offset,
                              std::uint64_t length, std::string_view if_match) {
  if (length == 0) return {};
  auto req = c.make(svc, "GET", path);
  req.headers.set("x-ms-range", byte_range(offset, length));
  req.max_response_body = range_body_limit(length);
  if (!if_match.empty()) req.headers.set("If-Match", if_match);
  auto resp = c.send(req, "read", {206, 200});
  if (resp.status == 200 && offset == 0 && resp.body.size() > length) resp.body.resize(length);
  if (resp.body.size() != length)
    throw azure_error("read " + req.base + req.path + ": got " + std::to_string(resp.body.size()) + " bytes of the " +
                          std::to_string(length) + " asked for",
                      resp.status);
  return std::move(resp.body);
}

// Whether a HEAD reply describes a directory (hierarchical namespace): as Data Lake says it, or as the Blob
// endpoint marks it (metadata hdi_isfolder=true).
inline bool reply_is_directory(const http_response& resp) {
  return resp.headers.get("x-ms-resource-type").value_or("") == "directory" ||
         ascii_lower(resp.headers.get("x-ms-meta-hdi_isfolder").value_or("")) == "true";
}

// The metadata name under which hqml marks the blobs it writes with a random id of that write: after an
// ambiguous answer (a retry that meets the blob a first, lost, success created) the id tells "ours" from
// "someone else's".
inline constexpr std::string_view write_id_meta = "x-ms-meta-hqmlwriteid";

}  // namespace detail

class blob_container : public container_client {
 public:
  using container_client::container_client;

  /// Creates the container; an existing one is fine when exist_ok.
  void create(bool exist_ok = true) const {
    const auto r = send(make(service::blob, "PUT", "", {{"restype", "container"}}), "create container",
                        {201, exist_ok ? 409L : 201L});
    (void)r;
  }
  void remove() const {
    (void)send(make(service::blob, "DELETE", "", {{"restype", "container"}}), "delete container", {202});
  }

  /// One request: for small blobs only (the writer stages blocks for anything larger than a chunk).
  /// write_id: when given, stored as the blob's metadata; a conditional write refused (409/412) is then a
  /// success when the blob carries this id (an earlier try of this very write succeeded, its answer was lost).
  void put_blob(std::string_view path, std::string_view data, bool overwrite = false,
                std::string_view write_id = {}) const {
    auto req = make(service::blob, "PUT", path);
    req.headers.set("x-ms-blob-type", "BlockBlob");
    req.headers.set("Content-Type", "application/octet-stream");
    if (!overwrite) req.headers.set("If-None-Match", "*");
    if (!write_id.empty()) req.headers.set(detail::write_id_meta, write_id);
    req.body = data;
    const auto resp = send(req, "put blob", {201, 409, 412});
    if (resp.status != 201 && !(!overwrite && written_by(path, write_id))) fail(req, resp, "put blob");
  }

  /// Whether the blob at `path` carries `write_id` (put_blob, put_block_list); false for an empty id.
  [[nodiscard]] bool written_by(std::string_view path, std::string_view write_id) const {
    if (write_id.empty()) return false;
    const auto resp = send(make(service::blob, "HEAD", path), "get properties", {200, 404});
    return resp.status == 200 && resp.headers.get(detail::write_id_meta).value_or("") == write_id;
  }

  /// Stages one block (invisible until put_block_list). block_id: base64, the same length for all blocks of
  /// a blob.
  void put_block(std::string_view path, std::string_view block_id, std::string_view data) const {
    auto req = make(service::blob, "PUT", path, {{"comp", "block"}, {"blockid", std::string(block_id)}});
    req.headers.set("Content-Type", "application/octet-stream");
    req.body = data;
    (void)send(req, "put block", {201});
  }

  /// Commits the staged blocks, in this order, as the blob's content: the moment the blob appears whole.
  /// write_id: as for put_blob (a refusal of our own earlier, successful try is a success).
  void put_block_list(std::string_view path, const std::vector<std::string>& block_ids, bool overwrite = false,
                      std::string_view write_id = {}) const {
    std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    for (const auto& id : block_ids) xml += "<Latest>" + detail::xml_escape(id) + "</Latest>";
    xml += "</BlockList>";
    auto req = make(service::blob, "PUT", path, {{"comp", "blocklist"}});
    req.headers.set("Content-Type", "application/xml");
    if (!overwrite) req.headers.set("If-None-Match", "*");
    if (!write_id.empty()) req.headers.set(detail::write_id_meta, write_id);
    req.body = xml;
    const auto resp = send(req, "commit block list", {201, 409, 412});
    if (resp.status != 201 && !(!overwrite && written_by(path, write_id))) fail(req, resp, "commit block list");
  }

  /// nullopt when the blob does not exist.
  [[nodiscard]] std::optional<object_properties> properties(std::string_view path) const {
    const auto resp = send(make(service::blob, "HEAD", path), "get properties", {200, 404});
    if (resp.status == 404) return std::nullopt;
    object_properties p;
    p.size = detail::parse_size(resp.headers.get("content-length").value_or(""), "Content-Length");
    p.etag = std::string(resp.headers.get("etag").value_or(""));
    p.is_directory = detail::reply_is_directory(resp);
    return p;
  }

  /// Bytes [offset, offset + length) of the blob; exactly `length` of them or an error. if_match: an ETag
  /// the blob must still have (a blob replaced mid-read fails instead of mixing two versions).
  [[nodiscard]] std::string get_range(std::string_view path, std::uint64_t offset, std::uint64_t length,
                                      std::string_view if_match = {}) const {
    return detail::ranged_get(*this, service::blob, path, offset, length, if_match);
  }

  /// Blob names under `prefix` (all pages), with their sizes; directories (hierarchical namespace) left out.
  [[nodiscard]] std::vector<blob_item> list(std::string_view prefix = {}) const {
    std::vector<blob_item> out;
    std::string marker;
    std::set<std::string> seen;  // continuation markers already followed: a repeat would loop forever
    do {
      std::vector<std::pair<std::string, std::string>> q{
          {"restype", "container"}, {"comp", "list"}, {"include", "metadata"}};
      if (!prefix.empty()) q.emplace_back("prefix", std::string(prefix));
      if (!marker.empty()) q.emplace_back("marker", marker);
      const auto resp = send(make(service::blob, "GET", "", std::move(q)), "list blobs", {200});
      std::size_t pos = 0;
      while (true) {
        // The element raw, its fields decoded once each (a name "R&amp;amp;D" is "R&amp;D", not "R&D").
        const std::string_view blob = detail::xml_element(resp.body, "Blob", &pos);
        if (blob.empty()) break;
        // On an account with a hierarchical namespace, directories are listed too: not objects, skipped.
        if (detail::xml_text(blob, "ResourceType") == "directory" || detail::xml_text(blob, "hdi_isfolder") == "true")
          continue;
        blob_item item;
        item.name = detail::xml_text(blob, "Name");
        const std::string len = detail::xml_text(blob, "Content-Length");
        item.size = len.empty() ? 0 : detail::parse_size(len, "Content-Length");
        out.push_back(std::move(item));
      }
      marker = detail::xml_text(resp.body, "NextMarker");
      if (!marker.empty() && !seen.insert(marker).second)
        throw azure_error("list blobs: the service repeated the continuation marker '" + marker + "'");
    } while (!marker.empty());
    return out;
  }

  /// false when there was nothing to delete.
  bool remove_blob(std::string_view path) const {
    return send(make(service::blob, "DELETE", path), "delete blob", {202, 404}).status == 202;
  }
};

}  // namespace hqml::azure
