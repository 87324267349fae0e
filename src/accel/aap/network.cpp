#include "accel/aap/network.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/section.h"

#include <algorithm>
#include <cctype>
#include <utility>
#include <stdexcept>

namespace fixar::aap {

std::vector<int> DdpgNetworks::ActorDims() const {
  std::vector<int> d{state_dim};
  d.insert(d.end(), hidden.begin(), hidden.end());
  d.push_back(action_dim);
  return d;
}

std::vector<int> DdpgNetworks::CriticDims() const {
  std::vector<int> d{state_dim + action_dim};
  d.insert(d.end(), hidden.begin(), hidden.end());
  d.push_back(1);
  return d;
}

namespace {
std::int64_t Params(const std::vector<int>& d) {
  std::int64_t p = 0;
  for (size_t l = 0; l + 1 < d.size(); ++l) p += std::int64_t{d[l]} * d[l + 1] + d[l + 1];
  return p;
}
}  // namespace

std::int64_t DdpgNetworks::ActorParams() const { return Params(ActorDims()); }
std::int64_t DdpgNetworks::CriticParams() const { return Params(CriticDims()); }

void DdpgNetworks::Validate(const std::string& where) const {
  auto check = [&](const char* what, int v) {
    if (v < 1 || v > 65536)
      throw std::invalid_argument(
          fmt::format("{}: {} = {} is out of range; valid: 1 .. 65536", where, what, v));
  };
  check("state_dim", state_dim);
  check("action_dim", action_dim);
  if (hidden.empty())
    throw std::invalid_argument(
        fmt::format("{}: the network needs at least one hidden layer", where));
  for (int h : hidden) check("hidden layer width", h);
}

std::vector<std::string> TaskNames() { return {"halfcheetah", "hopper", "swimmer"}; }

DdpgNetworks TaskNetworks(const std::string& task) {
  std::string t = task;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  DdpgNetworks n;
  n.task = t;
  if (t == "halfcheetah") {
    n.state_dim = 17, n.action_dim = 6;
  } else if (t == "hopper") {
    n.state_dim = 11, n.action_dim = 3;
  } else if (t == "swimmer") {
    n.state_dim = 8, n.action_dim = 2;
  } else {
    throw std::invalid_argument(fmt::format(
        "unknown task '{}'; valid: halfcheetah (17/6), hopper (11/3), swimmer (8/2), or give "
        "explicit sizes",
        task));
  }
  return n;
}

DdpgNetworks ParseNetworkToml(const std::string& toml_text, const std::string& source_name) {
  const toml::table root = config::ParseToml(toml_text, source_name);
  const toml::table* table = root["network"].as_table();
  if (!table) throw std::invalid_argument(fmt::format("{}: no [network] table", source_name));
  config::Section t(table, source_name, "network");
  DdpgNetworks n;
  n.task = "custom";
  if (const toml::node* task = t.Take("task")) {  // first: explicit sizes below override the task's
    const std::string key = t.Key("task");
    const config::At at{source_name, key};
    try {
      const DdpgNetworks base = TaskNetworks(config::ReadString(*task, at));
      n.task = base.task, n.state_dim = base.state_dim, n.action_dim = base.action_dim;
    } catch (const std::invalid_argument& e) {
      if (!task->is_string()) throw;
      config::Fail(at, task, e.what());
    }
  }
  t.Integer("state_dim", n.state_dim);
  t.Integer("action_dim", n.action_dim);
  t.Integers("hidden", n.hidden);
  t.RejectUnknown();
  n.Validate(source_name);
  return n;
}

DdpgNetworks LoadNetworkToml(const std::string& path) {
  return ParseNetworkToml(config::ReadTextFile(path, "network file"), path);
}

const char* to_string(Phase p) {
  switch (p) {
    case Phase::kCriticForward:
      return "critic_forward";
    case Phase::kCriticBackward:
      return "critic_backward";
    case Phase::kCriticUpdate:
      return "critic_update";
    case Phase::kActorForward:
      return "actor_forward";
    case Phase::kActorBackward:
      return "actor_backward";
    case Phase::kActorUpdate:
      return "actor_update";
    case Phase::kActionInference:
      return "action_inference";
  }
  return "?";
}

const char* to_string(OpKind k) {
  switch (k) {
    case OpKind::kForward:
      return "forward";
    case OpKind::kInputGrad:
      return "input_grad";
    case OpKind::kWeightGrad:
      return "weight_grad";
    case OpKind::kAdam:
      return "adam";
  }
  return "?";
}

std::int64_t LayerOp::Macs() const {
  return kind == OpKind::kAdam ? 0 : std::int64_t{vectors} * out * in;
}

namespace {

void Forward(std::vector<LayerOp>& ops, Phase ph, const std::string& net, const std::vector<int>& d,
             int vectors, bool intra_layer = false) {
  for (size_t l = 0; l + 1 < d.size(); ++l)
    ops.push_back({ph, OpKind::kForward, fmt::format("{}.L{}.fwd", net, l + 1), d[l + 1], d[l],
                   vectors, intra_layer, 0});
}

// Back-propagation through `d` from the output error: for each layer from the top, the
// input gradient (down to layer `lowest_input_grad`, 1-based) and, if `weight_grads`, the
// weight gradient.
void Backward(std::vector<LayerOp>& ops, Phase ph, const std::string& net,
              const std::vector<int>& d, int vectors, int lowest_input_grad, bool weight_grads) {
  const int layers = static_cast<int>(d.size()) - 1;
  for (int l = layers; l >= 1; --l) {
    if (l >= lowest_input_grad)
      ops.push_back({ph, OpKind::kInputGrad, fmt::format("{}.L{}.dx", net, l), d[l], d[l - 1],
                     vectors, false, 0});
    if (weight_grads)
      ops.push_back({ph, OpKind::kWeightGrad, fmt::format("{}.L{}.dw", net, l), d[l], d[l - 1],
                     vectors, false, 0});
  }
}

}  // namespace

std::vector<LayerOp> BuildDdpgTimestep(const DdpgNetworks& net, int batch,
                                       const ScheduleOptions& opt) {
  net.Validate("network");
  if (batch < 1)
    throw std::invalid_argument(fmt::format("batch size {} is invalid; valid: 1 or more", batch));
  const auto actor = net.ActorDims(), critic = net.CriticDims();
  std::vector<LayerOp> ops;
  // Critic update: y = r + gamma * Q'(s', mu'(s')); loss (Q(s,a) - y)^2.
  if (opt.target_networks) {
    Forward(ops, Phase::kCriticForward, "target_actor", actor, batch);
    Forward(ops, Phase::kCriticForward, "target_critic", critic, batch);
  }
  Forward(ops, Phase::kCriticForward, "critic", critic, batch);
  // dL/dW for every critic layer; input gradients only where a lower layer needs them.
  Backward(ops, Phase::kCriticBackward, "critic", critic, batch, 2, true);
  ops.push_back(
      {Phase::kCriticUpdate, OpKind::kAdam, "critic.adam", 0, 0, 1, false, net.CriticParams()});
  // Actor update: maximise Q(s, mu(s)) through the (updated) critic.
  Forward(ops, Phase::kActorForward, "actor", actor, batch);
  Forward(ops, Phase::kActorForward, "critic", critic, batch);
  Backward(ops, Phase::kActorBackward, "critic", critic, batch, 1,
           false);  // dQ/da: down to the input
  Backward(ops, Phase::kActorBackward, "actor", actor, batch, 2, true);
  ops.push_back(
      {Phase::kActorUpdate, OpKind::kAdam, "actor.adam", 0, 0, 1, false, net.ActorParams()});
  // Action for the next environment step.
  Forward(ops, Phase::kActionInference, "actor", actor, 1, true);
  return ops;
}

}  // namespace fixar::aap
