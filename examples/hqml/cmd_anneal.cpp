// hqml anneal FILE: minimize an Ising or QUBO problem read from a file (Max-Cut for Gset input)
// with simulated annealing, parallel tempering, tabu search, or QAOA on the state-vector simulator.
#include "commands.hpp"
#include "device_option.hpp"

#include <hqml/anneal.hpp>
#include <hqml/error.hpp>
#include <hqml/qaoa.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace hqml::cli {

namespace {

struct anneal_args {
  std::string file;
  std::string format;  // empty: guessed from the file name
  std::string solver = "sa";
  std::size_t reads = 10;
  std::size_t sweeps = 1000;
  bool sweeps_given = false;
  std::uint64_t seed = 0;
  int threads = 0;
  double time_limit = 0.0;
  std::optional<double> target;
  std::string schedule = "geometric";
  std::string rule = "metropolis";
  std::string order = "sequential";
  std::size_t replicas = 16;
  std::size_t layers = 1;
  bool greedy = false;
  bool json = false;
  device_option device;
};

/// --solver sa --device gpu: hqml::gpu::simulated_annealing, one replica per read. What the GPU annealer does
/// not do is refused rather than ignored.
anneal::sample_set solve_on_gpu(const anneal_args& a, const anneal::ising_model& m, std::string& where) {
  if (a.solver != "sa") throw usage_error("--device gpu runs --solver sa only, not '" + a.solver + "'");
  if (a.reads == 0) throw usage_error("--device gpu needs --reads > 0 (one GPU replica per read)");
  if (a.time_limit > 0.0 || a.target)
    throw usage_error("--device gpu runs every sweep: drop --time-limit and --target");
  if (a.rule != "metropolis") throw usage_error("--device gpu uses the Metropolis rule only, not '" + a.rule + "'");
  if (a.order != "sequential") throw usage_error("--device gpu sweeps in a fixed order: drop --order " + a.order);
  if (a.greedy) throw usage_error("--device gpu has no greedy post-processing: drop --greedy");
  anneal::sa_options so;
  so.num_sweeps = a.sweeps;
  if (a.schedule == "linear")
    so.schedule = anneal::schedule_kind::linear;
  else if (a.schedule != "geometric")
    throw usage_error("--schedule must be geometric or linear, not '" + a.schedule + "'");
  where = a.device.check();
  const std::vector<double> betas = anneal::resolve_beta_schedule(m, so);
  const gpu_anneal_result r = gpu_simulated_annealing(m, a.reads, betas, a.seed);
  const std::size_t n = m.num_variables();
  anneal::sample_set s(n, anneal::vartype::spin);
  for (std::size_t k = 0; k < a.reads; ++k) s.add({r.spins.data() + k * n, n}, r.energies[k]);
  s.num_reads = a.reads;
  s.num_sweeps = a.sweeps;
  s.spin_updates = n * a.sweeps * a.reads;
  s.time_s = s.time_to_best_s = r.seconds;  // all replicas finish together
  return s;
}

/// Solves m as `a` says; `where` becomes the device's description ("cpu", or "gpu (NAME)").
anneal::sample_set solve(const anneal_args& a, const anneal::ising_model& m, std::optional<qaoa_result>& qaoa,
                         std::string& where) {
  where = "cpu";
  if (a.device.gpu()) return solve_on_gpu(a, m, where);
  if (a.rule != "metropolis" && a.rule != "gibbs")
    throw usage_error("--rule must be metropolis or gibbs, not '" + a.rule + "'");
  const auto rule = a.rule == "gibbs" ? anneal::acceptance_rule::gibbs : anneal::acceptance_rule::metropolis;
  anneal::run_options base;
  base.num_reads = a.reads;
  base.seed = a.seed;
  base.num_threads = a.threads;
  base.time_limit_s = a.time_limit;
  base.target_energy = a.target;
  if (a.solver == "sa") {
    anneal::sa_options o;
    static_cast<anneal::run_options&>(o) = base;
    o.num_sweeps = a.sweeps;
    if (a.schedule == "linear")
      o.schedule = anneal::schedule_kind::linear;
    else if (a.schedule != "geometric")
      throw usage_error("--schedule must be geometric or linear, not '" + a.schedule + "'");
    o.rule = rule;
    if (a.order == "random")
      o.order = anneal::update_order::random;
    else if (a.order != "sequential")
      throw usage_error("--order must be sequential or random, not '" + a.order + "'");
    o.greedy_postprocess = a.greedy;
    return anneal::simulated_annealing(m, o);
  }
  if (a.solver == "pt") {
    anneal::pt_options o;
    static_cast<anneal::run_options&>(o) = base;
    o.num_sweeps = a.sweeps;
    o.num_replicas = a.replicas;
    o.greedy_postprocess = a.greedy;
    o.rule = rule;
    return anneal::parallel_tempering(m, o);
  }
  if (a.solver == "tabu") {
    anneal::tabu_options o;
    static_cast<anneal::run_options&>(o) = base;
    if (a.sweeps_given) o.num_iterations = a.sweeps;  // one move scans all n variables, like a sweep
    return anneal::tabu_search(m, o);
  }
  if (a.solver == "qaoa") {
    if (a.reads == 0) throw usage_error("--solver qaoa needs --reads > 0: the samples drawn from the optimized state");
    if (a.layers == 0) throw usage_error("--layers must be at least 1");
    qaoa_options o;
    o.layers = a.layers;
    o.shots = a.reads;
    o.seed = a.seed;
    o.threads = a.threads;
    qaoa = qaoa_solve(m, o);
    return qaoa->samples;
  }
  throw usage_error("--solver must be sa, pt, tabu or qaoa, not '" + a.solver + "'");
}

int run_anneal(const anneal_args& a) {
  anneal::file_format format;
  if (a.format.empty()) {
    format = anneal::guess_file_format(a.file);
  } else if (auto f = anneal::parse_file_format(a.format)) {
    format = *f;
  } else {
    throw usage_error("--format must be gset, bqp, coo or qio-json, not '" + a.format + "'");
  }
  if (a.reads == 0 && a.time_limit <= 0.0 && !a.target)
    throw usage_error("--reads 0 (as many as fit) needs --time-limit or --target");
  if (a.sweeps == 0) throw usage_error("--sweeps must be positive");
  if (a.time_limit < 0.0) throw usage_error("--time-limit must not be negative");
  if (a.threads < 0) throw usage_error("--threads must not be negative");

  const anneal::problem p = anneal::read_problem(a.file, format);
  // Everything is solved in Ising form; QUBO problems report bits and QUBO energies.
  const anneal::ising_model m = p.type == anneal::vartype::spin ? p.ising : anneal::to_ising(p.qubo);
  std::optional<qaoa_result> qaoa;
  std::string where;
  anneal::sample_set s;
  try {
    s = solve(a, m, qaoa, where);
  } catch (const out_of_memory& e) {
    throw_too_large(e, a.file + " (--solver " + a.solver + ")");
  }
  if (p.type == anneal::vartype::binary) s = anneal::to_binary(s, &p.qubo);
  if (s.empty()) throw std::runtime_error("no read finished within the time limit");

  const auto best = s.best_state();
  if (a.json) {
    nlohmann::ordered_json out;
    out["file"] = a.file;
    out["solver"] = a.solver;
    out["num_variables"] = s.num_variables();
    out["vartype"] = p.type == anneal::vartype::spin ? "spin" : "binary";
    out["best_energy"] = s.best_energy();
    out["best_state"] = std::vector<int>(best.begin(), best.end());
    if (p.maxcut) out["best_cut"] = p.maxcut->cut_from_energy(s.best_energy());
    out["mean_energy"] = s.mean_energy();
    out["num_reads"] = s.num_reads;
    out["num_sweeps"] = s.num_sweeps;
    out["time_s"] = s.time_s;
    out["time_to_best_s"] = s.time_to_best_s;
    out["spin_updates_per_s"] = s.time_s > 0 ? static_cast<double>(s.spin_updates) / s.time_s : 0.0;
    out["threads"] = anneal::resolve_threads(a.threads);
    out["device"] = where;
    out["seed"] = a.seed;
    out["stop_reason"] = anneal::to_string(s.stopped);
    out["variable_ids"] = p.labels;
    if (qaoa)
      out["qaoa"] = {{"layers", qaoa->gamma.size()},
                     {"gamma", qaoa->gamma},
                     {"beta", qaoa->beta},
                     {"expectation", qaoa->expectation},
                     {"layer_expectations", qaoa->layer_expectations},
                     {"gradient_evaluations", qaoa->gradient_evaluations}};
    std::cout << out.dump() << "\n";
  } else {
    std::cout << "variables:   " << s.num_variables() << "\n";
    std::cout << "best energy: " << s.best_energy() << "\n";
    if (p.maxcut) std::cout << "best cut:    " << p.maxcut->cut_from_energy(s.best_energy()) << "\n";
    std::cout << "mean energy: " << s.mean_energy() << "\n";
    std::cout << "reads:       " << s.num_reads << " (" << anneal::to_string(s.stopped) << ")\n";
    if (qaoa) std::cout << "QAOA <H_C>:  " << qaoa->expectation << " (p = " << qaoa->gamma.size() << ")\n";
    std::cout << "time:        " << s.time_s << " s\n";
    if (a.device.gpu()) std::cout << "device:      " << where << "\n";
  }
  return 0;
}

}  // namespace

void register_anneal(CLI::App& app, action& run) {
  auto args = std::make_shared<anneal_args>();
  CLI::App* cmd = app.add_subcommand("anneal", "Minimize an Ising/QUBO problem (Max-Cut for Gset files)");
  cmd->add_option("file", args->file, "Problem file")->required();
  cmd->add_option("--format", args->format, "gset|bqp|coo|qio-json (default: from the file name)");
  cmd->add_option("--solver", args->solver, "sa|pt|tabu|qaoa (qaoa: up to about 30 variables)")->capture_default_str();
  // Counts are unsigned: without a range, "-1" would wrap to 2^64 − 1 reads and run until killed.
  const auto count = CLI::Range(std::size_t{0}, std::size_t{1} << 40);
  cmd->add_option("--reads", args->reads, "Independent reads (0: as many as the time limit allows; qaoa: samples)")
      ->check(count)
      ->capture_default_str();
  auto* sweeps = cmd->add_option("--sweeps", args->sweeps, "Sweeps per read (tabu: moves per restart)")
                     ->check(count)
                     ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed (results depend on it alone)")->capture_default_str();
  cmd->add_option("--threads", args->threads, "OpenMP threads (0: all)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd->add_option("--time-limit", args->time_limit, "Stop after this many seconds (0: none)")->capture_default_str();
  cmd->add_option("--target", args->target, "Stop once a read reaches this energy");
  cmd->add_option("--schedule", args->schedule, "SA beta schedule: geometric|linear")->capture_default_str();
  cmd->add_option("--rule", args->rule, "Acceptance: metropolis|gibbs")->capture_default_str();
  cmd->add_option("--order", args->order, "SA update order: sequential|random")->capture_default_str();
  cmd->add_option("--replicas", args->replicas, "Parallel tempering replicas")->check(count)->capture_default_str();
  cmd->add_option("--layers", args->layers, "QAOA layers p (optimized for 1..p in turn)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1000}))
      ->capture_default_str();
  cmd->add_flag("--greedy", args->greedy, "Greedy descent after each read");
  args->device.add_to(cmd, "cpu, or gpu (--solver sa on hqml's CUDA backend, one replica per read)");
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args, sweeps, &run] {
    args->sweeps_given = sweeps->count() > 0;
    run = [args] { return run_anneal(*args); };
  });
}

}  // namespace hqml::cli
