#include <doctest/doctest.h>

#include <cstddef>

#include "framework/core/random.hpp"
#include "framework/models/flatten.hpp"
#include "support/layer_checks.hpp"

using reglab::Matrix;
using reglab::Mode;
using reglab::models::Flatten;
using reglab::models::Shape;

TEST_CASE("flatten keeps each row and turns the shape into a vector") {
  Flatten layer("flatten_0");
  const Shape in{3, 5, 7};
  CHECK(layer.output_shape(in) == Shape{105, 1, 1});
  layer.allocate(4, in);
  CHECK(layer.describe() == "flatten_0: 3x5x7 -> 105");
  reglab::Rng rng(3);
  Matrix x = xt::zeros<float>({std::size_t{4}, in.size()});
  Matrix g = xt::zeros<float>({std::size_t{4}, in.size()});
  reglab::testing::fill_normal(x.data(), 3 * in.size(), rng);
  reglab::testing::fill_normal(g.data(), 3 * in.size(), rng);
  const float* out = layer.output().data();
  const float* gin = layer.input_grad().data();
  layer.forward(x, 3, Mode::kTrain);
  layer.backward(x, g, 3, true);
  CHECK(layer.output() == x);  // rows [0, 3) copied, row 3 untouched (zero in both)
  CHECK(layer.input_grad() == g);
  CHECK(layer.output().data() == out);
  CHECK(layer.input_grad().data() == gin);
  Matrix other = xt::ones<float>({std::size_t{4}, in.size()});
  layer.backward(x, other, 3, false);
  CHECK(layer.input_grad() == g);  // not written without need_input_grad
}

TEST_CASE("flatten recipe is marked as a flatten") {
  reglab::testing::Options opts("");
  const auto recipe = reglab::models::flatten_recipe(opts.reader);
  opts.reader.finish();
  CHECK(recipe.kind == "flatten");
  CHECK(recipe.flatten);
  CHECK_FALSE(recipe.weighted);
  CHECK(recipe.options.empty());
  reglab::models::LayerBuild b;
  b.name = "flatten_0";
  b.input = {32, 7, 7};
  const auto layer = recipe.build(b);
  CHECK(layer->name() == "flatten_0");
  CHECK(layer->output_shape(b.input) == Shape{1568, 1, 1});
}
