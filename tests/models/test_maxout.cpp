#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/random.hpp"
#include "framework/models/maxout.hpp"
#include "support/layer_checks.hpp"

using reglab::Matrix;
using reglab::Mode;
using reglab::Rng;
using reglab::models::Maxout;
using reglab::models::Shape;
using reglab::testing::check_input_gradient;

namespace {

/// y[c, p] = max over x[c k + i, p], i < k, by the definition.
Matrix naive_maxout(const Shape& in, std::size_t k, const Matrix& x, std::size_t n) {
  const std::size_t area = in.spatial(), units = in.channels / k;
  Matrix y = xt::zeros<float>({n, units * area});
  for (std::size_t s = 0; s < n; ++s) {
    for (std::size_t c = 0; c < units; ++c) {
      for (std::size_t p = 0; p < area; ++p) {
        float best = x(s, c * k * area + p);
        for (std::size_t i = 1; i < k; ++i) best = std::max(best, x(s, (c * k + i) * area + p));
        y(s, c * area + p) = best;
      }
    }
  }
  return y;
}

const std::vector<std::pair<Shape, std::size_t>> kCases = {
    {{6, 1, 1}, 3}, {{12, 1, 1}, 2}, {{4, 5, 7}, 2}, {{9, 3, 2}, 3}, {{8, 2, 2}, 4}};

}  // namespace

TEST_CASE("maxout takes the max over groups of consecutive units or channels") {
  Rng rng(1);
  const std::size_t n = 3, capacity = 4;
  for (const auto& [in, k] : kCases) {
    INFO(in.str() << " pieces " << k);
    Maxout layer("maxout_0", k);
    CHECK(layer.output_shape(in) == Shape{in.channels / k, in.height, in.width});
    layer.allocate(capacity, in);
    Matrix x = xt::zeros<float>({capacity, in.size()});
    reglab::testing::fill_normal(x.data(), n * in.size(), rng);
    layer.forward(x, n, Mode::kTrain);
    const Matrix want = naive_maxout(in, k, x, n);
    for (std::size_t i = 0; i < want.size(); ++i)
      REQUIRE(layer.output().data()[i] == want.data()[i]);
    for (std::size_t i = want.size(); i < layer.output().size(); ++i) {
      REQUIRE(layer.output().data()[i] == 0.0f);
    }
  }
  Maxout units("maxout_0", 2);
  units.allocate(1, {4, 1, 1});
  Matrix v = {{1, 5, 7, -2}};
  units.forward(v, 1, Mode::kTrain);
  CHECK(units.output() == Matrix{{5, 7}});
}

TEST_CASE("maxout input gradient matches finite differences") {
  Rng rng(12);
  const std::size_t n = 2, capacity = 3;
  for (const auto& [in, k] : kCases) {
    INFO(in.str() << " pieces " << k);
    Maxout layer("maxout_0", k);
    layer.allocate(capacity, in);
    Matrix x = xt::zeros<float>({capacity, in.size()});
    Matrix proj = xt::zeros<float>({capacity, in.size() / k});
    reglab::testing::fill_distinct(x.data(), n * in.size(), rng);
    reglab::testing::fill_normal(proj.data(), n * in.size() / k, rng);
    const auto r = check_input_gradient(layer, x, proj, n);
    CHECK(r.failed == 0);
    CHECK(r.checked == n * in.size());
  }
}

TEST_CASE("maxout routes the gradient to the first maximal piece") {
  Maxout layer("maxout_0", 3);
  layer.allocate(1, {6, 1, 2});
  // channel 0..2 -> unit 0, channel 3..5 -> unit 1; two positions each
  Matrix x = {{4, 1, 4, 2, 0, 2, 7, 3, 7, 3, 6, 3}};
  layer.forward(x, 1, Mode::kTrain);
  CHECK(layer.output() == Matrix{{4, 2, 7, 3}});
  Matrix g = {{1, 2, 3, 4}};
  layer.backward(x, g, 1, true);
  CHECK(layer.input_grad() == Matrix{{1, 0, 0, 2, 0, 0, 3, 4, 0, 0, 0, 0}});
}

TEST_CASE("maxout refuses inputs that do not divide into its pieces") {
  Maxout layer("maxout_0", 4);
  CHECK_THROWS_WITH_AS(layer.output_shape({10, 1, 1}),
                       "maxout_0: 10 inputs are not divisible into groups of 4 pieces",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(layer.output_shape({6, 3, 3}),
                       "maxout_0: 6 input channels are not divisible into groups of 4 pieces",
                       std::invalid_argument);
  CHECK_THROWS_AS(layer.allocate(2, {6, 3, 3}), std::logic_error);
  CHECK_THROWS_AS(Maxout("maxout_1", 0), std::invalid_argument);
  CHECK_NOTHROW(layer.describe());  // before allocate() too
  layer.allocate(2, {512, 1, 1});
  CHECK(layer.describe() == "maxout_0: 512 -> 128, pieces 4");
}

TEST_CASE("maxout allocates nothing after allocate()") {
  Rng rng(2);
  Maxout layer("maxout_0", 2);
  const Shape in{4, 3, 3};
  layer.allocate(4, in);
  Matrix x = xt::zeros<float>({std::size_t{4}, in.size()});
  Matrix g = xt::zeros<float>({std::size_t{4}, in.size() / 2});
  reglab::testing::fill_normal(x.data(), x.size(), rng);
  reglab::testing::fill_normal(g.data(), g.size(), rng);
  const float* out = layer.output().data();
  const float* gin = layer.input_grad().data();
  for (std::size_t n : {4, 1}) {
    layer.forward(x, n, Mode::kTrain);
    layer.backward(x, g, n, true);
    CHECK(layer.output().data() == out);
    CHECK(layer.input_grad().data() == gin);
  }
}

TEST_CASE("maxout recipe reads pieces") {
  using reglab::testing::Options;
  Options opts("pieces: 2\n");
  const auto recipe = reglab::models::maxout_recipe(opts.reader);
  opts.reader.finish();
  CHECK(recipe.kind == "maxout");
  CHECK(recipe.options == std::vector<std::pair<std::string, std::string>>{{"pieces", "2"}});
  CHECK_FALSE(recipe.weighted);
  reglab::models::LayerBuild b;
  b.name = "maxout_0";
  b.input = {8, 1, 1};
  CHECK(recipe.build(b)->output_shape(b.input) == Shape{4, 1, 1});
  b.input = {7, 1, 1};
  CHECK_THROWS_AS(recipe.build(b), std::invalid_argument);
  for (const char* bad : {"{}", "pieces: 1\n", "pieces: 65\n", "pieces: two\n"}) {
    Options o(bad);
    CHECK_THROWS_AS(reglab::models::maxout_recipe(o.reader), reglab::ConfigError);
  }
}

TEST_CASE("maxout gives identical results at 1 and 2 threads") {
  const Shape in{32, 16, 16};
  const std::size_t n = 8;
  Rng rng(23);
  Matrix x = xt::zeros<float>({n, in.size()});
  Matrix g = xt::zeros<float>({n, in.size() / 4});
  reglab::testing::fill_normal(x.data(), x.size(), rng);
  reglab::testing::fill_normal(g.data(), g.size(), rng);
  auto run = [&](int threads) {
    reglab::parallel::set_threads(threads);
    Maxout layer("maxout_0", 4);
    layer.allocate(n, in);
    layer.forward(x, n, Mode::kTrain);
    layer.backward(x, g, n, true);
    return std::make_pair(Matrix(layer.output()), Matrix(layer.input_grad()));
  };
  const auto one = run(1);
  const auto two = run(2);
  reglab::parallel::set_threads(1);
  CHECK(one.first == two.first);
  CHECK(one.second == two.second);
}
