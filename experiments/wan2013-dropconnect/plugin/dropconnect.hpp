/// DropConnect (Wan, Zeiler, Zhang, LeCun and Fergus 2013, "Regularization of neural networks
/// using DropConnect", ICML): each weight of a dense kernel is dropped independently during
/// training, instead of each unit's output as in dropout.
///
/// With retention q = 1 - rate and a mask M_ij ~ Bernoulli(q) drawn per mini-batch, the training
/// pass uses
///     W' = (M o W) / q            (o: element-wise product)
/// and back-propagation maps the kernel gradient back through the mask,
///     dL/dW = (M o dL/dW') / q.
/// Evaluation uses W itself: the "mean inference" approximation E[W'] = W of Wan et al. (their
/// Section 4 discusses it against moment matching). The division by q during training
/// ("inverted" scaling, like reglab's dropout) is what makes W the mean.
///
/// Differences from the paper, by choice: one mask per mini-batch shared by its samples (the
/// paper draws one per sample, which rules out a matrix product per batch), and moment-matching
/// inference is not implemented.
///
/// Options (YAML):
///   rate    probability of dropping a weight, in [0, 1) (default 0.5)
///   layers  hidden (every kernel but the output layer's, default) or all
///
/// Randomness: the mask of update s (1-based), kernel l, comes from the stream
/// derive_seed(derive_seed(seed, "dropconnect_arm", arm), "dropconnect_step", s) /
/// "dropconnect" / (position << 32) + l, so it depends only on the run seed, the arm, the
/// regularizer's position and the step: a resumed run draws the same masks, and arms that share
/// a replicate seed do not share masks (as reglab's dropout).
///
/// This regularizer is an out-of-tree plugin (docs/plugins.md): it is built against reglab's
/// installed headers and loaded at run time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/config/options.hpp"
#include "framework/regularizers/regularizer.hpp"

namespace dropconnect {

struct Options {
  double rate = 0.5;
  std::string layers = "hidden";
  /// Reads `rate` and `layers` (the caller calls finish(), which rejects unknown keys).
  static Options read(reglab::config::OptionReader& reader);
};

class DropConnect : public reglab::regularizers::Regularizer {
 public:
  explicit DropConnect(const Options& options);
  static reglab::regularizers::RegularizerPtr from_config(reglab::config::OptionReader& reader);

  std::string name() const override { return "dropconnect"; }
  std::string describe() const override;
  void attach(reglab::models::Network& net,
              const reglab::regularizers::AttachContext& ctx) override;
  void before_forward(reglab::models::Network& net,
                      const reglab::regularizers::StepContext& ctx) override;
  void after_backward(reglab::models::Network& net) override;

  /// The mask of kernel `l` used by the last before_forward (1 kept, 0 dropped). For tests.
  const std::vector<std::uint8_t>& mask(std::size_t l) const { return masks_[l]; }

 private:
  std::size_t kernel_count(const reglab::models::Network& net) const;

  Options options_;
  std::uint64_t arm_seed_ = 0;
  std::uint64_t position_ = 0;
  bool applied_ = false;                   ///< a before_forward awaits its after_backward
  std::vector<std::vector<float>> saved_;  ///< the kernels before masking
  std::vector<std::vector<std::uint8_t>> masks_;
};

}  // namespace dropconnect
