#include "framework/models/conv2d.hpp"

#include <algorithm>
#include <climits>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "framework/config/options.hpp"
#include "framework/core/gemm.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/random.hpp"
#include "framework/models/planes.hpp"

namespace reglab::models {

namespace {

/// The outputs o in [lo, hi) whose input index o * stride + offset lies in [0, limit), among
/// [0, count); `first` is the input index of output lo (0 if there is none).
struct Span {
  std::size_t lo = 0;
  std::size_t hi = 0;
  std::size_t first = 0;
};

Span inside(std::ptrdiff_t offset, std::size_t stride, std::size_t limit, std::size_t count) {
  const auto s = static_cast<std::ptrdiff_t>(stride);
  const auto l = static_cast<std::ptrdiff_t>(limit);
  const std::ptrdiff_t lo = offset >= 0 ? 0 : (-offset + s - 1) / s;
  const std::ptrdiff_t hi = offset >= l ? 0 : (l - offset + s - 1) / s;
  Span r;
  r.hi = std::min(count, static_cast<std::size_t>(hi));
  r.lo = std::min(r.hi, static_cast<std::size_t>(lo));
  if (r.lo < r.hi)
    r.first = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(r.lo) * s + offset);
  return r;
}

std::ptrdiff_t signed_diff(std::size_t a, std::size_t b) {
  return static_cast<std::ptrdiff_t>(a) - static_cast<std::ptrdiff_t>(b);
}

/// (in + zeros - kernel) / stride + 1 windows, or an error naming the padded input.
void check_fit(const std::string& name, std::size_t kernel, const Shape& in, std::size_t zeros) {
  const std::size_t h = in.height + zeros, w = in.width + zeros;
  if (kernel > h || kernel > w) {
    throw std::invalid_argument(name + ": kernel " + std::to_string(kernel) +
                                " is larger than the padded input " + std::to_string(h) + "x" +
                                std::to_string(w));
  }
}

/// Size and leading zeros of one dimension for padding `same`.
void same_padding(std::size_t in, std::size_t kernel, std::size_t stride, std::size_t& out,
                  std::size_t& before) {
  out = (in + stride - 1) / stride;
  const std::size_t needed = (out - 1) * stride + kernel;
  before = needed > in ? (needed - in) / 2 : 0;
}

/// dst[j] += src[j] for j < n (stride 1: contiguous, vectorised; each element adds once).
void add_row(const float* src, std::size_t n, float* dst) {
  for (std::size_t j = 0; j < n; ++j) dst[j] += src[j];
}

}  // namespace

Conv2dOptions Conv2dOptions::read(config::OptionReader& reader) {
  Conv2dOptions o;
  o.filters = static_cast<std::size_t>(reader.require_int("filters", 1, 65536));
  o.kernel = static_cast<std::size_t>(reader.require_int("kernel", 1, 64));
  o.stride = static_cast<std::size_t>(reader.get_int("stride", 1, 1, 64));
  const std::string text = reader.get_string("padding", "valid");
  if (text == "same") {
    o.padding = Padding::kSame;
  } else if (text == "valid") {
    o.padding = Padding::kValid;
  } else if (!text.empty() && text.find_first_not_of("+-0123456789") == std::string::npos) {
    o.padding = Padding::kExplicit;
    o.pad = static_cast<std::size_t>(reader.get_int("padding", 0, 0, 64));
  } else {
    reader.fail("padding",
                "expected same, valid or a number of zeros per side, got '" + text + "'");
  }
  return o;
}

std::string Conv2dOptions::padding_text() const {
  switch (padding) {
    case Padding::kSame:
      return "same";
    case Padding::kValid:
      return "valid";
    case Padding::kExplicit:
      break;
  }
  return std::to_string(pad);
}

Conv2d::Conv2d(std::string name, std::size_t in_channels, const Conv2dOptions& options)
    : name_(std::move(name)),
      in_channels_(in_channels),
      options_(options),
      kernel_("kernel", {options.filters, in_channels, options.kernel, options.kernel}, true),
      bias_("bias", {options.filters}, false) {
  if (options.filters == 0 || options.kernel == 0 || options.stride == 0) {
    throw std::invalid_argument(name_ + ": filters, kernel and stride must be positive");
  }
  kernel_.units_first = true;
}

std::string Conv2d::describe() const {
  return name_ + ": " + in_shape_.str() + " -> " + out_shape_.str() + ", kernel " +
         std::to_string(options_.kernel) + ", stride " + std::to_string(options_.stride) +
         ", padding " + options_.padding_text();
}

Conv2d::Geometry Conv2d::geometry(const Shape& input) const {
  if (input.channels == 0) throw std::invalid_argument(name_ + ": the input has no channels");
  if (input.channels != in_channels_) {
    throw std::invalid_argument(name_ + ": input " + input.str() + " has " +
                                std::to_string(input.channels) + " channels, the kernel takes " +
                                std::to_string(in_channels_));
  }
  const std::size_t k = options_.kernel, s = options_.stride;
  Geometry g;
  if (options_.padding == Padding::kSame) {
    same_padding(input.height, k, s, g.out_h, g.pad_top);
    same_padding(input.width, k, s, g.out_w, g.pad_left);
    return g;
  }
  const std::size_t p = options_.padding == Padding::kExplicit ? options_.pad : 0;
  check_fit(name_, k, input, 2 * p);
  g.out_h = (input.height + 2 * p - k) / s + 1;
  g.out_w = (input.width + 2 * p - k) / s + 1;
  g.pad_top = g.pad_left = p;
  return g;
}

Shape Conv2d::output_shape(const Shape& input) const {
  const Geometry g = geometry(input);
  return {options_.filters, g.out_h, g.out_w};
}

void Conv2d::allocate(std::size_t capacity, const Shape& input) {
  Layer::allocate(capacity, input);
  geo_ = geometry(input);
  out_shape_ = output_shape(input);
  const std::size_t ckk = in_channels_ * options_.kernel * options_.kernel;
  const std::size_t per_sample = ckk * out_shape_.spatial();
  chunk_ = std::max<std::size_t>(1, std::min(capacity, kColumnBudget / per_sample));
  const std::size_t columns = chunk_ * out_shape_.spatial();
  const std::size_t rows = std::max(ckk, options_.filters);
  if (columns > static_cast<std::size_t>(INT_MAX) || rows > static_cast<std::size_t>(INT_MAX)) {
    throw std::logic_error(name_ + ": images of " + in_shape_.str() +
                           " are too large for one matrix product");
  }
  col_ = xt::zeros<float>({ckk * columns});
  y_ = xt::zeros<float>({options_.filters * columns});
  col_current_ = false;
}

void Conv2d::im2col_plane(const float* plane, float* dst, std::size_t ld) const {
  const std::size_t k = options_.kernel, s = options_.stride, w = in_shape_.width;
  const std::size_t oh = geo_.out_h, ow = geo_.out_w;
  for (std::size_t u = 0; u < k; ++u) {
    const Span rows = inside(signed_diff(u, geo_.pad_top), s, in_shape_.height, oh);
    for (std::size_t v = 0; v < k; ++v) {
      const Span cols = inside(signed_diff(v, geo_.pad_left), s, w, ow);
      float* row = dst + (u * k + v) * ld;
      std::fill(row, row + rows.lo * ow, 0.0f);
      for (std::size_t i = rows.lo; i < rows.hi; ++i) {
        float* o = row + i * ow;
        const float* src = plane + (rows.first + (i - rows.lo) * s) * w + cols.first;
        std::fill(o, o + cols.lo, 0.0f);
        if (s == 1) {
          std::copy(src, src + (cols.hi - cols.lo), o + cols.lo);
        } else {
          for (std::size_t j = cols.lo; j < cols.hi; ++j) o[j] = src[(j - cols.lo) * s];
        }
        std::fill(o + cols.hi, o + ow, 0.0f);
      }
      std::fill(row + rows.hi * ow, row + oh * ow, 0.0f);
    }
  }
}

void Conv2d::col2im_plane(const float* src, std::size_t ld, float* plane) const {
  const std::size_t k = options_.kernel, s = options_.stride, w = in_shape_.width;
  const std::size_t ow = geo_.out_w;
  std::fill(plane, plane + in_shape_.spatial(), 0.0f);
  for (std::size_t u = 0; u < k; ++u) {
    const Span rows = inside(signed_diff(u, geo_.pad_top), s, in_shape_.height, geo_.out_h);
    for (std::size_t v = 0; v < k; ++v) {
      const Span cols = inside(signed_diff(v, geo_.pad_left), s, w, ow);
      const float* row = src + (u * k + v) * ld;
      for (std::size_t i = rows.lo; i < rows.hi; ++i) {
        const float* in = row + i * ow;
        float* dst = plane + (rows.first + (i - rows.lo) * s) * w + cols.first;
        if (s == 1) {
          add_row(in + cols.lo, cols.hi - cols.lo, dst);
        } else {
          for (std::size_t j = cols.lo; j < cols.hi; ++j) dst[(j - cols.lo) * s] += in[j];
        }
      }
    }
  }
}

std::pair<std::size_t, std::size_t> Conv2d::chunks(std::size_t n) const {
  const std::size_t count = (n + chunk_ - 1) / chunk_;
  return {count, (n + count - 1) / count};
}

void Conv2d::im2col(const float* x, std::size_t s0, std::size_t m) {
  const std::size_t kk = options_.kernel * options_.kernel, area = in_shape_.spatial();
  const std::size_t ohw = out_shape_.spatial(), ld = m * ohw;
  const float* first = x + s0 * in_channels_ * area;
  float* col = col_.data();
  for_planes(m, in_channels_, kk * ohw, [&](std::size_t s, std::size_t c) {
    im2col_plane(first + (s * in_channels_ + c) * area, col + c * kk * ld + s * ohw, ld);
  });
}

void Conv2d::col2im(float* dx, std::size_t s0, std::size_t m) const {
  const std::size_t kk = options_.kernel * options_.kernel, area = in_shape_.spatial();
  const std::size_t ohw = out_shape_.spatial(), ld = m * ohw;
  const float* col = col_.data();
  float* first = dx + s0 * in_channels_ * area;
  for_planes(m, in_channels_, kk * ohw, [&](std::size_t s, std::size_t c) {
    col2im_plane(col + c * kk * ld + s * ohw, ld, first + (s * in_channels_ + c) * area);
  });
}

void Conv2d::scatter(std::size_t s0, std::size_t m) {
  const std::size_t ohw = out_shape_.spatial(), ld = m * ohw;
  const float* y = y_.data();
  const float* b = bias_.value.data();
  float* out = out_.data() + s0 * options_.filters * ohw;
  for_planes(m, options_.filters, ohw, [&](std::size_t s, std::size_t f) {
    const float* src = y + f * ld + s * ohw;
    float* dst = out + (s * options_.filters + f) * ohw;
    for (std::size_t p = 0; p < ohw; ++p) dst[p] = src[p] + b[f];
  });
}

void Conv2d::gather(const float* grad_out, std::size_t s0, std::size_t m) {
  const std::size_t ohw = out_shape_.spatial(), ld = m * ohw;
  const float* first = grad_out + s0 * options_.filters * ohw;
  float* y = y_.data();
  for_planes(m, options_.filters, ohw, [&](std::size_t s, std::size_t f) {
    const float* src = first + (s * options_.filters + f) * ohw;
    std::copy(src, src + ohw, y + f * ld + s * ohw);
  });
}

void Conv2d::bias_grad(const float* grad_out, std::size_t n) {
  const std::size_t ohw = out_shape_.spatial(), filters = options_.filters;
  float* db = bias_.grad.data();
  parallel::for_range(
      filters,
      [&](std::size_t f0, std::size_t f1) {
        for (std::size_t f = f0; f < f1; ++f) {
          double sum = 0.0;
          for (std::size_t s = 0; s < n; ++s) {
            const float* plane = grad_out + (s * filters + f) * ohw;
            for (std::size_t p = 0; p < ohw; ++p) sum += static_cast<double>(plane[p]);
          }
          db[f] = static_cast<float>(sum);
        }
      },
      parallel::kMinParallel / (n * ohw + 1) + 1);
}

void Conv2d::forward(const Matrix& x, std::size_t n, Mode /*mode*/) {
  if (n == 0) return;
  const int f = static_cast<int>(options_.filters);
  const int ckk = static_cast<int>(in_channels_ * options_.kernel * options_.kernel);
  const auto [count, per] = chunks(n);
  for (std::size_t s0 = 0; s0 < n; s0 += per) {
    const std::size_t m = std::min(per, n - s0);
    const int cols = static_cast<int>(m * out_shape_.spatial());
    im2col(x.data(), s0, m);
    sgemm(false, false, f, cols, ckk, 1.0f, kernel_.value.data(), ckk, col_.data(), cols, 0.0f,
          y_.data(), cols);
    scatter(s0, m);
  }
  col_current_ = count == 1;
}

void Conv2d::backward(const Matrix& x, const Matrix& grad_out, std::size_t n,
                      bool need_input_grad) {
  if (n == 0) {
    std::fill(kernel_.grad.data(), kernel_.grad.data() + kernel_.grad.size(), 0.0f);
    std::fill(bias_.grad.data(), bias_.grad.data() + bias_.grad.size(), 0.0f);
    return;
  }
  const int f = static_cast<int>(options_.filters);
  const int ckk = static_cast<int>(in_channels_ * options_.kernel * options_.kernel);
  bias_grad(grad_out.data(), n);
  const auto [count, per] = chunks(n);
  for (std::size_t s0 = 0; s0 < n; s0 += per) {
    const std::size_t m = std::min(per, n - s0);
    const int cols = static_cast<int>(m * out_shape_.spatial());
    if (!(count == 1 && col_current_)) im2col(x.data(), s0, m);
    gather(grad_out.data(), s0, m);
    sgemm(false, true, f, ckk, cols, 1.0f, y_.data(), cols, col_.data(), cols,
          s0 == 0 ? 0.0f : 1.0f, kernel_.grad.data(), ckk);
    if (need_input_grad) {
      sgemm(true, false, ckk, cols, f, 1.0f, kernel_.value.data(), ckk, y_.data(), cols, 0.0f,
            col_.data(), cols);
      col_current_ = false;
      col2im(grad_in_.data(), s0, m);
    }
  }
}

LayerRecipe conv2d_recipe(config::OptionReader& reader) {
  const Conv2dOptions o = Conv2dOptions::read(reader);
  LayerRecipe r;
  r.kind = "conv2d";
  const std::string padding =
      o.padding == Padding::kExplicit ? o.padding_text() : "\"" + o.padding_text() + "\"";
  r.options = {{"filters", std::to_string(o.filters)},
               {"kernel", std::to_string(o.kernel)},
               {"stride", std::to_string(o.stride)},
               {"padding", padding}};
  r.weighted = true;
  r.build = [o](const LayerBuild& b) -> LayerPtr {
    auto layer = std::make_unique<Conv2d>(b.name, b.input.channels, o);
    layer->output_shape(b.input);  // throws if the input does not suit
    const double area = static_cast<double>(o.kernel * o.kernel);
    Rng rng = Rng::stream(b.seed, "init", b.weight_index);
    init_kernel(layer->kernel(), b.init, b.init_scale, static_cast<double>(b.input.channels) * area,
                static_cast<double>(o.filters) * area, rng);
    return layer;
  };
  return r;
}

}  // namespace reglab::models
