/// Spectral diagnostics of a weight matrix: data-free measures of how a layer has fitted
/// (Martin and Mahoney 2021, "Implicit self-regularization in deep neural networks: evidence
/// from random matrix theory and implications for learning", JMLR 22(165)).
///
/// For a kernel W (rows x cols) the empirical spectral density is that of the eigenvalues
/// lambda_1 <= ... <= lambda_m of the Gram matrix W^T W (or W W^T, whichever is smaller;
/// m = min(rows, cols)), computed in double precision with xtensor-blas (xt::linalg::eigvalsh,
/// LAPACK dsyevd). From them:
///   spectral norm   ||W||_2 = sqrt(lambda_m)
///   stable rank     ||W||_F^2 / ||W||_2^2 = (sum_i lambda_i) / lambda_m
///   alpha           the exponent of a power law p(lambda) ~ lambda^(-alpha) fitted to the tail
///                   lambda >= x_min, as Clauset, Shalizi and Newman 2009 (SIAM Review 51(4))
///                   and WeightWatcher do: for each candidate x_min (every eigenvalue that leaves
///                   at least kMinTail eigenvalues at or above it), the maximum-likelihood
///                   alpha = 1 + n / sum_{lambda_i >= x_min} ln(lambda_i / x_min) over the n tail
///                   eigenvalues, and the Kolmogorov-Smirnov distance
///                   D = max_k |k/n - (1 - (x_k / x_min)^(1 - alpha))|, k = 1..n over the sorted
///                   tail x_1 <= ... <= x_n; x_min is the candidate with the smallest D (the
///                   first, i.e. smallest x_min, on ties). alpha is NaN when fewer than kMinTail
///                   eigenvalues are positive.
/// Martin and Mahoney read alpha in [2, 6] as a well-trained layer, smaller alpha as stronger
/// correlation (heavier tail), and alpha > 6 as under-trained; regularizers move it.
#pragma once

#include <cstddef>
#include <vector>

namespace reglab::train {

/// The smallest tail a power law is fitted to.
constexpr std::size_t kMinTail = 5;

struct Spectrum {
  double spectral_norm = 0.0;
  double stable_rank = 0.0;
  double alpha = 0.0;    ///< NaN when it cannot be fitted
  double x_min = 0.0;    ///< the chosen x_min (NaN with alpha)
  std::size_t tail = 0;  ///< eigenvalues in the fitted tail
};

/// Eigenvalues of the smaller Gram matrix of the row-major `rows` x `cols` matrix `w`, ascending.
std::vector<double> gram_eigenvalues(const float* w, std::size_t rows, std::size_t cols);

/// Fits alpha to ascending eigenvalues (see the file comment); fills alpha, x_min and tail.
void fit_power_law(const std::vector<double>& ascending, Spectrum& out);

/// Everything above for one kernel.
Spectrum spectrum(const float* w, std::size_t rows, std::size_t cols);

}  // namespace reglab::train
