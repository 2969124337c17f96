// hqml tune: QUBO-encoded hyperparameter search (factorization-machine surrogate + simulated annealing) of the
// quantum-kernel SVM, next to random search and grid search at the same evaluation budget.
#include "commands.hpp"
#include "pipeline_options.hpp"

#include <hqml/anneal/hyperparameter_search.hpp>
#include <hqml/app/pipeline.hpp>

#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <tuple>

namespace hqml::cli {
namespace {

struct tune_cli {
  std::string data, label = "label";
  csv_cli csv;
  std::size_t qubits = 2, budget = 20;
  int folds = 4, threads = 0;
  std::uint64_t seed = 0;
  bool json = false;
};

const std::vector<std::string> entanglements = {"linear", "full", "circular"};

int tune_main(const tune_cli& o) {
  // Training data: the built-in ad hoc set, or a CSV preprocessed as hqml run does.
  Eigen::MatrixXd x;
  std::vector<int> y;
  std::size_t qubits = o.qubits;
  if (o.data.empty()) {
    const ad_hoc_dataset d = ad_hoc_data(20, 0, qubits, 0.3, o.seed);
    x = d.train.x;
    y.assign(d.train.y.data(), d.train.y.data() + d.train.y.size());
  } else {
    const io::labeled_dataset d = io::read_csv_dataset(o.data, parse_label(o.label), o.csv.options());
    preprocessing pre(qubits, pi);
    pre.fit(d.features);
    x = pre.transform(d.features);
    y = d.labels;
    qubits = std::min(qubits, static_cast<std::size_t>(x.cols()));
    // Every class must reach every fold, as hqml run requires.
    if (d.class_names.size() < 2)
      throw usage_error(printable(o.data) + ": the label column holds one class only; a classifier needs two or more");
    std::vector<std::size_t> count(d.class_names.size(), 0);
    for (const int c : y) ++count[static_cast<std::size_t>(c)];
    for (std::size_t c = 0; c < count.size(); ++c)
      if (count[c] < static_cast<std::size_t>(o.folds))
        throw usage_error("--folds " + std::to_string(o.folds) + ": class '" + printable(d.class_names[c]) + "' of " +
                          printable(o.data) + " has only " + std::to_string(count[c]) +
                          " rows; lower --folds or add data");
  }
  const anneal::search_space space({{"C", {0.1, 1.0, 10.0, 100.0}},
                                    {"feature_scale", {0.25, 0.5, 1.0, 2.0}},
                                    {"reps", {1, 2, 3}},
                                    {"entanglement", {0, 1, 2}}});
  // Kernels depend on everything but C: compute each once.
  std::map<std::tuple<double, double, double>, Eigen::MatrixXd> kernels;
  const auto folds = learn::stratified_k_fold(y, o.folds, o.seed);
  std::size_t evaluations = 0;
  auto objective = [&](const std::vector<double>& v) {
    ++evaluations;
    const auto key = std::make_tuple(v[1], v[2], v[3]);
    auto it = kernels.find(key);
    if (it == kernels.end()) {
      feature_map_spec spec;
      spec.num_qubits = qubits;
      spec.reps = static_cast<std::size_t>(v[2]);
      spec.entanglement = entanglements[static_cast<std::size_t>(v[3])];
      it = kernels.emplace(key, fidelity_kernel<double>(spec.build(), v[1] * x, {}, kernel_options{o.threads, 256}))
               .first;
    }
    learn::svc_params sp;
    sp.C = v[0];
    return learn::cross_validate_svc(it->second, y, sp, folds, learn::score_metric::accuracy).mean;
  };
  anneal::tune_options topt;
  topt.budget = o.budget;
  topt.seed = o.seed;
  topt.num_threads = o.threads > 0 ? o.threads : 1;
  const auto fmqa = anneal::tune(space, objective, topt);
  const auto random = anneal::random_search(space, objective, o.budget, o.seed);
  const auto grid = anneal::grid_search(space, objective, o.budget);

  auto describe = [&](const anneal::search_result& r) {
    const auto v = space.values(r.best_config);
    return nlohmann::json{{"best_score", r.best_score},
                          {"best",
                           {{"C", v[0]},
                            {"feature_scale", v[1]},
                            {"reps", v[2]},
                            {"entanglement", entanglements[static_cast<std::size_t>(v[3])]}}},
                          {"best_so_far", r.best_so_far}};
  };
  const nlohmann::json j = {{"budget", o.budget},     {"space_size", 4 * 4 * 3 * 3}, {"folds", o.folds},
                            {"fmqa", describe(fmqa)}, {"random", describe(random)},  {"grid", describe(grid)}};
  if (o.json) {
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::printf("search space: C x feature scale x reps x entanglement = 144 configurations; budget %zu each\n",
              o.budget);
  std::printf("%-8s %-10s %s\n", "method", "best CV", "best configuration");
  for (const char* m : {"fmqa", "random", "grid"}) {
    const auto& b = j[m]["best"];
    std::printf("%-8s %-10.4f C=%g scale=%g reps=%g entanglement=%s\n", m, j[m]["best_score"].get<double>(),
                b["C"].get<double>(), b["feature_scale"].get<double>(), b["reps"].get<double>(),
                b["entanglement"].get<std::string>().c_str());
  }
  std::printf("best score after each evaluation (fmqa / random / grid):\n");
  for (std::size_t e = 0; e < o.budget; e += std::max<std::size_t>(1, o.budget / 10)) {
    auto at = [&](const anneal::search_result& r) {
      return e < r.best_so_far.size() ? r.best_so_far[e] : r.best_score;
    };
    std::printf("  %3zu  %.4f  %.4f  %.4f\n", e + 1, at(fmqa), at(random), at(grid));
  }
  return 0;
}

}  // namespace

void register_tune(CLI::App& app, action& act) {
  auto o = std::make_shared<tune_cli>();
  auto* sub = app.add_subcommand("tune", "QUBO-encoded hyperparameter search of the quantum-kernel SVM (FMQA)");
  sub->add_option("--data", o->data, "CSV with a header row (default: the built-in ad hoc dataset)");
  sub->add_option("--label", o->label, "Label column (name or 0-based index)")->capture_default_str();
  o->csv.add_to(sub);
  sub->add_option("--qubits", o->qubits, "Qubits")->check(CLI::Range(1, 16))->capture_default_str();
  sub->add_option("--budget", o->budget, "Objective evaluations per method")
      ->check(CLI::Range(1, 144))
      ->capture_default_str();
  sub->add_option("--folds", o->folds, "Cross-validation folds")->check(CLI::Range(2, 20))->capture_default_str();
  sub->add_option("--seed", o->seed, "Seed")->check(unsigned_integer);
  sub->add_option("--threads", o->threads, "Threads (0: all)")->check(CLI::Range(0, 4096));
  sub->add_flag("--json", o->json, "One JSON object");
  sub->callback([o, &act] { act = [o] { return tune_main(*o); }; });
}

}  // namespace hqml::cli
