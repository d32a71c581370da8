/// Matrix products of a run, on its threads, with the same bits at any thread count.
///
/// OpenBLAS always runs single-threaded in reglab. Each product is cut into blocks fixed by its
/// shape alone, one single-threaded cblas_sgemm per block:
///   - column blocks of C when C has at least 2 * kMinColumnBlock columns;
///   - else row blocks of C when it has at least 2 * kMinRowBlock rows;
///   - else depth blocks when the inner dimension k is at least 2 * kMinDepthBlock (a small C
///     summed over many terms: a convolution's kernel gradient, k = samples x output positions).
///     Block 0 computes C = alpha op(A)_0 op(B)_0 + beta C in place, block i > 0 the partial
///     product alpha op(A)_i op(B)_i into a scratch matrix; then every element of C adds the
///     partials in block order, ((C + P_1) + P_2) + ...;
///   - else one block.
/// A split makes at most kMaxBlocks blocks of at least the minimum size (a multiple of 16
/// columns or terms, or 8 rows; the last block takes the remainder): enough to keep the threads
/// of a cell busy, few and large enough that repacking the shared operand for each block costs at
/// most a few per cent (docs/performance.md, "Threads"). The blocks run on the threads of
/// parallel.hpp, so the same threads serve the products and the element-wise loops between them
/// (OpenBLAS's own pool would keep its threads polling for work while those loops run). Since
/// every block is the same call whichever thread runs it and however many threads there are, and
/// partials are added in a fixed order, a product gives the same bits at 1, 2 or 16 threads, and
/// `threads` is not part of a run's identity (provenance `parallel_scheme` v3; v2 had no depth
/// split, v1 cut products into one block per thread).
///
/// Every product is counted: product_flops() is the number of floating-point operations
/// (2 m n k per product) done in products since the process started.
#pragma once

#include <cstdint>

namespace reglab {

/// The fewest columns of a block of a column split.
inline constexpr int kMinColumnBlock = 512;
/// The fewest rows of a block of a row split.
inline constexpr int kMinRowBlock = 128;
/// The fewest terms of a block of a depth split.
inline constexpr int kMinDepthBlock = 2048;
/// The most blocks a product is cut into.
inline constexpr int kMaxBlocks = 8;

/// C = alpha op(A) op(B) + beta C, row-major, as cblas_sgemm(CblasRowMajor, ...): op(A) is
/// m x k, op(B) is k x n, C is m x n; `trans_a` / `trans_b` select the transpose.
void sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc);

/// Floating-point operations done by sgemm since the process started (2 m n k per call).
std::uint64_t product_flops();

}  // namespace reglab
