/// The per-epoch curve `name` of a training result, for the trainer tests; fails the test case
/// if the result has no such curve.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "framework/train/trainer.hpp"

namespace reglab::testing {

inline const std::vector<double>& curve(const train::TrainResult& r, const std::string& name) {
  for (const auto& c : r.curves) {
    if (c.first == name) return c.second;
  }
  FAIL("no curve " << name);
  static const std::vector<double> none;
  return none;
}

}  // namespace reglab::testing
