#include "framework/core/gemm.hpp"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <vector>

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

/// The depth split (gemm.hpp): k cut into blocks of `depth` terms; block 0 accumulates into C,
/// the others into scratch matrices whose elements are then added to C in block order.
void depth_split(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc) {
  const int depth = block_size(k, kMinDepthBlock, 16);
  const int count = ceil_div(k, depth);
  const std::size_t area = static_cast<std::size_t>(m) * static_cast<std::size_t>(n);
  // The calling thread's scratch only grows, so a training step allocates after its first.
  thread_local std::vector<float> scratch;
  if (scratch.size() < area * static_cast<std::size_t>(count - 1)) {
    scratch.resize(area * static_cast<std::size_t>(count - 1));
  }
  float* partials = scratch.data();
  parallel::for_tasks(static_cast<std::size_t>(count), [&](std::size_t i) {
    const int begin = static_cast<int>(i) * depth;
    const int size = std::min(k - begin, depth);
    // Terms [begin, begin + size): columns of op(A), rows of op(B).
    const float* ab = ta ? a + static_cast<std::ptrdiff_t>(begin) * lda : a + begin;
    const float* bb = tb ? b + begin : b + static_cast<std::ptrdiff_t>(begin) * ldb;
    if (i == 0) {
      call(ta, tb, m, n, size, alpha, ab, lda, bb, ldb, beta, c, ldc);
    } else {
      call(ta, tb, m, n, size, alpha, ab, lda, bb, ldb, 0.0f, partials + (i - 1) * area, n);
    }
  });
  parallel::for_range(static_cast<std::size_t>(m), [&](std::size_t r0, std::size_t r1) {
    for (std::size_t r = r0; r < r1; ++r) {
      float* row = c + r * static_cast<std::size_t>(ldc);
      for (int i = 1; i < count; ++i) {
        const float* p = partials + static_cast<std::size_t>(i - 1) * area + r * n;
        for (int j = 0; j < n; ++j) row[j] += p[j];
      }
    }
  });
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
  } else if (k >= 2 * kMinDepthBlock) {
    depth_split(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else {
    call(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

std::uint64_t product_flops() { return g_flops.load(std::memory_order_relaxed); }

}  // namespace reglab
