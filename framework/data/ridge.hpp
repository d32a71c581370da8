/// The exact minimiser of reglab's objective for a linear model on a regression set, and its
/// exact expected test loss on the teacher_student distribution.
///
/// reglab trains `model: {name: linear}` (one dense layer, y = w.x + b) on a regression set with
/// the squared error of models/loss.hpp and the `l2` penalty of regularizers/l2.hpp, i.e. it
/// minimises
///   J(w, b) = (1/(2P)) sum_i (w.x_i + b - y_i)^2 + (lambda/2) |w|^2     (b not penalised).
/// With A = [X 1] (P x (N + 1)) and theta = (w, b), the minimiser solves
///   (A^T A / P + lambda D) theta = A^T y / P,   D = diag(1, ..., 1, 0),
/// computed in double with xt::linalg::solve for lambda > 0. For lambda = 0 the minimiser need
/// not be unique (P < N + 1); then theta = pinv(A) y, the least-squares solution of least norm
/// |theta|, which is where gradient descent started from theta = 0 converges.
///
/// In the units of Krogh and Hertz 1992 ("A Simple Weight Decay Can Improve Generalization",
/// NIPS 4: error summed over the P patterns, penalty (lambda_KH / 2) |w|^2) the same objective
/// has lambda_KH = P * lambda.
#pragma once

#include <vector>

#include "framework/data/dataset.hpp"

namespace reglab::data {

/// Weights and bias of a linear model with one output.
struct LinearFit {
  std::vector<double> weights;
  double bias = 0.0;
};

/// The minimiser of J above for the regression set `train` (one target column), lambda >= 0.
/// Throws std::invalid_argument on a set without exactly one target or a negative lambda.
LinearFit ridge_fit(const Dataset& train, double lambda);

/// The expected squared error (1/2) E[(w.x + b - y)^2] of `fit` on fresh teacher_student samples
/// (x_j ~ N(0, 1/N), y = teacher.x + noise * eta), exactly:
///   (|w - teacher|^2 / N + b^2 + noise^2) / 2.
double expected_test_loss(const LinearFit& fit, const std::vector<double>& teacher, double noise);

/// The squared error (1/(2n)) sum_i (w.x_i + b - y_i)^2 of `fit` on the regression set `data`
/// (the test_loss reglab reports for a network with these weights), in double.
double squared_error(const LinearFit& fit, const Dataset& data);

}  // namespace reglab::data
