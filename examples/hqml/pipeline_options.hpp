#pragma once
// Options shared by the pipeline subcommands (run, kernel, train, assess): the feature map and the data.

#include "commands.hpp"
#include "device_option.hpp"

#include <hqml/app/pipeline.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hqml::cli {

struct map_options {
  std::string kind{to_string(feature_map_kind::zz)};  // one of feature_map_kind_names (--feature-map's IsMember)
  std::size_t qubits = 0;
  std::size_t reps = 2;
  std::string entanglement = "linear";
  double alpha = 2.0;
  std::vector<std::string> paulis = {"Z", "ZZ"};

  void add_to(CLI::App* sub) {
    sub->add_option("--feature-map", kind, "Feature map (angle: RY angle embedding)")
        ->check(CLI::IsMember(names_in(feature_map_kind_names)));
    sub->add_option("--qubits", qubits, "Qubits (0: one per feature, at most 8)")->check(CLI::Range(0, 24));
    sub->add_option("--reps", reps, "Feature-map repetitions (ladder depth for angle_ladder)")
        ->check(CLI::Range(1, 64));
    sub->add_option("--entanglement", entanglement, "Entangling pattern (Qiskit's)")
        ->check(CLI::IsMember(entanglement_choices()));
    sub->add_option("--alpha", alpha, "Pauli feature-map scale alpha")->check(finite);
    sub->add_option("--paulis", paulis, "Pauli strings of the pauli map, e.g. --paulis Z ZZ");
  }
  [[nodiscard]] feature_map_kind value() const { return parse_feature_map_kind(kind); }
  [[nodiscard]] feature_map_spec spec(std::size_t features) const {
    feature_map_spec s;
    s.kind = value();
    s.num_qubits = qubits ? qubits : std::min<std::size_t>(features, 8);
    s.reps = reps;
    s.entanglement = entanglement;
    s.alpha = alpha;
    s.paulis = paulis;
    if (is_angle_map(s.kind)) s.num_features = features;
    return s;
  }
};

/// --na's values: what a missing feature value does. The library has a flag for it (csv_options::allow_missing),
/// not an enum, so the names are the program's.
enum class missing_values : std::uint8_t { refuse, median };

inline constexpr name_table<missing_values, 2> missing_values_names{{
    {missing_values::refuse, "refuse"},
    {missing_values::median, "median"},
}};

[[nodiscard]] constexpr std::string_view to_string(missing_values m) {
  return name_in(missing_values_names, m, "hqml::cli::to_string", "missing-value handling");
}

/// How a CSV data set is read: columns, separator, missing values, text columns (run, train, assess, kernel).
struct csv_cli {
  std::vector<std::string> features, drop, na_values;
  std::string sep = "auto";
  std::string na{to_string(missing_values::refuse)};      // one of missing_values_names
  std::string text{to_string(io::text_columns::refuse)};  // one of io::text_columns_names

  void add_to(CLI::App* sub) {
    sub->add_option("--features", features, "Feature columns to use, by header name (default: all but the label)");
    sub->add_option("--drop", drop, "Columns to leave out, by header name (e.g. an id column)");
    sub->add_option("--sep", sep, "Field separator: auto (from the header: , ; or tab), ',', ';' or tab")
        ->check(CLI::IsMember({"auto", ",", ";", "tab", "\\t"}))
        ->capture_default_str();
    sub->add_option("--na", na, "Missing feature values: refuse (an error naming the first one) or median (impute)")
        ->check(CLI::IsMember(names_in(missing_values_names)))
        ->capture_default_str();
    sub->add_option("--na-values", na_values,
                    "Cell texts read as missing (default: empty, NA, N/A, NaN, nan, null, NULL, None, ?)");
    sub->add_option("--text", text, "Non-numeric feature columns: refuse, or one-hot (one 0/1 column per value)")
        ->check(CLI::IsMember(names_in(io::text_columns_names)))
        ->capture_default_str();
  }
  [[nodiscard]] io::csv_options options() const {
    io::csv_options o;
    o.separator = sep == "auto" ? '\0' : sep == "tab" || sep == "\\t" ? '\t' : sep[0];
    o.features = features;
    o.drop = drop;
    if (!na_values.empty()) o.na_values = na_values;
    o.allow_missing = parse_in(missing_values_names, na, "--na", "missing-value handling") == missing_values::median;
    o.text = io::parse_text_columns(text);
    return o;
  }
};

/// Training the parameters θ of a trainable feature map before fitting (hqml train).
struct kernel_training_cli {
  bool trainable = false;
  std::string method = "none";  // none, spsa, gradient (Adam on the parameter-shift gradient)
  std::size_t iterations = 30;
  std::string objective = "alignment";  // alignment, svc
  std::uint64_t seed = 0;

  void add_to(CLI::App* sub) {
    sub->add_flag("--trainable", trainable,
                  "Trainable feature map: RY(theta_q) on every qubit before the map (theta = 0 unless trained)");
    sub->add_option("--train-kernel", method, "Train theta before fitting: none, spsa or gradient (Adam)")
        ->check(CLI::IsMember({"none", "spsa", "gradient"}))
        ->capture_default_str();
    sub->add_option("--train-kernel-iters", iterations, "Kernel-training iterations")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    sub->add_option("--train-kernel-objective", objective,
                    "Kernel-training loss: alignment (negative kernel-target alignment) or svc (SVC dual objective)")
        ->check(CLI::IsMember({"alignment", "svc"}))
        ->capture_default_str();
    sub->add_option("--seed", seed, "Seed of SPSA's random directions")->check(unsigned_integer)->capture_default_str();
  }
};

/// The fidelity kernel K(a, b) (b null: K(a, a)) on device d, in float or double: the library's
/// fidelity_kernel<Real, Backend> for the backend with_backend picks.
inline Eigen::MatrixXd kernel_matrix(hqml::device d, const circuit& fm, const Eigen::MatrixXd& a,
                                     const Eigen::MatrixXd* b, std::span<const double> theta = {},
                                     bool single_precision = false, const kernel_options& opt = {}) {
  return with_backend(d, [&](auto backend) {
    using backend_type = decltype(backend);
    const auto run = [&](auto real) {
      using real_type = decltype(real);
      return b ? fidelity_kernel<real_type, backend_type>(fm, a, *b, theta, opt)
               : fidelity_kernel<real_type, backend_type>(fm, a, theta, opt);
    };
    return single_precision ? run(float{}) : run(double{});
  });
}

/// The label column: a number is a 0-based index, anything else a header name.
inline io::label_column parse_label(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) {
    std::size_t i = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), i);
    if (r.ec != std::errc() || i > 1000000)
      throw usage_error("--label " + printable(s) + ": no CSV has that many columns (a number is a 0-based index)");
    return io::label_column::at(i);
  }
  return io::label_column::named(s);
}

/// Features of a CSV file, with the label column removed when one is named (and allowed to be absent when
/// `label_optional`).
inline io::labeled_dataset read_features(const std::string& file, const std::string& label, io::csv_options opt = {},
                                         bool label_optional = false) {
  if (label.empty()) {
    opt.require_label = false;
    return io::read_csv_dataset(file, io::label_column::named(std::string{}), opt);
  }
  opt.require_label = !label_optional;
  return io::read_csv_dataset(file, parse_label(label), opt);
}

}  // namespace hqml::cli
