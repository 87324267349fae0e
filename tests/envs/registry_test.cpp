// The registry: built-ins present without static initialisers, clear errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "envs/env.h"

namespace fixar::envs {
namespace {

TEST(Registry, KnowsEveryBuiltInTask) {
  const std::vector<std::string> expected = {
      "CartPole", "HalfCheetah", "Hopper", "InvertedPendulum", "Pendulum", "Swimmer", "Walker2d"};
  auto names = registered_names();
  for (const auto& name : expected) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    auto env = make(name);
    ASSERT_NE(env, nullptr);
    EXPECT_EQ(env->name(), name);
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

TEST(Registry, UnknownNameThrowsNamingItAndTheValidOnes) {
  try {
    make("HalfCheeta");
    FAIL() << "make(\"HalfCheeta\") did not throw";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("\"HalfCheeta\""), std::string::npos) << message;
    EXPECT_NE(message.find("HalfCheetah"), std::string::npos) << message;
    EXPECT_NE(message.find("Pendulum"), std::string::npos) << message;
  }
}

TEST(Registry, RegisterRejectsDuplicatesAndEmptyInput) {
  EXPECT_THROW(register_env("Pendulum", [] { return make("Pendulum"); }), std::invalid_argument);
  EXPECT_THROW(register_env("", [] { return make("Pendulum"); }), std::invalid_argument);
  EXPECT_THROW(register_env("NoFactory", nullptr), std::invalid_argument);
}

TEST(Registry, RegisteredTaskCanBeMade) {
  register_env("PendulumAlias", [] { return make("Pendulum"); });
  auto env = make("PendulumAlias");
  EXPECT_EQ(env->name(), "Pendulum");
  auto names = registered_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "PendulumAlias"), names.end());
}

TEST(StepInfo, GetNamesMissingKey) {
  StepInfo info;
  info.add("reward_forward", 1.5);
  EXPECT_EQ(info.get("reward_forward"), 1.5);
  EXPECT_TRUE(info.contains("reward_forward"));
  EXPECT_FALSE(info.contains("reward_ctrl"));
  try {
    info.get("reward_ctrl");
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("reward_ctrl"), std::string::npos) << message;
    EXPECT_NE(message.find("reward_forward"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace fixar::envs
