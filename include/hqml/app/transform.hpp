#pragma once
// The transform `hqml prep` fits on training rows and writes, and `hqml kernel --transform` and
// `hqml train --transform` apply to raw rows: hqml run's preprocessing (median imputation where cells are
// missing, standardization, PCA to the qubit count, min-max scaling to angles), with the CSV columns it reads.
//
// Nothing numeric is re-implemented here: the fitting and applying are pipeline.hpp's median_imputer and
// preprocessing, called as hqml run calls them (run_pipeline, fit_preprocessing), so a transform fitted on
// hqml run's training rows holds the same numbers as that run's model. On disk it is a versioned model
// directory (model_dir.hpp: model.json with format_version and kind "hqml-transform", its arrays as .npy
// files checked by CRC-32), the preprocessing blocks named as in a pipeline model's model.json.

#include <hqml/app/model_dir.hpp>
#include <hqml/app/pipeline.hpp>
#include <hqml/io/csv.hpp>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace hqml {

/// A fitted transform from raw CSV rows to one angle per qubit.
struct data_transform {
  /// model.json's "kind" of a transform directory.
  static constexpr const char* kind = "hqml-transform";
  /// The "transform" block's layout version (model.json's own format_version is model_dir.hpp's).
  static constexpr int version = 1;

  preprocessing pre;
  model_inputs inputs;  // the raw columns read (by name), their one-hot levels, the label column
  std::size_t qubits = 0;
  double angle_max = pi;
  std::size_t train_rows = 0;

  /// The output columns' names, one angle per qubit: x0, x1, ...
  [[nodiscard]] std::vector<std::string> output_names() const {
    std::vector<std::string> names;
    // Appended, not "x" + to_string(i): GCC 12 at -O2 and above warns (-Wrestrict, a false positive) on that.
    for (std::size_t i = 0; i < qubits; ++i) names.push_back(std::string("x").append(std::to_string(i)));
    return names;
  }

  /// Fits on the training rows `train` as hqml run fits on its training split: a median imputer on the
  /// training rows when `impute` (hqml run fits one when any cell of the data set is missing), then
  /// preprocessing(qubits, angle_max) (standardize; PCA when there are more features than qubits; min-max).
  /// Refuses qubits outside 1..features (hqml run lowers the count with a warning; a pipeline stage must not)
  /// and, through preprocessing::fit, more qubits than directions the training rows span.
  [[nodiscard]] static data_transform fit(const io::labeled_dataset& train, std::size_t qubits, double angle_max,
                                          bool impute, const std::string& what = "the training data") {
    const auto cols = static_cast<std::size_t>(train.features.cols());
    if (qubits < 1) throw std::invalid_argument("--qubits must be at least 1");
    if (qubits > cols)
      throw std::invalid_argument("--qubits " + std::to_string(qubits) + " is more than the " + std::to_string(cols) +
                                  " feature column" + (cols == 1 ? "" : "s") + " of " + what +
                                  ": PCA cannot make more components than features");
    if (train.features.rows() < 2)
      throw std::invalid_argument(what + " has " + std::to_string(train.features.rows()) + " data row" +
                                  (train.features.rows() == 1 ? "" : "s") +
                                  "; fitting a standardization needs at least 2");
    if (!(std::isfinite(angle_max) && angle_max > 0))
      throw std::invalid_argument("the angle range must be a positive finite number");
    // Too few rows (or collinear columns) for `qubits` PCA components is refused by preprocessing::fit, which
    // measures how many directions the rows span and says how far to lower --qubits.
    data_transform t;
    t.qubits = qubits;
    t.angle_max = angle_max;
    t.train_rows = static_cast<std::size_t>(train.features.rows());
    t.pre = preprocessing(qubits, angle_max);
    if (impute) {
      median_imputer imputer;
      imputer.fit(train.features, train.feature_names);
      t.pre.fit(train.features, imputer);
    } else {
      t.pre.fit(train.features);
    }
    t.inputs.input_columns = input_columns(train);
    t.inputs.feature_names = train.feature_names;
    t.inputs.categories = train.categories;
    t.inputs.label_name = train.label_name;
    return t;
  }

  /// How to read raw rows for this transform: its columns by name, its one-hot levels, missing cells only
  /// where it imputes; the label column read when present (`require_label`: it must be).
  [[nodiscard]] io::csv_options csv_options(bool require_label) const {
    io::csv_options o;
    o.features = inputs.input_columns;
    o.categories = inputs.categories;
    if (!inputs.categories.empty()) o.text = io::text_columns::one_hot;
    o.allow_missing = pre.imputes();
    o.require_label = require_label;
    return o;
  }

  /// Reads a raw CSV with this transform's columns; `label` (default: the transform's label column).
  [[nodiscard]] io::labeled_dataset read(const std::filesystem::path& file, bool require_label,
                                         const std::string& label = {}) const {
    io::labeled_dataset d = io::read_csv_dataset(
        file, io::label_column::named(label.empty() ? inputs.label_name : label), csv_options(require_label));
    if (d.feature_names != inputs.feature_names)
      throw std::invalid_argument(file.string() + ": its columns give " + std::to_string(d.feature_names.size()) +
                                  " features that differ from the " + std::to_string(inputs.feature_names.size()) +
                                  " the transform was fitted on");
    return d;
  }

  /// Raw feature rows (inputs.feature_names, in order) to angles, qubits columns.
  [[nodiscard]] Eigen::MatrixXd apply(const Eigen::MatrixXd& raw) const {
    if (static_cast<std::size_t>(raw.cols()) != inputs.feature_names.size())
      throw std::invalid_argument("the data has " + std::to_string(raw.cols()) +
                                  " feature columns; the transform reads " +
                                  std::to_string(inputs.feature_names.size()));
    if (!raw.allFinite() && !pre.imputes())
      throw std::invalid_argument(
          "the data has missing values, and the transform was fitted without imputation (hqml prep --na median)");
    return pre.transform(raw);
  }

  void save(const std::filesystem::path& dir, bool beside_other_files = false) const {
    learn::model_writer w(kind);
    w.json()["transform"] = {{"version", version},
                             {"qubits", qubits},
                             {"angle_max", angle_max},
                             {"train_rows", train_rows},
                             {"output_columns", output_names()}};
    w.json()["inputs"] = {{"columns", inputs.input_columns},
                          {"feature_names", inputs.feature_names},
                          {"categories", inputs.categories},
                          {"label", inputs.label_name}};
    pre.save(w);
    w.save(dir, beside_other_files);
  }

  /// Loads and checks a transform directory; anything else (a model, an edited or truncated file) is a
  /// learn::model_error naming the file.
  /// `dir` may also be hqml prep's output folder (prep.json beside transform/): its transform/ is read.
  [[nodiscard]] static data_transform load(std::filesystem::path dir) {
    std::error_code ec;
    if (!std::filesystem::exists(dir / "model.json", ec) && std::filesystem::is_regular_file(dir / "prep.json", ec))
      dir /= "transform";
    const learn::model_reader r(dir);
    const auto file = dir / "model.json";
    if (r.kind() != kind)
      throw learn::model_error(
          file, "kind '" + r.kind() + "' is not an hqml transform (hqml prep writes one, kind '" + kind + "')");
    data_transform t;
    try {
      const auto& b = r.block("transform");
      const int v = b.at("version").get<int>();
      if (v != version)
        throw learn::model_error(file, "transform version " + std::to_string(v) +
                                           " is not supported (this hqml reads " + std::to_string(version) + ")");
      t.qubits = b.at("qubits").get<std::size_t>();
      t.angle_max = b.at("angle_max").get<double>();
      t.train_rows = b.at("train_rows").get<std::size_t>();
      const auto& in = r.block("inputs");
      t.inputs.input_columns = in.at("columns").get<std::vector<std::string>>();
      t.inputs.feature_names = in.at("feature_names").get<std::vector<std::string>>();
      t.inputs.categories = in.at("categories").get<std::map<std::string, std::vector<std::string>>>();
      t.inputs.label_name = in.at("label").get<std::string>();
    } catch (const nlohmann::json::exception& e) {
      throw learn::model_error(file, std::string("malformed transform: ") + e.what());
    }
    if (t.qubits < 1 || t.qubits > 30)
      throw learn::model_error(file, "transform.qubits " + std::to_string(t.qubits) + " is not in 1..30");
    if (!(std::isfinite(t.angle_max) && t.angle_max > 0))
      throw learn::model_error(file, "transform.angle_max must be a positive finite number");
    if (t.inputs.feature_names.empty() || t.inputs.feature_names.size() > 100000)
      throw learn::model_error(file, "inputs.feature_names must list 1 to 100000 features");
    t.pre = preprocessing::load(r);
    if (t.pre.identity()) throw learn::model_error(file, "the transform holds no preprocessing steps");
    // The stored arrays must agree with each other and with the columns: apply the transform to one row of
    // zeros (the scalers and PCA refuse a size they were not fitted on) and expect one finite angle per qubit.
    try {
      const Eigen::MatrixXd out =
          t.pre.transform(Eigen::MatrixXd::Zero(1, static_cast<Eigen::Index>(t.inputs.feature_names.size())));
      if (static_cast<std::size_t>(out.cols()) != t.qubits || !out.allFinite())
        throw std::invalid_argument("it gives " + std::to_string(out.cols()) + " values per row, expected " +
                                    std::to_string(t.qubits) + " finite angles");
    } catch (const std::exception& e) {
      throw learn::model_error(file, std::string("the transform's arrays disagree with its columns: ") + e.what());
    }
    return t;
  }
};

}  // namespace hqml
