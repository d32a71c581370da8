#include "framework/train/progress.hpp"

#include <unistd.h>

#include <cmath>

namespace reglab::train {

ConsoleProgress::ConsoleProgress(std::string run_name, std::size_t epochs, bool interactive,
                                 std::FILE* out)
    : name_(std::move(run_name)),
      epochs_(epochs),
      interactive_(interactive),
      out_(out),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

bool ConsoleProgress::is_terminal(std::FILE* out) { return isatty(fileno(out)) != 0; }

std::string format_duration(double seconds) {
  const auto total = static_cast<long>(std::lround(std::max(0.0, seconds)));
  char buf[32];
  if (total >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", total / 3600, (total / 60) % 60, total % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", total / 60, total % 60);
  }
  return buf;
}

void ConsoleProgress::batch_done(std::size_t epoch, std::size_t batch, std::size_t batches) {
  if (!interactive_) return;
  const auto now = std::chrono::steady_clock::now();
  if (batch != batches && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double done =
      (static_cast<double>(epoch) + static_cast<double>(batch) / static_cast<double>(batches)) /
      static_cast<double>(epochs_);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = done > 0 ? elapsed * (1.0 - done) / done : 0.0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(done * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kWidth - filled), '.');
  std::fprintf(out_, "\r%s epoch %zu/%zu [%s] %3.0f%% ETA %s ", name_.c_str(), epoch + 1, epochs_,
               bar.c_str(), done * 100.0, format_duration(eta).c_str());
  std::fflush(out_);
}

void ConsoleProgress::epoch_done(
    std::size_t epoch, const std::vector<std::pair<std::string, std::vector<double>>>& curves) {
  if (interactive_) std::fprintf(out_, "\r\033[K");
  std::string line = name_ + " epoch " + std::to_string(epoch + 1) + "/" + std::to_string(epochs_);
  for (const auto& [metric, values] : curves) {
    // Diagnostics ("weight_norm.dense_0", ...) stay in the file, out of the log line.
    if (metric == "epoch" || values.empty() || metric.find('.') != std::string::npos) continue;
    char buf[64];
    std::snprintf(buf, sizeof buf, "  %s %.4g", metric.c_str(), values.back());
    line += buf;
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double eta =
      elapsed / static_cast<double>(epoch + 1) * static_cast<double>(epochs_ - epoch - 1);
  line += "  eta " + format_duration(eta);
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

}  // namespace reglab::train
