#pragma once
// Storage URIs wherever the hqml program takes an input or output path (hqml run, prep, train, predict, kernel,
// serve --model): abfss://FS@ACCOUNT.dfs.core.windows.net/PATH, https://ACCOUNT.blob.core.windows.net/C/PATH[?SAS]
// and azureml://datastores/NAME/paths/PATH, through the Azure storage adapter (adapters/hqml/azure/, hqml::azure).
// The commands keep working on local files; this header turns a URI into one:
//   input_file(opt, value)   a remote file streamed in chunks to a private temporary folder (mode 0700), removed
//                            when the object is destroyed
//   input_dir(opt, value)    a remote folder (a model, a transform): listed, each file downloaded the same way;
//                            a Blob folder must carry publish_directory's marker (published completely)
//   output_dir(opt, value)   a local temporary folder to write into; publish() hands it to publish_directory
//                            (atomic: all or nothing remotely); an existing remote output is refused up front
//   output_file(opt, value)  the same for one file, published by the adapter's writer (If-None-Match: *)
// A local value passes through unchanged (path() is the value, publish() does nothing). Errors name the option
// and the URI with its secrets redacted (the adapter's redact()). Without hqml::azure (no libcurl) a URI is
// refused in one line.

#include "commands.hpp"

#include <hqml/error.hpp>

#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#if HQML_HAVE_AZURE
#include <hqml/azure/storage.hpp>
#endif

namespace hqml::cli::remote {

namespace fs = std::filesystem;

/// Whether `value` is a storage URI rather than a local path.
[[nodiscard]] inline bool is_uri(std::string_view value) {
  std::string head(value.substr(0, 12));
  std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const std::string_view scheme : {"abfss://", "abfs://", "https://", "azureml://"})
    if (head.starts_with(scheme)) return true;
  return false;
}

/// What an option's value is called in messages: a URI with its secrets masked, a local path as it is.
[[nodiscard]] inline std::string shown(std::string_view value) {
#if HQML_HAVE_AZURE
  if (is_uri(value)) return azure::redact(value, 500);
#endif
  return printable(std::string(value));
}

namespace detail {

[[noreturn]] inline void no_adapter(const std::string& opt) {
  throw usage_error(opt + ": hqml was built without the Azure storage adapter (libcurl)");
}

/// A private temporary folder (mkdtemp: mode 0700) under $TMPDIR, removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "hqml-remote-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      throw fs::filesystem_error("cannot create a temporary folder", fs::path(tmpl),
                                 std::error_code(errno, std::generic_category()));
    path_ = tmpl;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

#if HQML_HAVE_AZURE

/// The one storage client of the process (configured from the environment on first use).
inline azure::storage_client& client() {
  static azure::storage_client c;
  return c;
}

/// The last segment of a location's path: the local name of what it names (a data set's file name stays the
/// same, so that what the commands record of it reads as for a local file).
inline std::string base_name(const azure::location& loc) {
  std::string p = loc.path;
  while (!p.empty() && p.back() == '/') p.pop_back();
  const auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

/// A URI naming `loc` (the canonical abfss:// or https:// form, its SAS kept): what open_read takes.
inline std::string uri_of(const azure::location& loc) {
  const std::string path = azure::url_encode(loc.path, true);
  std::string u = loc.kind == azure::service::dfs
                      ? "abfss://" + loc.container + "@" + loc.account + ".dfs." + loc.endpoint_suffix + "/" + path
                      : "https://" + loc.account + ".blob." + loc.endpoint_suffix + "/" + loc.container + "/" + path;
  if (!loc.sas.empty()) u += "?" + loc.sas;
  return u;
}

/// Streams the object at `uri` into `file` (chunks of at most 1 MiB in hand; the adapter reads ahead in
/// parallel ranged chunks).
inline void download(const std::string& uri, const fs::path& file) {
  const auto in = client().open_read(uri);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out)
    throw fs::filesystem_error("cannot write a temporary file", file, std::make_error_code(std::errc::io_error));
  std::string buf(std::size_t{1} << 20, '\0');
  while (*in) {
    in->read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = in->gcount();
    if (n > 0) out.write(buf.data(), n);
  }
  out.close();
  if (!out)
    throw fs::filesystem_error("cannot write a temporary file (disk full?)", file,
                               std::make_error_code(std::errc::io_error));
}

/// A relative name from a listing, checked: no empty, "." or ".." segments (it becomes a local path).
inline bool safe_relative(std::string_view rel) {
  if (rel.empty()) return false;
  std::size_t start = 0;
  while (start <= rel.size()) {
    const auto slash = rel.find('/', start);
    const std::string_view seg = rel.substr(start, slash == std::string_view::npos ? rel.npos : slash - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

#endif  // HQML_HAVE_AZURE

/// "OPT URI: WHY" with the adapter's prefix ("hqml: ") dropped from WHY.
inline std::string message(const std::string& opt, std::string_view value, std::string why) {
  if (why.starts_with("hqml: ")) why.erase(0, 6);
#if HQML_HAVE_AZURE
  why = azure::redact(why, 1000);
#endif
  return opt + " " + shown(value) + ": " + why;
}

/// Common part of the four kinds: the option, its value, and where it is locally.
class remote_path {
 public:
  remote_path(std::string opt, std::string value) : opt_(std::move(opt)), value_(std::move(value)) {
    remote_ = is_uri(value_);
#if !HQML_HAVE_AZURE
    if (remote_) no_adapter(opt_);
#endif
    if (!remote_) local_ = value_;
  }
  remote_path(const remote_path&) = delete;
  remote_path& operator=(const remote_path&) = delete;

  /// Where the command reads or writes: the local value itself, or the temporary copy.
  [[nodiscard]] const std::string& path() const { return local_; }
  /// The value for records (a manifest's source): a URI redacted, a local path as given.
  [[nodiscard]] std::string display() const { return remote_ ? hqml::cli::remote::shown(value_) : value_; }
  /// The value for messages: a URI redacted, a local path made printable.
  [[nodiscard]] std::string shown() const { return hqml::cli::remote::shown(value_); }
  [[nodiscard]] bool remote() const { return remote_; }
  [[nodiscard]] const std::string& option() const { return opt_; }

 protected:
  std::string opt_, value_, local_;
  bool remote_ = false;
  std::unique_ptr<temp_dir> tmp_;
};

}  // namespace detail

/// An input file: a local path, or a remote object downloaded to a private temporary file for as long as this
/// object lives.
class input_file : public detail::remote_path {
 public:
  input_file(std::string opt, std::string value) : remote_path(std::move(opt), std::move(value)) {
#if HQML_HAVE_AZURE
    if (!remote_) return;
    try {
      const azure::location loc = detail::client().resolve(value_);
      const std::string name = detail::base_name(loc);
      if (name.empty()) throw usage_error("the URI names a container, not a file");
      tmp_ = std::make_unique<detail::temp_dir>();
      local_ = (tmp_->path() / name).string();
      detail::download(value_, local_);
    } catch (const std::exception& e) {
      tmp_.reset();
      throw usage_error(detail::message(opt_, value_, e.what()));
    }
#endif
  }
};

/// An input folder (a model, a transform): local, or every file under a remote folder downloaded.
class input_dir : public detail::remote_path {
 public:
  input_dir(std::string opt, std::string value) : remote_path(std::move(opt), std::move(value)) {
#if HQML_HAVE_AZURE
    if (!remote_) return;
    try {
      auto& c = detail::client();
      azure::location loc = c.resolve(value_);
      while (!loc.path.empty() && loc.path.back() == '/') loc.path.pop_back();
      const std::string name = detail::base_name(loc);
      if (name.empty()) throw usage_error("the URI names a container, not a folder");
      std::vector<std::string> files;  // relative to the folder
      const std::string prefix = loc.path + "/";
      if (loc.kind == azure::service::dfs) {
        const auto p = c.dfs(loc).properties(loc.path);
        if (!p) throw usage_error("no such folder");
        if (!p->is_directory) throw usage_error("a file, not a folder");
        for (const auto& item : c.dfs(loc).list(loc.path, true))
          if (!item.is_directory && item.name.starts_with(prefix)) files.push_back(item.name.substr(prefix.size()));
      } else {
        const auto items = c.blob(loc).list(prefix);
        if (items.empty()) throw usage_error("no such folder");
        // Blob has no atomic folder: publish_directory writes its marker last, so a folder is read only when
        // it, or a folder above it (a run's model/), carries the marker.
        bool marked = false;
        for (azure::location up = loc; !marked && !up.path.empty();) {
          marked = c.published(detail::uri_of(up));
          const auto slash = up.path.rfind('/');
          up.path = slash == std::string::npos ? std::string() : up.path.substr(0, slash);
        }
        if (!marked)
          throw usage_error("not a completely published folder (no " + std::string(azure::published_marker) +
                            " in it or above it)");
        for (const auto& item : items)
          if (item.name.starts_with(prefix) && item.name.substr(prefix.size()) != azure::published_marker)
            files.push_back(item.name.substr(prefix.size()));
      }
      if (files.empty()) throw usage_error("the folder holds no files");
      tmp_ = std::make_unique<detail::temp_dir>();
      const fs::path root = tmp_->path() / name;
      fs::create_directories(root);
      for (const auto& rel : files) {
        if (!detail::safe_relative(rel)) throw usage_error("the folder holds a file named '" + printable(rel) + "'");
        const fs::path dest = root / fs::path(rel);
        fs::create_directories(dest.parent_path());
        detail::download(detail::uri_of(loc.child(rel)), dest);
      }
      local_ = root.string();
    } catch (const std::exception& e) {
      tmp_.reset();
      throw usage_error(detail::message(opt_, value_, e.what()));
    }
#endif
  }
};

namespace detail {

/// An output: refused up front when something exists at the URI (never replaced), written locally, published
/// by publish().
class output_base : public remote_path {
 public:
  output_base(std::string opt, std::string value, bool folder) : remote_path(std::move(opt), std::move(value)) {
#if HQML_HAVE_AZURE
    if (!remote_) return;
    std::string name;
    bool exists = false;
    try {
      auto& c = client();
      azure::location loc = c.resolve(value_);
      while (!loc.path.empty() && loc.path.back() == '/') loc.path.pop_back();
      name = base_name(loc);
      if (name.empty())
        throw usage_error(std::string("the URI names a container, not a ") + (folder ? "folder" : "file"));
      uri_ = uri_of(loc);
      exists = c.stat(uri_).has_value();
      if (!exists && folder && loc.kind == azure::service::blob) exists = !c.blob(loc).list(loc.path + "/").empty();
    } catch (const std::exception& e) {
      throw usage_error(message(opt_, value_, e.what()));
    }
    if (exists)
      throw usage_error(
          message(opt_, value_,
                  "exists already in storage; hqml never replaces a remote output (choose another " + opt_ + ")"));
    tmp_ = std::make_unique<temp_dir>();
    local_ = (tmp_->path() / name).string();
#else
    (void)folder;
#endif
  }

 protected:
  std::string uri_;  // the canonical URI (its SAS kept)
};

}  // namespace detail

/// An output folder: local as given, or a temporary folder published whole by publish() (Data Lake: one atomic
/// rename; Blob: the marker last). A failure leaves nothing final remotely; the temporary goes either way.
class output_dir : public detail::output_base {
 public:
  output_dir(std::string opt, std::string value) : output_base(std::move(opt), std::move(value), true) {}
  void publish() {
#if HQML_HAVE_AZURE
    if (!remote_) return;
    try {
      detail::client().publish_directory(local_, uri_);
    } catch (const std::exception& e) {
      tmp_.reset();
      throw std::runtime_error(detail::message(opt_, value_, std::string("not published: ") + e.what()));
    }
    tmp_.reset();
#endif
  }
};

/// An output file: local as given, or a temporary file uploaded by publish() (If-None-Match: *: an object that
/// appeared meanwhile is not replaced; a failed upload leaves no object).
class output_file : public detail::output_base {
 public:
  output_file(std::string opt, std::string value) : output_base(std::move(opt), std::move(value), false) {}
  void publish() {
#if HQML_HAVE_AZURE
    if (!remote_) return;
    try {
      const auto w = detail::client().open_write(uri_);
      std::ifstream in(local_, std::ios::binary);
      if (!in) throw std::runtime_error("cannot read the temporary file");
      std::string buf(std::size_t{1} << 20, '\0');
      while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (in.gcount() > 0) w->write(std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())));
      }
      if (in.bad()) throw std::runtime_error("cannot read the temporary file");
      w->commit();
    } catch (const std::exception& e) {
      tmp_.reset();
      throw std::runtime_error(detail::message(opt_, value_, std::string("not published: ") + e.what()));
    }
    tmp_.reset();
#endif
  }
};

}  // namespace hqml::cli::remote
