// hqml kernel: a quantum kernel matrix of CSV data as a float64 .npy file, streamed row block by row block.
#include "commands.hpp"
#include "pipeline_options.hpp"
#include "remote_paths.hpp"

#include <hqml/app/transform.hpp>
#include <hqml/io/atomic_file.hpp>
#include <hqml/quantum_kernel.hpp>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace hqml::cli {
namespace {

/// --kernel's values: the two quantum kernels the library computes (fidelity_kernel, projected_kernel).
enum class kernel_kind : std::uint8_t { fidelity, projected };

constexpr name_table<kernel_kind, 2> kernel_kind_names{{
    {kernel_kind::fidelity, "fidelity"},
    {kernel_kind::projected, "projected"},
}};

constexpr std::string_view to_string(kernel_kind k) {
  return name_in(kernel_kind_names, k, "hqml::cli::to_string", "kernel");
}

struct kernel_cli {
  std::string train, test, label, out, transform;
  std::string train_name, test_name, out_name, transform_name;  // for messages: the values as given (URIs redacted)
  map_options map;
  csv_cli csv;
  std::string kind{to_string(kernel_kind::fidelity)};
  double gamma = 1.0, scale = 1.0;
  int threads = 0;
  precision_option precision;
  device_option device;
};

int kernel_local(const kernel_cli& o) {
  const kernel_kind kind = parse_in(kernel_kind_names, o.kind, "--kernel", "kernel");
  if (o.device.gpu() && kind == kernel_kind::projected)
    throw usage_error("--device gpu computes fidelity kernels; --kernel projected runs on the CPU (--device cpu)");
  const std::string where = o.device.check();
  io::check_output_path(o.out);
  const auto t0 = std::chrono::steady_clock::now();
  // --transform (hqml prep's): raw rows read by the transform's columns and turned into angles by it.
  std::optional<data_transform> transform;
  if (!o.transform.empty()) {
    if (!o.csv.features.empty() || !o.csv.drop.empty() || o.csv.na != to_string(missing_values::refuse) ||
        !o.csv.na_values.empty() || o.csv.text != to_string(io::text_columns::refuse))
      throw usage_error(
          "--transform reads the columns it was fitted on: leave out --features, --drop, --na, "
          "--na-values and --text");
    transform = data_transform::load(o.transform);
  }
  // The label column: --label, or a column named "label" when there is one (with --transform: the transform's
  // label column), so that it never becomes an angle silently. It may be absent (the samples to score).
  const std::string label = o.label.empty() ? (transform ? transform->inputs.label_name : "label") : o.label;
  const auto read = [&](const std::string& file, bool label_optional) {
    if (!transform) return read_features(file, label, o.csv.options(), label_optional);
    io::labeled_dataset d = transform->read(file, false, label);
    d.features = transform->apply(d.features);
    d.feature_names = transform->output_names();
    return d;
  };
  const io::labeled_dataset dx = read(o.train, o.label.empty());
  const io::labeled_dataset dy = o.test.empty() ? io::labeled_dataset{} : read(o.test, true);
  // --feature-scale: the features multiplied before the map, as hqml train and the saved models do.
  const Eigen::MatrixXd x = o.scale * dx.features;
  const Eigen::MatrixXd y = o.scale * dy.features;
  for (const auto& w : dx.warnings) std::cerr << "hqml: warning: " << w << "\n";
  if (!o.test.empty() && dy.feature_names != dx.feature_names)
    throw usage_error(o.test_name + ": its feature columns differ from " + o.train_name + "'s (names or order)");
  if (!o.test.empty() && y.cols() != x.cols())
    throw usage_error(o.test_name + ": " + std::to_string(y.cols()) + " feature columns, but " + o.train_name +
                      " has " + std::to_string(x.cols()));
  if (transform && o.map.qubits && o.map.qubits != transform->qubits)
    throw usage_error("--qubits " + std::to_string(o.map.qubits) + ": the transform " + o.transform_name + " gives " +
                      std::to_string(transform->qubits) + " angles per row (one per qubit)");
  feature_map_spec spec = o.map.spec(static_cast<std::size_t>(x.cols()));
  if (transform && !o.map.qubits) spec.num_qubits = transform->qubits;  // every angle, even past 8
  if (spec.features_read() > static_cast<std::size_t>(x.cols()))
    throw usage_error("--qubits " + std::to_string(spec.num_qubits) + " needs " + std::to_string(spec.features_read()) +
                      " feature columns; " + o.train_name + " has " + std::to_string(x.cols()));
  // hqml kernel reads the features as angles, one per qubit; it never drops columns silently.
  if (spec.features_read() < static_cast<std::size_t>(x.cols()))
    throw usage_error(o.train_name + " has " + std::to_string(x.cols()) + " feature columns but the " +
                      std::string(to_string(spec.kind)) + " map on " + std::to_string(spec.num_qubits) +
                      " qubits reads " + std::to_string(spec.features_read()) +
                      ": choose the columns (--features or --drop), set --qubits " + std::to_string(x.cols()) +
                      ", or reduce them first (hqml run and hqml train apply PCA)");
  const circuit fm = spec.build();
  const kernel_options kopt{o.threads};
  // Rows of K are the test samples when given, else the training samples.
  const Eigen::MatrixXd& rows = o.test.empty() ? x : y;
  if (o.device.gpu()) {
    // The whole matrix in memory (the CPU path streams row blocks instead), written atomically.
    io::write_npy(o.out, kernel_matrix(o.device.value(), fm, rows, o.test.empty() ? nullptr : &x, {},
                                       o.precision.single(), kopt));
  } else if (kind == kernel_kind::projected) {
    io::write_npy(o.out, projected_kernel<double>(fm, rows, x, o.gamma, {}, o.threads));
  } else if (o.precision.single()) {
    fidelity_kernel_to_npy<float>(fm, rows, o.test.empty() ? nullptr : &x, o.out, {}, kopt);
  } else {
    fidelity_kernel_to_npy<double>(fm, rows, o.test.empty() ? nullptr : &x, o.out, {}, kopt);
  }
  std::cerr << "hqml kernel: " << rows.rows() << " x " << x.rows() << " " << o.kind << " kernel ("
            << to_string(spec.kind) << ", " << spec.num_qubits << " qubits, on " << where << ") written to "
            << o.out_name << " in " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
            << " s\n";
  return 0;
}

// --train, --test, --transform and --out may be storage URIs (remote_paths.hpp): the inputs are downloaded to
// private temporary files, the .npy is written locally and uploaded when complete.
int kernel_main(const kernel_cli& o) {
  remote::output_file out("--out", o.out);
  const remote::input_file train("--train", o.train);
  const remote::input_file test("--test", o.test);
  const remote::input_dir transform("--transform", o.transform);
  kernel_cli lo = o;
  lo.train = train.path();
  lo.test = test.path();
  lo.out = out.path();
  lo.transform = transform.path();
  lo.train_name = train.display();
  lo.test_name = test.display();
  lo.out_name = out.display();
  lo.transform_name = transform.display();
  const int rc = kernel_local(lo);
  out.publish();
  return rc;
}

}  // namespace

void register_kernel(CLI::App& app, action& act) {
  auto o = std::make_shared<kernel_cli>();
  auto* sub = app.add_subcommand("kernel", "Quantum kernel matrix of CSV data (features used as angles) to .npy");
  sub->add_option("--train", o->train, "Training samples (CSV with header)")->required();
  sub->add_option("--test", o->test, "Test samples: K has one row per test sample");
  sub->add_option("--label", o->label,
                  "Label column to leave out (name or 0-based index; default: the column named label, if any)");
  sub->add_option("--out", o->out, "Output .npy file")->required();
  sub->add_option("--transform", o->transform,
                  "hqml prep's transform folder: --train and --test are raw rows, turned into angles by it");
  o->csv.add_to(sub);
  o->map.add_to(sub);
  sub->add_option("--feature-scale", o->scale, "Features are multiplied by this before the map")
      ->check(finite_positive)
      ->capture_default_str();
  sub->add_option("--kernel", o->kind, "Quantum kernel")->check(CLI::IsMember(names_in(kernel_kind_names)));
  sub->add_option("--gamma", o->gamma, "Projected kernel gamma")->check(finite_positive);
  sub->add_option("--threads", o->threads, "Threads (0: all)")->check(CLI::Range(0, 4096));
  o->precision.add_to(sub, "Simulation precision");
  o->device.add_to(sub, kernels_device_help);
  sub->callback([o, &act] { act = [o] { return kernel_main(*o); }; });
}

}  // namespace hqml::cli
