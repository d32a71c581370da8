// Tests of framework/core/gemm.hpp: every transpose combination and split (columns, rows, none)
// against a double-precision reference, at 1 to 3 threads; the same bits at every thread count;
// the FLOP count.
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "framework/core/blas.hpp"
#include "framework/core/gemm.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/random.hpp"

namespace {

struct Shape {
  int m, n, k;
};

std::vector<float> random_matrix(std::size_t count, reglab::Rng& rng) {
  std::vector<float> v(count);
  for (float& x : v) x = 2.0f * rng.uniform() - 1.0f;
  return v;
}

}  // namespace

TEST_CASE(
    "sgemm matches a double-precision reference for every transpose, split and thread count") {
  reglab::set_blas_threads(1);
  // Column split, row split, depth split (C small, k >= 2 * kMinDepthBlock, a partial last
  // block), and no split.
  const Shape shapes[] = {{100, 1024, 78}, {37, 300, 33}, {200, 10, 64},
                          {100, 10, 50},   {5, 7, 3},     {20, 30, 5000}};
  reglab::Rng rng(42);
  for (int threads = 1; threads <= 3; ++threads) {
    reglab::parallel::set_threads(threads);
    for (const Shape& s : shapes) {
      for (int ta = 0; ta < 2; ++ta) {
        for (int tb = 0; tb < 2; ++tb) {
          CAPTURE(threads);
          CAPTURE(s.m);
          CAPTURE(s.n);
          CAPTURE(ta);
          CAPTURE(tb);
          const int lda = ta ? s.m : s.k;
          const int ldb = tb ? s.k : s.n;
          const int ldc = s.n + 3;  // a padded C: columns past n must stay untouched
          const auto a = random_matrix(static_cast<std::size_t>(s.m) * s.k, rng);
          const auto b = random_matrix(static_cast<std::size_t>(s.k) * s.n, rng);
          const auto c0 = random_matrix(static_cast<std::size_t>(s.m) * ldc, rng);
          auto c = c0;
          const float alpha = 0.75f, beta = 0.5f;
          reglab::sgemm(ta, tb, s.m, s.n, s.k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(),
                        ldc);
          double worst = 0.0;
          for (int i = 0; i < s.m; ++i) {
            for (int j = 0; j < ldc; ++j) {
              const std::size_t at = static_cast<std::size_t>(i) * ldc + j;
              if (j >= s.n) {
                REQUIRE(c[at] == c0[at]);
                continue;
              }
              double sum = 0.0;
              for (int p = 0; p < s.k; ++p) {
                const double x = ta ? a[static_cast<std::size_t>(p) * lda + i]
                                    : a[static_cast<std::size_t>(i) * lda + p];
                const double y = tb ? b[static_cast<std::size_t>(j) * ldb + p]
                                    : b[static_cast<std::size_t>(p) * ldb + j];
                sum += x * y;
              }
              const double want = alpha * sum + beta * c0[at];
              worst = std::max(worst, std::fabs(want - c[at]));
            }
          }
          CHECK(worst < 1e-4);
          // Same inputs, same thread count: the same bits.
          auto again = c0;
          reglab::sgemm(ta, tb, s.m, s.n, s.k, alpha, a.data(), lda, b.data(), ldb, beta,
                        again.data(), ldc);
          CHECK(std::memcmp(c.data(), again.data(), c.size() * sizeof(float)) == 0);
        }
      }
    }
  }
  reglab::parallel::set_threads(1);
}

TEST_CASE("sgemm gives the same bits at 1, 2, 3 and 16 threads, whatever the split") {
  reglab::set_blas_threads(1);
  // Column split (n >= 2 * kMinColumnBlock, with a partial last block), row split, no split, a
  // product with more than kMaxBlocks minimum-size blocks, and depth splits (a convolution's
  // kernel gradient: 64 filters x 800 weights over 12,544 terms; 2 blocks with a partial one).
  const Shape shapes[] = {{100, 1100, 78}, {300, 200, 33},   {100, 10, 50},
                          {40, 9000, 12},  {64, 800, 12544}, {9, 5, 4100}};
  reglab::Rng rng(7);
  for (const Shape& s : shapes) {
    for (int ta = 0; ta < 2; ++ta) {
      for (int tb = 0; tb < 2; ++tb) {
        CAPTURE(s.m);
        CAPTURE(s.n);
        CAPTURE(ta);
        CAPTURE(tb);
        const auto a = random_matrix(static_cast<std::size_t>(s.m) * s.k, rng);
        const auto b = random_matrix(static_cast<std::size_t>(s.k) * s.n, rng);
        const auto c0 = random_matrix(static_cast<std::size_t>(s.m) * s.n, rng);
        std::vector<float> one;
        for (int threads : {1, 2, 3, 16}) {
          reglab::parallel::set_threads(threads);
          auto c = c0;
          reglab::sgemm(ta, tb, s.m, s.n, s.k, 0.5f, a.data(), ta ? s.m : s.k, b.data(),
                        tb ? s.k : s.n, 0.25f, c.data(), s.n);
          if (threads == 1) {
            one = c;
            continue;
          }
          CAPTURE(threads);
          CHECK(std::memcmp(c.data(), one.data(), c.size() * sizeof(float)) == 0);
        }
      }
    }
  }
  reglab::parallel::set_threads(1);
}

TEST_CASE("product_flops counts 2 m n k per product, split or not") {
  reglab::set_blas_threads(1);
  reglab::parallel::set_threads(2);
  std::vector<float> a(300 * 40, 0.5f), b(40 * 700, 0.25f), c(300 * 700, 0.0f);
  const std::uint64_t before = reglab::product_flops();
  reglab::sgemm(false, false, 300, 700, 40, 1.0f, a.data(), 40, b.data(), 700, 0.0f, c.data(), 700);
  reglab::sgemm(false, false, 3, 7, 4, 1.0f, a.data(), 4, b.data(), 7, 0.0f, c.data(), 7);
  CHECK(reglab::product_flops() - before == 2ull * 300 * 700 * 40 + 2ull * 3 * 7 * 4);
  reglab::parallel::set_threads(1);
}
