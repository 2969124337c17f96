#pragma once
// The Azure storage client hqml uses: one object for Blob and Data Lake locations, from a URI
// (uri.hpp: abfss://, https:// with or without SAS, azureml://), authorized as credential.hpp describes.
//   open_read(uri)                  a std::istream over the object, read in parallel ranged chunks
//   open_write(uri)                 a writer that publishes the object atomically on commit():
//                                     Blob: blocks staged, then one Put Block List (If-None-Match: *);
//                                     Data Lake: written to a temporary file beside it, flushed, renamed
//                                     onto the final name (If-None-Match: *);
//                                   an upload that fails or is abandoned leaves no final object (Data Lake:
//                                   the temporary file is deleted; Blob: blocks stay uncommitted, and the
//                                   service discards them)
//   publish_directory(dir, uri)     a local directory (a saved model) published as a whole:
//                                     Data Lake: uploaded under a temporary directory, then renamed in one
//                                     atomic operation: a reader sees no directory or the whole one;
//                                     Blob (no directories, no rename): every file's blocks are staged first,
//                                     then committed, then a marker object "<dir>/.hqml-published" last;
//                                     readers of a Blob location check published() before reading.
// Nothing existing is replaced unless overwrite is asked for. A publishing step whose answer was lost although
// it succeeded (the retry meets its own result) counts as done: Blob commits carry a random write id
// (metadata hqmlwriteid) that tells our blob from another's; a Data Lake rename that finds its source gone
// checks that the destination is there. A failed Blob publish removes what it wrote, the marker first.

#include <hqml/azure/blob.hpp>
#include <hqml/azure/config.hpp>
#include <hqml/azure/credential.hpp>
#include <hqml/azure/crypto.hpp>
#include <hqml/azure/datalake.hpp>
#include <hqml/azure/http.hpp>
#include <hqml/azure/redact.hpp>
#include <hqml/azure/stream.hpp>
#include <hqml/azure/uri.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hqml::azure {

struct write_options {
  bool overwrite = false;  // replace an existing object (never done otherwise)
};

inline constexpr std::string_view published_marker = ".hqml-published";

namespace detail {

inline std::string random_hex(std::size_t n) {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += hex[gen() & 15];
  return out;
}

inline std::pair<std::string, std::string> split_parent(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return {std::string(), std::string(path)};
  return {std::string(path.substr(0, slash)), std::string(path.substr(slash + 1))};
}

// A temporary name beside `path`: "PARENT/.NAME.hqml-tmp-RANDOM".
inline std::string temp_sibling(std::string_view path) {
  auto [parent, name] = split_parent(path);
  const std::string tmp = "." + name + ".hqml-tmp-" + random_hex(16);
  return parent.empty() ? tmp : parent + "/" + tmp;
}

class blob_target final : public upload_target {
 public:
  blob_target(blob_container c, std::string path, write_options o)
      : c_(std::move(c)), path_(std::move(path)), o_(o), prefix_("hqml-" + random_hex(8) + "-") {}
  void upload(std::size_t index, std::uint64_t, std::string_view data) override {
    c_.put_block(path_, id(index), data);
  }
  void commit(std::size_t count, std::uint64_t, std::string_view small) override {
    // prefix_ (random) is also the write's id: a retried commit refused because its first try succeeded
    // is recognized as ours.
    if (count == 0) {
      c_.put_blob(path_, small, o_.overwrite, prefix_);
      return;
    }
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < count; ++i) ids.push_back(id(i));
    c_.put_block_list(path_, ids, o_.overwrite, prefix_);
  }
  void abort() noexcept override {}  // staged blocks are never committed; the service discards them

 private:
  [[nodiscard]] std::string id(std::size_t index) const {
    std::string n = std::to_string(index);
    return base64_encode(prefix_ + std::string(8 - std::min<std::size_t>(n.size(), 8), '0') + n);
  }
  blob_container c_;
  std::string path_;
  write_options o_;
  std::string prefix_;
};

// Data Lake: appends to `write_path`; on commit, flush and (when atomic) rename onto `final_path`.
class dfs_target final : public upload_target {
 public:
  dfs_target(datalake_filesystem fs, std::string final_path, bool atomic, write_options o)
      : fs_(std::move(fs)),
        final_(std::move(final_path)),
        write_(atomic ? temp_sibling(final_) : final_),
        atomic_(atomic),
        o_(o) {
    fs_.create_file(write_, !atomic_ ? o_.overwrite : true);
    created_ = true;
  }
  void upload(std::size_t, std::uint64_t offset, std::string_view data) override { fs_.append(write_, offset, data); }
  void commit(std::size_t count, std::uint64_t total, std::string_view small) override {
    if (count == 0 && !small.empty()) fs_.append(write_, 0, small);
    fs_.flush(write_, total, true);
    if (atomic_) fs_.rename(write_, final_, o_.overwrite, total);
    created_ = false;
  }
  void abort() noexcept override {
    if (!created_) return;
    created_ = false;
    try {
      fs_.remove_path(write_);
    } catch (const std::exception& e) {
      fs_.context().pipe->log(std::string("could not delete the temporary file after a failed upload: ") + e.what());
    }
  }
  // Appends at explicit positions may run in parallel (the service orders them by position).
  [[nodiscard]] bool parallel() const override { return true; }

 private:
  datalake_filesystem fs_;
  std::string final_, write_;
  bool atomic_;
  write_options o_;
  bool created_ = false;
};

}  // namespace detail

/// The writer open_write returns: write() then commit(); destroyed uncommitted, it publishes nothing.
using object_writer = chunked_writer;

class storage_client {
 public:
  explicit storage_client(config cfg = config::from_env())
      : cfg_(std::move(cfg)),
        pipe_(std::make_shared<pipeline>(std::make_shared<http_transport>(), cfg_.retry, cfg_.log)) {
    cfg_.register_secrets();
    cfg_.validate();
  }

  [[nodiscard]] const config& settings() const { return cfg_; }
  [[nodiscard]] std::shared_ptr<const pipeline> http() const { return pipe_; }

  [[nodiscard]] location resolve(std::string_view uri) const { return resolve_uri(uri, cfg_.datastores); }

  /// The credential for `loc`: its SAS; else SharedKey when a key is configured (for this account, if
  /// AZURE_STORAGE_ACCOUNT names one); else bearer tokens from the configured chain (shared, cached).
  [[nodiscard]] std::shared_ptr<credential> credential_for(const location& loc) {
    if (!loc.sas.empty()) return std::make_shared<sas_credential>(loc.sas);
    if (!cfg_.storage_key.empty() && (cfg_.storage_account.empty() || cfg_.storage_account == loc.account))
      return std::make_shared<shared_key_credential>(loc.account, cfg_.storage_key);
    const std::lock_guard lock(mutex_);
    if (!bearer_)
      bearer_ =
          std::make_shared<bearer_credential>(default_token_chain(cfg_, pipe_), cfg_.scope, cfg_.token_refresh_margin);
    return bearer_;
  }
  /// The bearer credential in use (nullptr before the first location needed one).
  [[nodiscard]] std::shared_ptr<bearer_credential> bearer() const {
    const std::lock_guard lock(mutex_);
    return bearer_;
  }

  [[nodiscard]] storage_context context_for(const location& loc) {
    return {pipe_, credential_for(loc), cfg_.storage_endpoint};
  }
  [[nodiscard]] blob_container blob(const location& loc) { return {loc, context_for(loc)}; }
  [[nodiscard]] datalake_filesystem dfs(const location& loc) { return {loc, context_for(loc)}; }

  /// Properties of the object at `uri`, nullopt if there is none.
  [[nodiscard]] std::optional<object_properties> stat(std::string_view uri) {
    const location loc = resolve(uri);
    require_path(loc, "stat");
    return loc.kind == service::dfs ? dfs(loc).properties(loc.path) : blob(loc).properties(loc.path);
  }

  /// The object's bytes as a stream, read in parallel ranged chunks (each chunk also checks the ETag seen
  /// when opening: an object replaced mid-read fails instead of mixing versions).
  [[nodiscard]] std::unique_ptr<read_stream> open_read(std::string_view uri) {
    const location loc = resolve(uri);
    require_path(loc, "open_read");
    parallel_reader::fetch_function fetch;
    std::optional<object_properties> p;
    if (loc.kind == service::dfs) {
      auto fs = dfs(loc);
      p = fs.properties(loc.path);
      if (p && p->is_directory) throw azure_error("open_read " + loc.display() + ": it is a directory");
      fetch = [fs, path = loc.path, etag = p ? p->etag : ""](std::uint64_t o, std::uint64_t n) {
        return fs.read(path, o, n, etag);
      };
    } else {
      auto c = blob(loc);
      p = c.properties(loc.path);
      // A Data Lake directory seen through the Blob endpoint is a zero-length blob: not an object to read.
      if (p && p->is_directory) throw azure_error("open_read " + loc.display() + ": it is a directory");
      fetch = [c, path = loc.path, etag = p ? p->etag : ""](std::uint64_t o, std::uint64_t n) {
        return c.get_range(path, o, n, etag);
      };
    }
    if (!p) throw azure_error("open_read " + loc.display() + ": no such object", 404);
    return std::make_unique<read_stream>(
        std::make_unique<parallel_reader>(std::move(fetch), p->size, cfg_.chunk_size, cfg_.parallelism));
  }

  /// A writer for `uri`, published atomically by commit() (see the top of this file).
  [[nodiscard]] std::unique_ptr<object_writer> open_write(std::string_view uri, write_options o = {}) {
    const location loc = resolve(uri);
    require_path(loc, "open_write");
    std::unique_ptr<upload_target> t;
    if (loc.kind == service::dfs) {
      t = std::make_unique<detail::dfs_target>(dfs(loc), loc.path, true, o);
    } else {
      t = std::make_unique<detail::blob_target>(blob(loc), loc.path, o);
    }
    return std::make_unique<object_writer>(std::move(t), cfg_.chunk_size, cfg_.parallelism);
  }

  /// Publishes the regular files under `local_dir` as the directory `uri` (see the top of this file). The
  /// directory must not exist (overwrite is refused for directories: it could not be atomic).
  void publish_directory(const std::filesystem::path& local_dir, std::string_view uri) {
    namespace fs = std::filesystem;
    const location loc = resolve(uri);
    require_path(loc, "publish_directory");
    std::error_code ec;
    if (!fs::is_directory(local_dir, ec))
      throw azure_error("publish_directory: '" + local_dir.string() + "' is not a directory");
    std::vector<std::string> files;
    for (fs::recursive_directory_iterator it(local_dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_symlink()) throw azure_error("publish_directory: '" + it->path().string() + "' is a symbolic link");
      if (it->is_directory()) continue;
      if (!it->is_regular_file())
        throw azure_error("publish_directory: '" + it->path().string() + "' is not a regular file");
      const std::string rel = fs::relative(it->path(), local_dir).generic_string();
      if (const std::string why = check_path(rel); !why.empty())
        throw azure_error("publish_directory: '" + rel + "': " + why);
      files.push_back(rel);
    }
    if (ec) throw azure_error("publish_directory: cannot list '" + local_dir.string() + "': " + ec.message());
    std::sort(files.begin(), files.end());
    if (loc.kind == service::dfs) {
      publish_dfs(local_dir, files, loc);
    } else {
      publish_blob(local_dir, files, loc);
    }
  }

  /// Whether `uri` names a directory published completely (Data Lake: it exists; Blob: its marker exists).
  [[nodiscard]] bool published(std::string_view uri) {
    const location loc = resolve(uri);
    require_path(loc, "published");
    if (loc.kind == service::dfs) return dfs(loc).properties(loc.path).has_value();
    return blob(loc).properties(loc.path + "/" + std::string(published_marker)).has_value();
  }

 private:
  static void require_path(const location& loc, std::string_view what) {
    if (loc.path.empty())
      throw azure_error(std::string(what) + " " + loc.display() + ": the URI names a container, not an object");
  }

  void upload_file(const std::filesystem::path& file, chunked_writer& w) const {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw azure_error("cannot read '" + file.string() + "'");
    std::string buf(std::min<std::size_t>(cfg_.chunk_size, std::size_t{1} << 20), '\0');
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      const auto n = static_cast<std::size_t>(in.gcount());
      if (n > 0) w.write(std::string_view(buf.data(), n));
    }
    if (in.bad()) throw azure_error("error reading '" + file.string() + "'");
  }

  void publish_dfs(const std::filesystem::path& local_dir, const std::vector<std::string>& files, const location& loc) {
    auto fs = dfs(loc);
    if (fs.properties(loc.path))
      throw azure_error("publish_directory " + loc.display() + ": it exists already (not replaced)", 409);
    const std::string tmp = detail::temp_sibling(loc.path);
    try {
      fs.create_directory(tmp);
      for (const auto& rel : files) {
        chunked_writer w(std::make_unique<detail::dfs_target>(fs, tmp + "/" + rel, false, write_options{true}),
                         cfg_.chunk_size, cfg_.parallelism);
        upload_file(local_dir / rel, w);
        w.commit();
      }
      fs.rename(tmp, loc.path, false);  // a lost answer of a successful rename is recognized (datalake.hpp)
    } catch (...) {
      try {
        fs.remove_path(tmp, true);
      } catch (const std::exception& e) {
        pipe_->log(std::string("could not delete the temporary directory after a failed publish: ") + e.what());
      }
      throw;
    }
  }

  void publish_blob(const std::filesystem::path& local_dir, const std::vector<std::string>& files,
                    const location& loc) {
    auto c = blob(loc);
    if (!c.list(loc.path + "/").empty())
      throw azure_error("publish_directory " + loc.display() + ": it exists already (not replaced)", 409);
    // Stage every file's blocks first (invisible), then commit them all, the marker last.
    struct staged {
      std::string path;
      std::vector<std::string> ids;
      std::string small;
      bool whole = false;
    };
    std::vector<staged> all;
    const std::string prefix = "hqml-" + detail::random_hex(8) + "-";
    for (const auto& rel : files) {
      staged s;
      s.path = loc.path + "/" + rel;
      std::ifstream in(local_dir / rel, std::ios::binary);
      if (!in) throw azure_error("cannot read '" + (local_dir / rel).string() + "'");
      std::string chunk(cfg_.chunk_size, '\0');
      for (std::size_t index = 0;; ++index) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        const auto n = static_cast<std::size_t>(in.gcount());
        if (n == 0) break;
        std::string n_str = std::to_string(index);
        const std::string id =
            base64_encode(prefix + std::string(8 - std::min<std::size_t>(n_str.size(), 8), '0') + n_str);
        c.put_block(s.path, id, std::string_view(chunk.data(), n));
        s.ids.push_back(id);
      }
      if (in.bad()) throw azure_error("error reading '" + (local_dir / rel).string() + "'");
      all.push_back(std::move(s));
    }
    // Every blob of this publish carries `prefix` as its write id: a commit refused because an earlier try of
    // it succeeded counts as done, and the rollback removes exactly the blobs this publish wrote, the marker
    // first (a marker left behind would announce a directory that is not there).
    const std::string marker = loc.path + "/" + std::string(published_marker);
    std::vector<std::string> attempted;
    bool marker_attempted = false;
    try {
      for (const auto& s : all) {
        attempted.push_back(s.path);
        if (s.ids.empty()) {
          c.put_blob(s.path, "", false, prefix);
        } else {
          c.put_block_list(s.path, s.ids, false, prefix);
        }
      }
      marker_attempted = true;
      c.put_blob(marker, "", false, prefix);
    } catch (...) {
      if (marker_attempted) attempted.insert(attempted.begin(), marker);
      for (const auto& p : attempted) {
        try {
          if (c.written_by(p, prefix)) c.remove_blob(p);
        } catch (const std::exception& e) {
          pipe_->log(std::string("could not delete a blob after a failed publish: ") + e.what());
        }
      }
      throw;
    }
  }

  config cfg_;
  std::shared_ptr<pipeline> pipe_;
  mutable std::mutex mutex_;
  std::shared_ptr<bearer_credential> bearer_;
};

}  // namespace hqml::azure
