// hqml vqe [FILE]: the ground energy of a Hamiltonian (a Pauli-sum file, or a built-in spin chain) by the
// variational quantum eigensolver on a hardware-efficient ansatz, with the exact Lanczos energy beside it.
#include "commands.hpp"
#include "remote_paths.hpp"

#include <hqml/ansatz.hpp>
#include <hqml/eigensolver.hpp>
#include <hqml/error.hpp>
#include <hqml/hamiltonians.hpp>
#include <hqml/io/atomic_file.hpp>
#include <hqml/io/pauli_file.hpp>
#include <hqml/io/text_scanner.hpp>
#include <hqml/qasm.hpp>
#include <hqml/vqe.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace hqml::cli {

namespace {

struct vqe_args {
  std::string file;
  std::string model{to_string(chain_model::tfim)};
  std::size_t sites = 8;
  double coupling = 1.0;
  std::optional<double> field;  // default: the model's (default_field)
  bool periodic = false;
  std::string ansatz{to_string(ansatz_kind::real_amplitudes)};
  std::size_t reps = 3;
  std::string entanglement = "reverse_linear";
  std::string initial_state;
  std::string initial_point;
  // --optimizer, one of vqe_optimizer_names; method is the optimizer it names, parsed once the options are read.
  std::string optimizer{to_string(vqe_optimizer::bfgs)};
  vqe_optimizer method = vqe_optimizer::bfgs;
  std::size_t iterations = 1000;
  double learning_rate = 0.05;
  std::size_t starts = 1;
  std::uint64_t seed = 0;
  precision_option precision;
  std::string exact = "auto";
  double offset = 0;
  int threads = 0;
  std::string output;
  std::string save_circuit;
  bool json = false;
  std::string file_name, initial_point_name;  // for messages and records: the values as given (URIs redacted)
};

// The largest problem `--exact auto` diagonalizes: four 2^n states, seconds at n = 20.
constexpr std::size_t exact_auto_max_qubits = 20;

struct problem {
  pauli_sum h;
  std::size_t n = 0;
  std::string source;
};

problem load(const vqe_args& a) {
  problem p;
  if (!a.file.empty()) {
    io::pauli_sum_file f = io::read_pauli_sum(a.file);
    p.h = std::move(f.hamiltonian);
    p.n = f.num_qubits;
    p.source = a.file_name.empty() ? a.file : a.file_name;
    return p;
  }
  // One site has no coupling: the chain models start at two.
  if (a.sites < 2 || a.sites > circuit::max_qubits)
    throw usage_error("--sites " + std::to_string(a.sites) + ": a chain has 2 to " +
                      std::to_string(circuit::max_qubits) + " sites (for one spin, give a Pauli-sum file)");
  p.n = a.sites;
  const chain_model model = parse_chain_model(a.model);  // one of chain_model_names (--model's IsMember)
  const double field = a.field.value_or(default_field(model));
  p.h = chain_hamiltonian(model, a.sites, a.coupling, field, a.periodic);
  std::ostringstream s;
  s << a.model << " chain, " << a.sites << " sites, J = " << a.coupling << ", h = " << field
    << (a.periodic ? ", periodic" : ", open");
  p.source = s.str();
  return p;
}

circuit build_ansatz(const vqe_args& a, std::size_t n) {
  two_local_options o;
  o.reps = a.reps;
  o.pairs = a.entanglement;  // one of entanglement_patterns (--entanglement's IsMember)
  const circuit body = hardware_efficient(parse_ansatz_kind(a.ansatz), n, o);
  circuit c(n);
  if (!a.initial_state.empty()) {
    // A bit string as Qiskit prints basis states: the rightmost character is qubit 0.
    if (a.initial_state.size() != n || a.initial_state.find_first_not_of("01") != std::string::npos)
      throw usage_error("--initial-state must be " + std::to_string(n) +
                        " characters of 0 and 1 (qubit 0 rightmost), not '" + a.initial_state + "'");
    for (std::uint32_t q = 0; q < n; ++q)
      if (a.initial_state[n - 1 - q] == '1') c.x(q);
  }
  c.compose(body);
  return c;
}

// The first start's θ (a warm start, or the same start another tool used): a JSON array of numbers given
// inline (a value starting with '['), or the name of a file holding one. Errors name the position in it.
std::vector<double> read_initial_point(const std::string& value, std::size_t expected, const std::string& shown) {
  const bool inline_json =
      value.find_first_not_of(" \t\r\n") != std::string::npos && value[value.find_first_not_of(" \t\r\n")] == '[';
  const std::string name = inline_json ? std::string("--initial-point") : shown.empty() ? value : shown;
  std::string text = inline_json ? value : io::detail::read_text_file(value);
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);  // a UTF-8 byte-order mark, as editors may write
  io::detail::json_reader reader(text, name);
  const io::detail::json_value v = reader.parse();
  if (v.type != io::detail::json_value::kind::array)
    reader.fail_at(v.line, v.column, std::string("expected an array of numbers, found ") + v.type_name());
  std::vector<double> theta;
  for (const auto& e : v.items) {
    // The reader refuses numbers that overflow to infinity; JSON has no NaN.
    if (e.type != io::detail::json_value::kind::number)
      reader.fail_at(e.line, e.column, std::string("expected a number, found ") + e.type_name());
    theta.push_back(e.number);
  }
  if (theta.size() != expected)
    reader.fail_at(
        v.line, v.column,
        std::to_string(theta.size()) + " values; the ansatz has " + std::to_string(expected) + " parameters");
  return theta;
}

// BFGS keeps a dense P x P inverse-Hessian estimate (four such matrices while it updates one) and spends about
// P^3 operations an iteration: past this many parameters Adam or SPSA, linear in P, are the tools.
constexpr std::size_t vqe_bfgs_max_parameters = 4096;
// Bytes each gate of the ansatz costs: the circuit, its inverse and the adjoint tape's per-gate records
// (measured: about 450 bytes).
constexpr double vqe_bytes_per_gate = 1024;
// Bytes each recorded value costs: the energy history (one value per iteration, the current start's and the
// best start's), each start's energy and the parameters, as doubles, JSON values and text (--json, --output).
constexpr double vqe_bytes_per_value = 96;

/// What a VQE run of these options holds, estimated before anything is built.
struct vqe_size {
  std::size_t parameters = 0;
  double gates = 0;
  double states = 0;     // bytes of the state vectors
  double optimizer = 0;  // bytes the optimizer holds per start
  double circuit = 0;    // bytes of the ansatz and what differentiates it
  double records = 0;    // bytes of the history, start energies and parameters, output included
  [[nodiscard]] double total() const { return states + optimizer + circuit + records; }
};

/// The ansatz grows linearly with --reps: its size at `reps` from its sizes at 0 and 1, without building it.
struct vqe_ansatz_growth {
  std::size_t params0 = 0, params_per_rep = 0, gates0 = 0, gates_per_rep = 0;
};

template <class Real>
vqe_size estimate_vqe(const vqe_args& a, std::size_t n, const vqe_ansatz_growth& g, std::size_t reps,
                      std::size_t iterations, std::size_t starts) {
  vqe_size z;
  z.parameters = g.params0 + reps * g.params_per_rep;
  const auto p = static_cast<double>(z.parameters);
  z.gates = static_cast<double>(g.gates0) + static_cast<double>(reps) * static_cast<double>(g.gates_per_rep);
  // SPSA evaluates energies on one state; BFGS and Adam differentiate with two (|ψ⟩ and λ).
  const double num_states = a.method == vqe_optimizer::spsa ? 1 : 2;
  z.states = num_states * std::ldexp(static_cast<double>(sizeof(std::complex<Real>)), static_cast<int>(n));
  z.optimizer = a.method == vqe_optimizer::bfgs ? 4 * p * p * 8 : 8 * p * 8;
  z.circuit = z.gates * vqe_bytes_per_gate;
  z.records = (2 * static_cast<double>(iterations) + static_cast<double>(starts) + p) * vqe_bytes_per_value;
  return z;
}

/// The largest value v <= hi of one option for which fits(v) holds (fits is monotone), or 0 if none does.
template <class Fits>
std::size_t vqe_largest_fitting(std::size_t hi, const Fits& fits) {
  std::size_t lo = 0;
  if (!fits(lo)) return 0;
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

/// Refuses, before the ansatz is built, a run beyond BFGS's size or this machine's memory, naming the option
/// that asks for it. `who` names the Hamiltonian (as the state vector's own refusal does).
template <class Real>
void check_vqe_size(const vqe_args& a, std::size_t n, const std::string& who) {
  vqe_args one = a;
  one.reps = 0;
  const circuit c0 = build_ansatz(one, n);
  one.reps = 1;
  const circuit c1 = build_ansatz(one, n);
  const vqe_ansatz_growth g{c0.num_params(), c1.num_params() - c0.num_params(), c0.size(), c1.size() - c0.size()};
  const vqe_size z = estimate_vqe<Real>(a, n, g, a.reps, a.iterations, a.starts);
  const std::string reps = "--reps " + std::to_string(a.reps);
  if (a.method == vqe_optimizer::bfgs && z.parameters > vqe_bfgs_max_parameters) {
    const std::size_t fit = g.params_per_rep ? (vqe_bfgs_max_parameters - g.params0) / g.params_per_rep : 0;
    throw usage_error(reps + ": " + std::to_string(z.parameters) + " parameters; --optimizer bfgs keeps a dense " +
                      std::to_string(z.parameters) + " x " + std::to_string(z.parameters) + " inverse Hessian (about " +
                      human_bytes(z.optimizer) +
                      " while it updates) and spends ~P^3 operations an iteration, so it takes at most " +
                      std::to_string(vqe_bfgs_max_parameters) + " parameters (--reps " + std::to_string(fit) +
                      " here): lower --reps, or use --optimizer adam or spsa");
  }
  // The memory a state vector may fill; 0 where the system does not say.
  const auto memory = static_cast<double>(hqml::detail::physical_memory_bytes());
  if (memory <= 0 || z.total() <= memory) return;
  // One state beyond memory is the state vector's own refusal, which names the size; the rest is ours.
  if (z.states / (a.method == vqe_optimizer::spsa ? 1 : 2) > memory) return;
  const std::string beyond =
      human_bytes(z.total()) + ", more than this machine's " + human_bytes(memory) + " of memory";
  const double by_reps = z.optimizer + z.circuit;
  const double by_iterations = 2 * static_cast<double>(a.iterations) * vqe_bytes_per_value;
  const double by_starts = static_cast<double>(a.starts) * vqe_bytes_per_value;
  const double largest = std::max({z.states, by_reps, by_iterations, by_starts});
  const auto fits = [&](std::size_t r, std::size_t i, std::size_t s) {
    return estimate_vqe<Real>(a, n, g, r, i, s).total() <= memory;
  };
  if (largest == z.states)
    throw usage_error(
        who + ": " +
        (a.method == vqe_optimizer::spsa ? "a state vector" : "two state vectors (|psi> and the adjoint's)") + " of " +
        std::to_string(n) + " qubits and the rest of the run need about " + beyond);
  if (largest == by_reps) {
    const std::size_t fit = vqe_largest_fitting(a.reps, [&](std::size_t r) { return fits(r, a.iterations, a.starts); });
    throw usage_error(reps + ": " + std::to_string(z.parameters) + " parameters and " +
                      std::to_string(static_cast<std::size_t>(z.gates)) + " gates need about " + beyond +
                      " (at most --reps " + std::to_string(fit) + " here)");
  }
  const bool iterations = largest == by_iterations;
  const std::size_t asked = iterations ? a.iterations : a.starts;
  const std::size_t fit = vqe_largest_fitting(
      asked, [&](std::size_t v) { return iterations ? fits(a.reps, v, a.starts) : fits(a.reps, a.iterations, v); });
  throw usage_error((iterations ? "--iterations " : "--starts ") + std::to_string(asked) + ": " +
                    (iterations ? "the energy history (one value an iteration, kept and written out)"
                                : "the energy of each start (kept and written out)") +
                    " may need about " + beyond + " (at most " + std::to_string(fit) + " here)");
}

template <class Real>
int run_vqe_as(const vqe_args& a) {
  // Outputs that can never be written are refused before any work.
  if (!a.output.empty()) io::check_output_path(a.output);
  if (!a.save_circuit.empty()) io::check_output_path(a.save_circuit);
  if (a.iterations == 0) throw usage_error("--iterations must be at least 1");
  if (a.starts == 0) throw usage_error("--starts must be at least 1");
  if (a.exact != "auto" && a.exact != "yes" && a.exact != "no")
    throw usage_error("--exact must be auto, yes or no, not '" + a.exact + "'");
  const problem p = load(a);
  check_vqe_size<Real>(a, p.n, a.file.empty() ? "--sites " + std::to_string(a.sites) : p.source);
  const circuit ansatz = build_ansatz(a, p.n);
  vqe_options o;
  o.optimizer = a.method;
  if (!a.initial_point.empty())
    o.initial_point = read_initial_point(a.initial_point, ansatz.num_params(), a.initial_point_name);
  o.max_iterations = a.iterations;
  o.adam.learning_rate = a.learning_rate;
  o.starts = a.starts;
  o.seed = a.seed;
  o.threads = a.threads;

  const vqe_result r = vqe_solve<Real>(ansatz, p.h, o);
  std::optional<ground_state_result<Real>> exact;
  if (a.exact == "yes" || (a.exact == "auto" && p.n <= exact_auto_max_qubits)) {
    lanczos_options lo;
    lo.threads = a.threads;
    exact = lanczos_ground_state<Real>(p.h, p.n, lo);
  }
  if (!a.save_circuit.empty()) save_qasm(ansatz.bind(r.parameters), a.save_circuit);

  nlohmann::ordered_json out;
  out["hamiltonian"] = p.source;
  out["num_qubits"] = p.n;
  out["num_terms"] = p.h.terms.size();
  out["ansatz"] = {{"name", a.ansatz},
                   {"reps", a.reps},
                   {"entanglement", a.entanglement},
                   {"initial_state", a.initial_state},
                   {"num_parameters", ansatz.num_params()},
                   {"two_qubit_gates", ansatz.num_multi_qubit_gates()}};
  out["optimizer"] = std::string(to_string(a.method));
  out["precision"] = a.precision.name;
  out["offset"] = a.offset;
  out["energy"] = r.energy + a.offset;
  if (exact) {
    out["exact_energy"] = exact->energy + a.offset;
    out["error"] = r.energy - exact->energy;
    out["exact_converged"] = exact->converged;
    out["lanczos_iterations"] = exact->iterations;
  }
  out["parameters"] = r.parameters;
  out["history"] = r.history;
  out["start_energies"] = r.start_energies;
  out["best_start"] = r.best_start;
  out["iterations"] = r.iterations;
  out["energy_evaluations"] = r.energy_evaluations;
  out["gradient_evaluations"] = r.gradient_evaluations;
  out["converged"] = r.converged;
  out["seed"] = a.seed;
  out["time_s"] = r.time_s;
  if (!a.output.empty()) io::write_file_atomically(a.output, out.dump(2) + "\n");
  if (a.json) {
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::cout << std::setprecision(10);
  std::cout << "hamiltonian: " << p.source << " (" << p.n << " qubits, " << p.h.terms.size() << " terms)\n";
  std::cout << "ansatz:      " << a.ansatz << ", reps " << a.reps << ", " << a.entanglement << " ("
            << ansatz.num_params() << " parameters)\n";
  std::cout << "optimizer:   " << to_string(a.method) << ", " << a.starts << (a.starts == 1 ? " start" : " starts")
            << ", " << r.iterations << " iterations, " << r.energy_evaluations << " evaluations\n";
  std::cout << "energy:      " << r.energy + a.offset << "\n";
  if (exact) {
    std::cout << "exact:       " << exact->energy + a.offset << " (Lanczos, " << exact->iterations << " iterations"
              << (exact->converged ? "" : ", not converged") << ")\n";
    std::cout << "error:       " << std::setprecision(3) << r.energy - exact->energy << "\n";
  }
  std::cout << "time:        " << std::setprecision(4) << r.time_s << " s\n";
  return 0;
}

// HAMILTONIAN, an --initial-point file, --output and --save-circuit may be storage URIs (remote_paths.hpp): the
// inputs are downloaded to private temporary files, the outputs written locally and uploaded when complete.
template <class Real>
int run_vqe_remote(const vqe_args& a) {
  remote::output_file output("--output", a.output);
  remote::output_file save_circuit("--save-circuit", a.save_circuit);
  const remote::input_file file("HAMILTONIAN", a.file);
  const remote::input_file initial_point("--initial-point", a.initial_point);  // inline JSON is no URI: kept
  vqe_args lo = a;
  lo.file = file.path();
  lo.initial_point = initial_point.path();
  lo.output = output.path();
  lo.save_circuit = save_circuit.path();
  lo.file_name = file.display();
  lo.initial_point_name = initial_point.display();
  const int rc = run_vqe_as<Real>(lo);
  output.publish();
  save_circuit.publish();
  return rc;
}

}  // namespace

void register_vqe(CLI::App& app, action& run) {
  auto a = std::make_shared<vqe_args>();
  CLI::App* cmd = app.add_subcommand("vqe", "Ground energy of a Hamiltonian by VQE (Pauli-sum file or spin chain)");
  cmd->add_option("file", a->file,
                  "Hamiltonian: lines 'coefficient PAULI' (Qiskit labels, X0 Z3, or OpenFermion [X0 Z3]) or "
                  "JSON [[label, coefficient], ...]; without it, the --model chain");
  cmd->add_option("--model", a->model, "Built-in chain when no file is given")
      ->check(CLI::IsMember(names_in(chain_model_names)))
      ->capture_default_str();
  // Counts and seeds: unsigned_integer refuses "-1", which CLI11 alone would wrap to 2^64 − 1.
  const auto count = CLI::Range(std::size_t{0}, std::size_t{1} << 40);
  cmd->add_option("--sites", a->sites, "Sites of the built-in chain (2 or more)")
      ->check(unsigned_integer)
      ->check(count)
      ->capture_default_str();
  cmd->add_option("--coupling", a->coupling, "J (tfim: -J ZZ; heisenberg: J (XX + YY + ZZ))")
      ->check(finite)
      ->capture_default_str();
  cmd->add_option("--field", a->field, "h (tfim: -h X, default 1; heisenberg: h Z, default 0)")->check(finite);
  cmd->add_flag("--periodic", a->periodic, "Close the chain into a ring");
  cmd->add_option("--ansatz", a->ansatz, "Hardware-efficient form (Qiskit's)")
      ->check(CLI::IsMember(names_in(ansatz_kind_names)))
      ->capture_default_str();
  cmd->add_option("--reps", a->reps, "Rotation-and-entangler layers (bfgs: at most 4096 parameters)")
      ->check(unsigned_integer)
      ->check(CLI::Range(std::size_t{0}, std::size_t{10000}))
      ->capture_default_str();
  cmd->add_option("--entanglement", a->entanglement, "Entangling pairs (Qiskit's patterns)")
      ->check(CLI::IsMember(entanglement_choices()))
      ->capture_default_str();
  cmd->add_option("--initial-state", a->initial_state,
                  "Basis state before the ansatz, qubit 0 rightmost (e.g. 0101: Hartree-Fock for H2)");
  cmd->add_option("--initial-point", a->initial_point,
                  "θ of the first start (the others are random): a JSON array such as '[0.1, 0.2]', or a file "
                  "holding one");
  cmd->add_option("--optimizer", a->optimizer, "Optimizer (bfgs and adam on adjoint gradients, spsa on energies)")
      ->check(CLI::IsMember(names_in(vqe_optimizer_names)))
      ->capture_default_str();
  cmd->add_option("--iterations", a->iterations, "Iterations per start")
      ->check(unsigned_integer)
      ->check(count)
      ->capture_default_str();
  cmd->add_option("--learning-rate", a->learning_rate, "Adam's step size")
      ->check(finite_positive)
      ->capture_default_str();
  cmd->add_option("--starts", a->starts, "Random starting points (the best is kept)")
      ->check(unsigned_integer)
      ->check(count)
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "Random seed of the starts (and SPSA's perturbations)")
      ->check(unsigned_integer)
      ->capture_default_str();
  a->precision.add_to(cmd, "Amplitudes in single or double precision");
  cmd->add_option("--exact", a->exact, "Lanczos ground energy beside VQE's: auto (up to 20 qubits)|yes|no")
      ->capture_default_str();
  cmd->add_option("--offset", a->offset, "Constant added to reported energies (e.g. nuclear repulsion)")
      ->check(finite)
      ->capture_default_str();
  cmd->add_option("--threads", a->threads, "OpenMP threads (0: all)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd->add_option("--output", a->output, "Write the result as JSON to this file (atomically)");
  cmd->add_option("--save-circuit", a->save_circuit, "Write the optimized circuit, angles bound, as OpenQASM 2");
  cmd->add_flag("--json", a->json, "Print one JSON object");
  cmd->callback([a, &run] {
    a->method = parse_vqe_optimizer(a->optimizer);
    run = [a] {
      try {
        return a->precision.single() ? run_vqe_remote<float>(*a) : run_vqe_remote<double>(*a);
      } catch (const out_of_memory& e) {
        throw_too_large(e, a->file.empty() ? "--sites " + std::to_string(a->sites) : remote::shown(a->file));
      }
    };
  });
}

}  // namespace hqml::cli
