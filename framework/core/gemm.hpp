/// Matrix products of a run, on its threads.
///
/// OpenBLAS always runs single-threaded in reglab. A run with `threads: T > 1` computes each
/// product as T independent blocks of C, one single-threaded cblas_sgemm per block on the
/// threads of parallel.hpp, so the same threads serve the products and the element-wise loops
/// between them (OpenBLAS's own pool would keep its threads polling for work while those loops
/// run, and compete with them for the cores). The blocks depend only on the shape and T: column
/// blocks (multiples of 16 columns) when C has at least 64 * T columns, else row blocks
/// (multiples of 8 rows) when it has at least 32 * T rows, else one block. Results are
/// therefore identical from run to run at the same T, whichever thread computes which block;
/// they differ between values of T (OpenBLAS's blocking depends on the block's size), which
/// is why `threads` is part of a run's configuration.
#pragma once

namespace reglab {

/// C = alpha op(A) op(B) + beta C, row-major, as cblas_sgemm(CblasRowMajor, ...): op(A) is
/// m x k, op(B) is k x n, C is m x n; `trans_a` / `trans_b` select the transpose.
void sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc);

}  // namespace reglab
