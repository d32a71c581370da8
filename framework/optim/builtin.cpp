/// The registration lists of the built-in optimizers and learning-rate schedules. To add one,
/// write its class and factory and add one line here.
#include "framework/optim/adam.hpp"
#include "framework/optim/optimizer.hpp"
#include "framework/optim/schedules.hpp"
#include "framework/optim/sgd.hpp"

namespace reglab::optim {

void register_builtin(OptimizerRegistry& r) {
  r.add("sgd", "stochastic gradient descent with optional (Nesterov) momentum", &Sgd::from_config);
  r.add("adam", "Adam with bias correction (Kingma and Ba 2015)", &Adam::from_config);
}

void register_builtin(ScheduleRegistry& r) {
  r.add("constant", "the base learning rate at every epoch", make_constant_schedule);
  r.add("exponential", "lr * decay_rate^(epoch / decay_epochs)", make_exponential_schedule);
  r.add("step", "lr * gamma^floor(epoch / step_epochs)", make_step_schedule);
  r.add("inverse_time", "lr / (1 + decay_rate * epoch / decay_epochs)", make_inverse_time_schedule);
}

}  // namespace reglab::optim
