#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "framework/experiment/sweep_summary.hpp"

using reglab::experiment::summarize_run;
using reglab::storage::RunRecord;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

RunRecord run_with(const std::vector<double>& validation, const std::vector<double>& test) {
  RunRecord r;
  r.status = "complete";
  std::vector<double> epochs;
  for (std::size_t i = 0; i < validation.size(); ++i) epochs.push_back(double(i + 1));
  r.curves = {{"epoch", epochs},
              {"train_accuracy", validation},
              {"validation_accuracy", validation},
              {"test_accuracy", test}};
  return r;
}

}  // namespace

TEST_CASE("summary: best epoch is the first maximum of validation accuracy") {
  const auto row = summarize_run(run_with({0.5, 0.7, 0.7, 0.6}, {0.4, 0.6, 0.65, 0.5}));
  CHECK(row.best_epoch == 2);
  CHECK(row.best_values[5] == 0.6);   // test accuracy at epoch 2
  CHECK(row.final_values[5] == 0.5);  // at the last epoch
}

TEST_CASE("summary: epochs without an evaluation (eval_every) are never the best") {
  // eval_every: 2 over 5 epochs: evaluated after epochs 2, 4 and 5.
  const auto row =
      summarize_run(run_with({kNaN, 0.6, kNaN, 0.8, 0.7}, {kNaN, 0.55, kNaN, 0.75, 0.72}));
  CHECK(row.best_epoch == 4);
  CHECK(row.best_values[5] == 0.75);
  CHECK(row.final_values[5] == 0.72);
  CHECK(row.gap_best == doctest::Approx(0.05));
  const auto first = summarize_run(run_with({kNaN, 0.9, kNaN, 0.8}, {kNaN, 0.8, kNaN, 0.7}));
  CHECK(first.best_epoch == 2);
}
