// A whole DDPG update (critic and actor, forward and backward, before and after the QAT
// switch) with every integer product run on the modelled PE array gives exactly the bits
// of the software kernels: same parameters, Adam state, recorded ranges and counters.
#include <gtest/gtest.h>

#include <cmath>

#include "accel/aap/array_engine.h"
#include "rl/ddpg.h"
#include "rl/replay_buffer.h"

namespace fixar::aap {
namespace {

rl::DdpgSpec Spec(const std::string& precision) {
  rl::DdpgSpec s;
  s.obs_dim = 17;  // HalfCheetah sizes, smaller hidden layers to keep the model fast
  s.action_dim = 6;
  s.hidden = {40, 30};
  s.actor_policy = s.critic_policy = nn::MakePrecision(precision, 2);  // switch at step 2
  s.seed = 5;
  return s;
}

struct Outcome {
  std::vector<std::uint8_t> state;        // Ddpg::Save: parameters, Adam, ranges, QAT phase
  std::vector<std::uint64_t> saturations;  // per layer
};

Outcome RunUpdates(const std::string& precision, ArrayGemmEngine* engine) {
  rl::Ddpg agent(Spec(precision));
  rl::ReplayBuffer buffer(64, 17, 6);
  std::vector<double> s(17), a(6), s2(17);
  for (int i = 0; i < 64; ++i) {
    for (int j = 0; j < 17; ++j) s[j] = std::sin(0.3 * i + j), s2[j] = std::cos(0.2 * i + j);
    for (int j = 0; j < 6; ++j) a[j] = std::sin(1.7 * i * j);
    buffer.Add(s, a, std::cos(0.9 * i), s2, i % 17 == 0);
  }
  rl::Batch batch;
  std::optional<ScopedArrayEngine> scope;
  if (engine) scope.emplace(*engine);
  for (int t = 0; t < 4; ++t) {  // two updates in 32-bit, two after the switch
    agent.SetTrainingStep(t);
    buffer.Sample(8, 3, t, batch);
    agent.Update(batch);
    agent.Act(s, a);  // batch-1 inference too
  }
  util::ByteWriter w;
  agent.Save(w);
  Outcome o{w.bytes(), {}};
  for (const auto& l : agent.Stats()) o.saturations.push_back(l.saturations);
  return o;
}

TEST(WholeUpdate, FixarDdpgUpdateIsBitIdenticalOnTheArray) {
  for (const std::string precision : {"fixar", "w16a16"}) {
    SCOPED_TRACE(precision);
    const auto software = RunUpdates(precision, nullptr);
    ArrayGemmEngine engine(AccelConfig{});
    const auto array = RunUpdates(precision, &engine);
    EXPECT_GT(engine.products(), 40u) << "the products did not go through the array";
    EXPECT_GT(engine.totals().macs, 0u);
    EXPECT_EQ(engine.totals().accumulator_wraps, 0u);
    ASSERT_EQ(software.state.size(), array.state.size());
    EXPECT_TRUE(software.state == array.state) << "parameters, Adam state or ranges differ";
    EXPECT_EQ(software.saturations, array.saturations);
    EXPECT_EQ(kern::CurrentIntegerGemmEngine(), nullptr) << "the scope did not restore the kernels";
  }
}

}  // namespace
}  // namespace fixar::aap
