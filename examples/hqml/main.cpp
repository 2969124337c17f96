// The hqml program: one subcommand per pipeline stage.
//
// Exit codes, whoever detects the problem (README, "Errors and exit codes"):
//   0  success;
//   1  the input was acceptable but the work failed: an output could not be written (disk full, I/O error),
//      another hqml run is writing the same output, the machine ran out of memory, or an internal error;
//   2  bad input: an option, an input file, the data, a request beyond a limit, or an output path that can
//      never be written (refused before any computation).
// Every error is one line on stderr, "hqml: " and the cause, naming the option or file:line:col.
#include "commands.hpp"

#include <hqml/app/model_dir.hpp>
#include <hqml/error.hpp>
#include <hqml/io/atomic_file.hpp>
#include <hqml/io/output_lock.hpp>
#include <hqml/io/read_file.hpp>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <new>
#include <string>
#include <system_error>

namespace {

// One line, prefixed once: library messages may start with "hqml: " or name a function ("hqml::load_qasm: ").
void report(std::string message) {
  for (bool again = true; again;) {
    again = false;
    for (const std::string_view p : {"hqml: ", "error: "})
      if (message.starts_with(p)) message.erase(0, p.size()), again = true;
    if (message.starts_with("hqml::")) {
      const auto colon = message.find(": ");
      if (colon != std::string::npos && message.find(' ') > colon) message.erase(0, colon + 2), again = true;
    }
  }
  std::cerr << "hqml: " << hqml::printable(message, 2000) << "\n";
}

// libstdc++ writes "filesystem error: WHAT: REASON [PATH]"; users read "'PATH': WHAT: REASON".
std::string describe(const std::filesystem::filesystem_error& e) {
  std::string what = e.what();
  if (what.starts_with("filesystem error: ")) what.erase(0, 18);
  const std::string reason = e.code().message();
  for (const auto* p : {&e.path2(), &e.path1()}) {
    if (p->empty()) continue;
    const std::string tail = " [" + p->string() + "]";
    if (what.ends_with(tail)) what.erase(what.size() - tail.size());
  }
  if (what.ends_with(": " + reason)) what.erase(what.size() - reason.size() - 2);
  if (what.starts_with("hqml: ")) what.erase(0, 6);
  std::string out = e.path1().empty() ? std::string{} : "'" + hqml::printable(e.path1().string()) + "': ";
  return out + what + ": " + reason;
}

}  // namespace

int main(int argc, char** argv) {
  hqml::cli::action run;
  std::unique_ptr<CLI::App> app;
  try {
    app = hqml::cli::make_app(run);
    app->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version print and exit 0; a bad option is bad input: one line and exit 2, as for bad files.
    if (e.get_exit_code() == 0) return app->exit(e);
    report(
        std::string(e.what()) + " (see hqml " +
        (app && app->get_subcommands().size() == 1 ? app->get_subcommands().front()->get_name() + " " : std::string{}) +
        "--help)");
    return 2;
  }
  try {
    const int rc = run ? run() : 0;
    // Output that could not be written (a full disk, /dev/full) is a failure, not a success.
    std::cout.flush();
    if (std::fflush(stdout) != 0 || std::ferror(stdout) || !std::cout) {
      report("cannot write the output to standard output (disk full or closed?)");
      return 1;
    }
    return rc;
  } catch (const hqml::io::write_error& e) {  // an output failed while or after the work was done
    report(describe(e));
    return 1;
  } catch (const hqml::io::output_busy& e) {
    report(e.what());
    return 1;
  } catch (const hqml::io::input_error& e) {  // an input file that cannot be read
    report(e.what());
    return 2;
  } catch (const std::filesystem::filesystem_error& e) {  // an output path refused up front
    report(describe(e));
    return 2;
  } catch (const std::system_error& e) {  // an unreadable input file
    report(e.what());
    return 2;
  } catch (const hqml::parse_error& e) {
    report(e.what());
    return 2;
  } catch (const hqml::cli::usage_error& e) {
    report(e.what());
    return 2;
  } catch (const hqml::learn::model_error& e) {  // a model directory that is not a valid hqml model
    report(e.what());
    return 2;
  } catch (const hqml::out_of_memory& e) {  // refused before allocating: the request is beyond this machine
    report(e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    report("out of memory: the input needs more memory than this machine has");
    return 1;
  } catch (const std::invalid_argument& e) {  // the library refused a value the options let through
    report(e.what());
    return 2;
  } catch (const std::domain_error& e) {
    report(e.what());
    return 2;
  } catch (const std::length_error& e) {
    report(e.what());
    return 2;
  } catch (const std::exception& e) {
    report(e.what());
    return 1;
  }
}
