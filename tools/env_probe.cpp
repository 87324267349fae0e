// env_probe: a small driver of fixar_envs for validation against Gymnasium
// (tools/validate_envs.py) and for timing steps. Not part of the product.
//
//   env_probe            reads JSON requests, one per line, from stdin; answers one JSON
//                        line each on stdout:
//     {"cmd":"make","task":"Hopper"}     -> spaces, dt, limits
//     {"cmd":"reset","seed":3}           -> {"obs":[..],"state":[..]}  (seed optional)
//     {"cmd":"set_state","state":[..]}   -> {"obs":[..]}
//     {"cmd":"step","action":[..]}       -> {"obs","reward","terminated","truncated",
//                                            "info":{..},"state":[..]}
//     errors                             -> {"error":"..."}  (the probe keeps running)
//   env_probe --bench [steps]  times Env::step for every registered task: mean wall
//                        time per step over `steps` steps (default 20000) of uniform
//                        random actions, resets on episode end included, after 1000
//                        warm-up steps; one thread.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "envs/env.h"

namespace {

using fixar::envs::Env;
using nlohmann::json;

json handle(const json& request, std::unique_ptr<Env>& env) {
  const std::string cmd = request.at("cmd").get<std::string>();
  if (cmd == "make") {
    env = fixar::envs::make(request.at("task").get<std::string>());
    return {{"name", env->name()},
            {"observation_size", env->observation_space().size()},
            {"action_low", env->action_space().low},
            {"action_high", env->action_space().high},
            {"max_episode_steps", env->max_episode_steps()},
            {"discrete_actions", env->discrete_actions()},
            {"dt", env->dt()}};
  }
  if (!env) throw std::invalid_argument(fmt::format("\"{}\" before \"make\"", cmd));
  if (cmd == "reset") {
    auto obs =
        request.contains("seed") ? env->reset(request["seed"].get<std::uint64_t>()) : env->reset();
    return {{"obs", obs}, {"state", env->state()}};
  }
  if (cmd == "set_state") {
    env->set_state(request.at("state").get<std::vector<double>>());
    return {{"obs", env->observation()}};
  }
  if (cmd == "step") {
    auto r = env->step(request.at("action").get<std::vector<double>>());
    json info = json::object();
    for (const auto& entry : r.info) info[std::string(entry.name)] = entry.value;
    return {{"obs", r.observation},     {"reward", r.reward}, {"terminated", r.terminated},
            {"truncated", r.truncated}, {"info", info},       {"state", env->state()}};
  }
  throw std::invalid_argument(
      fmt::format("unknown cmd \"{}\"; valid: make, reset, set_state, step", cmd));
}

int serve() {
  std::unique_ptr<Env> env;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    json reply;
    try {
      reply = handle(json::parse(line), env);
    } catch (const std::exception& e) {
      reply = {{"error", e.what()}};
    }
    std::cout << reply.dump() << '\n' << std::flush;
  }
  return 0;
}

int bench(long steps) {
  fmt::print("{:<18} {:>12} {:>10}\n", "task", "us/step", "episodes");
  for (const auto& name : fixar::envs::registered_names()) {
    auto env = fixar::envs::make(name);
    std::mt19937_64 gen(1);
    const auto& box = env->action_space();
    std::vector<double> action(static_cast<std::size_t>(box.size()));
    env->reset(0);
    long episodes = 0;
    auto run = [&](long n) {
      for (long i = 0; i < n; ++i) {
        for (std::size_t k = 0; k < action.size(); ++k) {
          action[k] = std::uniform_real_distribution<double>(box.low[k], box.high[k])(gen);
        }
        auto r = env->step(action);
        if (r.terminated || r.truncated) {
          env->reset();
          ++episodes;
        }
      }
    };
    run(1000);  // warm-up
    episodes = 0;
    const auto start = std::chrono::steady_clock::now();
    run(steps);
    const std::chrono::duration<double, std::micro> elapsed =
        std::chrono::steady_clock::now() - start;
    fmt::print("{:<18} {:>12.2f} {:>10}\n", name, elapsed.count() / static_cast<double>(steps),
               episodes);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "--bench") {
    const long steps = args.size() > 1 ? std::stol(args[1]) : 20000;
    return bench(steps);
  }
  if (!args.empty()) {
    std::cerr << "usage: env_probe [--bench [steps]]   (no argument: JSON lines on stdin)\n";
    return 2;
  }
  return serve();
}
