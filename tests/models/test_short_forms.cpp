// The `mlp` and `softmax_regression` short forms expand to layer stacks; these tests hold them to
// the runs reglab trained before stacks existed (tests/models/reference/*.h5, written by that
// build from the YAML files next to them and rewritten once when products got blocks fixed by
// their shape, parallel_scheme v2; v3's depth blocks do not arise in them), bit for bit with the
// OpenBLAS kernels they were written with, and hold the spelled-out `sequential` stack to the same
// bits.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "framework/core/blas.hpp"
#include "framework/experiment/runner.hpp"
#include "framework/storage/results.hpp"
#include "support/builtins.hpp"
#include "support/temp_dir.hpp"

namespace {

using reglab::experiment::ConfigNode;
using reglab::storage::read_results;
using reglab::storage::RunRecord;

const std::string kReference = std::string(REGLAB_SOURCE_DIR) + "/tests/models/reference/";

/// Trains `config` (with `output` redirected into `dir`) and returns its run.
RunRecord train(ConfigNode config, const std::string& dir) {
  const std::string out = dir + "/out.h5";
  config.set_override("output", out);
  REQUIRE(reglab::experiment::run_one(config, reglab::testing::builtins(), false, true) == 0);
  return read_results(out).runs.at(0);
}

std::string attribute(const RunRecord& run, const std::string& key) {
  for (const auto& [k, v] : run.attributes) {
    if (k == key) return v;
  }
  return "";
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

/// Every curve but the timings, and every weight tensor, bitwise equal.
void check_same_numbers(const RunRecord& got, const RunRecord& want) {
  REQUIRE(got.curves.size() == want.curves.size());
  for (std::size_t i = 0; i < want.curves.size(); ++i) {
    CAPTURE(want.curves[i].first);
    CHECK(got.curves[i].first == want.curves[i].first);
    if (want.curves[i].first == "seconds") continue;
    CHECK(same_bits(got.curves[i].second, want.curves[i].second));
  }
  REQUIRE(got.weights.size() == want.weights.size());
  for (std::size_t i = 0; i < want.weights.size(); ++i) {
    const auto& g = got.weights[i];
    const auto& w = want.weights[i];
    CAPTURE(w.layer + "/" + w.param);
    CHECK(g.layer == w.layer);
    CHECK(g.param == w.param);
    CHECK(g.shape == w.shape);
    CHECK(g.data == w.data);
  }
}

}  // namespace

TEST_CASE("short forms: mlp and softmax_regression reproduce the stored pre-stack runs") {
  for (const char* name : {"mlp", "softmax"}) {
    CAPTURE(name);
    reglab::testing::TempDir dir("short_forms");
    const RunRecord want = read_results(kReference + name + ".h5").runs.at(0);
    const RunRecord got =
        train(ConfigNode::load_composed(kReference + name + ".yaml"), dir.path().string());
    CHECK(got.run_id == want.run_id);
    // Which kernels OpenBLAS runs changes the last bits of a product (core/blas.hpp).
    const std::string core = attribute(want, "blas_core");
    if (reglab::blas_core() != core) {
      MESSAGE("numbers not compared: the references were written with OpenBLAS's " << core
                                                                                   << " kernels");
      continue;
    }
    check_same_numbers(got, want);
  }
}

TEST_CASE("short forms: the spelled-out sequential stack is the same network as the mlp") {
  // Dropout's streams mix in the arm (the configuration's text), so two spellings of one model
  // draw different masks by design; the deterministic regularizers show the networks are equal.
  const ConfigNode regularizers =
      ConfigNode::parse("[{name: batch_norm}, {name: max_norm, c: 3.0}]", "regularizers.yaml");
  ConfigNode mlp = ConfigNode::load_composed(kReference + "mlp.yaml");
  mlp.set_value("regularizers", regularizers, "regularizers.yaml");
  ConfigNode stack = ConfigNode::load_composed(kReference + "mlp.yaml");
  stack.set_value("regularizers", regularizers, "regularizers.yaml");
  stack.set_value(
      "model",
      ConfigNode::parse("name: sequential\n"
                        "layers: [{dense: {units: 16}}, {relu: {}}, {dense: {units: 12}},\n"
                        "         {relu: {}}, {dense: {units: classes}}]\n",
                        "model.yaml"),
      "model.yaml");
  reglab::testing::TempDir a("short_forms_mlp");
  reglab::testing::TempDir b("short_forms_seq");
  const RunRecord want = train(mlp, a.path().string());
  const RunRecord got = train(stack, b.path().string());
  CHECK(got.run_id != want.run_id);  // a different configuration text
  check_same_numbers(got, want);
}
