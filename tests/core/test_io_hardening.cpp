// The input and output guards every hqml program relies on: bounded reads, output paths checked before the
// work, one writer per output with stale temporaries of killed writers removed, names printed safely, and
// shot counts drawn in bounded memory.
#include <catch2/catch.hpp>

#include <hqml/error.hpp>
#include <hqml/io/atomic_file.hpp>
#include <hqml/io/output_lock.hpp>
#include <hqml/io/read_file.hpp>
#include <hqml/learn/min_max_scaler.hpp>
#include <hqml/learn/standard_scaler.hpp>
#include <hqml/shots.hpp>

#include "common/files.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using hqml::test::temp_dir;

TEST_CASE("input files are read whole up to a limit", "[io][errors]") {
  temp_dir d("read");
  { std::ofstream(d.path / "a.txt") << "hello\n"; }
  CHECK(hqml::io::read_input_file(d.path / "a.txt") == "hello\n");
  CHECK(hqml::io::read_input_file(d.path / "a.txt", 6) == "hello\n");
  try {
    (void)hqml::io::read_input_file(d.path / "a.txt", 5);
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::file_too_large);
    CHECK_THAT(e.what(), Catch::Contains("a.txt': larger than the input limit of 5 bytes"));
  }
  // A stream without a size (the kernel's zero device) is cut at the limit, not read forever.
  if (::access("/dev/zero", R_OK) == 0)
    CHECK_THROWS_WITH(hqml::io::read_input_file("/dev/zero", 1 << 20),
                      Catch::Contains("'/dev/zero': larger than the input limit of 1 MiB"));
  try {
    (void)hqml::io::read_input_file(d.path / "missing.txt");
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::no_such_file_or_directory);
    CHECK_THAT(e.what(), Catch::Contains("missing.txt': cannot open"));
  }
  CHECK_THROWS_WITH(hqml::io::read_input_file(d.path), Catch::Contains("is a directory"));
  ::setenv("HQML_MAX_INPUT_BYTES", "3", 1);
  CHECK(hqml::io::max_input_bytes() == 3);
  CHECK_THROWS_WITH(hqml::io::read_input_file(d.path / "a.txt"), Catch::Contains("limit of 3 bytes"));
  ::setenv("HQML_MAX_INPUT_BYTES", "-1", 1);  // not a size: the default
  CHECK(hqml::io::max_input_bytes() == (std::uint64_t{1} << 30));
  ::unsetenv("HQML_MAX_INPUT_BYTES");
}

TEST_CASE("output paths are checked before any work", "[io][errors]") {
  temp_dir d("outpath");
  CHECK_NOTHROW(hqml::io::check_output_path(d.path / "new.npy"));
  { std::ofstream(d.path / "old.npy") << "x"; }
  CHECK_NOTHROW(hqml::io::check_output_path(d.path / "old.npy"));
  CHECK_THROWS_WITH(hqml::io::check_output_path(d.path), Catch::Contains("is a directory"));
  CHECK_THROWS_WITH(hqml::io::check_output_path(d.path / "missing" / "k.npy"),
                    Catch::Contains("the folder of this output does not exist"));
  { std::ofstream(d.path / "file") << "x"; }
  CHECK_THROWS_WITH(hqml::io::check_output_path(d.path / "file" / "k.npy"), Catch::Contains("folder"));
  CHECK(d.entries() == 2);  // checking wrote nothing
}

TEST_CASE("one writer per output, a killed writer's temporaries are removed", "[io][errors]") {
  temp_dir d("lock");
  const fs::path out = d.path / "run";
  {
    hqml::io::output_lock lock(out);
    CHECK(fs::exists(d.path / ".run.lock"));
    // A second writer of the same output is refused at once and told who holds it.
    try {
      hqml::io::output_lock again(out);
      FAIL("a second lock was granted");
    } catch (const hqml::io::output_busy& e) {
      CHECK_THAT(e.what(), Catch::Contains("pid " + std::to_string(::getpid())));
    }
    // Another output in the same folder is not blocked.
    CHECK_NOTHROW(hqml::io::output_lock(d.path / "other"));
  }
  CHECK_FALSE(fs::exists(d.path / ".run.lock"));  // removed by its holder
  // Temporaries of a process that is gone are stale; those of a live process and other files are kept.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  REQUIRE(child > 0);
  ::waitpid(child, nullptr, 0);
  const std::string dead = std::to_string(child), alive = std::to_string(::getppid());
  fs::create_directories(d.path / (".run.tmpdir." + dead + ".0") / "model");
  { std::ofstream(d.path / (".run.tmp." + dead + ".3")) << "half"; }
  fs::create_directories(d.path / (".run.tmpdir." + alive + ".0"));
  fs::create_directories(d.path / (".other.tmpdir." + dead + ".0"));
  { std::ofstream(d.path / (".run.notes." + dead + ".0")) << "mine"; }
  hqml::io::output_lock lock(out);
  CHECK(lock.remove_stale_temporaries() == 2);
  CHECK_FALSE(fs::exists(d.path / (".run.tmpdir." + dead + ".0")));
  CHECK_FALSE(fs::exists(d.path / (".run.tmp." + dead + ".3")));
  CHECK(fs::exists(d.path / (".run.tmpdir." + alive + ".0")));
  CHECK(fs::exists(d.path / (".other.tmpdir." + dead + ".0")));
  CHECK(fs::exists(d.path / (".run.notes." + dead + ".0")));
}

TEST_CASE("names are printed safely: control bytes escaped, long ones shortened", "[errors]") {
  CHECK(hqml::printable("plain.csv") == "plain.csv");
  CHECK(hqml::printable("a\x1b[2J\x01z") == "a\\x1b[2J\\x01z");
  CHECK(hqml::printable("caf\xc3\xa9") == "caf\\xc3\\xa9");
  const std::string long_name(100000, 'a');
  const std::string p = hqml::printable(long_name);
  CHECK(p.size() < 200);
  CHECK_THAT(p, Catch::Contains("...(99840 bytes)..."));
  CHECK_THAT(hqml::parse_error("x\ny", 1, 2, "bad").what(), Catch::StartsWith("x\\x0ay:1:2: bad"));
}

TEST_CASE("shot counts beyond one block keep their total and their distribution", "[shots]") {
  hqml::circuit c(1, 1);
  c.h(0);
  c.measure(0, 0);
  const std::size_t shots = 2000 * 20 + 123;
  const auto counts = hqml::sample_counts<double>(c, shots, {.seed = 9, .shots_per_block = 2000});
  REQUIRE(counts.size() == 2);
  CHECK(counts.at("0") + counts.at("1") == shots);
  // Binomial(n, 1/2): six standard deviations.
  const double sd = std::sqrt(static_cast<double>(shots) / 4);
  CHECK(std::abs(static_cast<double>(counts.at("0")) - static_cast<double>(shots) / 2) < 6 * sd);
  // Blocks draw from different streams: were the second block a repeat of the first, the counts of two blocks
  // over 16 equally likely outcomes would be exactly twice those of one.
  hqml::circuit u(4, 4);
  for (std::uint32_t q = 0; q < 4; ++q) u.h(q);
  const auto one = hqml::sample_counts<double>(u, 2000, {.seed = 9, .shots_per_block = 2000});
  const auto two = hqml::sample_counts<double>(u, 4000, {.seed = 9, .shots_per_block = 2000});
  std::size_t doubled = 0;
  for (const auto& [bits, n] : two) doubled += one.count(bits) && n == 2 * one.at(bits);
  CHECK(doubled < 16);
  std::size_t total = 0;
  for (const auto& [bits, n] : two) total += n;
  CHECK(total == 4000);
  // Up to one block, the counts are those of a single draw with the seed itself, whatever the block size.
  const auto small = hqml::sample_counts<double>(c, 1000, {.seed = 9});
  CHECK(small.at("0") + small.at("1") == 1000);
  CHECK(small == hqml::sample_counts<double>(c, 1000, {.seed = 9, .shots_per_block = 1000}));
  // The default block holds about a million shots (24 MB of outcomes and their draws at a time).
  CHECK(hqml::shot_options{}.shots_per_block == (std::size_t{1} << 20));
}

TEST_CASE("standardizing keeps denormal and huge columns varying and finite", "[learn][errors]") {
  // Sums of squares of these underflow to 0 or overflow to inf; the scaled columns must still be z-scores.
  for (const double unit : {1e-311, 1e-160, 1.0, 1e200, 1e300}) {
    Eigen::MatrixXd x(4, 1);
    x << 1 * unit, 2 * unit, 3 * unit, 4 * unit;
    const Eigen::MatrixXd z = hqml::learn::standard_scaler().fit_transform(x);
    INFO("unit " << unit);
    REQUIRE(z.allFinite());
    const double sd = std::sqrt(1.25);  // population deviation of 1, 2, 3, 4
    CHECK(z(0, 0) == Approx(-1.5 / sd).epsilon(1e-6));
    CHECK(z(3, 0) == Approx(1.5 / sd).epsilon(1e-6));
  }
  Eigen::MatrixXd wide(2, 1);
  wide << -1.7e308, 1.7e308;
  CHECK_THROWS_WITH(hqml::learn::standard_scaler().fit(wide), Catch::Contains("spans more than the largest double"));
  // A min-max range whose reciprocal overflows is no range: finite output.
  Eigen::MatrixXd tiny(2, 1);
  tiny << 0.0, 1e-320;
  CHECK(hqml::learn::min_max_scaler(0.0, 3.14).fit_transform(tiny).allFinite());
}
