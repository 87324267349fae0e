// The task registry, StepInfo and the Env defaults.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "envs/builtin.h"
#include "envs/env.h"

namespace fixar::envs {

// ---------------------------------------------------------------- StepInfo

void StepInfo::add(std::string_view name, double value) {
  if (count_ == kCapacity) {
    throw std::length_error(fmt::format(
        "StepInfo::add(\"{}\"): already holds {} entries, the capacity", name, kCapacity));
  }
  entries_[static_cast<std::size_t>(count_++)] = Entry{name, value};
}

bool StepInfo::contains(std::string_view name) const {
  return std::any_of(begin(), end(), [&](const Entry& e) { return e.name == name; });
}

double StepInfo::get(std::string_view name) const {
  for (const Entry& e : *this) {
    if (e.name == name) return e.value;
  }
  std::vector<std::string_view> keys;
  for (const Entry& e : *this) keys.push_back(e.name);
  throw std::invalid_argument(fmt::format(
      "StepInfo::get: no entry \"{}\"; this step reported: {}", name,
      keys.empty() ? std::string("(nothing)") : fmt::format("{}", fmt::join(keys, ", "))));
}

// ---------------------------------------------------------------- Env defaults

void Env::unsupported(const char* hook) const {
  throw std::logic_error(fmt::format("{} does not implement Env::{}()", name(), hook));
}

// ---------------------------------------------------------------- registry

namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, EnvFactory> factories;  // sorted by name
};

// The registry with the built-in tasks, created on first use: a function-local static
// rather than namespace-scope registrars, which the linker drops from a static library.
Registry& registry() {
  static Registry* instance = [] {
    auto* r = new Registry;  // never destroyed: envs may be made during static destruction
    r->factories.emplace("Pendulum", detail::make_pendulum);
    r->factories.emplace("CartPole", detail::make_cartpole);
    r->factories.emplace("HalfCheetah", detail::make_half_cheetah);
    r->factories.emplace("Hopper", detail::make_hopper);
    r->factories.emplace("Swimmer", detail::make_swimmer);
    r->factories.emplace("Walker2d", detail::make_walker2d);
    r->factories.emplace("InvertedPendulum", detail::make_inverted_pendulum);
    return r;
  }();
  return *instance;
}

std::string joined_names(const Registry& r) {
  std::vector<std::string_view> names;
  for (const auto& [name, factory] : r.factories) names.push_back(name);
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

void register_env(const std::string& name, EnvFactory factory) {
  if (name.empty()) throw std::invalid_argument("register_env: the task name is empty");
  if (!factory) {
    throw std::invalid_argument(fmt::format("register_env(\"{}\"): the factory is empty", name));
  }
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (r.factories.contains(name)) {
    throw std::invalid_argument(fmt::format(
        "register_env(\"{}\"): a task of that name is already registered (registered: {})", name,
        joined_names(r)));
  }
  r.factories.emplace(name, std::move(factory));
}

std::unique_ptr<Env> make(const std::string& name) {
  Registry& r = registry();
  EnvFactory factory;
  {
    std::lock_guard lock(r.mutex);
    auto it = r.factories.find(name);
    if (it == r.factories.end()) {
      throw std::invalid_argument(
          fmt::format("make: unknown task \"{}\"; registered tasks: {}", name, joined_names(r)));
    }
    factory = it->second;
  }
  return factory();  // outside the lock: a factory may itself call make()
}

std::vector<std::string> registered_names() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, factory] : r.factories) names.push_back(name);
  return names;
}

}  // namespace fixar::envs
