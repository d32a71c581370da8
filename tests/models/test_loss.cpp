#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "framework/core/random.hpp"
#include "framework/models/loss.hpp"
#include "framework/testing/gradcheck.hpp"

using reglab::Matrix;
using reglab::models::softmax_cross_entropy;
using reglab::models::squared_error;

TEST_CASE("softmax cross-entropy value and accuracy") {
  Matrix z = {{1.0f, 2.0f, 3.0f}, {0.0f, 0.0f, 0.0f}};
  const std::uint8_t y[] = {2, 0};
  const auto r = softmax_cross_entropy(z, y, 2, nullptr);
  const double l0 = -std::log(std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)));
  const double l1 = std::log(3.0);
  CHECK(r.loss == doctest::Approx((l0 + l1) / 2));
  CHECK(r.correct == 2);  // row 1 ties: arg-max is the first class, which is the label
}

TEST_CASE("softmax cross-entropy is stable for huge logits") {
  Matrix z = {{1000.0f, 0.0f}, {-1000.0f, 1000.0f}};
  const std::uint8_t y[] = {0, 0};
  Matrix g = xt::zeros<float>({2, 2});
  const auto r = softmax_cross_entropy(z, y, 2, &g);
  CHECK(std::isfinite(r.loss));
  CHECK(r.loss == doctest::Approx(1000.0));  // (0 + 2000) / 2
  CHECK(std::isfinite(g(0, 0)));
  CHECK(g(1, 0) == doctest::Approx(-0.5));
}

TEST_CASE("softmax cross-entropy gradient matches finite differences") {
  const std::size_t n = 6, c = 5;
  reglab::Rng rng(5);
  Matrix z = xt::zeros<float>({n, c});
  for (std::size_t i = 0; i < n * c; ++i) z.data()[i] = static_cast<float>(2.0 * rng.normal());
  std::uint8_t y[n];
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<std::uint8_t>(rng.below(c));
  Matrix g = xt::zeros<float>({n, c});
  softmax_cross_entropy(z, y, n, &g);
  auto loss = [&] { return softmax_cross_entropy(z, y, n, nullptr).loss; };
  auto r = reglab::testing::check_gradient(z.data(), g.data(), n * c, loss, 1e-2, 1e-2, 1e-5);
  CHECK(r.failed == 0);
}

TEST_CASE("a NaN logit gives a non-finite loss") {
  Matrix z = {{std::numeric_limits<float>::quiet_NaN(), 0.0f}};
  const std::uint8_t y[] = {1};
  CHECK_FALSE(std::isfinite(softmax_cross_entropy(z, y, 1, nullptr).loss));
}

TEST_CASE("squared error value: half the mean squared distance, no accuracy") {
  Matrix z = {{1.0f, 2.0f}, {0.0f, -1.0f}, {9.0f, 9.0f}};
  Matrix t = {{0.0f, 0.0f}, {0.0f, 1.0f}, {0.0f, 0.0f}};
  const auto r = squared_error(z, t, 2, nullptr);  // the third row is not part of the batch
  CHECK(r.loss == doctest::Approx((1.0 + 4.0 + 0.0 + 4.0) / (2.0 * 2.0)));
  CHECK(r.correct == 0);
}

TEST_CASE("squared error gradient matches finite differences") {
  const std::size_t n = 7, k = 3;
  reglab::Rng rng(11);
  Matrix z = xt::zeros<float>({n, k});
  Matrix t = xt::zeros<float>({n, k});
  for (std::size_t i = 0; i < n * k; ++i) {
    z.data()[i] = static_cast<float>(rng.normal());
    t.data()[i] = static_cast<float>(rng.normal());
  }
  Matrix g = xt::zeros<float>({n, k});
  squared_error(z, t, n, &g);
  CHECK(g(2, 1) == doctest::Approx((z(2, 1) - t(2, 1)) / 7.0));
  auto loss = [&] { return squared_error(z, t, n, nullptr).loss; };
  auto r = reglab::testing::check_gradient(z.data(), g.data(), n * k, loss, 1e-2, 1e-3, 1e-6);
  CHECK(r.checked == n * k);
  CHECK(r.failed == 0);
}

TEST_CASE("a NaN output gives a non-finite squared error") {
  Matrix z = {{std::numeric_limits<float>::quiet_NaN()}};
  Matrix t = {{0.0f}};
  CHECK_FALSE(std::isfinite(squared_error(z, t, 1, nullptr).loss));
}
