#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "framework/config/options.hpp"
#include "framework/core/error.hpp"
#include "framework/plugin/api.hpp"
#include "framework/plugin/loader.hpp"
#include "framework/plugin/registries.hpp"

namespace reglab::plugin {
namespace {

/// The test plugins built next to the test binary (CMakeLists.txt: test-plugins/).
std::string test_plugin(const std::string& name) {
  return std::string(REGLAB_TEST_PLUGIN_DIR) + "/lib" + name + ".so";
}

TEST_CASE("builtin_registries: every built-in entry, each of origin built-in, no plugins") {
  const Registries r = builtin_registries();
  CHECK(r.regularizers.known() ==
        "dropout, l2, l1, weight_decay, max_norm, batch_norm, gaussian_dropout, uout, kl_sparsity");
  CHECK(r.models.known() == "sequential, mlp, softmax_regression, linear");
  CHECK(r.optimizers.known() == "sgd, adam");
  CHECK(r.schedules.known() == "constant, exponential, step, inverse_time");
  CHECK(r.datasets.known() ==
        "fashion-mnist, mnist, idx, cifar10, cifar100, synthetic, teacher_student");
  CHECK(r.layers.known() ==
        "dense, conv2d, max_pool, avg_pool, global_avg_pool, flatten, relu, tanh, sigmoid, maxout");
  for (const auto& e : r.layers.entries()) CHECK(e.origin == "built-in");
  for (const auto& e : r.regularizers.entries()) CHECK(e.origin == "built-in");
  CHECK(r.plugins.empty());
  CHECK(r.identity().empty());  // runs without plugins keep their ids
  CHECK(r.provenance().empty());
}

TEST_CASE("load_plugin: a plugin adds its entries with its file as origin, once") {
  Registries r = builtin_registries();
  load_plugin(r, test_plugin("crash"));
  const auto* e = r.regularizers.find("crash");
  REQUIRE(e != nullptr);
  const std::string abs = std::filesystem::canonical(test_plugin("crash")).string();
  CHECK(e->origin == "plugin " + abs);
  REQUIRE(r.plugins.size() == 1);
  CHECK(r.plugins[0].path == abs);
  CHECK(r.plugins[0].name == "crash");
  CHECK(r.plugins[0].version == "0");
  CHECK(r.plugins[0].sha256 == plugin_sha256(abs));
  CHECK(r.identity() == "plugin crash 0 " + r.plugins[0].sha256 + "\n");
  load_plugin(r, test_plugin("crash"));  // the same file again: nothing changes
  CHECK(r.plugins.size() == 1);
  CHECK(r.regularizers.entries().size() == builtin_registries().regularizers.entries().size() + 1);
}

TEST_CASE("load_plugin: a plugin's layer type builds into a sequential model") {
  Registries r = builtin_registries();
  load_plugin(r, test_plugin("scale_layer"));
  REQUIRE(r.layers.find("scale") != nullptr);
  config::OptionReader opts(config::ConfigNode::parse(
      "layers: [{dense: {units: 4}}, {scale: {factor: 3}}, {dense: {units: classes}}]", "m.yaml"));
  models::NetworkSpec spec = r.models.find("sequential")->factory(opts, r.layers);
  opts.finish();
  spec.inputs = 5;
  spec.classes = 2;
  models::Network net(spec, 1);
  net.finalize(2);
  REQUIRE(net.layers().size() == 3);
  CHECK(net.layers()[1]->name() == "scale_0");
  Matrix x = xt::ones<float>({std::size_t{2}, std::size_t{5}});
  net.forward(x, 2, Mode::kEval);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(net.layers()[1]->output()(0, i) == 3.0f * net.layers()[0]->output()(0, i));
  }
  CHECK(net.model_json().find("\"kind\": \"scale\"") != std::string::npos);
}

TEST_CASE("load_plugin: refusals name the file and leave the registries unchanged") {
  Registries r = builtin_registries();
  const auto size = r.regularizers.entries().size();
  CHECK_THROWS_WITH_AS(load_plugin(r, "/nonexistent/libx.so"),
                       "plugin /nonexistent/libx.so: no such file", PluginError);
  const std::string text = std::filesystem::temp_directory_path() / "reglab-not-a-plugin.so";
  std::ofstream(text) << "text";
  CHECK_THROWS_WITH_AS(load_plugin(r, text), doctest::Contains("cannot load it as a shared object"),
                       PluginError);
  std::filesystem::remove(text);
  CHECK_THROWS_WITH_AS(load_plugin(r, test_plugin("clash")),
                       doctest::Contains("its registration clashes: name 'dropout' is already "
                                         "registered (built-in)"),
                       PluginError);
  CHECK(r.models.find("clash_model_first") == nullptr);  // added before the clash, not kept
  CHECK_THROWS_WITH_AS(load_plugin(r, test_plugin("throws")),
                       doctest::Contains("this plugin refuses to register"), PluginError);
  CHECK(r.regularizers.entries().size() == size);
  CHECK(r.plugins.empty());
}

}  // namespace
}  // namespace reglab::plugin
