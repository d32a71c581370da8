/// Progress display for long runs: on a terminal a redrawn bar with the epoch, percentage and ETA;
/// otherwise (logs, CI) one plain line per epoch. Epoch summaries are printed in both cases.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "framework/train/trainer.hpp"

namespace reglab::train {

class ConsoleProgress : public ProgressSink {
 public:
  /// Writes to `out` (stderr by default); `interactive` chooses the redrawn bar.
  ConsoleProgress(std::string run_name, std::size_t epochs, bool interactive,
                  std::FILE* out = stderr);
  /// True if `out` is a terminal.
  static bool is_terminal(std::FILE* out);

  void batch_done(std::size_t epoch, std::size_t batch, std::size_t batches) override;
  void epoch_done(std::size_t epoch,
                  const std::vector<std::pair<std::string, std::vector<double>>>& curves) override;

 private:
  std::string name_;
  std::size_t epochs_;
  bool interactive_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

/// "1:05" or "1:02:05".
std::string format_duration(double seconds);

}  // namespace reglab::train
