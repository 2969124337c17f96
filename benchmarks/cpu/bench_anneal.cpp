// Annealer benchmarks on the Gset instances in ../shared/data/gset.
//
//   throughput  BM_sa/<instance>/threads:<T>: simulated annealing at fixed reads x sweeps
//               (dwave-samplers' defaults: geometric schedule over its default beta range,
//               Metropolis, sequential order), reporting spin updates per second and the mean and
//               best energy, for comparison with benchmarks/peers/anneal_peers.py.
//   quality     BM_quality/<instance>/<solver> (only with --quality): runs until the best-known
//               cut or a time limit (30 s for G14/G22, 60 s for G55/G70) and reports the cut
//               reached, the time to within 0.5% of the best known and the time to reach it.
//
// Extra flags (before Google Benchmark's own): --reads=N --sweeps=N (throughput, default 10 x
// 1000), --threads=1,2 (default), --instances=G14,G22 (default: all found), --quality,
// --solvers=sa,tabu,pt, --time-scale=X (multiplies the quality time limits).
#include <benchmark/benchmark.h>

#include <hqml/anneal.hpp>

#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#ifndef HQML_SHARED_DIR
#define HQML_SHARED_DIR "../shared"
#endif

namespace {

using namespace hqml::anneal;

struct config {
  std::size_t reads = 10;
  std::size_t sweeps = 1000;
  std::vector<int> threads{1, 2};
  std::vector<std::string> instances{"G14", "G22", "G55", "G70"};
  std::vector<std::string> solvers{"sa", "tabu", "pt"};
  bool quality = false;
  double time_scale = 1.0;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

std::map<std::string, double> best_known() {
  std::map<std::string, double> m;
  std::ifstream in(std::string(HQML_SHARED_DIR) + "/data/gset/best_known.csv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    const auto comma = line.find(',');
    if (comma != std::string::npos) m[line.substr(0, comma)] = std::stod(line.substr(comma + 1));
  }
  return m;
}

std::shared_ptr<const maxcut_problem> load(const std::string& name) {
  static std::map<std::string, std::shared_ptr<const maxcut_problem>> cache;
  auto& slot = cache[name];
  if (!slot) slot = std::make_shared<const maxcut_problem>(read_gset(std::string(HQML_SHARED_DIR) + "/data/gset/" + name + ".txt"));
  return slot;
}

void throughput(benchmark::State& state, std::string name, int threads, std::size_t reads, std::size_t sweeps) {
  const auto p = load(name);
  sa_options o;
  o.num_reads = reads;
  o.num_sweeps = sweeps;
  o.num_threads = threads;
  o.seed = 1;
  sample_set s;
  double seconds = 0.0, cpu_seconds = 0.0;
  std::size_t updates = 0;
  for (auto _ : state) {
    // Process CPU time (all threads) next to wall time: on a shared machine the CPU time of a
    // one-thread run still measures the work done when other jobs steal the core.
    const std::clock_t c0 = std::clock();
    const auto t0 = std::chrono::steady_clock::now();
    s = simulated_annealing(p->model, o);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    cpu_seconds += static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    state.SetIterationTime(dt);
    seconds += dt;
    updates += s.spin_updates;
  }
  state.counters["updates_per_s"] = static_cast<double>(updates) / seconds;
  state.counters["updates_per_cpu_s"] = static_cast<double>(updates) / cpu_seconds;
  state.counters["mean_energy"] = s.mean_energy();
  state.counters["best_energy"] = s.best_energy();
  state.counters["best_cut"] = p->cut_from_energy(s.best_energy());
  state.counters["mean_cut"] = p->cut_from_energy(s.mean_energy());
  state.counters["reads"] = static_cast<double>(reads);
  state.counters["sweeps"] = static_cast<double>(sweeps);
  state.counters["threads"] = threads;
}

/// Settings per instance and solver for the quality runs. SA uses unbounded reads of a fixed
/// length chosen per instance size; tabu and PT their defaults.
void quality(benchmark::State& state, std::string name, std::string solver, double limit, double target_cut) {
  const auto p = load(name);
  const double within = 0.995 * target_cut;
  sample_set s;
  double t_within = -1.0, t_best = -1.0;
  for (auto _ : state) {
    t_within = t_best = -1.0;
    // Improvements arrive as they happen (tabu and PT report their best state during a read;
    // SA reads report when they end), so the times below are those of kept states.
    auto on_improvement = [&](double energy, double elapsed) {
      const double cut = p->cut_from_energy(energy);
      if (t_within < 0 && cut >= within) t_within = elapsed;
      if (t_best < 0 && cut >= target_cut) t_best = elapsed;
    };
    run_options base;
    base.num_reads = 0;
    base.seed = 1;
    base.num_threads = 2;
    base.time_limit_s = limit;
    base.target_energy = p->energy_from_cut(target_cut);
    base.on_improvement = on_improvement;
    const auto t0 = std::chrono::steady_clock::now();
    if (solver == "sa") {
      sa_options o;
      static_cast<run_options&>(o) = base;
      // Long anneals over a narrower range than the default, whose hot end ln 2 / (2 max degree)
      // spends most sweeps mixing a unit-weight graph that is already random, and whose cold
      // end freezes it long before the last sweep. Reads end with a greedy descent.
      o.num_sweeps = p->num_vertices <= 1000 ? 50000 : 20000;
      o.betas = p->num_vertices <= 1000 ? beta_range{0.3, 3.0} : beta_range{0.2, 3.0};
      o.greedy_postprocess = true;
      s = simulated_annealing(p->model, o);
    } else if (solver == "tabu") {
      tabu_options o;
      static_cast<run_options&>(o) = base;
      s = tabu_search(p->model, o);
    } else {
      // One long replica-exchange run per thread until the time limit or the target.
      pt_options o;
      static_cast<run_options&>(o) = base;
      o.num_replicas = 32;
      o.num_sweeps = 1000000;  // rounds: longer than any time limit here; betas adapt in the first quarter
      o.betas = beta_range{0.5, 3.5};
      s = parallel_tempering(p->model, o);
    }
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const double cut = p->cut_from_energy(s.best_energy());
  state.counters["best_cut"] = cut;
  state.counters["best_known"] = target_cut;
  state.counters["gap_pct"] = 100.0 * (target_cut - cut) / target_cut;
  state.counters["t_within_0.5pct_s"] = t_within;
  state.counters["t_best_known_s"] = t_best;
  state.counters["time_limit_s"] = limit;
  state.counters["reads"] = static_cast<double>(s.num_reads);
}

}  // namespace

int main(int argc, char** argv) {
  config cfg;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* key) -> std::optional<std::string> {
      const std::string k = std::string(key) + "=";
      if (a.rfind(k, 0) == 0) return a.substr(k.size());
      return std::nullopt;
    };
    if (auto v = value("--reads")) cfg.reads = std::stoul(*v);
    else if (auto v2 = value("--sweeps")) cfg.sweeps = std::stoul(*v2);
    else if (auto v3 = value("--threads")) {
      cfg.threads.clear();
      for (const auto& t : split(*v3)) cfg.threads.push_back(std::stoi(t));
    } else if (auto v4 = value("--instances")) cfg.instances = split(*v4);
    else if (auto v5 = value("--solvers")) cfg.solvers = split(*v5);
    else if (auto v6 = value("--time-scale")) cfg.time_scale = std::stod(*v6);
    else if (a == "--quality") cfg.quality = true;
    else rest.push_back(argv[i]);
  }
  const auto known = best_known();
  std::vector<std::string> found;
  for (const auto& name : cfg.instances) {
    if (std::filesystem::exists(std::string(HQML_SHARED_DIR) + "/data/gset/" + name + ".txt"))
      found.push_back(name);
    else
      std::cerr << "bench_anneal: skipping " << name << " (not in " << HQML_SHARED_DIR << "/data/gset)\n";
  }
  for (const auto& name : found)
    for (int t : cfg.threads)
      benchmark::RegisterBenchmark(("BM_sa/" + name + "/threads:" + std::to_string(t)).c_str(), throughput, name, t,
                                   cfg.reads, cfg.sweeps)
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond)
          ->Iterations(1);
  if (cfg.quality)
    for (const auto& name : found) {
      if (!known.count(name)) continue;
      const double limit = cfg.time_scale * ((name == "G14" || name == "G22") ? 30.0 : 60.0);
      for (const auto& solver : cfg.solvers)
        benchmark::RegisterBenchmark(("BM_quality/" + name + "/" + solver).c_str(), quality, name, solver, limit,
                                     known.at(name))
            ->UseManualTime()
            ->Unit(benchmark::kSecond)
            ->Iterations(1);
    }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
