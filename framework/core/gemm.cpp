#include "framework/core/gemm.hpp"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cstddef>

#include "framework/core/blas.hpp"
#include "framework/core/parallel.hpp"

namespace reglab {

namespace {

std::atomic<std::uint64_t> g_flops{0};

void call(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n,
              k, alpha, a, lda, b, ldb, beta, c, ldc);
}

int ceil_div(int a, int b) { return (a + b - 1) / b; }

/// The size of the blocks [0, total) is cut into: at least `least`, a multiple of `align`, and
/// at most kMaxBlocks of them.
int block_size(int total, int least, int align) {
  return std::max(least, ceil_div(ceil_div(total, kMaxBlocks), align) * align);
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc) {
  const bool ta = trans_a, tb = trans_b;
  g_flops.fetch_add(2 * static_cast<std::uint64_t>(m) * static_cast<std::uint64_t>(n) *
                        static_cast<std::uint64_t>(k),
                    std::memory_order_relaxed);
  // OpenBLAS's own threads would change the bits of a block (and compete with the pool's
  // threads), so every call is single-threaded, whoever configured OpenBLAS before.
  if (blas_threads() != 1) set_blas_threads(1);
  if (n >= 2 * kMinColumnBlock) {
    const int width = block_size(n, kMinColumnBlock, 16);
    parallel::for_tasks(static_cast<std::size_t>(ceil_div(n, width)), [&](std::size_t i) {
      const int begin = static_cast<int>(i) * width;
      const int size = std::min(n - begin, width);
      // Columns [begin, begin + size) of C use the same columns of op(B).
      const float* bb = tb ? b + static_cast<std::ptrdiff_t>(begin) * ldb : b + begin;
      call(ta, tb, m, size, k, alpha, a, lda, bb, ldb, beta, c + begin, ldc);
    });
  } else if (m >= 2 * kMinRowBlock) {
    const int height = block_size(m, kMinRowBlock, 8);
    parallel::for_tasks(static_cast<std::size_t>(ceil_div(m, height)), [&](std::size_t i) {
      const int begin = static_cast<int>(i) * height;
      const int size = std::min(m - begin, height);
      // Rows [begin, begin + size) of C use the same rows of op(A).
      const float* ab = ta ? a + begin : a + static_cast<std::ptrdiff_t>(begin) * lda;
      call(ta, tb, size, n, k, alpha, ab, lda, b, ldb, beta,
           c + static_cast<std::ptrdiff_t>(begin) * ldc, ldc);
    });
  } else {
    call(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

std::uint64_t product_flops() { return g_flops.load(std::memory_order_relaxed); }

}  // namespace reglab
