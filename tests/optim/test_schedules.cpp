#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "framework/core/error.hpp"
#include "framework/experiment/config_names.hpp"
#include "framework/optim/optimizer.hpp"
#include "framework/optim/schedules.hpp"
#include "support/builtins.hpp"

namespace reglab::optim {
namespace {

/// Builds schedule `name` through the registry from YAML text named "test.yaml", then finish().
SchedulePtr build(const std::string& name, const std::string& yaml, double base_lr) {
  experiment::OptionReader reader(experiment::ConfigNode::parse(yaml, "test.yaml"));
  const ScheduleRegistry::Entry* entry = reglab::testing::builtins().schedules.find(name);
  REQUIRE(entry != nullptr);
  SchedulePtr s = entry->factory(reader, base_lr);
  reader.finish();
  return s;
}

void check_rejected(const std::string& name, const std::string& yaml, const std::string& key) {
  CAPTURE(name);
  CAPTURE(yaml);
  std::string message;
  try {
    build(name, yaml, 0.1);
  } catch (const ConfigError& e) {
    message = e.what();
  }
  CAPTURE(message);
  REQUIRE_FALSE(message.empty());
  CHECK(message.find("test.yaml") != std::string::npos);
  CHECK(message.find(key) != std::string::npos);
}

}  // namespace

TEST_CASE("schedules: constant") {
  SchedulePtr s = build("constant", "{}", 0.1);
  CHECK(s->describe() == "constant");
  CHECK(s->learning_rate(0) == 0.1);
  CHECK(s->learning_rate(1) == 0.1);
  CHECK(s->learning_rate(1000) == 0.1);
}

TEST_CASE("schedules: exponential") {
  SchedulePtr def = build("exponential", "{}", 0.1);
  CHECK(def->describe() == "exponential(decay_rate=0.96, decay_epochs=1)");
  CHECK(def->learning_rate(0) == doctest::Approx(0.1));
  CHECK(def->learning_rate(1) == doctest::Approx(0.096));
  CHECK(def->learning_rate(2) == doctest::Approx(0.09216));
  CHECK(def->learning_rate(10) == doctest::Approx(0.1 * 0.6648326359915008));  // 0.96^10

  // decay_rate 0.5 every 2 epochs, with real division: epoch 1 -> 0.1 * 0.5^0.5.
  SchedulePtr s = build("exponential", "decay_rate: 0.5\ndecay_epochs: 2", 0.1);
  CHECK(s->describe() == "exponential(decay_rate=0.5, decay_epochs=2)");
  CHECK(s->learning_rate(0) == doctest::Approx(0.1));
  CHECK(s->learning_rate(1) == doctest::Approx(0.07071067811865475));
  CHECK(s->learning_rate(2) == doctest::Approx(0.05));
  CHECK(s->learning_rate(4) == doctest::Approx(0.025));
  CHECK(s->learning_rate(5) == doctest::Approx(0.1 * 0.1767766952966369));  // 0.5^2.5

  CHECK(build("exponential", "decay_rate: 1", 0.3)->learning_rate(50) == doctest::Approx(0.3));
}

TEST_CASE("schedules: step") {
  SchedulePtr s = build("step", "gamma: 0.5\nstep_epochs: 3", 0.2);
  CHECK(s->describe() == "step(gamma=0.5, step_epochs=3)");
  CHECK(s->learning_rate(0) == doctest::Approx(0.2));
  CHECK(s->learning_rate(2) == doctest::Approx(0.2));
  CHECK(s->learning_rate(3) == doctest::Approx(0.1));
  CHECK(s->learning_rate(5) == doctest::Approx(0.1));
  CHECK(s->learning_rate(6) == doctest::Approx(0.05));
  CHECK(s->learning_rate(10) == doctest::Approx(0.025));

  SchedulePtr def = build("step", "step_epochs: 10", 0.1);
  CHECK(def->describe() == "step(gamma=0.1, step_epochs=10)");
  CHECK(def->learning_rate(9) == doctest::Approx(0.1));
  CHECK(def->learning_rate(10) == doctest::Approx(0.01));
  CHECK(def->learning_rate(25) == doctest::Approx(0.001));
}

TEST_CASE("schedules: inverse_time") {
  SchedulePtr def = build("inverse_time", "{}", 0.1);
  CHECK(def->describe() == "inverse_time(decay_rate=1, decay_epochs=1)");
  CHECK(def->learning_rate(0) == doctest::Approx(0.1));
  CHECK(def->learning_rate(1) == doctest::Approx(0.05));
  CHECK(def->learning_rate(3) == doctest::Approx(0.025));

  // 0.1 / (1 + 0.5 * epoch / 2)
  SchedulePtr s = build("inverse_time", "decay_rate: 0.5\ndecay_epochs: 2", 0.1);
  CHECK(s->describe() == "inverse_time(decay_rate=0.5, decay_epochs=2)");
  CHECK(s->learning_rate(1) == doctest::Approx(0.08));
  CHECK(s->learning_rate(4) == doctest::Approx(0.05));
  CHECK(s->learning_rate(12) == doctest::Approx(0.025));

  CHECK(build("inverse_time", "decay_rate: 0", 0.3)->learning_rate(7) == doctest::Approx(0.3));
}

TEST_CASE("schedules: invalid options are rejected with file and key") {
  check_rejected("constant", "decay_rate: 0.5", "decay_rate");
  check_rejected("exponential", "decay_rate: 0", "decay_rate");
  check_rejected("exponential", "decay_rate: 1.5", "decay_rate");
  check_rejected("exponential", "decay_epochs: 0", "decay_epochs");
  check_rejected("exponential", "decay_epochs: -2", "decay_epochs");
  check_rejected("exponential", "gamma: 0.5", "gamma");
  check_rejected("step", "gamma: 0.5", "step_epochs");  // required
  check_rejected("step", "step_epochs: 0", "step_epochs");
  check_rejected("step", "step_epochs: 2.5", "step_epochs");
  check_rejected("step", "step_epochs: 3\ngamma: 0", "gamma");
  check_rejected("step", "step_epochs: 3\ngamma: 1.1", "gamma");
  check_rejected("step", "step_epochs: 3\ndecay_rate: 0.5", "decay_rate");
  check_rejected("inverse_time", "decay_rate: -1", "decay_rate");
  check_rejected("inverse_time", "decay_epochs: 0", "decay_epochs");
  CHECK_THROWS_AS(ExponentialSchedule(0.1, 0.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(StepSchedule(0.1, 0.1, 0), std::invalid_argument);
  CHECK_THROWS_AS(InverseTimeSchedule(0.1, 1.0, 0.0), std::invalid_argument);
}

TEST_CASE("schedule registry holds exactly the four schedules") {
  const ScheduleRegistry& r = reglab::testing::builtins().schedules;
  REQUIRE(r.entries().size() == 4);
  CHECK(r.known() == "constant, exponential, step, inverse_time");
  for (const auto& e : r.entries()) CHECK_FALSE(e.description.empty());
  CHECK(r.find("cosine") == nullptr);
  CHECK(r.find("") == nullptr);
  CHECK(&reglab::testing::builtins().schedules == &r);
}

}  // namespace reglab::optim
