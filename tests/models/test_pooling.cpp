#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/random.hpp"
#include "framework/models/pooling.hpp"
#include "support/layer_checks.hpp"

using reglab::Matrix;
using reglab::Mode;
using reglab::Rng;
using reglab::models::AvgPool2d;
using reglab::models::GlobalAvgPool;
using reglab::models::MaxPool2d;
using reglab::models::Pool2d;
using reglab::models::PoolOptions;
using reglab::models::Shape;
using reglab::testing::check_input_gradient;
using reglab::testing::fill_distinct;

namespace {

struct Case {
  Shape in;
  std::size_t size, stride;
  std::size_t out_h, out_w;  // floor((in - size) / stride) + 1
};

const std::vector<Case> kCases = {
    {{3, 5, 7}, 2, 2, 2, 3},  // last row and column read by no window
    {{2, 6, 6}, 2, 2, 3, 3}, {{3, 5, 7}, 3, 2, 2, 3},
    {{2, 5, 7}, 2, 1, 4, 6},  // overlapping windows
    {{1, 5, 7}, 3, 1, 3, 5}, {{2, 7, 5}, 3, 3, 2, 1},
    {{2, 4, 4}, 4, 4, 1, 1}, {{4, 3, 2}, 1, 1, 3, 2},
};

/// Max or mean of every window by the definition.
Matrix naive_pool(const Case& c, const Matrix& x, std::size_t n, bool max) {
  const std::size_t area = c.in.spatial(), out_area = c.out_h * c.out_w;
  Matrix y = xt::zeros<float>({n, c.in.channels * out_area});
  for (std::size_t s = 0; s < n; ++s) {
    for (std::size_t ch = 0; ch < c.in.channels; ++ch) {
      for (std::size_t i = 0; i < c.out_h; ++i) {
        for (std::size_t j = 0; j < c.out_w; ++j) {
          double sum = 0.0;
          float best = -std::numeric_limits<float>::infinity();
          for (std::size_t u = 0; u < c.size; ++u) {
            for (std::size_t v = 0; v < c.size; ++v) {
              const float val =
                  x(s, ch * area + (i * c.stride + u) * c.in.width + j * c.stride + v);
              sum += val;
              best = std::max(best, val);
            }
          }
          y(s, ch * out_area + i * c.out_w + j) = max ? best : float(sum / double(c.size * c.size));
        }
      }
    }
  }
  return y;
}

PoolOptions options_of(const Case& c) { return {c.size, c.stride}; }

std::string case_name(const Case& c) {
  return c.in.str() + " size " + std::to_string(c.size) + " stride " + std::to_string(c.stride);
}

/// Forward of `pool` on n < capacity random rows against the definition.
void check_forward(Pool2d& pool, const Case& c, bool max, Rng& rng) {
  const std::size_t n = 3, capacity = 4;
  pool.allocate(capacity, c.in);
  CHECK(pool.output_shape(c.in) == Shape{c.in.channels, c.out_h, c.out_w});
  Matrix x = xt::zeros<float>({capacity, c.in.size()});
  reglab::testing::fill_normal(x.data(), n * c.in.size(), rng);
  pool.forward(x, n, Mode::kTrain);
  const Matrix want = naive_pool(c, x, n, max);
  for (std::size_t i = 0; i < want.size(); ++i) {
    REQUIRE(pool.output().data()[i] == doctest::Approx(want.data()[i]).epsilon(1e-6));
  }
  for (std::size_t i = want.size(); i < pool.output().size(); ++i) {
    REQUIRE(pool.output().data()[i] == 0.0f);  // rows beyond n untouched
  }
}

/// Finite-difference check of the input gradient (distinct inputs: no ties for max).
void check_backward(Pool2d& pool, const Case& c, Rng& rng) {
  const std::size_t n = 2, capacity = 3;
  pool.allocate(capacity, c.in);
  Matrix x = xt::zeros<float>({capacity, c.in.size()});
  Matrix proj = xt::zeros<float>({capacity, pool.output().shape()[1]});
  fill_distinct(x.data(), n * c.in.size(), rng);
  reglab::testing::fill_normal(proj.data(), n * proj.shape()[1], rng);
  const auto r = check_input_gradient(pool, x, proj, n);
  CHECK(r.failed == 0);
  CHECK(r.checked == n * c.in.size());
}

}  // namespace

TEST_CASE("max_pool and avg_pool forward match the definition (floor mode)") {
  Rng rng(2);
  for (const Case& c : kCases) {
    INFO(case_name(c));
    MaxPool2d max_pool("max_pool_0", options_of(c));
    check_forward(max_pool, c, true, rng);
    AvgPool2d avg_pool("avg_pool_0", options_of(c));
    check_forward(avg_pool, c, false, rng);
  }
}

TEST_CASE("max_pool and avg_pool input gradients match finite differences") {
  Rng rng(9);
  for (const Case& c : kCases) {
    INFO(case_name(c));
    MaxPool2d max_pool("max_pool_0", options_of(c));
    check_backward(max_pool, c, rng);
    AvgPool2d avg_pool("avg_pool_0", options_of(c));
    check_backward(avg_pool, c, rng);
  }
}

TEST_CASE("max_pool in evaluation gives training's values bit for bit, with ties, zeros and NaNs") {
  // Evaluation skips recording the maxima's positions; its values must not change. Inputs from
  // a small set make ties (and -0 against +0) common; some windows hold NaNs.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> pool_of = {-1.0f, -0.0f, 0.0f, 0.5f, 2.0f, nan};
  Rng rng(31);
  for (const Case& c : kCases) {
    CAPTURE(case_name(c));
    const std::size_t n = 3;
    MaxPool2d train_pool("max_pool", options_of(c)), eval_pool("max_pool", options_of(c));
    train_pool.allocate(n, c.in);
    eval_pool.allocate(n, c.in);
    Matrix x = xt::zeros<float>({n, c.in.size()});
    for (float& v : x) v = pool_of[rng.below(pool_of.size())];
    train_pool.forward(x, n, Mode::kTrain);
    eval_pool.forward(x, n, Mode::kEval);
    const float* a = train_pool.output().data();
    const float* b = eval_pool.output().data();
    std::size_t nans = 0;
    for (std::size_t i = 0; i < n * c.out_h * c.out_w * c.in.channels; ++i) {
      std::uint32_t ba = 0, bb = 0;
      std::memcpy(&ba, a + i, sizeof ba);
      std::memcpy(&bb, b + i, sizeof bb);
      REQUIRE(ba == bb);
      nans += std::isnan(a[i]) ? 1 : 0;
    }
    CHECK(nans > 0);  // the NaN rule was exercised
  }
}

TEST_CASE("max_pool routes the gradient to the first maximum on ties") {
  MaxPool2d pool("max_pool_0", {2, 2});
  pool.allocate(1, {1, 2, 4});
  Matrix x = {{1, 3, 5, 2, 3, 0, 5, 5}};  // windows {1, 3, 3, 0} and {5, 2, 5, 5}
  pool.forward(x, 1, Mode::kTrain);
  CHECK(pool.output() == Matrix{{3, 5}});
  Matrix g = {{10, 20}};
  pool.backward(x, g, 1, true);
  CHECK(pool.input_grad() == Matrix{{0, 10, 20, 0, 0, 0, 0, 0}});
  // Overlapping windows that share a maximum add their gradients there.
  MaxPool2d overlap("max_pool_1", {2, 1});
  overlap.allocate(1, {1, 2, 3});
  Matrix y = {{0, 9, 0, 1, 2, 3}};
  overlap.forward(y, 1, Mode::kTrain);
  CHECK(overlap.output() == Matrix{{9, 9}});
  overlap.backward(y, g, 1, true);
  CHECK(overlap.input_grad() == Matrix{{0, 30, 0, 0, 0, 0}});
}

TEST_CASE("avg_pool spreads dy / size^2 over its window") {
  AvgPool2d pool("avg_pool_0", {2, 2});
  pool.allocate(1, {1, 2, 5});
  Matrix x = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}};
  pool.forward(x, 1, Mode::kTrain);
  CHECK(pool.output() == Matrix{{4, 6}});
  Matrix g = {{4, 8}};
  pool.backward(x, g, 1, true);
  CHECK(pool.input_grad() == Matrix{{1, 1, 2, 2, 0, 1, 1, 2, 2, 0}});
}

TEST_CASE("global_avg_pool averages each channel") {
  GlobalAvgPool pool("global_avg_pool_0");
  const Shape in{3, 5, 7};
  CHECK(pool.output_shape(in) == Shape{3, 1, 1});
  pool.allocate(4, in);
  CHECK(pool.describe() == "global_avg_pool_0: 3x5x7 -> 3");
  Rng rng(4);
  const std::size_t n = 3;
  Matrix x = xt::zeros<float>({std::size_t{4}, in.size()});
  reglab::testing::fill_normal(x.data(), n * in.size(), rng);
  pool.forward(x, n, Mode::kTrain);
  for (std::size_t s = 0; s < n; ++s) {
    for (std::size_t c = 0; c < 3; ++c) {
      double sum = 0.0;
      for (std::size_t p = 0; p < 35; ++p) sum += x(s, c * 35 + p);
      CHECK(pool.output()(s, c) == doctest::Approx(sum / 35.0).epsilon(1e-6));
    }
  }
  CHECK(pool.output()(3, 0) == 0.0f);
  Matrix proj = xt::zeros<float>({std::size_t{4}, std::size_t{3}});
  reglab::testing::fill_normal(proj.data(), n * 3, rng);
  const auto r = check_input_gradient(pool, x, proj, n);
  CHECK(r.failed == 0);
  CHECK(r.checked == n * in.size());
}

TEST_CASE("pooling describes itself and refuses windows larger than the input") {
  MaxPool2d pool("max_pool_0", {2, 2});
  CHECK_NOTHROW(pool.describe());  // before allocate() too
  pool.allocate(2, {32, 28, 28});
  CHECK(pool.describe() == "max_pool_0: 32x28x28 -> 32x14x14, size 2, stride 2");
  AvgPool2d avg("avg_pool_0", {3, 2});
  CHECK(avg.output_shape({1, 5, 7}) == Shape{1, 2, 3});
  CHECK_THROWS_WITH_AS(avg.output_shape({4, 2, 7}),
                       "avg_pool_0: avg_pool size 3 is larger than the input 2x7",
                       std::invalid_argument);
  CHECK_THROWS_AS(avg.allocate(2, {4, 7, 2}), std::logic_error);
  CHECK_THROWS_AS(MaxPool2d("max_pool_1", {0, 1}), std::invalid_argument);
  CHECK_THROWS_AS(MaxPool2d("max_pool_1", {2, 0}), std::invalid_argument);
}

TEST_CASE("pooling allocates nothing after allocate()") {
  Rng rng(6);
  const Case& c = kCases[3];
  MaxPool2d max_pool("max_pool_0", options_of(c));
  AvgPool2d avg_pool("avg_pool_0", options_of(c));
  GlobalAvgPool global("global_avg_pool_0");
  for (reglab::models::Layer* layer :
       std::vector<reglab::models::Layer*>{&max_pool, &avg_pool, &global}) {
    layer->allocate(4, c.in);
    Matrix x = xt::zeros<float>({std::size_t{4}, c.in.size()});
    Matrix g = xt::zeros<float>({std::size_t{4}, layer->output().shape()[1]});
    reglab::testing::fill_normal(x.data(), x.size(), rng);
    reglab::testing::fill_normal(g.data(), g.size(), rng);
    const float* out = layer->output().data();
    const float* gin = layer->input_grad().data();
    for (std::size_t n : {4, 2}) {
      layer->forward(x, n, Mode::kTrain);
      layer->backward(x, g, n, true);
      CHECK(layer->output().data() == out);
      CHECK(layer->input_grad().data() == gin);
    }
  }
}

TEST_CASE("pooling recipes read their options") {
  using reglab::testing::Options;
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  Options defaults("size: 3\n");
  const auto max_pool = reglab::models::max_pool_recipe(defaults.reader);
  defaults.reader.finish();
  CHECK(max_pool.kind == "max_pool");
  CHECK(max_pool.options == Pairs{{"size", "3"}, {"stride", "3"}});  // stride = size
  CHECK_FALSE(max_pool.weighted);
  CHECK_FALSE(max_pool.flatten);
  reglab::models::LayerBuild b;
  b.name = "max_pool_0";
  b.input = {2, 7, 8};
  auto layer = max_pool.build(b);
  CHECK(dynamic_cast<MaxPool2d*>(layer.get()) != nullptr);
  CHECK(layer->name() == "max_pool_0");
  CHECK(layer->output_shape(b.input) == Shape{2, 2, 2});
  b.input = {2, 2, 8};
  CHECK_THROWS_AS(max_pool.build(b), std::invalid_argument);

  Options strided("size: 2\nstride: 1\n");
  const auto avg_pool = reglab::models::avg_pool_recipe(strided.reader);
  CHECK(avg_pool.kind == "avg_pool");
  CHECK(avg_pool.options == Pairs{{"size", "2"}, {"stride", "1"}});
  b.name = "avg_pool_0";
  CHECK(dynamic_cast<AvgPool2d*>(avg_pool.build(b).get()) != nullptr);

  Options none("");
  const auto global = reglab::models::global_avg_pool_recipe(none.reader);
  none.reader.finish();
  CHECK(global.kind == "global_avg_pool");
  CHECK(global.options.empty());
  b.name = "global_avg_pool_0";
  CHECK(global.build(b)->output_shape(b.input) == Shape{2, 1, 1});

  auto error = [](const std::string& text) {
    Options opts(text);
    try {
      reglab::models::max_pool_recipe(opts.reader);
      opts.reader.finish();
    } catch (const reglab::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("nothing thrown");
  };
  CHECK(error("stride: 2\n").find("size") != std::string::npos);
  CHECK(error("size: 0\n").find("size") != std::string::npos);
  CHECK(error("size: 2\nstride: 65\n").find("stride") != std::string::npos);
  CHECK(error("size: 2\npadding: 1\n").find("padding") != std::string::npos);
  Options extra("size: 2\n");
  reglab::models::global_avg_pool_recipe(extra.reader);
  CHECK_THROWS_AS(extra.reader.finish(), reglab::ConfigError);
}

TEST_CASE("pooling gives identical results at 1 and 2 threads") {
  // Enough planes that the loops are split over the threads.
  const Shape in{16, 32, 32};
  const std::size_t n = 8;
  Rng rng(17);
  Matrix x = xt::zeros<float>({n, in.size()});
  reglab::testing::fill_normal(x.data(), x.size(), rng);
  auto run = [&](reglab::models::Layer& layer, int threads) {
    reglab::parallel::set_threads(threads);
    layer.allocate(n, in);
    Matrix g = xt::zeros<float>({n, layer.output().shape()[1]});
    Rng grads(5);
    reglab::testing::fill_normal(g.data(), g.size(), grads);
    layer.forward(x, n, Mode::kTrain);
    layer.backward(x, g, n, true);
    return std::make_pair(Matrix(layer.output()), Matrix(layer.input_grad()));
  };
  MaxPool2d max_pool("max_pool_0", {3, 2});
  AvgPool2d avg_pool("avg_pool_0", {3, 2});
  GlobalAvgPool global("global_avg_pool_0");
  for (reglab::models::Layer* layer :
       std::vector<reglab::models::Layer*>{&max_pool, &avg_pool, &global}) {
    INFO(layer->name());
    const auto one = run(*layer, 1);
    const auto two = run(*layer, 2);
    CHECK(one.first == two.first);
    CHECK(one.second == two.second);
  }
  reglab::parallel::set_threads(1);
}
