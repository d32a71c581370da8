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

void weight_norms(const models::Network& net, std::vector<std::pair<std::string, double>>& out) {
  for (models::Dense* d : net.dense_layers()) {
    const std::size_t rows = d->inputs(), cols = d->units();
    const float* w = d->kernel().value.data();
    std::vector<double> col(cols, 0.0);
    double total = 0.0;
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c < cols; ++c) {
        const double v = w[r * cols + c];
        col[c] += v * v;
      }
    }
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
  for (models::Dense* d : net.dense_layers()) {
    Spectrum s{nan, nan, nan, nan, 0};
    if (measured) s = spectrum(d->kernel().value.data(), d->inputs(), d->units());
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
  probe_x_ = xt::zeros<float>({net.capacity(), net.spec().inputs});
  std::vector<std::uint8_t> labels(net.capacity());
  if (probe_n_ > 0) {
    data::gather_batch(*probe.dataset, probe.indices.data(), probe_n_, probe_x_, labels.data());
  }
  scratch_.reserve(probe_n_);
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
    if (act != nullptr) {
      if (options_.activations) {
        const float* y = act->output().data();
        std::size_t zeros = 0;
        for (std::size_t i = 0; i < probe_n_ * width; ++i) zeros += y[i] == 0.0f ? 1 : 0;
        out.emplace_back("zero_fraction." + act->name(),
                         static_cast<double>(zeros) / static_cast<double>(probe_n_ * width));
      }
      if (options_.percentiles_layer == static_cast<long>(hidden)) {
        const std::size_t u = std::min(options_.percentiles_unit, width - 1);
        scratch_.clear();
        for (std::size_t r = 0; r < probe_n_; ++r) scratch_.push_back(input(r, u));
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
      for (std::size_t c = 0; c < width; ++c) {
        double mean = 0.0;
        for (std::size_t r = 0; r < probe_n_; ++r) mean += input(r, c);
        mean /= static_cast<double>(probe_n_);
        double var = 0.0;
        for (std::size_t r = 0; r < probe_n_; ++r) {
          const double d = input(r, c) - mean;
          var += d * d;
        }
        var /= static_cast<double>(std::max<std::size_t>(1, probe_n_ - 1));
        const double run = running[c];
        shift += var > 0.0 && run > 0.0 ? std::max(var / run, run / var) : 1.0;
      }
      out.emplace_back("variance_shift." + layers[k]->name(), shift / static_cast<double>(width));
    }
  }
}

}  // namespace reglab::train
