// libFuzzer target for the hqml program's command line: the input is split at NUL bytes into arguments (as
// the kernel hands them to main, so no argument holds a NUL), and a fresh app from make_app (every subcommand,
// exactly as main builds it) parses them as main does. The chosen subcommand's action is never run: it
// would compute and write files. Parsing must succeed or raise a CLI::ParseError (a bad option: main prints one
// line and exits 2; --help and --version exit 0), and main's handling of that error must work. After a
// successful parse exactly one subcommand is chosen and has set the action, and no option that converts to a
// number holds what hqml's options must refuse (commands.hpp): a FLOAT option a NaN or an infinity, an unsigned
// one a negative number wrapped round to a huge count. Anything else (another exception, a crash, a hang, a
// leak) is a bug.

#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void bug(const char* what, const std::string& detail) {
  std::fprintf(stderr, "cli_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

// What CLI11 stored for an option of the chosen subcommand is what its variable now holds: a FLOAT option's
// text read as CLI11 reads it (strtold), an unsigned option's sign.
void check_values(const CLI::App& sub) {
  for (const CLI::Option* opt : sub.get_options()) {
    const std::string type = opt->get_type_name();
    const bool is_float = type.rfind("FLOAT", 0) == 0, is_unsigned = type.rfind("UINT", 0) == 0;
    if (!is_float && !is_unsigned) continue;
    for (const std::string& value : opt->results()) {
      if (is_float) {
        const long double v = std::strtold(value.c_str(), nullptr);
        if (!std::isfinite(static_cast<double>(v)))
          bug("a FLOAT option accepted a value that is not a finite number",
              sub.get_name() + " " + opt->get_name() + " '" + value + "'");
      } else {
        const std::size_t first = value.find_first_not_of(" \t\n\v\f\r");
        if (first != std::string::npos && value[first] == '-')
          bug("an unsigned option accepted a negative number (it wraps round to a huge count)",
              sub.get_name() + " " + opt->get_name() + " '" + value + "'");
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args = {"hqml"};
  for (std::size_t begin = 0; begin <= text.size() && args.size() < 64;) {
    const std::size_t end = std::min(text.find('\0', begin), text.size());
    args.emplace_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  if (size == 0) args.pop_back();  // no arguments at all
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());

  hqml::cli::action run;
  std::unique_ptr<CLI::App> app;
  try {
    app = hqml::cli::make_app(run);
    app->parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    // What main does with it: --help and --version print, anything else is one line naming the subcommand.
    std::ostringstream out, err;
    if (!app) bug("make_app threw a ParseError", e.what());
    if (e.get_exit_code() == 0) {
      if (app->exit(e, out, err) != 0) bug("--help or --version did not exit 0", e.what());
    } else if (std::string(e.what()).empty()) {
      bug("a parse error without a message", e.get_name());
    }
    return 0;
  } catch (const std::exception& e) {
    bug("parsing threw something other than CLI::ParseError", e.what());
  }
  const auto chosen = app->get_subcommands();
  if (chosen.size() != 1) bug("a command line parsed without exactly one subcommand", std::to_string(chosen.size()));
  if (!run) bug("a subcommand parsed without setting its action", chosen.front()->get_name());
  check_values(*chosen.front());
  return 0;
}
