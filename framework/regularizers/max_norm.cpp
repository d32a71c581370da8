#include "framework/regularizers/max_norm.hpp"

#include <cmath>
#include <cstddef>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "framework/config/options.hpp"
#include "framework/models/dense.hpp"

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
  const std::vector<models::Dense*>& dense = net.dense_layers();
  const std::size_t count = options_.layers == "hidden" ? dense.size() - 1 : dense.size();
  for (std::size_t l = 0; l < count; ++l) clip_columns(dense[l]->kernel());
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
