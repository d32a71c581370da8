/// The exact answer for every cell of a krogh1992-weight-decay sweep.
///
///   krogh1992_closed_form SWEEP.yaml [OVERRIDE ...] > closed_form.csv
///
/// For each cell of the sweep (expanded exactly as `reglab run` expands it, overrides included)
/// the teacher_student data are regenerated from the cell's `data` options, and the minimiser
/// of the objective reglab trains (squared error plus the cell's `l2` penalty, bias not
/// penalised; data/ridge.hpp) is computed in double with xt::linalg. One CSV row per cell:
///   cell_id, train_samples, inputs, lambda, lambda_kh (= train_samples * lambda, Krogh and
///   Hertz's units), data_seed, expected_test_loss (exact risk on the teacher_student
///   distribution), test_loss (on the cell's own test split, what reglab reports),
///   train_objective (J at the minimiser)
/// Exit codes: 0 done; 2 a bad sweep, a dataset other than teacher_student, a model other than
/// linear, or a regularizer other than l2.
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "framework/config/options.hpp"
#include "framework/core/error.hpp"
#include "framework/data/ridge.hpp"
#include "framework/data/teacher_student.hpp"
#include "framework/experiment/sweep.hpp"

namespace {

using reglab::config::ConfigNode;
using reglab::config::OptionReader;

/// The `l2` lambda of a cell's regularizer list (0 without one).
double l2_lambda(const ConfigNode& regs) {
  double lambda = 0.0;
  if (regs.is_null()) return lambda;
  for (std::size_t i = 0; i < regs.size(); ++i) {
    const ConfigNode r = regs.at(i);
    const std::string name = r.child("name").scalar();
    if (name != "l2") {
      r.child("name").fail("the closed form covers the l2 penalty only, not '" + name + "'");
    }
    lambda += std::stod(r.child("lambda").scalar());
  }
  return lambda;
}

void print_cell(const reglab::experiment::Cell& cell, const ConfigNode& config) {
  const ConfigNode model = config.child("model");
  if (model.child("name").scalar() != "linear") {
    model.child("name").fail("the closed form is for model: {name: linear}");
  }
  const ConfigNode data = config.child("data");
  if (data.child("dataset").scalar() != "teacher_student") {
    data.child("dataset").fail("the closed form needs data.dataset: teacher_student");
  }
  OptionReader reader(data);
  reader.get_string("dataset", "");
  // The closed form uses every training sample: train_size and validation_size must be 0.
  reader.get_int("train_size", 0, 0, 0);
  reader.get_int("validation_size", 0, 0, 0);
  const auto options = reglab::data::TeacherStudentOptions::read(reader);
  reader.finish();
  const double lambda = l2_lambda(config.child("regularizers"));
  const auto ts = reglab::data::make_teacher_student(options);
  const auto fit = reglab::data::ridge_fit(ts.source.train, lambda);
  double w2 = 0.0;
  for (double w : fit.weights) w2 += w * w;
  const double objective = reglab::data::squared_error(fit, ts.source.train) + 0.5 * lambda * w2;
  std::printf("%s,%lld,%lld,%.17g,%.17g,%lld,%.17g,%.17g,%.17g\n", cell.id.c_str(),
              static_cast<long long>(options.train_samples), static_cast<long long>(options.inputs),
              lambda, lambda * static_cast<double>(options.train_samples),
              static_cast<long long>(options.seed),
              reglab::data::expected_test_loss(fit, ts.teacher, options.noise),
              reglab::data::squared_error(fit, ts.source.test), objective);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: krogh1992_closed_form SWEEP.yaml [OVERRIDE ...]\n";
    return 2;
  }
  try {
    const std::string path = argv[1];
    const std::vector<std::string> overrides(argv + 2, argv + argc);
    const auto sweep = reglab::experiment::expand_sweep(path, overrides);
    std::printf(
        "cell_id,train_samples,inputs,lambda,lambda_kh,data_seed,expected_test_loss,test_loss,"
        "train_objective\n");
    for (const auto& cell : sweep.cells) {
      print_cell(cell, reglab::experiment::cell_config(path, overrides, cell));
    }
  } catch (const reglab::Error& e) {
    std::cerr << "krogh1992_closed_form: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
