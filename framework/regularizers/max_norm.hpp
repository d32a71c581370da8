/// Max-norm constraint on incoming weight vectors.
#pragma once

#include <string>
#include <vector>

#include "framework/regularizers/regularizer.hpp"

namespace reglab::regularizers {

/// Options of `max_norm`.
struct MaxNormOptions {
  double c = 3.0;              ///< maximum L2 norm of a unit's incoming weights, > 0
  std::string layers = "all";  ///< "all" weight layers, or "hidden" (not the output layer)

  /// Reads `c` and `layers`; throws ConfigError (file, line, column) on a bad value.
  static MaxNormOptions read(config::OptionReader& reader);
};

/// Max-norm regularisation (Srivastava et al. 2014, JMLR 15, section 5.1; Hinton et al. 2012,
/// arXiv:1207.0580): after every optimizer update, each unit's incoming weight vector w (a
/// column of a dense kernel, stored {inputs, units} row-major; a filter of a convolution kernel,
/// stored {filters, in_channels, kh, kw}, i.e. all in_channels * kh * kw weights of one output
/// channel) is projected onto the ball of radius c:
///   w <- w * c / ||w||_2   if ||w||_2 > c,   unchanged otherwise.
/// Biases are not constrained. The paper constrains all layers (c = 3 in its released
/// configuration, c = 2 in Appendix B.1); `layers: hidden` leaves the output layer free.
/// Train-time only: eval mode is unaffected.
class MaxNorm : public Regularizer {
 public:
  /// Throws std::invalid_argument unless c > 0 and layers is "all" or "hidden".
  explicit MaxNorm(const MaxNormOptions& options);
  /// Registry factory.
  static RegularizerPtr from_config(config::OptionReader& reader);

  std::string name() const override { return "max_norm"; }
  /// "max_norm(c=3, layers=all)".
  std::string describe() const override;
  void after_update(models::Network& net, const StepContext& ctx) override;

 private:
  void clip_columns(models::Param& kernel);
  void clip_rows(models::Param& kernel);

  MaxNormOptions options_;
  std::vector<double> scales_;  ///< per-column work buffer, reused across updates
};

}  // namespace reglab::regularizers
