#include <doctest/doctest.h>

#include "framework/core/random.hpp"
#include "framework/models/dense.hpp"
#include "framework/testing/gradcheck.hpp"

using reglab::Matrix;
using reglab::Mode;
using reglab::Rng;
using reglab::models::Dense;

namespace {

void fill(float* p, std::size_t n, Rng& rng) {
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<float>(rng.normal());
}

/// Loss = sum(out .* proj) over the first n rows, accumulated in double.
double projected(const Matrix& out, const Matrix& proj, std::size_t n) {
  double s = 0.0;
  const std::size_t cols = out.shape()[1];
  for (std::size_t i = 0; i < n * cols; ++i) s += double(out.data()[i]) * double(proj.data()[i]);
  return s;
}

}  // namespace

TEST_CASE("dense forward computes x W + b on the first n rows") {
  Dense d("dense_0", 3, 2);
  d.allocate(4, reglab::models::Shape{3, 1, 1});
  float* w = d.kernel().value.data();  // {3, 2} row-major
  const float wv[] = {1, 2, 3, 4, 5, 6};
  std::copy(wv, wv + 6, w);
  d.bias().value(0) = 0.5f;
  d.bias().value(1) = -1.0f;
  Matrix x = xt::zeros<float>({4, 3});
  x(0, 0) = 1;
  x(0, 1) = 0;
  x(0, 2) = 2;
  x(1, 0) = -1;
  x(1, 1) = 1;
  x(1, 2) = 0;
  d.forward(x, 2, Mode::kTrain);
  CHECK(d.output()(0, 0) == doctest::Approx(1 * 1 + 2 * 5 + 0.5));
  CHECK(d.output()(0, 1) == doctest::Approx(1 * 2 + 2 * 6 - 1.0));
  CHECK(d.output()(1, 0) == doctest::Approx(-1 + 3 + 0.5));
  CHECK(d.output()(1, 1) == doctest::Approx(-2 + 4 - 1.0));
  CHECK(d.output()(2, 0) == 0.0f);  // rows beyond n untouched
}

TEST_CASE("dense gradients match finite differences") {
  const std::size_t n = 5, in = 7, out = 4;
  Dense d("dense_0", in, out);
  d.allocate(8, reglab::models::Shape{in, 1, 1});
  Rng rng(3);
  fill(d.kernel().value.data(), in * out, rng);
  fill(d.bias().value.data(), out, rng);
  Matrix x = xt::zeros<float>({std::size_t{8}, in});
  Matrix proj = xt::zeros<float>({std::size_t{8}, out});
  fill(x.data(), n * in, rng);
  fill(proj.data(), n * out, rng);
  auto loss = [&] {
    d.forward(x, n, Mode::kTrain);
    return projected(d.output(), proj, n);
  };
  loss();
  d.backward(x, proj, n, true);
  Matrix gx = d.input_grad();
  auto rk = reglab::testing::check_gradient(d.kernel().value.data(), d.kernel().grad.data(),
                                            in * out, loss);
  auto rb = reglab::testing::check_gradient(d.bias().value.data(), d.bias().grad.data(), out, loss);
  auto rx = reglab::testing::check_gradient(x.data(), gx.data(), n * in, loss);
  CHECK(rk.failed == 0);
  CHECK(rb.failed == 0);
  CHECK(rx.failed == 0);
  CHECK(rk.checked == in * out);
}
