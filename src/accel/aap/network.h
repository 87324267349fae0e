// The DDPG networks the accelerator trains, and the sequence of layer operations of one
// FIXAR timestep in the paper's order (Fig. 3).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fixar::aap {

// Actor: state -> hidden... -> action. Critic: (state ⧺ action) -> hidden... -> 1.
struct DdpgNetworks {
  std::string task = "custom";
  int state_dim = 17;
  int action_dim = 6;
  std::vector<int> hidden = {400, 300};

  std::vector<int> ActorDims() const;   // {state, 400, 300, action}
  std::vector<int> CriticDims() const;  // {state + action, 400, 300, 1}
  std::int64_t ActorParams() const;     // weights + biases
  std::int64_t CriticParams() const;
  void Validate(const std::string& where) const;  // throws naming the bad dimension
};

// "halfcheetah" (17/6), "hopper" (11/3; the paper says 6 actions, Gym's Hopper has 3),
// "swimmer" (8/2). Case-insensitive; throws listing the valid names.
DdpgNetworks TaskNetworks(const std::string& task);
std::vector<std::string> TaskNames();

// Reads a network description from TOML: a [network] table with either `task = "hopper"`
// or `state_dim`, `action_dim` and optionally `hidden = [400, 300]` (a task's sizes can be
// overridden the same way). Errors name the file and key.
DdpgNetworks LoadNetworkToml(const std::string& path);
DdpgNetworks ParseNetworkToml(const std::string& toml_text, const std::string& source_name);

// The phases of one timestep, in the order the accelerator runs them.
enum class Phase : std::uint8_t {
  kCriticForward,    // target actor(s'), target critic(s', a'), critic(s, a)
  kCriticBackward,   // critic input grads (layers L..2) and weight grads
  kCriticUpdate,     // Adam over the critic's parameters
  kActorForward,     // actor(s), critic(s, mu(s))
  kActorBackward,    // critic input grads down to the action, actor input and weight grads
  kActorUpdate,      // Adam over the actor's parameters
  kActionInference,  // actor(s_t) for the environment: one vector, intra-layer parallel
};
inline constexpr int kNumPhases = 7;
const char* to_string(Phase p);  // "critic_forward", ...

enum class OpKind : std::uint8_t {
  kForward,     // Y = W X (+ b, activation): kNT in kernels/gemm.h
  kInputGrad,   // dX = W^T dY (masked by the activation derivative): kNN
  kWeightGrad,  // dW += dY X^T, accumulated in the gradient memory: kTN
  kAdam,        // Adam over `params` parameters
};
const char* to_string(OpKind k);

// One operation on a weight matrix W of out × in (a linear layer), over `vectors`
// vectors (the batch, or 1 for action inference).
struct LayerOp {
  Phase phase = Phase::kCriticForward;
  OpKind kind = OpKind::kForward;
  std::string label;    // "critic.L2.fwd"
  int out = 0, in = 0;  // W is out × in
  int vectors = 1;
  bool intra_layer = false;  // single-vector mapping: input columns interleaved across cores
  std::int64_t params = 0;   // kAdam only

  std::int64_t Macs() const;  // vectors × out × in (0 for Adam)
};

struct ScheduleOptions {
  bool target_networks = true;  // TD target from target actor + target critic (Lillicrap DDPG)
};

// The layer operations of one timestep for batch size `batch`, in execution order.
std::vector<LayerOp> BuildDdpgTimestep(const DdpgNetworks& net, int batch,
                                       const ScheduleOptions& opt);

}  // namespace fixar::aap
