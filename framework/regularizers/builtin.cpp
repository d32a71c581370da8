/// The registration list of the built-in regularizers: one line per plugin, in the order
/// `reglab list` shows them. A new plugin adds its line here (duplicates throw).
#include "framework/regularizers/batch_norm.hpp"
#include "framework/regularizers/dropout.hpp"
#include "framework/regularizers/gaussian_dropout.hpp"
#include "framework/regularizers/kl_sparsity.hpp"
#include "framework/regularizers/l1.hpp"
#include "framework/regularizers/l2.hpp"
#include "framework/regularizers/max_norm.hpp"
#include "framework/regularizers/regularizer.hpp"
#include "framework/regularizers/uout.hpp"
#include "framework/regularizers/weight_decay.hpp"

namespace reglab::regularizers {

void register_builtin(RegularizerRegistry& r) {
  r.add("dropout",
        "dropout on hidden units (rate) and inputs (input_rate); inverted or weight scaling",
        &Dropout::from_config);
  r.add("l2", "penalty (lambda/2)*sum(W^2) on kernels (= SGD weight_decay)", &L2::from_config);
  r.add("l1", "penalty lambda*sum|W| on kernels", &L1::from_config);
  r.add("weight_decay", "decoupled decay W -= lr*rate*W on kernels after each update",
        &WeightDecay::from_config);
  r.add("max_norm", "clip each unit's incoming weight vector to norm c after each update",
        &MaxNorm::from_config);
  r.add("batch_norm", "batch normalisation before each hidden activation (PyTorch convention)",
        &BatchNorm::from_config);
  r.add("gaussian_dropout", "multiplicative noise N(1, rate/(1-rate)) on hidden units and inputs",
        &GaussianDropout::from_config);
  r.add("uout", "multiplicative noise 1+r, r~U(-beta, beta), on hidden units", &Uout::from_config);
  r.add("kl_sparsity", "penalty beta*sum KL(target||mean activation) on hidden units",
        &KlSparsity::from_config);
}

}  // namespace reglab::regularizers
