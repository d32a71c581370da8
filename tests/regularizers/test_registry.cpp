#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "framework/experiment/config_names.hpp"
#include "framework/regularizers/regularizer.hpp"
#include "support/builtins.hpp"

namespace reglab::regularizers {

TEST_CASE("regularizer registry: the built-in list") {
  const RegularizerRegistry& reg = reglab::testing::builtins().regularizers;
  CHECK(&reg == &reglab::testing::builtins().regularizers);  // built once
  std::vector<std::string> names;
  for (const auto& e : reg.entries()) {
    names.push_back(e.name);
    CHECK_FALSE(e.description.empty());
  }
  CHECK(names == std::vector<std::string>{"dropout", "l2", "l1", "weight_decay", "max_norm",
                                          "batch_norm", "gaussian_dropout", "uout", "kl_sparsity"});
  CHECK(reg.known() ==
        "dropout, l2, l1, weight_decay, max_norm, batch_norm, gaussian_dropout, uout, "
        "kl_sparsity");
  CHECK(reg.find("dropconnect") == nullptr);
  CHECK(reg.find("Dropout") == nullptr);
}

TEST_CASE("regularizer registry: every entry builds from an empty options map") {
  for (const auto& e : reglab::testing::builtins().regularizers.entries()) {
    CAPTURE(e.name);
    experiment::OptionReader reader(experiment::ConfigNode::parse("{}", "test.yaml"));
    const RegularizerPtr r = e.factory(reader);
    reader.finish();
    REQUIRE(r != nullptr);
    CHECK(r->name() == e.name);
    CHECK(r->describe().rfind(e.name + "(", 0) == 0);
  }
}

TEST_CASE("regularizer registry: the noise and sparsity plugins accept layers: last") {
  for (const char* name : {"dropout", "gaussian_dropout", "uout", "kl_sparsity"}) {
    CAPTURE(name);
    experiment::OptionReader reader(experiment::ConfigNode::parse("layers: last", "test.yaml"));
    const RegularizerPtr r = reglab::testing::builtins().regularizers.find(name)->factory(reader);
    reader.finish();
    CHECK(r->describe().find("layers=last") != std::string::npos);
  }
}

TEST_CASE("regularizer registry: a factory rejects unknown keys through finish()") {
  experiment::OptionReader reader(experiment::ConfigNode::parse("lambda: 0.1\n", "test.yaml"));
  const RegularizerPtr r =
      reglab::testing::builtins().regularizers.find("dropout")->factory(reader);
  CHECK_THROWS_WITH(reader.finish(), doctest::Contains("test.yaml"));
}

}  // namespace reglab::regularizers
