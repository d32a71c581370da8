/// Helpers for the layer tests: random inputs, the projection loss sum(out .* R) used by the
/// gradient checks, inputs without ties for max operations, and option readers from YAML text.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "framework/config/options.hpp"
#include "framework/core/error.hpp"
#include "framework/core/random.hpp"
#include "framework/core/tensor.hpp"
#include "framework/models/layer.hpp"
#include "framework/testing/gradcheck.hpp"

namespace reglab::testing {

/// Standard normal values in p[0, count).
inline void fill_normal(float* p, std::size_t count, Rng& rng) {
  for (std::size_t i = 0; i < count; ++i) p[i] = static_cast<float>(rng.normal());
}

/// A rows x cols matrix of standard normal values from Rng(seed).
inline Matrix normal_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  Matrix m(std::array<std::size_t, 2>{rows, cols}, 0.0f);
  Rng rng(seed);
  fill_normal(m.data(), m.size(), rng);
  return m;
}

/// A rows x cols matrix of values uniform in [lo, hi) from Rng(seed).
inline Matrix uniform_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed, float lo,
                             float hi) {
  Matrix m(std::array<std::size_t, 2>{rows, cols}, 0.0f);
  Rng rng(seed);
  for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = lo + (hi - lo) * rng.uniform();
  return m;
}

/// Distinct values in p[0, count), at least `gap` apart, in random order: a max over any of them
/// keeps its argmax when one entry moves by less than gap / 2 (finite differences of max ops).
inline void fill_distinct(float* p, std::size_t count, Rng& rng, float gap = 0.05f) {
  std::vector<std::uint32_t> order(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = static_cast<std::uint32_t>(i);
  rng.shuffle(order);
  const float middle = static_cast<float>(count) / 2.0f;
  for (std::size_t i = 0; i < count; ++i) p[i] = (static_cast<float>(order[i]) - middle) * gap;
}

/// sum(out .* proj) over the first n rows, accumulated in double.
inline double projected(const Matrix& out, const Matrix& proj, std::size_t n) {
  double s = 0.0;
  const std::size_t cols = out.shape()[1];
  for (std::size_t i = 0; i < n * cols; ++i) {
    s += static_cast<double>(out.data()[i]) * static_cast<double>(proj.data()[i]);
  }
  return s;
}

/// Runs forward on x and backward with grad_out = proj (the gradient of `projected`), then checks
/// the input gradient against finite differences of `projected`. Returns the check's result.
inline GradCheckResult check_input_gradient(models::Layer& layer, Matrix& x, const Matrix& proj,
                                            std::size_t n) {
  auto loss = [&] {
    layer.forward(x, n, Mode::kTrain);
    return projected(layer.output(), proj, n);
  };
  loss();
  layer.backward(x, proj, n, true);
  const Matrix analytic = layer.input_grad();
  return check_gradient(x.data(), analytic.data(), n * x.shape()[1], loss);
}

/// An option reader over the YAML map `text` (kept alive by the returned object).
struct Options {
  explicit Options(const std::string& text)
      : node(config::ConfigNode::parse(text, "layer.yaml")), reader(node) {}
  config::ConfigNode node;
  config::OptionReader reader;
};

/// The ConfigError message of reading the YAML map `text` with `read` (a factory taking an
/// OptionReader&) and finishing the reader, or "" if nothing was refused.
template <class Read>
std::string config_error(const std::string& text, Read read) {
  try {
    config::OptionReader reader(config::ConfigNode::parse(text, "test.yaml"));
    read(reader);
    reader.finish();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace reglab::testing
