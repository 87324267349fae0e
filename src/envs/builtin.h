// Factories of the built-in tasks (internal header); registry.cpp registers them.
#pragma once

#include <limits>
#include <memory>

#include "envs/env.h"

namespace fixar::envs::detail {

// An unbounded side of an observation or action space.
inline constexpr double kInf = std::numeric_limits<double>::infinity();

std::unique_ptr<Env> make_pendulum();
std::unique_ptr<Env> make_cartpole();
std::unique_ptr<Env> make_half_cheetah();
std::unique_ptr<Env> make_hopper();
std::unique_ptr<Env> make_swimmer();
std::unique_ptr<Env> make_walker2d();
std::unique_ptr<Env> make_inverted_pendulum();

}  // namespace fixar::envs::detail
