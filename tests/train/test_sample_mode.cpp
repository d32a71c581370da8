// Mode::kSample, the mode of Monte-Carlo evaluation (train/trainer.hpp, evaluate_mc): noise
// layers draw as in training, every other layer behaves as in evaluation (batch norm's running
// statistics, max pooling without argmax bookkeeping).
#include <doctest/doctest.h>

#include <array>
#include <cstring>

#include "framework/core/random.hpp"
#include "framework/models/network.hpp"
#include "framework/regularizers/batch_norm.hpp"
#include "framework/regularizers/dropout.hpp"
#include "support/layer_checks.hpp"

using namespace reglab;

namespace {

/// A 16-32-32-5 network with batch norm and dropout at `rate` (inputs and hidden), trained-mode
/// passes done so that batch norm's running statistics are not their initial values.
std::unique_ptr<models::Network> network(double rate) {
  models::NetworkSpec spec;
  spec.inputs = 16;
  spec.hidden = {32, 32};
  spec.classes = 5;
  auto net = std::make_unique<models::Network>(spec, 11);
  regularizers::BatchNorm(regularizers::BatchNormOptions{}).attach(*net, {11, 0, 1});
  regularizers::DropoutOptions d;
  d.rate = rate;
  d.input_rate = rate;
  regularizers::Dropout(d).attach(*net, {11, 1, 1});
  net->finalize(64);
  const Matrix x = testing::normal_matrix(64, 16, 5);
  for (int i = 0; i < 3; ++i) net->forward(x, 64, Mode::kTrain);
  return net;
}

bool same(const Matrix& a, const Matrix& b, std::size_t n) {
  return std::memcmp(a.data(), b.data(), n * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("sample mode without noise is evaluation: running statistics, bit for bit") {
  auto net = network(0.0);
  const Matrix x = testing::normal_matrix(40, 16, 6);
  const Matrix eval = net->forward(x, 40, Mode::kEval);
  const Matrix sample = net->forward(x, 40, Mode::kSample);
  const Matrix train = net->forward(x, 40, Mode::kTrain);
  CHECK(same(eval, sample, 40 * 5));
  CHECK_FALSE(same(eval, train, 40 * 5));  // batch statistics differ from the running ones
}

TEST_CASE("sample mode draws dropout masks: passes differ from each other and from evaluation") {
  auto net = network(0.5);
  const Matrix x = testing::normal_matrix(40, 16, 6);
  const Matrix eval = net->forward(x, 40, Mode::kEval);
  const Matrix a = net->forward(x, 40, Mode::kSample);
  const Matrix b = net->forward(x, 40, Mode::kSample);
  const Matrix eval_again = net->forward(x, 40, Mode::kEval);
  CHECK_FALSE(same(a, eval, 40 * 5));
  CHECK_FALSE(same(a, b, 40 * 5));
  // Sampling changed no state evaluation reads (running statistics stay).
  CHECK(same(eval, eval_again, 40 * 5));
}
