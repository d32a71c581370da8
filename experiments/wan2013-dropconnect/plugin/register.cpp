/// The plugin's registration: the one file that makes dropconnect.cpp a reglab plugin.
#include "dropconnect.hpp"
#include "framework/plugin/api.hpp"

namespace {

void register_dropconnect(reglab::plugin::Registries& r) {
  r.regularizers.add("dropconnect",
                     "drops each hidden kernel weight with probability rate per mini-batch "
                     "(Wan et al. 2013); plugin",
                     &dropconnect::DropConnect::from_config);
}

}  // namespace

REGLAB_PLUGIN("dropconnect", "1.0.0", register_dropconnect)
