#include "rl/haq_ddpg.h"

#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "rl/noise.h"

namespace fixar::rl {
namespace {

TEST(TruncatedNormal, StaysInTheIntervalAndIsTheMeanWithoutSpread) {
  num::Random rng(7);
  for (int i = 0; i < 1000; ++i) {
    const double x = TruncatedNormal(0.9, 0.5, 0.0, 1.0, rng);
    EXPECT_GE(x, 0.0);
    EXPECT_LE(x, 1.0);
  }
  EXPECT_EQ(TruncatedNormal(0.25, 0.0, 0.0, 1.0, rng), 0.25);
  EXPECT_EQ(TruncatedNormal(3.0, 0.0, 0.0, 1.0, rng, 5), 1.0);  // never inside: clamped
}

HaqDdpgConfig SmallConfig() {
  HaqDdpgConfig c;
  c.hidden = {16, 16};
  c.batch = 8;
  c.warmup_episodes = 2;
  return c;
}

// One episode of `agent` on a 3-step problem with 2 state features; its actions.
std::vector<double> Play(HaqDdpg& agent, int episode) {
  std::vector<double> states{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, actions;
  for (int p = 0; p < 3; ++p) actions.push_back(agent.Act(std::span(states).subspan(2 * p, 2), episode));
  agent.RememberEpisode(states, actions, actions[0] - 0.5);
  if (episode >= agent.warmup_episodes())
    for (int k = 0; k < 3; ++k) agent.Update();
  return actions;
}

TEST(HaqDdpg, SameSeedSameActionsOtherSeedOthers) {
  const HaqDdpgShape shape{.state_dim = 2, .episode_steps = 3, .episodes = 10};
  HaqDdpg a(SmallConfig(), shape, 3), b(SmallConfig(), shape, 3), c(SmallConfig(), shape, 4);
  bool differ = false;
  for (int ep = 0; ep < 10; ++ep) {
    const auto x = Play(a, ep), y = Play(b, ep), z = Play(c, ep);
    EXPECT_EQ(x, y) << "episode " << ep;
    differ |= x != z;
    for (double v : x) {
      EXPECT_GE(v, 0.0);
      EXPECT_LE(v, 1.0);
    }
  }
  EXPECT_TRUE(differ);
}

TEST(HaqDdpg, RejectsBadInput) {
  const HaqDdpgShape shape{.state_dim = 2, .episode_steps = 3, .episodes = 10};
  HaqDdpgConfig bad = SmallConfig();
  bad.tau = 0;
  EXPECT_THROW(HaqDdpg(bad, shape, 1), std::invalid_argument);
  HaqDdpgShape no_state = shape;
  no_state.state_dim = 0;
  EXPECT_THROW(HaqDdpg(SmallConfig(), no_state, 1), std::invalid_argument);
  HaqDdpg agent(SmallConfig(), shape, 1);
  EXPECT_THROW(agent.Update(), std::logic_error);  // nothing remembered yet
  const std::vector<double> states(6, 0.0), two_actions(2, 0.5);
  EXPECT_THROW(agent.RememberEpisode(states, two_actions, 0.0), std::invalid_argument);
}

}  // namespace
}  // namespace fixar::rl
