/// A plugin that registers a name reglab already has ("dropout"): loading it must fail with
/// exit 2 and leave nothing registered (tests/e2e/test_plugins.sh).
#include "framework/plugin/api.hpp"

namespace {

void register_clash(reglab::plugin::Registries& r) {
  r.models.add("clash_model_first", "added before the clash; must not survive it", nullptr);
  r.regularizers.add("dropout", "a second dropout", nullptr);
}

}  // namespace

REGLAB_PLUGIN("clash", "0", register_clash)
