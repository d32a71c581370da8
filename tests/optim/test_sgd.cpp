#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/optim/optimizer.hpp"
#include "framework/optim/sgd.hpp"
#include "support/builtins.hpp"

namespace reglab::optim {
namespace {

SgdOptions options(double momentum, bool nesterov) {
  SgdOptions o;
  o.momentum = momentum;
  o.nesterov = nesterov;
  return o;
}

models::Param make_param(const std::vector<float>& values) {
  models::Param p("kernel", {values.size()}, true);
  for (std::size_t i = 0; i < values.size(); ++i) p.value(i) = values[i];
  return p;
}

void set_grad(models::Param& p, const std::vector<float>& grads) {
  for (std::size_t i = 0; i < grads.size(); ++i) p.grad(i) = grads[i];
}

/// Builds "sgd" through the registry from YAML text named "test.yaml" and calls finish().
OptimizerPtr build_sgd(const std::string& yaml) {
  experiment::OptionReader reader(experiment::ConfigNode::parse(yaml, "test.yaml"));
  OptimizerPtr opt = reglab::testing::builtins().optimizers.find("sgd")->factory(reader);
  reader.finish();
  return opt;
}

/// Checks that building from `yaml` throws a ConfigError naming test.yaml and `key`.
void check_rejected(const std::string& yaml, const std::string& key) {
  CAPTURE(yaml);
  std::string message;
  try {
    build_sgd(yaml);
  } catch (const ConfigError& e) {
    message = e.what();
  }
  CAPTURE(message);
  REQUIRE_FALSE(message.empty());
  CHECK(message.find("test.yaml") != std::string::npos);
  CHECK(message.find(key) != std::string::npos);
}

/// 0.5 * sum a_i (w_i - c_i)^2: writes the gradient a_i (w_i - c_i) and returns the loss.
double quadratic(models::Param& p, const std::vector<double>& a, const std::vector<double>& c) {
  double loss = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(p.value(i)) - c[i];
    loss += 0.5 * a[i] * d * d;
    p.grad(i) = static_cast<float>(a[i] * d);
  }
  return loss;
}

}  // namespace

TEST_CASE("sgd: a plain step is exactly w - lr * g") {
  models::Param p = make_param({1.0f, -2.0f, 0.5f, 3.25f});
  const std::vector<float> g = {0.25f, 0.5f, -1.0f, 7.0f};
  set_grad(p, g);
  const std::vector<float> w0 = {1.0f, -2.0f, 0.5f, 3.25f};
  Sgd sgd;
  const double lr = 0.1;
  sgd.step({&p}, lr);
  for (std::size_t i = 0; i < g.size(); ++i) {
    CHECK(p.value(i) == w0[i] - static_cast<float>(lr) * g[i]);
  }
  // Gradients are left untouched.
  for (std::size_t i = 0; i < g.size(); ++i) CHECK(p.grad(i) == g[i]);
}

// Hand-computed with mu = 0.5, lr = 0.1, two params:
//   a: w0 = 1, gradients 1, 0.5, -1 over the three steps
//   b: w0 = 0, gradients 2, 2, 2
// Heavy ball (v = mu v + g; w -= lr v):
//   a: v = 1    -> w = 1    - 0.1*1    = 0.9
//      v = 1    -> w = 0.9  - 0.1*1    = 0.8
//      v = -0.5 -> w = 0.8  + 0.1*0.5  = 0.85
//   b: v = 2    -> w = -0.2;  v = 3 -> w = -0.5;  v = 3.5 -> w = -0.85
// Nesterov (v = mu v + g; w -= lr (g + mu v)):
//   a: v = 1    -> w = 1    - 0.1*(1 + 0.5)     = 0.85
//      v = 1    -> w = 0.85 - 0.1*(0.5 + 0.5)   = 0.75
//      v = -0.5 -> w = 0.75 - 0.1*(-1 - 0.25)   = 0.875
//   b: v = 2    -> w = -0.1*(2 + 1)             = -0.3
//      v = 3    -> w = -0.3 - 0.1*(2 + 1.5)     = -0.65
//      v = 3.5  -> w = -0.65 - 0.1*(2 + 1.75)   = -1.025
TEST_CASE("sgd: momentum and nesterov match hand-computed values over three steps") {
  const std::vector<float> grads_a = {1.0f, 0.5f, -1.0f};
  const float grad_b = 2.0f;
  struct Expected {
    bool nesterov;
    std::vector<double> a;
    std::vector<double> b;
  };
  const std::vector<Expected> cases = {
      {false, {0.9, 0.8, 0.85}, {-0.2, -0.5, -0.85}},
      {true, {0.85, 0.75, 0.875}, {-0.3, -0.65, -1.025}},
  };
  for (const Expected& e : cases) {
    CAPTURE(e.nesterov);
    models::Param a = make_param({1.0f});
    models::Param b = make_param({0.0f});
    Sgd sgd(options(0.5, e.nesterov));
    for (std::size_t t = 0; t < 3; ++t) {
      a.grad(0) = grads_a[t];
      b.grad(0) = grad_b;
      sgd.step({&a, &b}, 0.1);
      CAPTURE(t);
      CHECK(static_cast<double>(a.value(0)) == doctest::Approx(e.a[t]).epsilon(1e-6));
      CHECK(static_cast<double>(b.value(0)) == doctest::Approx(e.b[t]).epsilon(1e-6));
    }
  }
}

TEST_CASE("sgd: plain, momentum and nesterov minimise a quadratic") {
  const std::vector<double> a = {1.0, 4.0, 0.5};
  const std::vector<double> c = {0.5, -1.0, 2.0};
  struct Variant {
    double momentum;
    bool nesterov;
  };
  for (const Variant v : {Variant{0.0, false}, Variant{0.9, false}, Variant{0.9, true}}) {
    CAPTURE(v.momentum);
    CAPTURE(v.nesterov);
    models::Param p = make_param({3.0f, 3.0f, -3.0f});
    Sgd sgd(options(v.momentum, v.nesterov));
    const double initial = quadratic(p, a, c);
    double loss = initial;
    for (int t = 0; t < 500; ++t) {
      sgd.step({&p}, 0.1);
      loss = quadratic(p, a, c);
    }
    CHECK(loss < 1e-8 * initial);
    for (std::size_t i = 0; i < c.size(); ++i) {
      CHECK(static_cast<double>(p.value(i)) == doctest::Approx(c[i]).epsilon(1e-3));
    }
  }
}

TEST_CASE("sgd: the param list must not change after the first step") {
  models::Param a = make_param({1.0f});
  models::Param b = make_param({1.0f});
  Sgd sgd(options(0.9, false));
  sgd.step({&a}, 0.1);
  CHECK_THROWS_AS(sgd.step({&a, &b}, 0.1), std::logic_error);
}

TEST_CASE("sgd: options and describe()") {
  CHECK(build_sgd("{}")->describe() == "sgd(momentum=0, nesterov=false)");
  CHECK(build_sgd("momentum: 0.9")->describe() == "sgd(momentum=0.9, nesterov=false)");
  OptimizerPtr opt = build_sgd("momentum: 0.9\nnesterov: true");
  CHECK(opt->name() == "sgd");
  CHECK(opt->describe() == "sgd(momentum=0.9, nesterov=true)");
  const auto* sgd = dynamic_cast<const Sgd*>(opt.get());
  REQUIRE(sgd != nullptr);
  CHECK(sgd->momentum() == 0.9);
  CHECK(sgd->nesterov());
}

TEST_CASE("sgd: invalid options are rejected with file and key") {
  check_rejected("momentum: 1.5", "momentum");
  check_rejected("momentum: 1", "momentum");
  check_rejected("momentum: -0.1", "momentum");
  check_rejected("momentum: fast", "momentum");
  check_rejected("nesterov: true", "nesterov");
  check_rejected("momentum: 0\nnesterov: true", "nesterov");
  check_rejected("nesterov: maybe", "nesterov");
  check_rejected("momentum: 0.9\nlearning_rat: 0.1", "learning_rat");
  CHECK_THROWS_AS(Sgd(options(1.0, false)), std::invalid_argument);
  CHECK_THROWS_AS(Sgd(options(0.0, true)), std::invalid_argument);
}

TEST_CASE("optimizer registry holds exactly sgd and adam") {
  const OptimizerRegistry& r = reglab::testing::builtins().optimizers;
  REQUIRE(r.entries().size() == 2);
  CHECK(r.entries()[0].name == "sgd");
  CHECK(r.entries()[1].name == "adam");
  CHECK(r.known() == "sgd, adam");
  for (const auto& e : r.entries()) CHECK_FALSE(e.description.empty());
  CHECK(r.find("rmsprop") == nullptr);
  CHECK(r.find("SGD") == nullptr);
  CHECK(&reglab::testing::builtins().optimizers == &r);
}

TEST_CASE("sgd: rising momentum is linear in the epoch, then constant") {
  OptimizerPtr opt = build_sgd("{momentum: 0.99, initial_momentum: 0.5, momentum_ramp_epochs: 4}");
  auto* sgd = dynamic_cast<Sgd*>(opt.get());
  REQUIRE(sgd != nullptr);
  CHECK(opt->describe() ==
        "sgd(momentum=0.99, nesterov=false, initial_momentum=0.5, momentum_ramp_epochs=4)");
  const double expected[] = {0.5, 0.6225, 0.745, 0.8675, 0.99, 0.99, 0.99};
  for (std::size_t e = 0; e < 7; ++e) {
    opt->begin_epoch(e);
    CHECK(sgd->current_momentum() == doctest::Approx(expected[e]));
  }
  // The step uses the epoch's momentum: v1 = g, v2 = mu * v1 + g.
  models::Param p = make_param({0.0f});
  opt->begin_epoch(1);
  set_grad(p, {1.0f});
  opt->step({&p}, 1.0);
  opt->step({&p}, 1.0);
  CHECK(p.value(0) == doctest::Approx(-(1.0 + (0.6225 + 1.0))).epsilon(1e-6));
  check_rejected("{momentum: 0.9, initial_momentum: 0.5}", "initial_momentum");
  check_rejected("{momentum: 0.9, initial_momentum: 1.2, momentum_ramp_epochs: 3}",
                 "initial_momentum");
  check_rejected("{momentum: 0.9, initial_momentum: 0.5, momentum_ramp_epochs: -1}",
                 "momentum_ramp_epochs");
}

// Dampening with a ramp mu0 = 0.5 -> 0.9 over 2 epochs (epoch 0: mu 0.5, epoch 1: mu 0.7), lr 0.1,
// one step per epoch (v = mu v + (1 - mu) g; w -= lr v):
//   a: w0 = 1, g = 1 then -1:  v = 0.5*0 + 0.5*1 = 0.5     -> w = 1    - 0.05  = 0.95
//                              v = 0.7*0.5 + 0.3*(-1) = 0.05 -> w = 0.95 - 0.005 = 0.945
//   b: w0 = 0, g = 2 then 2:   v = 1                       -> w = -0.1
//                              v = 0.7*1 + 0.3*2 = 1.3     -> w = -0.23
// Without dampening a would go 0.9, 0.93 and b -0.2, -0.54.
TEST_CASE("sgd: dampening scales the gradient by 1 - mu of the epoch's ramped momentum") {
  OptimizerPtr opt =
      build_sgd("{momentum: 0.9, initial_momentum: 0.5, momentum_ramp_epochs: 2, dampening: true}");
  auto* sgd = dynamic_cast<Sgd*>(opt.get());
  REQUIRE(sgd != nullptr);
  CHECK(sgd->dampening());
  CHECK(opt->describe() ==
        "sgd(momentum=0.9, nesterov=false, dampening=true, initial_momentum=0.5, "
        "momentum_ramp_epochs=2)");
  models::Param a = make_param({1.0f});
  models::Param b = make_param({0.0f});
  const float grads_a[] = {1.0f, -1.0f};
  const double expected_a[] = {0.95, 0.945};
  const double expected_b[] = {-0.1, -0.23};
  for (std::size_t e = 0; e < 2; ++e) {
    CAPTURE(e);
    opt->begin_epoch(e);
    a.grad(0) = grads_a[e];
    b.grad(0) = 2.0f;
    opt->step({&a, &b}, 0.1);
    CHECK(static_cast<double>(a.value(0)) == doctest::Approx(expected_a[e]).epsilon(1e-6));
    CHECK(static_cast<double>(b.value(0)) == doctest::Approx(expected_b[e]).epsilon(1e-6));
  }
  CHECK(build_sgd("{momentum: 0.9}")->describe() == "sgd(momentum=0.9, nesterov=false)");
  CHECK(build_sgd("{momentum: 0.9, dampening: false}")->describe() ==
        "sgd(momentum=0.9, nesterov=false)");
}

// The paper's form (Srivastava et al. 2014, Appendix A.1): dw <- mu dw - (1 - mu) eps g,
// w <- w + dw, computed in double, against reglab's v <- mu v + (1 - mu) g, w <- w - lr v in
// float32, at a constant rate eps = lr, through a momentum ramp and past its end.
TEST_CASE("sgd: with dampening the weights follow the dropout paper's update at a constant lr") {
  const std::vector<double> a = {1.0, 4.0, 0.5};
  const std::vector<double> c = {0.5, -1.0, 2.0};
  Sgd sgd([] {
    SgdOptions o;
    o.momentum = 0.95;
    o.initial_momentum = 0.5;
    o.momentum_ramp_epochs = 3;
    o.dampening = true;
    return o;
  }());
  const double lr = 0.2;
  models::Param p = make_param({2.0f, 1.0f, -1.0f});
  std::vector<double> w = {2.0, 1.0, -1.0};
  std::vector<double> dw(3, 0.0);
  for (std::size_t epoch = 0; epoch < 6; ++epoch) {
    sgd.begin_epoch(epoch);
    const double mu = 0.5 + (0.95 - 0.5) * std::min(1.0, static_cast<double>(epoch) / 3.0);
    for (int step = 0; step < 4; ++step) {
      quadratic(p, a, c);
      sgd.step({&p}, lr);
      for (std::size_t i = 0; i < w.size(); ++i) {
        dw[i] = mu * dw[i] - (1.0 - mu) * lr * a[i] * (w[i] - c[i]);
        w[i] += dw[i];
      }
      CAPTURE(epoch);
      CAPTURE(step);
      for (std::size_t i = 0; i < w.size(); ++i) {
        CHECK(static_cast<double>(p.value(i)) == doctest::Approx(w[i]).epsilon(1e-5));
      }
    }
  }
}

TEST_CASE("sgd: dampening with nesterov and a non-boolean dampening are refused") {
  check_rejected("{momentum: 0.9, nesterov: true, dampening: true}", "dampening");
  check_rejected("{momentum: 0.9, dampening: 0.5}", "dampening");
  check_rejected("{momentum: 0.9, dampening: yes please}", "dampening");
  SgdOptions o = options(0.9, true);
  o.dampening = true;
  CHECK_THROWS_AS(Sgd{o}, std::invalid_argument);
  CHECK_NOTHROW(build_sgd("{momentum: 0.9, nesterov: true, dampening: false}"));
}

}  // namespace reglab::optim
