/// Diagnostics recorded during training, each switchable in the configuration's `diagnostics:`
/// map:
///   weight_norms: true      per dense layer, the Frobenius norm of the kernel
///                           ("weight_norm.dense_i") and the largest norm of a unit's incoming
///                           weight vector, a kernel column ("max_unit_norm.dense_i"): what
///                           max-norm bounds (Srivastava et al. 2014, section 5.1)
///   activations: true       per hidden layer, the fraction of activation outputs that are
///                           exactly zero ("zero_fraction.relu_i"; dead and inactive ReLUs)
///   percentiles_layer: i    the 15th, 50th and 85th percentiles of the input of hidden layer
///   percentiles_unit: u     i's activation (after batch norm when present), for unit u
///                           ("preact_p15.layer_i" ...): Ioffe and Szegedy 2015, Figure 1
///   variance_shift: true    per batch-norm layer, the mean over units of
///                           max(v_test / v_running, v_running / v_test), where v_test is the
///                           unbiased variance of the layer's input in eval mode on the probe
///                           batch and v_running its running variance ("variance_shift.
///                           batch_norm_i"; Li, Chen, Hu and Yang 2019)
///   spectra: true           per dense layer, the spectral norm, stable rank and power-law
///                           exponent alpha of the kernel's spectrum ("spectral_norm.dense_i",
///                           "stable_rank.dense_i", "alpha.dense_i"; train/spectra.hpp, Martin
///                           and Mahoney 2021); per epoch only, not in step curves
///   spectra_every: N        measure the spectra every N epochs and at the last one (default 1);
///                           other epochs hold NaN
///   every_steps: N          also record them every N optimizer steps (step_curves/, with "step")
///   step_test_accuracy: true  also evaluate the whole test split every N steps ("test_loss",
///                           "test_accuracy" in step_curves/): accuracy against steps, as in
///                           Ioffe and Szegedy 2015, Figure 1(a)
///   probe_size: 1000        the probe batch: the first samples of the validation split (the test
///                           split when there is none), fixed for the whole run
/// Measurements run the network in eval mode on the probe batch; they draw no random numbers
/// and change no state, so a run's curves and weights are the same with or without them.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "framework/data/augment.hpp"
#include "framework/data/dataset.hpp"
#include "framework/models/network.hpp"

namespace reglab::train {

struct DiagnosticsOptions {
  bool weight_norms = false;
  bool activations = false;
  long percentiles_layer = -1;  ///< hidden layer index, -1 = off
  std::size_t percentiles_unit = 0;
  bool variance_shift = false;
  bool spectra = false;
  std::size_t spectra_every = 1;
  std::size_t every_steps = 0;  ///< 0 = per epoch only
  bool step_test_accuracy = false;
  std::size_t probe_size = 1000;
  bool enabled() const {
    return weight_norms || activations || percentiles_layer >= 0 || variance_shift || spectra;
  }
};

/// Computes the enabled diagnostics of a network.
class Diagnostics {
 public:
  /// Gathers the probe batch (at most net.capacity() rows) from `probe`.
  Diagnostics(const DiagnosticsOptions& options, const models::Network& net,
              const data::Split& probe);
  /// Standardizes the probe batch as the run's batches are (data.standardize).
  void standardize_probe(const data::ImageShape& shape, const data::ChannelStats& stats);
  /// Appends (name, value) for every enabled diagnostic, always in the same order. `epoch` is
  /// the 1-based epoch just finished and `last` whether it is the run's last planned epoch; a
  /// measurement between epochs (every_steps) passes epoch 0 and gets no spectra.
  void measure(models::Network& net, std::vector<std::pair<std::string, double>>& out,
               std::size_t epoch = 0, bool last = false);

 private:
  DiagnosticsOptions options_;
  Matrix probe_x_;
  std::size_t probe_n_ = 0;
  std::vector<double> scratch_;
};

}  // namespace reglab::train
