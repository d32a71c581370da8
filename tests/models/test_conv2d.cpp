#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/random.hpp"
#include "framework/models/conv2d.hpp"
#include "framework/testing/gradcheck.hpp"
#include "support/layer_checks.hpp"

using reglab::Matrix;
using reglab::Mode;
using reglab::Rng;
using reglab::models::Conv2d;
using reglab::models::Conv2dOptions;
using reglab::models::Padding;
using reglab::models::Shape;
using reglab::testing::fill_normal;
using reglab::testing::projected;

namespace {

/// A configuration and the geometry it must have (worked out by hand from the documented rules).
struct Case {
  Shape in;
  std::size_t filters, kernel, stride;
  Padding padding;
  std::size_t pad;
  std::size_t out_h, out_w, pad_top, pad_left;
};

const std::vector<Case> kCases = {
    // same, stride 1, odd kernel: (k - 1) / 2 zeros on every side
    {{1, 5, 7}, 2, 3, 1, Padding::kSame, 0, 5, 7, 1, 1},
    // same, stride 1, even kernel: P = 1 zero, all of it below and right
    {{2, 6, 5}, 3, 2, 1, Padding::kSame, 0, 6, 5, 0, 0},
    // same, stride 2: H 5 -> 3 needs P = (3-1)2 + 3 - 5 = 2 (1 above); W 7 -> 4 needs 2 (1 left)
    {{3, 5, 7}, 4, 3, 2, Padding::kSame, 0, 3, 4, 1, 1},
    // same, stride 2, even kernel: 6 -> 3 needs P = 2*2 + 4 - 6 = 2 (1 above)
    {{2, 6, 6}, 3, 4, 2, Padding::kSame, 0, 3, 3, 1, 1},
    // same, stride 2, H 6 -> 3 with k 1 needs no zeros
    {{2, 6, 5}, 2, 1, 2, Padding::kSame, 0, 3, 3, 0, 0},
    // valid
    {{3, 5, 7}, 4, 3, 1, Padding::kValid, 0, 3, 5, 0, 0},
    {{2, 5, 7}, 3, 3, 2, Padding::kValid, 0, 2, 3, 0, 0},
    // stride larger than the kernel: (7 - 2) / 3 + 1 = 2, (8 - 2) / 3 + 1 = 3
    {{1, 7, 8}, 2, 2, 3, Padding::kValid, 0, 2, 3, 0, 0},
    {{3, 2, 3}, 2, 1, 1, Padding::kValid, 0, 2, 3, 0, 0},
    // explicit padding 1: (5 + 2 - 3) / 2 + 1 = 3, (7 + 2 - 3) / 2 + 1 = 4
    {{2, 5, 7}, 3, 3, 2, Padding::kExplicit, 1, 3, 4, 1, 1},
    // kernel larger than the input but not than the padded input
    {{1, 4, 4}, 2, 5, 1, Padding::kExplicit, 1, 2, 2, 1, 1},
};

Conv2dOptions options_of(const Case& c) {
  Conv2dOptions o;
  o.filters = c.filters;
  o.kernel = c.kernel;
  o.stride = c.stride;
  o.padding = c.padding;
  o.pad = c.pad;
  return o;
}

/// The convolution by its definition, one output at a time.
Matrix naive_conv(const Case& c, const Matrix& x, std::size_t n, const float* w, const float* b) {
  const std::size_t ch = c.in.channels, h = c.in.height, wd = c.in.width, k = c.kernel;
  Matrix y = xt::zeros<float>({n, c.filters * c.out_h * c.out_w});
  for (std::size_t s = 0; s < n; ++s) {
    for (std::size_t f = 0; f < c.filters; ++f) {
      for (std::size_t i = 0; i < c.out_h; ++i) {
        for (std::size_t j = 0; j < c.out_w; ++j) {
          double sum = b[f];
          for (std::size_t cc = 0; cc < ch; ++cc) {
            for (std::size_t u = 0; u < k; ++u) {
              for (std::size_t v = 0; v < k; ++v) {
                const long ih = long(i * c.stride + u) - long(c.pad_top);
                const long iw = long(j * c.stride + v) - long(c.pad_left);
                if (ih < 0 || iw < 0 || ih >= long(h) || iw >= long(wd)) continue;
                sum += double(w[((f * ch + cc) * k + u) * k + v]) *
                       double(x(s, (cc * h + std::size_t(ih)) * wd + std::size_t(iw)));
              }
            }
          }
          y(s, (f * c.out_h + i) * c.out_w + j) = float(sum);
        }
      }
    }
  }
  return y;
}

/// A layer for `c` with random weights and bias, allocated for `capacity` rows.
Conv2d make_layer(const Case& c, std::size_t capacity, Rng& rng) {
  Conv2d conv("conv2d_0", c.in.channels, options_of(c));
  conv.allocate(capacity, c.in);
  fill_normal(conv.kernel().value.data(), conv.kernel().value.size(), rng);
  fill_normal(conv.bias().value.data(), conv.bias().value.size(), rng);
  return conv;
}

std::string case_name(const Case& c) {
  return c.in.str() + " k" + std::to_string(c.kernel) + " s" + std::to_string(c.stride) + " " +
         options_of(c).padding_text();
}

}  // namespace

TEST_CASE("conv2d output shapes follow the padding rules") {
  for (const Case& c : kCases) {
    INFO(case_name(c));
    Conv2d conv("conv2d_0", c.in.channels, options_of(c));
    CHECK(conv.output_shape(c.in) == Shape{c.filters, c.out_h, c.out_w});
  }
  Conv2dOptions o;
  o.filters = 32;
  o.kernel = 5;
  o.padding = Padding::kSame;
  Conv2d mnist("conv2d_0", 1, o);
  mnist.allocate(4, {1, 28, 28});
  CHECK(mnist.describe() == "conv2d_0: 1x28x28 -> 32x28x28, kernel 5, stride 1, padding same");
  CHECK(mnist.output().shape()[1] == 32 * 28 * 28);
  CHECK(mnist.input_grad().shape()[1] == 28 * 28);
  CHECK(mnist.kernel().shape == std::vector<std::size_t>{32, 1, 5, 5});
  CHECK(mnist.kernel().is_kernel);
  CHECK(mnist.kernel().units_first);
  CHECK_FALSE(mnist.bias().is_kernel);
  CHECK(mnist.units() == 32);
  CHECK(mnist.fan_in() == 25);
  o.stride = 2;
  o.padding = Padding::kExplicit;
  o.pad = 1;
  Conv2d strided("conv2d_1", 1, o);
  strided.allocate(4, {1, 28, 28});
  CHECK(strided.describe() == "conv2d_1: 1x28x28 -> 32x13x13, kernel 5, stride 2, padding 1");
}

TEST_CASE("conv2d forward matches the direct definition on the first n rows") {
  Rng rng(11);
  const std::size_t n = 3, capacity = 5;
  for (const Case& c : kCases) {
    INFO(case_name(c));
    Conv2d conv = make_layer(c, capacity, rng);
    Matrix x = xt::zeros<float>({capacity, c.in.size()});
    fill_normal(x.data(), n * c.in.size(), rng);
    conv.forward(x, n, Mode::kTrain);
    const Matrix want = naive_conv(c, x, n, conv.kernel().value.data(), conv.bias().value.data());
    double worst = 0.0;
    for (std::size_t i = 0; i < want.size(); ++i) {
      worst = std::max(worst, double(std::abs(conv.output().data()[i] - want.data()[i])));
    }
    CHECK(worst < 1e-4);
    for (std::size_t i = n * want.shape()[1]; i < conv.output().size(); ++i) {
      REQUIRE(conv.output().data()[i] == 0.0f);  // rows beyond n untouched
    }
  }
}

TEST_CASE("conv2d gradients of input, kernel and bias match finite differences") {
  Rng rng(5);
  const std::size_t n = 2, capacity = 3;
  for (const Case& c : {kCases[0], kCases[1], kCases[3], kCases[6], kCases[9], kCases[10]}) {
    INFO(case_name(c));
    Conv2d conv = make_layer(c, capacity, rng);
    const std::size_t out = c.filters * c.out_h * c.out_w;
    Matrix x = xt::zeros<float>({capacity, c.in.size()});
    Matrix proj = xt::zeros<float>({capacity, out});
    fill_normal(x.data(), n * c.in.size(), rng);
    fill_normal(proj.data(), n * out, rng);
    auto loss = [&] {
      conv.forward(x, n, Mode::kTrain);
      return projected(conv.output(), proj, n);
    };
    loss();
    conv.backward(x, proj, n, true);
    const Matrix gx = conv.input_grad();
    const reglab::Vector gk = conv.kernel().grad, gb = conv.bias().grad;
    using reglab::testing::check_gradient;
    const auto rx = check_gradient(x.data(), gx.data(), n * c.in.size(), loss);
    const auto rk = check_gradient(conv.kernel().value.data(), gk.data(), gk.size(), loss);
    const auto rb = check_gradient(conv.bias().value.data(), gb.data(), gb.size(), loss);
    CHECK(rx.failed == 0);
    CHECK(rk.failed == 0);
    CHECK(rb.failed == 0);
    CHECK(rk.checked == c.filters * c.in.channels * c.kernel * c.kernel);
  }
}

TEST_CASE("conv2d backward without the input gradient, and twice after one forward") {
  Rng rng(8);
  const Case& c = kCases[2];
  const std::size_t n = 2;
  Conv2d conv = make_layer(c, n, rng);
  const std::size_t out = c.filters * c.out_h * c.out_w;
  Matrix x = xt::zeros<float>({n, c.in.size()});
  Matrix proj = xt::zeros<float>({n, out});
  fill_normal(x.data(), x.size(), rng);
  fill_normal(proj.data(), proj.size(), rng);
  conv.forward(x, n, Mode::kEval);
  conv.backward(x, proj, n, false);
  const reglab::Vector gk = conv.kernel().grad, gb = conv.bias().grad;
  CHECK(xt::all(xt::equal(conv.input_grad(), 0.0f)));  // not written
  conv.backward(x, proj, n, true);
  const Matrix gx = conv.input_grad();
  CHECK(conv.kernel().grad == gk);
  CHECK(conv.bias().grad == gb);
  conv.backward(x, proj, n, true);  // col was overwritten by dcol: rebuilt from x
  CHECK(conv.kernel().grad == gk);
  CHECK(conv.input_grad() == gx);
}

TEST_CASE("conv2d refuses inputs it cannot take") {
  Conv2dOptions o;
  o.filters = 4;
  o.kernel = 5;
  Conv2d conv("conv2d_0", 2, o);
  auto message = [&](const Shape& in) {
    try {
      conv.output_shape(in);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("nothing thrown");
  };
  CHECK(message({2, 3, 3}) == "conv2d_0: kernel 5 is larger than the padded input 3x3");
  CHECK(message({2, 8, 4}) == "conv2d_0: kernel 5 is larger than the padded input 8x4");
  CHECK(message({3, 8, 8}).find("has 3 channels, the kernel takes 2") != std::string::npos);
  CHECK_THROWS_AS(conv.allocate(4, {2, 3, 3}), std::logic_error);
  o.padding = Padding::kExplicit;
  o.pad = 1;
  Conv2d padded("conv2d_1", 2, o);
  CHECK_NOTHROW(padded.output_shape({2, 3, 3}));  // 5x5 once padded
  CHECK_THROWS_WITH_AS(padded.output_shape({2, 2, 3}),
                       "conv2d_1: kernel 5 is larger than the padded input 4x5",
                       std::invalid_argument);
  o.padding = Padding::kSame;
  Conv2d same("conv2d_2", 2, o);
  CHECK(same.output_shape({2, 1, 1}) == Shape{4, 1, 1});  // same pads whatever the kernel
  o.filters = 0;
  CHECK_THROWS_AS(Conv2d("conv2d_3", 2, o), std::invalid_argument);
}

TEST_CASE("conv2d results are bitwise the same at 1, 2 and 3 threads") {
  // Large enough that im2col, the scatter and the products are all split over the threads; the
  // kernel gradient sums 16 x 256 = 4,096 terms, a depth split (core/gemm.hpp).
  const Case c{{3, 16, 16}, 8, 3, 1, Padding::kSame, 0, 16, 16, 1, 1};
  const std::size_t n = 16, out = 8 * 16 * 16;
  Rng rng(21);
  Matrix x = xt::zeros<float>({n, c.in.size()});
  Matrix proj = xt::zeros<float>({n, out});
  fill_normal(x.data(), x.size(), rng);
  fill_normal(proj.data(), proj.size(), rng);
  struct Result {
    Matrix y, gx;
    reglab::Vector gk, gb;
  };
  auto run = [&](int threads) {
    reglab::parallel::set_threads(threads);
    Rng weights(4);
    Conv2d conv = make_layer(c, n, weights);
    conv.forward(x, n, Mode::kTrain);
    conv.backward(x, proj, n, true);
    return Result{conv.output(), conv.input_grad(), conv.kernel().grad, conv.bias().grad};
  };
  const Result a = run(2), b = run(2), one = run(1), three = run(3);
  reglab::parallel::set_threads(1);
  CHECK(a.y == b.y);
  CHECK(a.gx == b.gx);
  CHECK(a.gk == b.gk);
  CHECK(a.gb == b.gb);
  for (const Result* r : {&one, &three}) {
    CHECK(a.y == r->y);
    CHECK(a.gx == r->gx);
    CHECK(a.gk == r->gk);
    CHECK(a.gb == r->gb);
  }
}

TEST_CASE("conv2d allocates nothing after allocate()") {
  const Case& c = kCases[2];
  Rng rng(3);
  Conv2d conv = make_layer(c, 4, rng);
  Matrix x = xt::zeros<float>({std::size_t{4}, c.in.size()});
  Matrix proj = xt::zeros<float>({std::size_t{4}, c.filters * c.out_h * c.out_w});
  fill_normal(x.data(), x.size(), rng);
  fill_normal(proj.data(), proj.size(), rng);
  const float* out = conv.output().data();
  const float* gin = conv.input_grad().data();
  const float* gk = conv.kernel().grad.data();
  for (std::size_t n : {4, 1, 3}) {
    conv.forward(x, n, Mode::kTrain);
    conv.backward(x, proj, n, true);
    CHECK(conv.output().data() == out);
    CHECK(conv.input_grad().data() == gin);
    CHECK(conv.kernel().grad.data() == gk);
  }
}

TEST_CASE("conv2d recipe reads its options and builds the layer") {
  using reglab::testing::Options;
  Options opts("filters: 8\nkernel: 3\nstride: 2\npadding: same\n");
  const auto recipe = reglab::models::conv2d_recipe(opts.reader);
  opts.reader.finish();
  CHECK(recipe.kind == "conv2d");
  CHECK(recipe.weighted);
  CHECK_FALSE(recipe.flatten);
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  CHECK(recipe.options ==
        Pairs{{"filters", "8"}, {"kernel", "3"}, {"stride", "2"}, {"padding", "\"same\""}});
  reglab::models::LayerBuild b;
  b.name = "conv2d_0";
  b.input = {3, 9, 10};
  b.seed = 7;
  auto layer = recipe.build(b);
  CHECK(layer->output_shape(b.input) == Shape{8, 5, 5});
  auto* conv = dynamic_cast<Conv2d*>(layer.get());
  REQUIRE(conv != nullptr);
  CHECK(conv->kernel().shape == std::vector<std::size_t>{8, 3, 3, 3});
  CHECK(xt::any(xt::not_equal(conv->kernel().value, 0.0f)));  // drawn by init_kernel
  CHECK(xt::all(xt::equal(conv->bias().value, 0.0f)));
  // The same seed and index draw the same kernel.
  auto again = recipe.build(b);
  CHECK(dynamic_cast<Conv2d&>(*again).kernel().value == conv->kernel().value);

  Options defaults("filters: 4\nkernel: 5\n");
  const auto valid = reglab::models::conv2d_recipe(defaults.reader);
  CHECK(valid.options ==
        Pairs{{"filters", "4"}, {"kernel", "5"}, {"stride", "1"}, {"padding", "\"valid\""}});
  b.input = {3, 4, 4};
  CHECK_THROWS_WITH_AS(valid.build(b), "conv2d_0: kernel 5 is larger than the padded input 4x4",
                       std::invalid_argument);
  Options numeric("filters: 4\nkernel: 5\npadding: 2\n");
  const auto padded = reglab::models::conv2d_recipe(numeric.reader);
  CHECK(padded.options.back() == std::pair<std::string, std::string>{"padding", "2"});
  CHECK(padded.build(b)->output_shape(b.input) == Shape{4, 4, 4});
}

TEST_CASE("conv2d recipe rejects bad options, naming the key") {
  using reglab::testing::Options;
  auto error = [](const std::string& text) {
    Options opts(text);
    try {
      reglab::models::conv2d_recipe(opts.reader);
      opts.reader.finish();
    } catch (const reglab::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("nothing thrown");
  };
  auto has = [](const std::string& message, const std::string& part) {
    INFO(message);
    CHECK(message.find(part) != std::string::npos);
  };
  has(error("kernel: 3\n"), "filters");
  has(error("filters: 0\nkernel: 3\n"), "filters");
  has(error("filters: 4\nkernel: 65\n"), "kernel");
  has(error("filters: 4\nkernel: 3\nstride: 0\n"), "stride");
  has(error("filters: 4\nkernel: 3\npadding: full\n"), "padding");
  has(error("filters: 4\nkernel: 3\npadding: full\n"), "'full'");
  has(error("filters: 4\nkernel: 3\npadding: -1\n"), "padding");
  has(error("filters: 4\nkernel: 3\npadding: [1, 2]\n"), "padding");
  has(error("filters: 4\nkernel: 3\nkernal_size: 3\n"), "kernal_size");
}

TEST_CASE("conv2d cuts large batches into chunks: the same results as one sample at a time") {
  // 32 x 5 x 5 x 28 x 28 = 627,200 unrolled values per sample: 13 samples per product under
  // the 2^23 budget, so 30 samples run as three chunks of 10.
  Rng rng(21);
  const Case c{{32, 28, 28}, 4, 5, 1, Padding::kSame, 0, 28, 28, 2, 2};
  const std::size_t n = 30;
  Conv2d batch = make_layer(c, n, rng);
  Conv2d single("conv2d_0", c.in.channels, options_of(c));
  single.allocate(1, c.in);
  single.kernel().value = batch.kernel().value;
  single.bias().value = batch.bias().value;
  const std::size_t in = c.in.size(), out = c.filters * c.out_h * c.out_w;
  Matrix x = xt::zeros<float>({n, in});
  Matrix dy = xt::zeros<float>({n, out});
  fill_normal(x.data(), x.size(), rng);
  fill_normal(dy.data(), dy.size(), rng);
  batch.forward(x, n, Mode::kTrain);
  batch.backward(x, dy, n, true);

  std::vector<double> kernel_grad(batch.kernel().grad.size(), 0.0);
  std::vector<double> bias_grad(c.filters, 0.0);
  double worst_y = 0.0, worst_dx = 0.0;
  Matrix xs = xt::zeros<float>({std::size_t{1}, in});
  Matrix dys = xt::zeros<float>({std::size_t{1}, out});
  for (std::size_t s = 0; s < n; ++s) {
    std::copy(x.data() + s * in, x.data() + (s + 1) * in, xs.data());
    std::copy(dy.data() + s * out, dy.data() + (s + 1) * out, dys.data());
    single.forward(xs, 1, Mode::kTrain);
    single.backward(xs, dys, 1, true);
    for (std::size_t i = 0; i < out; ++i) {
      worst_y = std::max(worst_y, double(std::abs(single.output()(0, i) - batch.output()(s, i))));
    }
    for (std::size_t i = 0; i < in; ++i) {
      worst_dx = std::max(worst_dx,
                          double(std::abs(single.input_grad()(0, i) - batch.input_grad()(s, i))));
    }
    for (std::size_t i = 0; i < kernel_grad.size(); ++i) kernel_grad[i] += single.kernel().grad(i);
    for (std::size_t f = 0; f < c.filters; ++f) bias_grad[f] += single.bias().grad(f);
  }
  CHECK(worst_y < 1e-4);
  CHECK(worst_dx < 1e-4);
  double worst_k = 0.0;
  for (std::size_t i = 0; i < kernel_grad.size(); ++i) {
    worst_k = std::max(worst_k, std::abs(kernel_grad[i] - batch.kernel().grad(i)) /
                                    (1.0 + std::abs(kernel_grad[i])));
  }
  CHECK(worst_k < 1e-4);
  for (std::size_t f = 0; f < c.filters; ++f) {
    CHECK(batch.bias().grad(f) == doctest::Approx(bias_grad[f]).epsilon(1e-5));
  }
}
