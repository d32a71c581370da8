/// The configuration reader's types under the names experiment/ has always used for them
/// (ConfigNode, OptionReader, Range live in config/, one layer down).
#pragma once

#include "framework/config/options.hpp"

namespace reglab::experiment {

using config::apply_overrides;
using config::ConfigNode;
using config::OptionReader;
using config::Range;

}  // namespace reglab::experiment
