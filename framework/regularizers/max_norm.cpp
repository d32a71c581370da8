#include "framework/regularizers/max_norm.hpp"

#include <cmath>
#include <cstddef>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "framework/config/options.hpp"

namespace reglab::regularizers {

MaxNormOptions MaxNormOptions::read(config::OptionReader& reader) {
  MaxNormOptions o;
  o.c = reader.get_double("c", o.c, config::Range::positive());
  o.layers = reader.get_string("layers", o.layers, {"all", "hidden"});
  return o;
}

MaxNorm::MaxNorm(const MaxNormOptions& options) : options_(options) {
  if (!(options.c > 0.0)) throw std::invalid_argument("max_norm: c must be > 0");
  if (options.layers != "all" && options.layers != "hidden") {
    throw std::invalid_argument("max_norm: layers must be 'all' or 'hidden'");
  }
}

RegularizerPtr MaxNorm::from_config(config::OptionReader& reader) {
  return std::make_unique<MaxNorm>(MaxNormOptions::read(reader));
}

std::string MaxNorm::describe() const {
  std::ostringstream os;
  os << "max_norm(c=" << options_.c << ", layers=" << options_.layers << ")";
  return os.str();
}

void MaxNorm::after_update(models::Network& net, const StepContext& /*ctx*/) {
  const std::vector<models::WeightLayer*>& layers = net.weight_layers();
  const std::size_t count = options_.layers == "hidden" ? layers.size() - 1 : layers.size();
  for (std::size_t l = 0; l < count; ++l) {
    models::Param& kernel = layers[l]->kernel();
    if (kernel.units_first) {
      clip_rows(kernel);
    } else {
      clip_columns(kernel);
    }
  }
}

void MaxNorm::clip_rows(models::Param& kernel) {
  const std::size_t rows = kernel.shape.at(0);
  const std::size_t cols = rows == 0 ? 0 : kernel.value.size() / rows;
  float* w = kernel.value.data();
  const double c2 = options_.c * options_.c;
  for (std::size_t i = 0; i < rows; ++i) {
    float* row = w + i * cols;
    double sq = 0.0;
    for (std::size_t j = 0; j < cols; ++j) sq += static_cast<double>(row[j]) * row[j];
    if (sq <= c2) continue;  // inside the ball: bitwise unchanged
    const double scale = options_.c / std::sqrt(sq);
    for (std::size_t j = 0; j < cols; ++j) row[j] = static_cast<float>(row[j] * scale);
  }
}

void MaxNorm::clip_columns(models::Param& kernel) {
  if (kernel.shape.size() != 2) {
    throw std::logic_error("max_norm: kernel '" + kernel.name + "' is not 2-D");
  }
  const std::size_t rows = kernel.shape[0];
  const std::size_t cols = kernel.shape[1];
  float* w = kernel.value.data();
  scales_.assign(cols, 0.0);
  for (std::size_t i = 0; i < rows; ++i) {
    const float* row = w + i * cols;
    for (std::size_t j = 0; j < cols; ++j) scales_[j] += static_cast<double>(row[j]) * row[j];
  }
  const double c2 = options_.c * options_.c;
  for (std::size_t j = 0; j < cols; ++j) {
    // Squared norm -> scale; 0 marks a column inside the ball, which stays bitwise unchanged.
    scales_[j] = scales_[j] > c2 ? options_.c / std::sqrt(scales_[j]) : 0.0;
  }
  for (std::size_t i = 0; i < rows; ++i) {
    float* row = w + i * cols;
    for (std::size_t j = 0; j < cols; ++j) {
      if (scales_[j] > 0.0) row[j] = static_cast<float>(row[j] * scales_[j]);
    }
  }
}

}  // namespace reglab::regularizers
