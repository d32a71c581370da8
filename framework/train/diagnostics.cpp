#include "framework/train/diagnostics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "framework/models/activation.hpp"
#include "framework/models/dense.hpp"
#include "framework/train/spectra.hpp"

namespace reglab::train {
namespace {

/// The q-quantile (0..1) of sorted values, linearly interpolated (numpy's default).
double quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

/// Squared norms of each unit's incoming weights: the columns of a dense kernel {inputs,
/// units}, the rows of a convolution kernel {filters, in_channels * kh * kw}.
std::vector<double> unit_sq_norms(const models::WeightLayer& layer) {
  const models::Param& k = layer.kernel();
  const std::size_t units = layer.units(), fan_in = layer.fan_in();
  const float* w = k.value.data();
  std::vector<double> norms(units, 0.0);
  for (std::size_t r = 0; r < (k.units_first ? units : fan_in); ++r) {
    const std::size_t cols = k.units_first ? fan_in : units;
    for (std::size_t c = 0; c < cols; ++c) {
      const double v = w[r * cols + c];
      norms[k.units_first ? r : c] += v * v;
    }
  }
  return norms;
}

/// The values of channel `c` of rows [0, n) of `x` (samples of `shape`), appended to `out` in
/// row order, then position order.
void channel_values(const Matrix& x, std::size_t n, const models::Shape& shape, std::size_t c,
                    std::vector<double>& out) {
  const std::size_t spatial = shape.spatial(), size = shape.size();
  const float* data = x.data();
  for (std::size_t r = 0; r < n; ++r) {
    const float* at = data + r * size + c * spatial;
    for (std::size_t p = 0; p < spatial; ++p) out.push_back(at[p]);
  }
}

void weight_norms(const models::Network& net, std::vector<std::pair<std::string, double>>& out) {
  for (const models::WeightLayer* d : net.weight_layers()) {
    const std::vector<double> col = unit_sq_norms(*d);
    double total = 0.0;
    double max_col = 0.0;
    for (double c : col) {
      total += c;
      max_col = std::max(max_col, c);
    }
    out.emplace_back("weight_norm." + d->name(), std::sqrt(total));
    out.emplace_back("max_unit_norm." + d->name(), std::sqrt(max_col));
  }
}

void spectra(const models::Network& net, bool measured,
             std::vector<std::pair<std::string, double>>& out) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const models::WeightLayer* d : net.weight_layers()) {
    Spectrum s{nan, nan, nan, nan, 0};
    // A convolution kernel as the {filters, in_channels * kh * kw} matrix it multiplies by.
    const std::size_t rows = d->kernel().units_first ? d->units() : d->fan_in();
    const std::size_t cols = d->kernel().units_first ? d->fan_in() : d->units();
    if (measured) s = spectrum(d->kernel().value.data(), rows, cols);
    out.emplace_back("spectral_norm." + d->name(), s.spectral_norm);
    out.emplace_back("stable_rank." + d->name(), s.stable_rank);
    out.emplace_back("alpha." + d->name(), s.alpha);
  }
}

}  // namespace

Diagnostics::Diagnostics(const DiagnosticsOptions& options, const models::Network& net,
                         const data::Split& probe)
    : options_(options) {
  probe_n_ = std::min({options.probe_size, probe.size(), net.capacity()});
  probe_x_ = xt::zeros<float>({net.capacity(), net.input_shape().size()});
  std::vector<std::uint8_t> labels(net.capacity());
  if (probe_n_ > 0) {
    data::gather_batch(*probe.dataset, probe.indices.data(), probe_n_, probe_x_, labels.data());
  }
  scratch_.reserve(probe_n_);
}

void Diagnostics::standardize_probe(const data::ImageShape& shape,
                                    const data::ChannelStats& stats) {
  data::standardize(probe_x_.data(), probe_n_, probe_x_.shape()[1], shape, stats);
}

void Diagnostics::measure(models::Network& net, std::vector<std::pair<std::string, double>>& out,
                          std::size_t epoch, bool last) {
  if (options_.weight_norms) weight_norms(net, out);
  if (options_.spectra && epoch > 0) {
    spectra(net, last || epoch % options_.spectra_every == 0, out);
  }
  const bool needs_forward =
      options_.activations || options_.percentiles_layer >= 0 || options_.variance_shift;
  if (!needs_forward || probe_n_ == 0) return;
  net.forward(probe_x_, probe_n_, Mode::kEval);
  const std::vector<models::Layer*>& layers = net.layers();
  std::size_t hidden = 0;
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const auto* act = dynamic_cast<const models::ActivationLayer*>(layers[k]);
    const Vector* running_var = layers[k]->running_variance();
    const Matrix& input = k == 0 ? probe_x_ : layers[k - 1]->output();
    const std::size_t width = input.shape()[1];
    // Per unit for dense layers, per channel (over samples and positions) for feature maps.
    const models::Shape& shape = layers[k]->input_shape();
    if (act != nullptr) {
      if (options_.activations) {
        const float* y = act->output().data();
        std::size_t zeros = 0;
        for (std::size_t i = 0; i < probe_n_ * width; ++i) zeros += y[i] == 0.0f ? 1 : 0;
        out.emplace_back("zero_fraction." + act->name(),
                         static_cast<double>(zeros) / static_cast<double>(probe_n_ * width));
      }
      if (options_.percentiles_layer == static_cast<long>(hidden)) {
        const std::size_t u = std::min(options_.percentiles_unit, shape.channels - 1);
        scratch_.clear();
        channel_values(input, probe_n_, shape, u, scratch_);
        std::sort(scratch_.begin(), scratch_.end());
        const std::string layer = "layer_" + std::to_string(hidden);
        out.emplace_back("preact_p15." + layer, quantile(scratch_, 0.15));
        out.emplace_back("preact_p50." + layer, quantile(scratch_, 0.50));
        out.emplace_back("preact_p85." + layer, quantile(scratch_, 0.85));
      }
      ++hidden;
    }
    if (running_var != nullptr && options_.variance_shift) {
      const float* running = running_var->data();
      double shift = 0.0;
      for (std::size_t c = 0; c < shape.channels; ++c) {
        scratch_.clear();
        channel_values(input, probe_n_, shape, c, scratch_);
        double mean = 0.0;
        for (double v : scratch_) mean += v;
        mean /= static_cast<double>(scratch_.size());
        double var = 0.0;
        for (double v : scratch_) {
          const double d = v - mean;
          var += d * d;
        }
        var /= static_cast<double>(std::max<std::size_t>(1, scratch_.size() - 1));
        const double run = running[c];
        shift += var > 0.0 && run > 0.0 ? std::max(var / run, run / var) : 1.0;
      }
      out.emplace_back("variance_shift." + layers[k]->name(),
                       shift / static_cast<double>(shape.channels));
    }
  }
}

}  // namespace reglab::train
