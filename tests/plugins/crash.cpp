/// A plugin regularizer that crashes the process (SIGSEGV) after update `at_step`: its sweep
/// cell must be recorded as failed while the other cells finish (tests/e2e/test_plugins.sh).
#include <csignal>
#include <memory>
#include <string>

#include "framework/config/options.hpp"
#include "framework/plugin/api.hpp"
#include "framework/regularizers/regularizer.hpp"

namespace {

class Crash : public reglab::regularizers::Regularizer {
 public:
  explicit Crash(std::size_t at_step) : at_step_(at_step) {}
  std::string name() const override { return "crash"; }
  std::string describe() const override {
    return "crash(at_step=" + std::to_string(at_step_) + ")";
  }
  void after_update(reglab::models::Network& /*net*/,
                    const reglab::regularizers::StepContext& ctx) override {
    if (ctx.step == at_step_) std::raise(SIGSEGV);
  }

 private:
  std::size_t at_step_;
};

reglab::regularizers::RegularizerPtr make_crash(reglab::config::OptionReader& r) {
  return std::make_unique<Crash>(static_cast<std::size_t>(r.get_int("at_step", 1, 1, 1 << 30)));
}

void register_crash(reglab::plugin::Registries& r) {
  r.regularizers.add("crash", "raises SIGSEGV after update at_step (tests only)", make_crash);
}

}  // namespace

REGLAB_PLUGIN("crash", "0", register_crash)
