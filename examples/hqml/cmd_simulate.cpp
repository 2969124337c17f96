// hqml simulate [FILE.qasm] [--shots N] [--seed S] [--threads T] [--precision float|double] [--statevector] [--json]
#include "commands.hpp"
#include "device_option.hpp"
#include "remote_paths.hpp"

#include <hqml/error.hpp>
#include <hqml/final_state.hpp>
#include <hqml/qasm.hpp>
#include <hqml/shots.hpp>
#include <hqml/state_vector.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace hqml::cli {
namespace {

struct simulate_options {
  std::string file;
  std::size_t shots = 1024;
  std::uint64_t seed = 0;
  int threads = 0;
  precision_option precision;
  bool statevector = false;
  bool json = false;
  bool no_fusion = false;
  device_option device;
};

// The built-in demo: a 4-qubit GHZ state measured on every qubit (counts split between 0000 and 1111).
circuit demo_circuit() {
  circuit c(4, 4);
  c.h(0);
  for (std::uint32_t q = 0; q < 3; ++q) c.cx(q, q + 1);
  for (std::uint32_t q = 0; q < 4; ++q) c.measure(q, q);
  return c;
}

template <class Real>
int simulate(const simulate_options& o) {
  const std::string where = o.device.check();
  const auto t0 = std::chrono::steady_clock::now();
  // FILE may be a storage URI (remote_paths.hpp): the circuit is downloaded to a private temporary file.
  const remote::input_file file("FILE", o.file);
  const circuit c = o.file.empty() ? demo_circuit() : load_qasm(file.path());
  const std::string name = o.file.empty() ? "built-in GHZ demo (4 qubits)" : file.display();
  if (c.num_qubits() == 0)
    throw usage_error(printable(name) +
                      ": declares no qubits (an empty file, or not OpenQASM 2?); nothing to simulate");
  shot_options so;
  so.seed = o.seed;
  so.threads = o.threads;
  so.apply.fusion = !o.no_fusion;
  const hqml::device d = o.device.value();
  const auto counts =
      with_backend(d, [&](auto backend) { return sample_counts<Real, decltype(backend)>(c, o.shots, so); });

  std::vector<std::complex<Real>> amps;
  if (o.statevector) {
    const measurement_split split = split_final_measurements(c);
    if (split.dynamic)
      throw usage_error("--statevector: " + name +
                        " measures or resets qubits mid-circuit, so it has no single final state");
    amps = with_backend(
        d, [&](auto backend) { return final_state<Real, decltype(backend)>(split.body, {}, {}, so.apply, o.threads); });
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  if (o.json) {
    nlohmann::ordered_json j;
    j["circuit"] = name;
    j["num_qubits"] = c.num_qubits();
    j["num_clbits"] = c.num_clbits();
    j["shots"] = o.shots;
    j["seed"] = o.seed;
    j["precision"] = o.precision.name;
    j["device"] = where;
    j["counts"] = nlohmann::ordered_json::object();
    for (const auto& [bits, n] : counts) j["counts"][bits] = n;
    if (o.statevector) {
      auto sv = nlohmann::json::array();
      for (const auto& a : amps) sv.push_back({static_cast<double>(a.real()), static_cast<double>(a.imag())});
      j["statevector"] = std::move(sv);
    }
    j["time_s"] = seconds;
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::cout << "circuit: " << name << "\n"
            << "qubits: " << c.num_qubits() << ", gates: " << c.size() << ", depth: " << c.depth()
            << ", shots: " << o.shots << ", seed: " << o.seed << ", precision: " << o.precision.name
            << ", device: " << where << "\n";
  std::vector<std::pair<std::string, std::size_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::cout << "counts (classical bit 0 rightmost):\n";
  const std::size_t shown = std::min<std::size_t>(sorted.size(), 32);
  for (std::size_t i = 0; i < shown; ++i) std::cout << "  " << sorted[i].first << "  " << sorted[i].second << "\n";
  if (sorted.size() > shown) std::cout << "  ... " << sorted.size() - shown << " more outcomes (use --json)\n";
  if (o.statevector) {
    std::cout << "statevector (basis index, qubit 0 least significant):\n";
    for (std::size_t i = 0; i < amps.size(); ++i) {
      char line[96];
      std::snprintf(line, sizeof line, "  %zu  %+.12f %+.12fi\n", i, static_cast<double>(amps[i].real()),
                    static_cast<double>(amps[i].imag()));
      std::cout << line;
    }
  }
  std::cout << "time: " << seconds << " s\n";
  return 0;
}

}  // namespace

void register_simulate(CLI::App& app, action& run) {
  auto o = std::make_shared<simulate_options>();
  auto* sub = app.add_subcommand("simulate", "Simulate an OpenQASM 2 circuit (or the built-in demo) exactly");
  sub->add_option("file", o->file, "OpenQASM 2.0 file; the built-in demo circuit when omitted");
  // 10^9 shots take about a minute; estimates beyond that precision come from --statevector.
  sub->add_option("--shots", o->shots, "Number of shots")
      ->check(unsigned_integer & CLI::Range(std::size_t{0}, std::size_t{1000000000}));
  sub->add_option("--seed", o->seed, "Random seed (results are reproducible for a seed)")->check(unsigned_integer);
  sub->add_option("--threads", o->threads, "Threads (0: all available)")->check(CLI::Range(0, 4096));
  o->precision.add_to(sub, "Amplitudes in single or double precision");
  sub->add_flag("--statevector", o->statevector, "Also print the final state before measurement");
  sub->add_flag("--json", o->json, "Print one JSON object");
  sub->add_flag("--no-fusion", o->no_fusion, "Apply gates one by one instead of fused blocks");
  o->device.add_to(sub, "cpu, or gpu (hqml's CUDA backend; --threads then does not apply)");
  sub->callback([o, &run] {
    run = [o] {
      try {
        return o->precision.single() ? simulate<float>(*o) : simulate<double>(*o);
      } catch (const out_of_memory& e) {
        throw_too_large(e, o->file.empty() ? std::string("the built-in demo") : remote::shown(o->file));
      }
    };
  });
}

}  // namespace hqml::cli
