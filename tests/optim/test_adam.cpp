#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "framework/core/error.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/optim/adam.hpp"
#include "framework/optim/optimizer.hpp"
#include "support/builtins.hpp"

namespace reglab::optim {
namespace {

models::Param make_param(const std::vector<float>& values) {
  models::Param p("kernel", {values.size()}, true);
  for (std::size_t i = 0; i < values.size(); ++i) p.value(i) = values[i];
  return p;
}

OptimizerPtr build_adam(const std::string& yaml) {
  experiment::OptionReader reader(experiment::ConfigNode::parse(yaml, "test.yaml"));
  OptimizerPtr opt = reglab::testing::builtins().optimizers.find("adam")->factory(reader);
  reader.finish();
  return opt;
}

void check_rejected(const std::string& yaml, const std::string& key) {
  CAPTURE(yaml);
  std::string message;
  try {
    build_adam(yaml);
  } catch (const ConfigError& e) {
    message = e.what();
  }
  CAPTURE(message);
  REQUIRE_FALSE(message.empty());
  CHECK(message.find("test.yaml") != std::string::npos);
  CHECK(message.find(key) != std::string::npos);
}

/// Double-precision Adam, written directly from Kingma and Ba (2015), Algorithm 1, with eps
/// added after the square root of the bias-corrected second moment.
struct ReferenceAdam {
  double beta1, beta2, eps;
  std::vector<double> m, v;
  int t = 0;

  void step(std::vector<double>& w, const std::vector<double>& g, double lr) {
    if (m.empty()) {
      m.assign(w.size(), 0.0);
      v.assign(w.size(), 0.0);
    }
    ++t;
    for (std::size_t i = 0; i < w.size(); ++i) {
      m[i] = beta1 * m[i] + (1.0 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1.0 - beta2) * g[i] * g[i];
      const double mhat = m[i] / (1.0 - std::pow(beta1, t));
      const double vhat = v[i] / (1.0 - std::pow(beta2, t));
      w[i] -= lr * mhat / (std::sqrt(vhat) + eps);
    }
  }
};

/// A deterministic, sign-changing gradient for weight i at step t.
float test_gradient(std::size_t i, int t) {
  const double x = 0.7 * static_cast<double>(i) + 1.3 * static_cast<double>(t);
  return static_cast<float>(std::sin(x) * (1.0 + 0.5 * static_cast<double>(i)));
}

}  // namespace

TEST_CASE("adam: the first step moves each weight by about lr * sign(g)") {
  const std::vector<float> w0 = {1.0f, -0.5f, 0.0f, 2.0f, 0.25f};
  const std::vector<float> g = {3.0f, -0.01f, 1000.0f, -2.0f, 0.0f};
  models::Param p = make_param(w0);
  for (std::size_t i = 0; i < g.size(); ++i) p.grad(i) = g[i];
  Adam adam;
  const double lr = 0.01;
  adam.step({&p}, lr);
  CHECK(adam.steps() == 1);
  for (std::size_t i = 0; i < g.size(); ++i) {
    CAPTURE(i);
    const double moved = static_cast<double>(p.value(i)) - static_cast<double>(w0[i]);
    const double sign = g[i] > 0.0f ? 1.0 : (g[i] < 0.0f ? -1.0 : 0.0);
    CHECK(moved == doctest::Approx(-lr * sign).epsilon(1e-4).scale(1e-3));
  }
  CHECK(p.value(4) == w0[4]);  // zero gradient: no move
}

TEST_CASE("adam: several steps match a double-precision reference to 1e-6") {
  struct Hyper {
    double beta1, beta2, eps, lr;
  };
  for (const Hyper h : {Hyper{0.9, 0.999, 1e-8, 0.01}, Hyper{0.5, 0.9, 1e-3, 0.05}}) {
    CAPTURE(h.beta1);
    const std::vector<float> w0a = {0.5f, -1.0f, 0.125f, 2.0f, -0.75f, 0.0f, 1.5f};
    const std::vector<float> w0b = {0.3f, -0.2f};
    models::Param a = make_param(w0a);
    models::Param b = make_param(w0b);
    std::vector<double> ref_a(w0a.begin(), w0a.end());
    std::vector<double> ref_b(w0b.begin(), w0b.end());
    ReferenceAdam ra{h.beta1, h.beta2, h.eps, {}, {}};
    ReferenceAdam rb{h.beta1, h.beta2, h.eps, {}, {}};
    Adam adam({h.beta1, h.beta2, h.eps});
    for (int t = 0; t < 6; ++t) {
      std::vector<double> ga(w0a.size()), gb(w0b.size());
      for (std::size_t i = 0; i < ga.size(); ++i) {
        a.grad(i) = test_gradient(i, t);
        ga[i] = static_cast<double>(a.grad(i));
      }
      for (std::size_t i = 0; i < gb.size(); ++i) {
        b.grad(i) = test_gradient(i + 100, t);
        gb[i] = static_cast<double>(b.grad(i));
      }
      adam.step({&a, &b}, h.lr);
      ra.step(ref_a, ga, h.lr);
      rb.step(ref_b, gb, h.lr);
      CAPTURE(t);
      for (std::size_t i = 0; i < ref_a.size(); ++i) {
        CHECK(std::abs(static_cast<double>(a.value(i)) - ref_a[i]) < 1e-6);
      }
      for (std::size_t i = 0; i < ref_b.size(); ++i) {
        CHECK(std::abs(static_cast<double>(b.value(i)) - ref_b[i]) < 1e-6);
      }
    }
    // The weights really moved, so the comparison above is not trivial.
    CHECK(std::abs(static_cast<double>(a.value(0)) - static_cast<double>(w0a[0])) > 1e-3);
  }
}

TEST_CASE("adam: minimises a quadratic") {
  const std::vector<double> a = {1.0, 10.0, 0.1};
  const std::vector<double> c = {0.5, -1.0, 2.0};
  models::Param p = make_param({3.0f, 3.0f, -3.0f});
  auto loss_and_grad = [&]() {
    double loss = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const double d = static_cast<double>(p.value(i)) - c[i];
      loss += 0.5 * a[i] * d * d;
      p.grad(i) = static_cast<float>(a[i] * d);
    }
    return loss;
  };
  Adam adam;
  const double initial = loss_and_grad();
  double loss = initial;
  for (int t = 0; t < 3000; ++t) {
    adam.step({&p}, 0.05);
    loss = loss_and_grad();
  }
  CAPTURE(loss);
  CHECK(loss < 1e-6 * initial);
  for (std::size_t i = 0; i < c.size(); ++i) {
    CHECK(std::abs(static_cast<double>(p.value(i)) - c[i]) < 1e-2);
  }
}

TEST_CASE("adam: the param list must not change after the first step") {
  models::Param a = make_param({1.0f});
  models::Param b = make_param({1.0f});
  Adam adam;
  adam.step({&a}, 0.1);
  CHECK_THROWS_AS(adam.step({&a, &b}, 0.1), std::logic_error);
}

TEST_CASE("adam: options and describe()") {
  OptimizerPtr def = build_adam("{}");
  CHECK(def->name() == "adam");
  CHECK(def->describe() == "adam(beta1=0.9, beta2=0.999, eps=1e-08)");
  OptimizerPtr opt = build_adam("beta1: 0.8\nbeta2: 0.99\neps: 1.0e-6");
  CHECK(opt->describe() == "adam(beta1=0.8, beta2=0.99, eps=1e-06)");
  const auto* adam = dynamic_cast<const Adam*>(opt.get());
  REQUIRE(adam != nullptr);
  CHECK(adam->beta1() == 0.8);
  CHECK(adam->beta2() == 0.99);
  CHECK(adam->eps() == 1e-6);
  CHECK(build_adam("beta1: 0")->describe() == "adam(beta1=0, beta2=0.999, eps=1e-08)");
}

TEST_CASE("adam: invalid options are rejected with file and key") {
  check_rejected("beta1: 1.0", "beta1");
  check_rejected("beta1: -0.1", "beta1");
  check_rejected("beta2: 1", "beta2");
  check_rejected("beta2: 1.5", "beta2");
  check_rejected("eps: 0", "eps");
  check_rejected("eps: -1e-8", "eps");
  check_rejected("eps: .nan", "eps");
  check_rejected("beta: 0.9", "beta");
  check_rejected("momentum: 0.9", "momentum");
  CHECK_THROWS_AS(Adam({1.0, 0.999, 1e-8}), std::invalid_argument);
  CHECK_THROWS_AS(Adam({0.9, 0.999, 0.0}), std::invalid_argument);
}

}  // namespace reglab::optim
