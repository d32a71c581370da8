#include "framework/models/pooling.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "framework/config/options.hpp"
#include "framework/models/planes.hpp"

namespace reglab::models {

namespace {

/// A recipe whose layer takes no weights; `make` builds it from the layer's name.
template <class Make>
LayerRecipe shape_recipe(std::string kind, std::vector<std::pair<std::string, std::string>> options,
                         Make make) {
  LayerRecipe r;
  r.kind = std::move(kind);
  r.options = std::move(options);
  r.build = [make](const LayerBuild& b) -> LayerPtr {
    LayerPtr layer = make(b.name);
    layer->output_shape(b.input);  // throws if the input does not suit
    return layer;
  };
  return r;
}

std::vector<std::pair<std::string, std::string>> pool_options(const PoolOptions& o) {
  return {{"size", std::to_string(o.size)}, {"stride", std::to_string(o.stride)}};
}

/// Evaluation's max pooling of one plane, without recording where the maxima are (no backward
/// follows). The same values as training's search: windows are scanned in the same order and
/// a value replaces the maximum only when greater, or when it is the window's first NaN. Output
/// rows are updated one window offset at a time, so the inner loop runs along the row.
void window_maxima(const float* plane, const Shape& in, const Shape& out, std::size_t k,
                   std::size_t s, float* y) {
  for (std::size_t i = 0; i < out.height; ++i) {
    float* row = y + i * out.width;
    const float* top = plane + i * s * in.width;
    for (std::size_t j = 0; j < out.width; ++j) row[j] = top[j * s];
    for (std::size_t u = 0; u < k; ++u) {
      for (std::size_t v = u == 0 ? 1 : 0; v < k; ++v) {
        const float* src = top + u * in.width + v;
        for (std::size_t j = 0; j < out.width; ++j) {
          const float val = src[j * s], m = row[j];
          row[j] = (val > m || (std::isnan(val) && !std::isnan(m))) ? val : m;
        }
      }
    }
  }
}

}  // namespace

PoolOptions PoolOptions::read(config::OptionReader& reader) {
  PoolOptions o;
  o.size = static_cast<std::size_t>(reader.require_int("size", 1, 64));
  o.stride =
      static_cast<std::size_t>(reader.get_int("stride", static_cast<std::int64_t>(o.size), 1, 64));
  return o;
}

Pool2d::Pool2d(std::string name, std::string kind, const PoolOptions& options)
    : name_(std::move(name)), kind_(std::move(kind)), options_(options) {
  if (options.size == 0 || options.stride == 0) {
    throw std::invalid_argument(name_ + ": size and stride must be positive");
  }
}

std::string Pool2d::describe() const {
  return name_ + ": " + in_shape_.str() + " -> " + out_shape_.str() + ", size " +
         std::to_string(options_.size) + ", stride " + std::to_string(options_.stride);
}

Shape Pool2d::output_shape(const Shape& input) const {
  const std::size_t k = options_.size, s = options_.stride;
  if (k > input.height || k > input.width) {
    throw std::invalid_argument(name_ + ": " + kind_ + " size " + std::to_string(k) +
                                " is larger than the input " + std::to_string(input.height) + "x" +
                                std::to_string(input.width));
  }
  return {input.channels, (input.height - k) / s + 1, (input.width - k) / s + 1};
}

void Pool2d::allocate(std::size_t capacity, const Shape& input) {
  Layer::allocate(capacity, input);
  out_shape_ = output_shape(input);
}

MaxPool2d::MaxPool2d(std::string name, const PoolOptions& options)
    : Pool2d(std::move(name), "max_pool", options) {}

void MaxPool2d::allocate(std::size_t capacity, const Shape& input) {
  Pool2d::allocate(capacity, input);
  if (input.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw std::logic_error(name_ + ": input " + input.str() + " is too large");
  }
  argmax_.assign(capacity * out_shape_.size(), 0);
}

void MaxPool2d::forward(const Matrix& x, std::size_t n, Mode mode) {
  const Shape in = in_shape_, out = out_shape_;
  const std::size_t k = options_.size, s = options_.stride;
  const float* xp = x.data();
  float* yp = out_.data();
  if (mode != Mode::kTrain) {
    for_planes(n, in.channels, in.spatial(), [&](std::size_t b, std::size_t c) {
      window_maxima(xp + b * in.size() + c * in.spatial(), in, out, k, s,
                    yp + b * out.size() + c * out.spatial());
    });
    return;
  }
  std::uint32_t* arg = argmax_.data();
  for_planes(n, in.channels, in.spatial(), [&](std::size_t b, std::size_t c) {
    const std::size_t base = b * in.size() + c * in.spatial();
    const std::size_t o = b * out.size() + c * out.spatial();
    const float* plane = xp + base;
    for (std::size_t i = 0; i < out.height; ++i) {
      for (std::size_t j = 0; j < out.width; ++j) {
        std::size_t best = i * s * in.width + j * s;
        for (std::size_t u = 0; u < k; ++u) {
          const std::size_t row = (i * s + u) * in.width + j * s;
          for (std::size_t v = 0; v < k; ++v) {
            const float val = plane[row + v];
            if (val > plane[best] || (std::isnan(val) && !std::isnan(plane[best]))) best = row + v;
          }
        }
        const std::size_t at = o + i * out.width + j;
        yp[at] = plane[best];
        arg[at] = static_cast<std::uint32_t>(best + c * in.spatial());
      }
    }
  });
}

void MaxPool2d::backward(const Matrix& /*x*/, const Matrix& grad_out, std::size_t n,
                         bool need_input_grad) {
  if (!need_input_grad) return;
  const Shape in = in_shape_, out = out_shape_;
  const float* g = grad_out.data();
  const std::uint32_t* arg = argmax_.data();
  float* dx = grad_in_.data();
  for_planes(n, in.channels, in.spatial(), [&](std::size_t b, std::size_t c) {
    float* row = dx + b * in.size();
    std::fill(row + c * in.spatial(), row + (c + 1) * in.spatial(), 0.0f);
    const std::size_t o = b * out.size() + c * out.spatial();
    for (std::size_t p = o; p < o + out.spatial(); ++p) row[arg[p]] += g[p];
  });
}

AvgPool2d::AvgPool2d(std::string name, const PoolOptions& options)
    : Pool2d(std::move(name), "avg_pool", options) {}

void AvgPool2d::forward(const Matrix& x, std::size_t n, Mode /*mode*/) {
  const Shape in = in_shape_, out = out_shape_;
  const std::size_t k = options_.size, s = options_.stride;
  const float inv = 1.0f / static_cast<float>(k * k);
  const float* xp = x.data();
  float* yp = out_.data();
  for_planes(n, in.channels, in.spatial(), [&](std::size_t b, std::size_t c) {
    const float* plane = xp + b * in.size() + c * in.spatial();
    float* y = yp + b * out.size() + c * out.spatial();
    for (std::size_t i = 0; i < out.height; ++i) {
      for (std::size_t j = 0; j < out.width; ++j) {
        float sum = 0.0f;
        for (std::size_t u = 0; u < k; ++u) {
          const float* row = plane + (i * s + u) * in.width + j * s;
          for (std::size_t v = 0; v < k; ++v) sum += row[v];
        }
        y[i * out.width + j] = sum * inv;
      }
    }
  });
}

void AvgPool2d::backward(const Matrix& /*x*/, const Matrix& grad_out, std::size_t n,
                         bool need_input_grad) {
  if (!need_input_grad) return;
  const Shape in = in_shape_, out = out_shape_;
  const std::size_t k = options_.size, s = options_.stride;
  const float inv = 1.0f / static_cast<float>(k * k);
  const float* gp = grad_out.data();
  float* dxp = grad_in_.data();
  for_planes(n, in.channels, in.spatial(), [&](std::size_t b, std::size_t c) {
    const float* g = gp + b * out.size() + c * out.spatial();
    float* plane = dxp + b * in.size() + c * in.spatial();
    std::fill(plane, plane + in.spatial(), 0.0f);
    for (std::size_t i = 0; i < out.height; ++i) {
      for (std::size_t j = 0; j < out.width; ++j) {
        const float share = g[i * out.width + j] * inv;
        for (std::size_t u = 0; u < k; ++u) {
          float* row = plane + (i * s + u) * in.width + j * s;
          for (std::size_t v = 0; v < k; ++v) row[v] += share;
        }
      }
    }
  });
}

std::string GlobalAvgPool::describe() const {
  return name_ + ": " + in_shape_.str() + " -> " + output_shape(in_shape_).str();
}

void GlobalAvgPool::forward(const Matrix& x, std::size_t n, Mode /*mode*/) {
  const std::size_t area = in_shape_.spatial(), channels = in_shape_.channels;
  const float* xp = x.data();
  float* yp = out_.data();
  for_planes(n, channels, area, [&](std::size_t b, std::size_t c) {
    const float* plane = xp + (b * channels + c) * area;
    double sum = 0.0;
    for (std::size_t p = 0; p < area; ++p) sum += static_cast<double>(plane[p]);
    yp[b * channels + c] = static_cast<float>(sum / static_cast<double>(area));
  });
}

void GlobalAvgPool::backward(const Matrix& /*x*/, const Matrix& grad_out, std::size_t n,
                             bool need_input_grad) {
  if (!need_input_grad) return;
  const std::size_t area = in_shape_.spatial(), channels = in_shape_.channels;
  const float inv = 1.0f / static_cast<float>(area);
  const float* g = grad_out.data();
  float* dxp = grad_in_.data();
  for_planes(n, channels, area, [&](std::size_t b, std::size_t c) {
    float* plane = dxp + (b * channels + c) * area;
    std::fill(plane, plane + area, g[b * channels + c] * inv);
  });
}

LayerRecipe max_pool_recipe(config::OptionReader& reader) {
  const PoolOptions o = PoolOptions::read(reader);
  return shape_recipe("max_pool", pool_options(o), [o](const std::string& name) -> LayerPtr {
    return std::make_unique<MaxPool2d>(name, o);
  });
}

LayerRecipe avg_pool_recipe(config::OptionReader& reader) {
  const PoolOptions o = PoolOptions::read(reader);
  return shape_recipe("avg_pool", pool_options(o), [o](const std::string& name) -> LayerPtr {
    return std::make_unique<AvgPool2d>(name, o);
  });
}

LayerRecipe global_avg_pool_recipe(config::OptionReader& /*reader*/) {
  return shape_recipe("global_avg_pool", {}, [](const std::string& name) -> LayerPtr {
    return std::make_unique<GlobalAvgPool>(name);
  });
}

}  // namespace reglab::models
