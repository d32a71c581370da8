#include "framework/core/gemm.hpp"

#include <cblas.h>

#include <algorithm>
#include <cstddef>

#include "framework/core/blas.hpp"
#include "framework/core/parallel.hpp"

namespace reglab {

namespace {

void call(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n,
              k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/// Block `index` of `blocks` over [0, total) with boundaries at multiples of `align`.
void block(int total, int blocks, int index, int align, int& begin, int& size) {
  const int step = ((total + blocks - 1) / blocks + align - 1) / align * align;
  begin = std::min(total, index * step);
  size = std::min(total, begin + step) - begin;
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc) {
  const bool ta = trans_a, tb = trans_b;
  const int t = parallel::threads();
  // Blocks run concurrently on the pool: OpenBLAS must not start threads of its own under them.
  if (t > 1 && blas_threads() != 1) set_blas_threads(1);
  if (t > 1 && n >= 64 * t) {
    parallel::for_tasks(static_cast<std::size_t>(t), [&](std::size_t i) {
      int begin, size;
      block(n, t, static_cast<int>(i), 16, begin, size);
      if (size == 0) return;
      // Columns [begin, begin + size) of C use the same columns of op(B).
      const float* bb = tb ? b + static_cast<std::ptrdiff_t>(begin) * ldb : b + begin;
      call(ta, tb, m, size, k, alpha, a, lda, bb, ldb, beta, c + begin, ldc);
    });
  } else if (t > 1 && m >= 32 * t) {
    parallel::for_tasks(static_cast<std::size_t>(t), [&](std::size_t i) {
      int begin, size;
      block(m, t, static_cast<int>(i), 8, begin, size);
      if (size == 0) return;
      // Rows [begin, begin + size) of C use the same rows of op(A).
      const float* ab = ta ? a + begin : a + static_cast<std::ptrdiff_t>(begin) * lda;
      call(ta, tb, size, n, k, alpha, ab, lda, b, ldb, beta,
           c + static_cast<std::ptrdiff_t>(begin) * ldc, ldc);
    });
  } else {
    call(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

}  // namespace reglab
