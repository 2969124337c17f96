#pragma once
// Each subcommand of the hqml program lives in cmd_<name>.cpp and registers itself here.

#include <CLI/CLI.hpp>

#include <exception>
#include <functional>
#include <stdexcept>
#include <string>

namespace hqml::cli {

/// Thrown by a subcommand for bad input: main prints the message on one line and exits with code 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A state too large for this machine (hqml::out_of_memory, refused by the library before allocating) is bad
/// input: rethrown as a usage_error (exit 2) named by what asked for it. main prints the "hqml: " prefix.
[[noreturn]] inline void throw_too_large(const std::exception& e, const std::string& asked_by) {
  std::string why = e.what();
  if (why.starts_with("hqml: ")) why.erase(0, 6);
  throw usage_error(asked_by + ": " + why);
}

/// A subcommand's action; returns the process exit code.
using action = std::function<int()>;

void register_simulate(CLI::App& app, action& run);
void register_run(CLI::App& app, action& run);
void register_kernel(CLI::App& app, action& run);
void register_train(CLI::App& app, action& run);
void register_predict(CLI::App& app, action& run);
void register_assess(CLI::App& app, action& run);
void register_tune(CLI::App& app, action& run);
void register_anneal(CLI::App& app, action& run);
void register_vqe(CLI::App& app, action& run);

}  // namespace hqml::cli
