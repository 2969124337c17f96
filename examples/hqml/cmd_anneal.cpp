// hqml anneal FILE: minimize an Ising or QUBO problem read from a file (Max-Cut for Gset input)
// with simulated annealing, parallel tempering, tabu search, or QAOA on the state-vector simulator.
#include "commands.hpp"
#include "device_option.hpp"
#include "remote_paths.hpp"

#include <hqml/anneal.hpp>
#include <hqml/error.hpp>
#include <hqml/qaoa.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hqml::cli {

namespace {

// --solver's one value that is no anneal::solver: QAOA runs on the state-vector simulator and returns its angles
// besides the samples, so this program calls it itself.
constexpr std::string_view qaoa_solver = "qaoa";

/// --solver's values: the library's CPU solvers (anneal::solver_names), then qaoa.
std::vector<std::string> solver_choices() {
  std::vector<std::string> names = names_in(anneal::solver_names);
  names.emplace_back(qaoa_solver);
  return names;
}

struct anneal_args {
  std::string file;
  std::string format;  // one of anneal::file_format_names; empty: guessed from the file name
  // --solver, one of solver_choices(); cpu_solver is the anneal::solver it names, empty for qaoa.
  std::string solver{anneal::to_string(anneal::solver::sa)};
  std::optional<anneal::solver> cpu_solver = anneal::solver::sa;
  std::size_t reads = 10;
  std::size_t sweeps = 1000;
  bool sweeps_given = false;
  std::uint64_t seed = 0;
  int threads = 0;
  double time_limit = 0.0;
  std::optional<double> target;
  // --schedule, --rule, --order: one of the library's names each, parsed once the options are read.
  std::string schedule{anneal::to_string(anneal::schedule_kind::geometric)};
  std::string rule{anneal::to_string(anneal::acceptance_rule::metropolis)};
  std::string order{anneal::to_string(anneal::update_order::sequential)};
  anneal::schedule_kind schedule_kind = anneal::schedule_kind::geometric;
  anneal::acceptance_rule rule_kind = anneal::acceptance_rule::metropolis;
  anneal::update_order order_kind = anneal::update_order::sequential;
  std::size_t replicas = 16;
  std::size_t layers = 1;
  bool greedy = false;
  bool json = false;
  device_option device;
};

// Without --time-limit a run does all the work asked of it: past this many single-spin updates (2^40, hours on
// one core) the request is refused as a likely mistake; --time-limit lets a longer run through. The GPU annealer,
// which runs every sweep, does about a hundred times more an hour.
constexpr double anneal_max_spin_updates = 1099511627776.0;
constexpr double anneal_max_gpu_spin_updates = 281474976710656.0;  // 2^48
// What a run keeps of its reads (memory bounded however long --reads 0 --time-limit runs): the best state,
// which is all the output shows, and the reads at each of the lowest distinct energies (--json's
// energy_counts); every read still counts in num_reads and mean_energy.
constexpr anneal::sample_limits anneal_kept{1, 256};

/// "3.3e+15": a count or size of any magnitude in a message.
std::string anneal_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

/// Refuses, before anything is allocated, a run whose memory would exceed this machine's (`what` needs `bytes`).
void anneal_check_memory(double bytes, const std::string& option, const std::string& what) {
  // The memory a state vector may fill; 0 where the system does not say.
  const auto memory = static_cast<double>(hqml::detail::physical_memory_bytes());
  if (memory > 0 && bytes > memory)
    throw usage_error(option + ": " + what + " needs about " + human_bytes(bytes) + ", more than this machine's " +
                      human_bytes(memory) + " of memory");
}

/// Checks what the run asks for against the time and memory it would take, before it starts.
void anneal_check_size(const anneal_args& a, std::size_t n) {
  const auto nv = static_cast<double>(n);
  const auto reads = static_cast<double>(a.reads);
  const auto threads = static_cast<double>(anneal::resolve_threads(a.threads));
  if (!a.cpu_solver) {
    // Every shot is drawn (a basis-state index) and stored (a state, its energy and count) before they are merged.
    anneal_check_memory(reads * (2 * (nv + 24) + 16), "--reads " + std::to_string(a.reads),
                        anneal_number(reads) + " QAOA samples of " + std::to_string(n) + " variables");
    return;
  }
  if (a.cpu_solver == anneal::solver::pt) {
    // Each read in flight holds every replica's spins and fields (up to 8 bytes a variable); threads go over
    // reads when there are enough of them, else over one read's replicas.
    const double in_flight = a.reads == 0 || reads >= threads ? threads : 1;
    anneal_check_memory(in_flight * static_cast<double>(a.replicas) * (nv * 9 + 64),
                        "--replicas " + std::to_string(a.replicas),
                        std::to_string(a.replicas) + " replicas of " + std::to_string(n) + " variables (" +
                            anneal_number(in_flight) + (in_flight == 1 ? " read" : " reads") + " at a time)");
  }
  if (a.time_limit > 0.0 || a.reads == 0) return;  // bounded by the clock, or by --target by the user's choice
  double per_read = nv * static_cast<double>(a.sweeps);
  std::string how = "--reads " + std::to_string(a.reads) + " x --sweeps " + std::to_string(a.sweeps);
  if (a.cpu_solver == anneal::solver::pt) {
    per_read *= static_cast<double>(a.replicas);
    how += " x --replicas " + std::to_string(a.replicas);
  } else if (a.cpu_solver == anneal::solver::tabu) {
    anneal::tabu_options t;
    if (a.sweeps_given) t.num_iterations = a.sweeps;
    const std::size_t moves = anneal::tabu_iterations(t, n);
    per_read = nv * static_cast<double>(moves) * static_cast<double>(t.num_restarts);
    how = "--reads " + std::to_string(a.reads) + " x " + std::to_string(t.num_restarts) + " restarts x " +
          std::to_string(moves) + " moves (--sweeps)";
  }
  const double work = reads * per_read;
  if (a.device.gpu()) {
    if (work > anneal_max_gpu_spin_updates)
      throw usage_error(how + " on " + std::to_string(n) + " variables: " + anneal_number(work) +
                        " single-spin updates, more than the " + anneal_number(anneal_max_gpu_spin_updates) +
                        " hqml runs on --device gpu (which has no --time-limit); ask for fewer");
  } else if (work > anneal_max_spin_updates) {
    throw usage_error(how + " on " + std::to_string(n) + " variables: " + anneal_number(work) +
                      " single-spin updates, more than the " + anneal_number(anneal_max_spin_updates) +
                      " hqml runs without --time-limit; ask for fewer, or set --time-limit SECONDS");
  }
}

/// --solver sa --device gpu: anneal::simulated_annealing<hqml::cuda>, one GPU replica per read. What the GPU
/// annealer does not do is refused here in the options' own names (the library refuses it too, in its fields').
anneal::sample_set solve_on_gpu(const anneal_args& a, const anneal::ising_model& m, std::string& where) {
  if (a.cpu_solver != anneal::solver::sa)
    throw usage_error("--device gpu runs --solver sa only, not '" + a.solver + "'");
  if (a.reads == 0) throw usage_error("--device gpu needs --reads > 0 (one GPU replica per read)");
  if (a.time_limit > 0.0 || a.target)
    throw usage_error("--device gpu runs every sweep: drop --time-limit and --target");
  if (a.order_kind != anneal::update_order::sequential)
    throw usage_error("--device gpu sweeps in a fixed order: drop --order " + a.order);
  if (a.greedy) throw usage_error("--device gpu has no greedy post-processing: drop --greedy");
  anneal::sa_options so;
  so.num_sweeps = a.sweeps;
  so.num_reads = a.reads;
  so.seed = a.seed;
  so.limits = anneal_kept;
  so.schedule = a.schedule_kind;
  so.rule = a.rule_kind;
  where = a.device.check();
  const std::size_t n = m.num_variables();
  // The GPU takes its schedule as an array of one value per sweep and returns every replica's spins.
  anneal_check_memory(8.0 * static_cast<double>(a.sweeps) + static_cast<double>(a.reads) * (static_cast<double>(n) + 8),
                      "--sweeps " + std::to_string(a.sweeps) + " with --reads " + std::to_string(a.reads),
                      "--device gpu's schedule and results");
  return with_backend(a.device.value(),
                      [&](auto backend) { return anneal::simulated_annealing<decltype(backend)>(m, so); });
}

/// Solves m as `a` says; `where` becomes the device's description ("cpu", or "gpu (NAME)").
anneal::sample_set solve(const anneal_args& a, const anneal::ising_model& m, std::optional<qaoa_result>& qaoa,
                         std::string& where) {
  where = "cpu";
  if (a.device.gpu()) return solve_on_gpu(a, m, where);
  if (!a.cpu_solver) {
    if (a.reads == 0) throw usage_error("--solver qaoa needs --reads > 0: the samples drawn from the optimized state");
    qaoa_options o;
    o.layers = a.layers;
    o.shots = a.reads;
    o.seed = a.seed;
    o.threads = a.threads;
    qaoa = qaoa_solve(m, o);
    return qaoa->samples;
  }
  anneal::run_options base;
  base.num_reads = a.reads;
  base.seed = a.seed;
  base.num_threads = a.threads;
  base.time_limit_s = a.time_limit;
  base.target_energy = a.target;
  base.limits = anneal_kept;
  anneal::solve_options o;
  switch (*a.cpu_solver) {
    case anneal::solver::sa:
      static_cast<anneal::run_options&>(o.sa) = base;
      o.sa.num_sweeps = a.sweeps;
      o.sa.schedule = a.schedule_kind;
      o.sa.rule = a.rule_kind;
      o.sa.order = a.order_kind;
      o.sa.greedy_postprocess = a.greedy;
      break;
    case anneal::solver::pt:
      static_cast<anneal::run_options&>(o.pt) = base;
      o.pt.num_sweeps = a.sweeps;
      o.pt.num_replicas = a.replicas;
      o.pt.greedy_postprocess = a.greedy;
      o.pt.rule = a.rule_kind;
      break;
    case anneal::solver::tabu:
      static_cast<anneal::run_options&>(o.tabu) = base;
      if (a.sweeps_given) o.tabu.num_iterations = a.sweeps;  // one move scans all n variables, like a sweep
      break;
  }
  return anneal::solve(m, *a.cpu_solver, o);
}

int run_anneal(const anneal_args& a) {
  // FILE may be a storage URI (remote_paths.hpp): the problem is downloaded to a private temporary file of the
  // same name (its extension still tells the format).
  const remote::input_file file("FILE", a.file);
  const anneal::file_format format =
      a.format.empty() ? anneal::guess_file_format(file.path()) : anneal::parse_file_format(a.format);
  if (a.reads == 0 && a.time_limit <= 0.0 && !a.target)
    throw usage_error("--reads 0 (as many as fit) needs --time-limit or --target");
  if (a.sweeps == 0) throw usage_error("--sweeps must be positive");

  const anneal::problem p = anneal::read_problem(file.path(), format);
  // Everything is solved in Ising form; QUBO problems report bits and QUBO energies.
  const anneal::ising_model m = p.type == anneal::vartype::spin ? p.ising : anneal::to_ising(p.qubo);
  anneal_check_size(a, m.num_variables());
  std::optional<qaoa_result> qaoa;
  std::string where;
  anneal::sample_set s;
  try {
    s = solve(a, m, qaoa, where);
  } catch (const out_of_memory& e) {
    throw_too_large(e, file.display() + " (--solver " + a.solver + ")");
  }
  if (p.type == anneal::vartype::binary) s = anneal::to_binary(s, &p.qubo);
  if (s.empty()) throw std::runtime_error("no read finished within the time limit");

  const auto best = s.best_state();
  if (a.json) {
    nlohmann::ordered_json out;
    out["file"] = file.display();
    out["solver"] = a.solver;
    out["num_variables"] = s.num_variables();
    out["vartype"] = p.type == anneal::vartype::spin ? "spin" : "binary";
    out["best_energy"] = s.best_energy();
    out["best_state"] = std::vector<int>(best.begin(), best.end());
    if (p.maxcut) out["best_cut"] = p.maxcut->cut_from_energy(s.best_energy());
    out["mean_energy"] = s.mean_energy();
    out["num_reads"] = s.num_reads;
    // Reads per distinct energy, lowest first, for the lowest anneal_kept.max_energies energies; the reads
    // above the last listed energy are counted together.
    // (QAOA's samples are all kept: the list is cut here to the same length.)
    nlohmann::ordered_json counts = nlohmann::ordered_json::array();
    std::size_t above = s.reads_above_energy_counts();
    for (const auto& [energy, reads] : s.energy_counts()) {
      if (counts.size() < anneal_kept.max_energies)
        counts.push_back({energy, reads});
      else
        above += reads;
    }
    out["energy_counts"] = std::move(counts);
    out["reads_above_energy_counts"] = above;
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
  cmd->add_option("--format", args->format, "Problem file format (default: from the file name)")
      ->check(CLI::IsMember(names_in(anneal::file_format_names)));
  cmd->add_option("--solver", args->solver, "Solver (qaoa: up to about 30 variables)")
      ->check(CLI::IsMember(solver_choices()))
      ->capture_default_str();
  // Counts are unsigned: unsigned_integer refuses "-1", which CLI11 alone would wrap to 2^64 − 1 reads.
  const auto count = CLI::Range(std::size_t{0}, std::size_t{1} << 40);
  cmd->add_option("--reads", args->reads,
                  "Independent reads (0: as many as --time-limit allows, or until --target; qaoa: samples)")
      ->check(unsigned_integer)
      ->check(count)
      ->capture_default_str();
  auto* sweeps = cmd->add_option("--sweeps", args->sweeps, "Sweeps per read (tabu: moves per restart)")
                     ->check(unsigned_integer)
                     ->check(count)
                     ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed (results depend on it alone)")
      ->check(unsigned_integer)
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "OpenMP threads (0: all)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd->add_option("--time-limit", args->time_limit,
                  "Stop after this many seconds (0: none; without it at most 2^40 spin updates are run)")
      ->check(finite_non_negative)
      ->capture_default_str();
  cmd->add_option("--target", args->target, "Stop once a read reaches this energy")->check(finite);
  cmd->add_option("--schedule", args->schedule, "SA beta schedule")
      ->check(CLI::IsMember(names_in(anneal::schedule_kind_names)))
      ->capture_default_str();
  cmd->add_option("--rule", args->rule, "Acceptance rule")
      ->check(CLI::IsMember(names_in(anneal::acceptance_rule_names)))
      ->capture_default_str();
  cmd->add_option("--order", args->order, "SA update order")
      ->check(CLI::IsMember(names_in(anneal::update_order_names)))
      ->capture_default_str();
  cmd->add_option("--replicas", args->replicas, "Parallel tempering replicas")
      ->check(unsigned_integer)
      ->check(CLI::Range(std::size_t{1}, std::size_t{65534}))
      ->capture_default_str();
  cmd->add_option("--layers", args->layers, "QAOA layers p (optimized for 1..p in turn)")
      ->check(unsigned_integer)
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000}))
      ->capture_default_str();
  cmd->add_flag("--greedy", args->greedy, "Greedy descent after each read");
  args->device.add_to(cmd, "cpu, or gpu (--solver sa on hqml's CUDA backend, one replica per read)");
  cmd->add_flag("--json", args->json,
                "Print one JSON object: the best state, and reads per energy for the 256 lowest energies");
  cmd->callback([args, sweeps, &run] {
    args->sweeps_given = sweeps->count() > 0;
    args->cpu_solver.reset();
    if (args->solver != qaoa_solver) args->cpu_solver = anneal::parse_solver(args->solver);
    args->schedule_kind = anneal::parse_schedule_kind(args->schedule);
    args->rule_kind = anneal::parse_acceptance_rule(args->rule);
    args->order_kind = anneal::parse_update_order(args->order);
    run = [args] { return run_anneal(*args); };
  });
}

}  // namespace hqml::cli
