// Throughput of the Azure storage adapter (hqml::azure): writes N bytes from a deterministic generator through
// storage_client::open_write, reads them back through open_read, checks that the bytes read hash to what was
// written, and prints one JSON line with the times and MB/s (MB = 10^6 bytes). benchmarks/azure_storage.sh runs it
// against the loopback storage server beside the Python SDK (benchmarks/peers/azure_storage_peer.py).
//
//   azure_storage_bench --uri URI [--bytes N] [--seed S] [--chunk-mib M] [--parallelism P]
//                       [--mode stream|memory] [--keep]
//
// The client is configured from the environment (config::from_env: HQML_AZURE_STORAGE_ENDPOINT, AZURE_STORAGE_KEY);
// --chunk-mib and --parallelism override its chunk size (default 4 MiB) and chunks in flight (default 4). The
// container (Blob) or file system (abfss://) is created if missing; the object is replaced if it exists and deleted
// after the read unless --keep. --mode stream (the default, reported as "hqml-stream"): the data is generated and
// hashed while it streams, memory stays at a few chunks, and the times include generating and hashing. --mode memory
// (reported as "hqml"): as the Python SDK is used, the whole object is generated in memory before the clock starts
// and read back into memory, hashed after the clock stops; the Python peer's times exclude generating and comparing
// too.
#include <hqml/azure/storage.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace {

// splitmix64: a counter-based generator, so any piece of the stream is reproducible from (seed, word index).
std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Fills out with the generator's bytes [offset, offset + n); offset and n multiples of 8 except at the end.
void generate(std::uint64_t seed, std::uint64_t offset, char* out, std::size_t n) {
  std::uint64_t word = offset / 8;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8, ++word) {
    const std::uint64_t v = splitmix(seed ^ (word * 0xd1342543de82ef95ULL));
    std::memcpy(out + i, &v, 8);
  }
  if (i < n) {
    const std::uint64_t v = splitmix(seed ^ (word * 0xd1342543de82ef95ULL));
    std::memcpy(out + i, &v, n - i);
  }
}

// A fast order-dependent 64-bit hash of a byte stream (not cryptographic: it detects lost, repeated, reordered
// or corrupted chunks, which is what the check needs, without the hash costing as much as the transfer).
class stream_hash {
 public:
  void update(const char* p, std::size_t n) {
    // Complete a partial word first, then whole words, then keep the rest for the next call.
    while (n > 0 && tail_n_ > 0) {
      tail_[tail_n_++] = *p++;
      --n;
      if (tail_n_ == 8) mix_tail();
    }
    for (; n >= 8; p += 8, n -= 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, p, 8);
      mix(w);
    }
    std::memcpy(tail_, p, n);
    tail_n_ = n;
  }
  [[nodiscard]] std::uint64_t finish() {
    std::uint64_t w = 0;
    std::memcpy(&w, tail_, tail_n_);
    mix(w ^ (static_cast<std::uint64_t>(tail_n_) << 56));
    return splitmix(h_ ^ count_);
  }

 private:
  void mix_tail() {
    std::uint64_t w = 0;
    std::memcpy(&w, tail_, 8);
    tail_n_ = 0;
    mix(w);
  }
  void mix(std::uint64_t w) {
    h_ = (h_ ^ (w * 0x9fb21c651e98df25ULL)) * 0xc6a4a7935bd1e995ULL;
    h_ ^= h_ >> 29;
    ++count_;
  }
  std::uint64_t h_ = 0x243f6a8885a308d3ULL;
  std::uint64_t count_ = 0;
  char tail_[8] = {};
  std::size_t tail_n_ = 0;
};

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "azure_storage_bench: %s\nusage: azure_storage_bench --uri URI [--bytes N] [--seed S] [--chunk-mib M] "
               "[--parallelism P] [--mode stream|memory] [--keep]\n",
               why.c_str());
  std::exit(2);
}

std::uint64_t number(const char* flag, const char* v) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 10);
  if (end == v || *end != '\0') usage(std::string(flag) + " wants a non-negative integer, not '" + v + "'");
  return n;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Wall-clock seconds since the epoch: azure_storage.sh matches them with its samples of the server's CPU time.
double epoch_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string uri;
  std::uint64_t bytes = std::uint64_t{1} << 30, seed = 1;
  std::uint64_t chunk_mib = 0, parallelism = 0;
  bool keep = false, memory = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "--uri") {
      uri = value();
    } else if (a == "--bytes") {
      bytes = number("--bytes", value());
    } else if (a == "--seed") {
      seed = number("--seed", value());
    } else if (a == "--chunk-mib") {
      chunk_mib = number("--chunk-mib", value());
    } else if (a == "--parallelism") {
      parallelism = number("--parallelism", value());
    } else if (a == "--mode") {
      const std::string_view m = value();
      if (m != "memory" && m != "stream") usage("--mode is memory or stream, not '" + std::string(m) + "'");
      memory = m == "memory";
    } else if (a == "--keep") {
      keep = true;
    } else {
      usage("unknown argument '" + std::string(a) + "'");
    }
  }
  if (uri.empty()) usage("--uri is required");
  try {
    auto cfg = hqml::azure::config::from_env();
    if (chunk_mib != 0) cfg.chunk_size = static_cast<std::size_t>(chunk_mib) << 20;
    if (parallelism != 0) cfg.parallelism = static_cast<unsigned>(parallelism);
    hqml::azure::storage_client client(cfg);
    const auto loc = client.resolve(uri);
    const bool dfs = loc.kind == hqml::azure::service::dfs;
    if (dfs) {
      client.dfs(loc).create();
    } else {
      client.blob(loc).create();
    }

    stream_hash written, read;
    std::uint64_t got = 0;
    double write_t0 = 0, write_t1 = 0, read_t0 = 0, read_t1 = 0, write_s = 0, read_s = 0, prepare_s = 0;
    if (memory) {
      // As the Python SDK is used (upload_blob(bytes), download_blob().readall()): the whole object in memory,
      // generated and hashed before the clock starts, read back into memory and hashed after it stops.
      const auto t_prep = std::chrono::steady_clock::now();
      std::string data(static_cast<std::size_t>(bytes), '\0');
      generate(seed, 0, data.data(), data.size());
      written.update(data.data(), data.size());
      prepare_s = seconds_since(t_prep);
      write_t0 = epoch_now();
      const auto t_write = std::chrono::steady_clock::now();
      {
        auto w = client.open_write(uri, hqml::azure::write_options{true});
        w->write(data);
        w->commit();
      }
      write_s = seconds_since(t_write);
      write_t1 = epoch_now();
      data = std::string();                                     // release it before the read allocates its own
      std::string back(static_cast<std::size_t>(bytes), '\0');  // allocated (and its pages touched) untimed
      read_t0 = epoch_now();
      const auto t_read = std::chrono::steady_clock::now();
      {
        auto in = client.open_read(uri);
        if (in->size() != bytes)
          throw hqml::azure::azure_error("the object has " + std::to_string(in->size()) + " bytes, not " +
                                         std::to_string(bytes));
        in->read(back.data(), static_cast<std::streamsize>(back.size()));
        got = static_cast<std::uint64_t>(in->gcount());
        if (in->peek() != std::char_traits<char>::eof()) ++got;  // more bytes than the object's size: a failure
      }
      read_s = seconds_since(t_read);
      read_t1 = epoch_now();
      read.update(back.data(), static_cast<std::size_t>(std::min<std::uint64_t>(got, back.size())));
    } else {
      // Streaming: generating, hashing and the transfer all timed; memory stays at a few chunks.
      constexpr std::size_t piece = std::size_t{1} << 20;
      std::vector<char> buf(piece);
      write_t0 = epoch_now();
      const auto t_write = std::chrono::steady_clock::now();
      {
        auto w = client.open_write(uri, hqml::azure::write_options{true});
        for (std::uint64_t off = 0; off < bytes; off += piece) {
          const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(piece, bytes - off));
          generate(seed, off, buf.data(), n);
          written.update(buf.data(), n);
          w->write(std::string_view(buf.data(), n));
        }
        w->commit();
      }
      write_s = seconds_since(t_write);
      write_t1 = epoch_now();
      read_t0 = epoch_now();
      const auto t_read = std::chrono::steady_clock::now();
      {
        auto in = client.open_read(uri);
        while (true) {
          in->read(buf.data(), static_cast<std::streamsize>(buf.size()));
          const auto n = static_cast<std::size_t>(in->gcount());
          if (n == 0) break;
          read.update(buf.data(), n);
          got += n;
        }
      }
      read_s = seconds_since(t_read);
      read_t1 = epoch_now();
    }

    if (!keep) {
      if (dfs) {
        client.dfs(loc).remove_path(loc.path);
      } else {
        (void)client.blob(loc).remove_blob(loc.path);
      }
    }
    const std::uint64_t hw = written.finish(), hr = read.finish();
    const bool ok = got == bytes && hw == hr;
    std::printf(
        "{\"tool\":\"%s\",\"service\":\"%s\",\"prepare_s\":%.4f,\"bytes\":%llu,\"chunk_bytes\":%zu,\"parallelism\":%u,"
        "\"write_s\":%.4f,\"write_MBps\":%.1f,\"read_s\":%.4f,\"read_MBps\":%.1f,\"hash_written\":\"%s\","
        "\"hash_read\":\"%s\",\"bytes_read\":%llu,\"verified\":%s,\"write_t0\":%.3f,\"write_t1\":%.3f,"
        "\"read_t0\":%.3f,\"read_t1\":%.3f}\n",
        memory ? "hqml" : "hqml-stream", dfs ? "dfs" : "blob", prepare_s, static_cast<unsigned long long>(bytes),
        cfg.chunk_size, cfg.parallelism, write_s, static_cast<double>(bytes) / write_s / 1e6, read_s,
        static_cast<double>(bytes) / read_s / 1e6, hex(hw).c_str(), hex(hr).c_str(),
        static_cast<unsigned long long>(got), ok ? "true" : "false", write_t0, write_t1, read_t0, read_t1);
    if (!ok) {
      std::fprintf(stderr, "azure_storage_bench: the bytes read back differ from those written\n");
      return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "azure_storage_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
