#pragma once
// Saving and loading the learning models through model directories (model_dir.hpp). Each model is one
// JSON block plus arrays whose names start with the block's prefix, so several models (a scaler, a PCA,
// an SVC) and a later pipeline's own "feature_map" and "kernel" blocks share one directory:
//
//   hqml::learn::model_writer w("pipeline");
//   save(w, scaler, "scaler");  save(w, model, "svc");  w.json()["kernel"] = {...};
//   w.add_array("train_x", x);  w.save("model");
//
//   hqml::learn::model_reader r("model");
//   auto model = load_svc(r, "svc");

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <hqml/app/model_dir.hpp>
#include <hqml/learn/min_max_scaler.hpp>
#include <hqml/learn/pca.hpp>
#include <hqml/learn/standard_scaler.hpp>
#include <hqml/learn/svc.hpp>

namespace hqml::learn {

namespace detail {

inline std::vector<double> to_std(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }
inline Eigen::VectorXd to_eigen(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

// Reads a field of a block, turning JSON type errors into a model_error that names model.json.
template <class T>
T field(const model_reader& r, const nlohmann::json& block, const std::string& prefix, const char* key) {
  try {
    return block.at(key).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw model_error(r.directory() / "model.json", "\"" + prefix + "\"." + key + ": " + e.what());
  }
}

inline void expect_type(const model_reader& r, const nlohmann::json& block, const std::string& prefix,
                        const char* type) {
  if (field<std::string>(r, block, prefix, "type") != type)
    throw model_error(r.directory() / "model.json", "\"" + prefix + "\" is not a " + type + " block");
}

// Runs a loader step; inconsistent stored parameters become a model_error naming model.json.
template <class Fn>
auto checked(const model_reader& r, const std::string& prefix, Fn&& fn) {
  try {
    return fn();
  } catch (const std::invalid_argument& e) {
    throw model_error(r.directory() / "model.json", "\"" + prefix + "\": " + e.what());
  }
}

}  // namespace detail

inline void save(model_writer& w, const svc& m, const std::string& prefix = "svc") {
  const auto& p = m.params();
  nlohmann::json cw = nlohmann::json::array();
  for (const auto& [label, weight] : p.class_weight) cw.push_back({label, weight});
  w.json()[prefix] = {{"type", "svc"},
                      {"classes", m.classes()},
                      {"n_support", m.n_support()},
                      {"n_train", m.n_train()},
                      {"rho", detail::to_std(m.rho())},
                      {"prob_a", detail::to_std(m.prob_a())},
                      {"prob_b", detail::to_std(m.prob_b())},
                      {"params",
                       {{"C", p.C},
                        {"eps", p.eps},
                        {"shrinking", p.shrinking},
                        {"cache_mb", p.cache_mb},
                        {"probability", p.probability},
                        {"probability_seed", p.probability_seed},
                        {"class_weight", cw}}}};
  w.add_array(prefix + ".dual_coef", m.dual_coef());
  std::vector<std::int64_t> sv(m.support().begin(), m.support().end());
  w.add_array(prefix + ".support", sv);
}

[[nodiscard]] inline svc load_svc(const model_reader& r, const std::string& prefix = "svc") {
  const auto& b = r.block(prefix);
  detail::expect_type(r, b, prefix, "svc");
  svc_params p;
  try {
    const auto& pj = b.contains("params") ? b["params"] : nlohmann::json::object();
    if (pj.contains("C")) p.C = pj["C"].get<double>();
    if (pj.contains("eps")) p.eps = pj["eps"].get<double>();
    if (pj.contains("shrinking")) p.shrinking = pj["shrinking"].get<bool>();
    if (pj.contains("cache_mb")) p.cache_mb = pj["cache_mb"].get<double>();
    if (pj.contains("probability_seed")) p.probability_seed = pj["probability_seed"].get<std::uint32_t>();
    if (pj.contains("class_weight"))
      for (const auto& e : pj["class_weight"]) p.class_weight.emplace_back(e.at(0).get<int>(), e.at(1).get<double>());
  } catch (const nlohmann::json::exception& e) {
    throw model_error(r.directory() / "model.json", "\"" + prefix + "\".params: " + e.what());
  }
  const auto support = r.array<std::int64_t>(prefix + ".support").data;
  try {
    return svc::from_parts(detail::field<std::vector<int>>(r, b, prefix, "classes"),
                           detail::field<std::vector<std::ptrdiff_t>>(r, b, prefix, "n_support"),
                           std::vector<std::ptrdiff_t>(support.begin(), support.end()),
                           r.matrix<double>(prefix + ".dual_coef"),
                           detail::to_eigen(detail::field<std::vector<double>>(r, b, prefix, "rho")),
                           detail::to_eigen(detail::field<std::vector<double>>(r, b, prefix, "prob_a")),
                           detail::to_eigen(detail::field<std::vector<double>>(r, b, prefix, "prob_b")),
                           detail::field<std::ptrdiff_t>(r, b, prefix, "n_train"), std::move(p));
  } catch (const std::invalid_argument& e) {
    throw model_error(r.directory() / "model.json", "\"" + prefix + "\": " + e.what());
  }
}

inline void save(model_writer& w, const min_max_scaler& s, const std::string& prefix = "scaler") {
  w.json()[prefix] = {{"type", "min_max_scaler"}, {"lo", s.lo()}, {"hi", s.hi()}};
  w.add_array(prefix + ".data_min", s.data_min());
  w.add_array(prefix + ".data_max", s.data_max());
}

[[nodiscard]] inline min_max_scaler load_min_max_scaler(const model_reader& r, const std::string& prefix = "scaler") {
  const auto& b = r.block(prefix);
  detail::expect_type(r, b, prefix, "min_max_scaler");
  return detail::checked(r, prefix, [&] {
    return min_max_scaler::from_parameters(
        detail::field<double>(r, b, prefix, "lo"), detail::field<double>(r, b, prefix, "hi"),
        r.vector<double>(prefix + ".data_min"), r.vector<double>(prefix + ".data_max"));
  });
}

inline void save(model_writer& w, const standard_scaler& s, const std::string& prefix = "scaler") {
  w.json()[prefix] = {{"type", "standard_scaler"}};
  w.add_array(prefix + ".mean", s.mean());
  w.add_array(prefix + ".scale", s.scale());
}

[[nodiscard]] inline standard_scaler load_standard_scaler(const model_reader& r, const std::string& prefix = "scaler") {
  detail::expect_type(r, r.block(prefix), prefix, "standard_scaler");
  return detail::checked(r, prefix, [&] {
    return standard_scaler::from_parameters(r.vector<double>(prefix + ".mean"), r.vector<double>(prefix + ".scale"));
  });
}

inline void save(model_writer& w, const pca& p, const std::string& prefix = "pca") {
  w.json()[prefix] = {{"type", "pca"}, {"n_components", p.n_components()}};
  w.add_array(prefix + ".mean", p.mean());
  w.add_array(prefix + ".components", p.components());
  w.add_array(prefix + ".explained_variance", p.explained_variance());
  w.add_array(prefix + ".explained_variance_ratio", p.explained_variance_ratio());
}

[[nodiscard]] inline pca load_pca(const model_reader& r, const std::string& prefix = "pca") {
  detail::expect_type(r, r.block(prefix), prefix, "pca");
  return detail::checked(r, prefix, [&] {
    return pca::from_parameters(r.vector<double>(prefix + ".mean"), r.matrix<double>(prefix + ".components"),
                                r.vector<double>(prefix + ".explained_variance"),
                                r.vector<double>(prefix + ".explained_variance_ratio"));
  });
}

/// A directory holding one SVC.
inline void save_svc(const std::filesystem::path& dir, const svc& m) {
  model_writer w("svc");
  save(w, m, "svc");
  w.save(dir);
}
[[nodiscard]] inline svc load_svc(const std::filesystem::path& dir) { return load_svc(model_reader(dir), "svc"); }

}  // namespace hqml::learn
