#pragma once
// A one-line progress bar on stderr that fits the terminal: its width follows the terminal's columns
// (TIOCGWINSZ, else $COLUMNS, else 80), the stage name is cut to what is left, and the line is cleared
// before the program prints anything else, so an 80-column terminal keeps no stale lines.

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace hqml::cli {

/// Columns of the terminal on stderr.
inline int terminal_columns() {
  winsize w{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    const int v = std::atoi(c);
    if (v > 0) return v;
  }
  return 80;
}

class progress_bar {
 public:
  progress_bar() : tty_(isatty(STDERR_FILENO) != 0) {}
  /// Draws stage i of n; nothing when stderr is not a terminal.
  void operator()(const std::string& stage, int i, int n) {
    if (!tty_ || n <= 0) return;
    // "[####      ] 3/7 stage": one column kept free so the cursor never wraps.
    const int cols = std::max(20, terminal_columns()) - 1;
    const std::string count = " " + std::to_string(i) + "/" + std::to_string(n) + " ";
    const int bar = std::clamp(cols / 4, 8, 30);
    const int room = cols - bar - 2 - static_cast<int>(count.size());
    std::string line = "[" + std::string(static_cast<std::size_t>(bar * i / n), '#') +
                       std::string(static_cast<std::size_t>(bar - bar * i / n), ' ') + "]" + count;
    if (room > 0) line += stage.substr(0, static_cast<std::size_t>(room));
    std::fprintf(stderr, "\r%-*s", cols, line.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }
  /// Clears the line.
  void clear() {
    if (!drawn_) return;
    std::fprintf(stderr, "\r%*s\r", std::max(20, terminal_columns()) - 1, "");
    std::fflush(stderr);
    drawn_ = false;
  }
  ~progress_bar() { clear(); }

 private:
  bool tty_;
  bool drawn_ = false;
};

}  // namespace hqml::cli
