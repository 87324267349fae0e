#include "rl/config.h"

#include <cmath>
#include <functional>
#include <limits>
#include <utility>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "config/section.h"
#include "config/value.h"
#include "envs/env.h"

namespace fixar::rl {
namespace {

// One settable key: how to bind a TOML value to it (config/value.h checks and names it)
// and how to print it back.
struct Key {
  std::function<void(TrainConfig&, const toml::node&, const config::At&)> set;
  std::function<std::string(const TrainConfig&)> show;
};

// An integer that the field's type holds exactly: no silent narrowing (4294967360 is not
// 64, -1 is not 2^64 - 1); the ranges that matter are checked by validate().
template <typename T>
Key Int(T TrainConfig::*field) {
  return {[field](TrainConfig& c, const toml::node& n, const config::At& at) {
            c.*field = static_cast<T>(config::ReadInteger(n, at, config::IntRange::Of<T>()));
          },
          [field](const TrainConfig& c) { return fmt::format("{}", c.*field); }};
}
// A finite number (inf and nan mean nothing for any key here).
Key Real(double TrainConfig::*field) {
  return {[field](TrainConfig& c, const toml::node& n, const config::At& at) { c.*field = config::ReadNumber(n, at); },
          [field](const TrainConfig& c) { return fmt::format("{}", c.*field); }};
}
Key Str(std::string TrainConfig::*field) {
  return {[field](TrainConfig& c, const toml::node& n, const config::At& at) { c.*field = config::ReadString(n, at); },
          [field](const TrainConfig& c) { return fmt::format("\"{}\"", c.*field); }};
}

const std::map<std::string, Key>& Keys() {
  static const std::map<std::string, Key> keys = [] {
    std::map<std::string, Key> k;
    k["run.task"] = Str(&TrainConfig::task);
    k["run.algorithm"] = Str(&TrainConfig::algorithm);
    k["run.seed"] = Int(&TrainConfig::seed);
    k["run.total_steps"] = Int(&TrainConfig::total_steps);
    k["run.out_dir"] = Str(&TrainConfig::out_dir);
    k["run.eval_every"] = Int(&TrainConfig::eval_every);
    k["run.eval_episodes"] = Int(&TrainConfig::eval_episodes);
    k["run.log_every"] = Int(&TrainConfig::log_every);
    k["run.checkpoint_every"] = Int(&TrainConfig::checkpoint_every);
    k["run.threads"] = Int(&TrainConfig::threads);
    k["ddpg.hidden"] = {[](TrainConfig& c, const toml::node& n, const config::At& at) {
                          const std::vector<std::int64_t> sizes = config::ReadIntegers(n, at, {1, 65536});
                          c.hidden.assign(sizes.begin(), sizes.end());  // only once every size is valid
                        },
                        [](const TrainConfig& c) { return fmt::format("[{}]", fmt::join(c.hidden, ", ")); }};
    k["ddpg.batch_size"] = Int(&TrainConfig::batch_size);
    k["ddpg.gamma"] = Real(&TrainConfig::gamma);
    k["ddpg.tau"] = Real(&TrainConfig::tau);
    k["ddpg.buffer_size"] = Int(&TrainConfig::buffer_size);
    k["ddpg.warmup_steps"] = Int(&TrainConfig::warmup_steps);
    k["ddpg.actor_lr"] = Real(&TrainConfig::actor_lr);
    k["ddpg.critic_lr"] = Real(&TrainConfig::critic_lr);
    k["ddpg.noise"] = {[](TrainConfig& c, const toml::node& n, const config::At& at) {
                         static constexpr std::string_view names[] = {"gaussian", "ou", "none"};
                         static constexpr NoiseKind kinds[] = {NoiseKind::kGaussian, NoiseKind::kOrnsteinUhlenbeck,
                                                               NoiseKind::kNone};
                         c.noise = kinds[config::ReadChoice(n, at, names)];
                       },
                       [](const TrainConfig& c) { return fmt::format("\"{}\"", to_string(c.noise)); }};
    k["ddpg.noise_sigma"] = Real(&TrainConfig::noise_sigma);
    k["ddpg.ou_theta"] = Real(&TrainConfig::ou_theta);
    k["ddpg.ou_sigma"] = Real(&TrainConfig::ou_sigma);
    k["ddpg.td3_target_noise"] = Real(&TrainConfig::td3_target_noise);
    k["ddpg.td3_noise_clip"] = Real(&TrainConfig::td3_noise_clip);
    k["ddpg.td3_policy_delay"] = Int(&TrainConfig::td3_policy_delay);
    k["precision.actor"] = Str(&TrainConfig::actor_precision);
    k["precision.critic"] = Str(&TrainConfig::critic_precision);
    k["precision.qat_delay"] = Int(&TrainConfig::qat_delay);
    k["precision.qat_activation_bits"] = Int(&TrainConfig::qat_activation_bits);
    k["precision.qat_quantizer"] = Str(&TrainConfig::qat_quantizer);
    k["precision.qat_range_headroom_bits"] = Int(&TrainConfig::qat_range_headroom_bits);
    k["precision.rounding"] = Str(&TrainConfig::rounding);
    k["precision.gradient_int_bits"] = Int(&TrainConfig::gradient_int_bits);
    k["precision.gradient_format"] = Str(&TrainConfig::gradient_format);
    k["precision.gradient_interval"] = Int(&TrainConfig::gradient_interval);
    k["precision.gradient_headroom_bits"] = Int(&TrainConfig::gradient_headroom_bits);
    k["precision.gradient_min_int_bits"] = Int(&TrainConfig::gradient_min_int_bits);
    return k;
  }();
  return keys;
}

// The keys of `section` ("valid keys in [ddpg]: actor_lr, ..."), or the sections when it is none.
std::string ValidKeys(std::string_view section) {
  std::string keys, sections;
  for (const auto& [name, key] : Keys()) {
    const std::string_view s = std::string_view(name).substr(0, name.find('.'));
    if (s == section) keys += (keys.empty() ? "" : ", ") + name.substr(s.size() + 1);
    if (sections.find(s) == std::string::npos) sections += (sections.empty() ? "" : ", ") + std::string(s);
  }
  if (keys.empty()) return fmt::format("valid tables: {}", sections);
  return fmt::format("valid keys in [{}]: {}", section, keys);
}

void SetKey(TrainConfig& c, const std::string& name, const toml::node& value, std::string_view source) {
  const config::At at{source, name};
  auto it = Keys().find(name);
  if (it == Keys().end())
    config::Fail(at, &value, fmt::format("unknown key; {}", ValidKeys(std::string_view(name).substr(0, name.find('.')))));
  it->second.set(c, value, at);
}

template <typename T>
void Require(bool ok, const char* key, T value, const char* valid) {
  if (!ok) throw std::invalid_argument(fmt::format("config: {} = {} is invalid; valid: {}", key, value, valid));
}

nn::PrecisionPolicy Policy(const TrainConfig& c, const std::string& name) {
  nn::PrecisionPolicy p = nn::MakePrecision(name, c.qat_delay);
  if (!p.is_float) {
    p.rounding = num::parse_quant(c.rounding);
    p.qat_quantizer = nn::parse_qat_quantizer(c.qat_quantizer);
    p.qat_range_headroom_bits = c.qat_range_headroom_bits;
    if (name == "fixar") p.qat_activation_bits = c.qat_activation_bits;
    if (c.gradient_int_bits > 0)
      p.gradient = num::Signed(p.gradient.word_bits, p.gradient.word_bits - c.gradient_int_bits);
    p.gradient_rule.dynamic = c.gradient_format == "dynamic";
    p.gradient_rule.interval = c.gradient_interval;
    p.gradient_rule.headroom_bits = c.gradient_headroom_bits;
    if (c.gradient_min_int_bits != 0) p.gradient_rule.min_int_bits = c.gradient_min_int_bits;
    else p.gradient_rule.min_int_bits = p.gradient.int_bits();  // the start format (gradient_int_bits)
  }
  return p;
}

}  // namespace

const char* to_string(NoiseKind k) {
  switch (k) {
    case NoiseKind::kGaussian: return "gaussian";
    case NoiseKind::kOrnsteinUhlenbeck: return "ou";
    case NoiseKind::kNone: return "none";
  }
  return "?";
}

void TrainConfig::validate() const {
  const auto names = envs::registered_names();
  if (std::find(names.begin(), names.end(), task) == names.end())
    throw std::invalid_argument(
        fmt::format("config: run.task = '{}' is not a known task; valid: {}", task, fmt::join(names, ", ")));
  Require(algorithm == "ddpg" || algorithm == "td3", "run.algorithm", algorithm, "ddpg, td3");
  Require(td3_target_noise >= 0 && td3_noise_clip >= 0, "ddpg.td3_target_noise/td3_noise_clip", td3_target_noise, ">= 0");
  Require(td3_policy_delay >= 1, "ddpg.td3_policy_delay", td3_policy_delay, ">= 1");
  Require(total_steps > 0, "run.total_steps", total_steps, "> 0");
  Require(eval_every > 0, "run.eval_every", eval_every, "> 0");
  Require(eval_episodes > 0 && eval_episodes <= 1000, "run.eval_episodes", eval_episodes, "1..1000");
  Require(log_every > 0 && eval_every % log_every == 0, "run.log_every", log_every,
          "> 0 and a divisor of run.eval_every");
  Require(checkpoint_every > 0, "run.checkpoint_every", checkpoint_every, "> 0");
  Require(threads >= 0 && threads <= 256, "run.threads", threads, "0 (all cores) .. 256");
  Require(!hidden.empty(), "ddpg.hidden", "[]", "at least one hidden layer");
  for (int h : hidden) Require(h >= 1 && h <= 65536, "ddpg.hidden", h, "sizes 1..65536");
  Require(batch_size >= 1 && batch_size <= 65536, "ddpg.batch_size", batch_size, "1..65536");
  Require(gamma >= 0 && gamma <= 1, "ddpg.gamma", gamma, "[0, 1]");
  Require(tau > 0 && tau <= 1, "ddpg.tau", tau, "(0, 1]");
  Require(buffer_size >= batch_size && buffer_size <= kMaxBufferSize, "ddpg.buffer_size", buffer_size,
          fmt::format(">= ddpg.batch_size and <= {}", kMaxBufferSize).c_str());
  Require(warmup_steps >= 0, "ddpg.warmup_steps", warmup_steps, ">= 0");
  Require(noise_sigma >= 0, "ddpg.noise_sigma", noise_sigma, ">= 0");
  Require(ou_theta >= 0 && ou_sigma >= 0, "ddpg.ou_theta/ou_sigma", ou_theta, ">= 0");
  Require(qat_delay >= 0, "precision.qat_delay", qat_delay, ">= 0 timesteps");
  Require(qat_activation_bits >= 2 && qat_activation_bits <= 32, "precision.qat_activation_bits",
          qat_activation_bits, "2..32");
  Require(qat_range_headroom_bits >= 0 && qat_range_headroom_bits <= 8, "precision.qat_range_headroom_bits",
          qat_range_headroom_bits, "0..8");
  Require(gradient_int_bits == 0 || (gradient_int_bits >= 2 && gradient_int_bits <= 16), "precision.gradient_int_bits",
          gradient_int_bits, "0 (the policy's own) or 2..16");
  Require(gradient_format == "dynamic" || gradient_format == "fixed", "precision.gradient_format", gradient_format,
          "dynamic, fixed");
  Require(gradient_interval >= 1 && gradient_interval <= 100'000'000, "precision.gradient_interval", gradient_interval,
          "1..100000000 updates");
  Require(gradient_headroom_bits >= 0 && gradient_headroom_bits <= 8, "precision.gradient_headroom_bits",
          gradient_headroom_bits, "0..8");
  Require(gradient_min_int_bits >= -32 && gradient_min_int_bits <= 24, "precision.gradient_min_int_bits",
          gradient_min_int_bits, "0 (the start format's integer bits) or -32..24");
  ActorAdam().validate("config: ddpg.actor_lr");
  CriticAdam().validate("config: ddpg.critic_lr");
  for (const auto& [key, name] : {std::pair{"precision.actor", actor_precision}, {"precision.critic", critic_precision}}) {
    try {
      Policy(*this, name).validate(key);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("config: {}: {}", key, e.what()));
    }
  }
}

nn::PrecisionPolicy TrainConfig::ActorPolicy() const { return Policy(*this, actor_precision); }
nn::PrecisionPolicy TrainConfig::CriticPolicy() const { return Policy(*this, critic_precision); }
nn::AdamConfig TrainConfig::ActorAdam() const {
  nn::AdamConfig a;
  a.lr = actor_lr;
  return a;
}
nn::AdamConfig TrainConfig::CriticAdam() const {
  nn::AdamConfig a;
  a.lr = critic_lr;
  return a;
}

std::string TrainConfig::RunName() const {
  std::string precision = actor_precision;
  if (critic_precision != actor_precision) precision += "-" + critic_precision;
  return fmt::format("{}_{}_{}_s{}", task, algorithm, precision, seed);
}

std::string TrainConfig::ToToml() const {
  std::string out = "# Resolved FIXAR training configuration (load with --config).\n";
  std::string section;
  for (const auto& [name, key] : Keys()) {
    const auto dot = name.find('.');
    const std::string s = name.substr(0, dot);
    if (s != section) {
      out += fmt::format("\n[{}]\n", s);
      section = s;
    }
    out += fmt::format("{} = {}\n", name.substr(dot + 1), key.show(*this));
  }
  return out;
}

std::vector<std::string> DifferingKeys(const TrainConfig& a, const TrainConfig& b) {
  std::vector<std::string> out;
  for (const auto& [name, key] : Keys()) {
    const std::string va = key.show(a), vb = key.show(b);
    if (va != vb) out.push_back(fmt::format("{}: {} -> {}", name, va, vb));
  }
  return out;
}

TrainConfig ParseTrainConfig(std::string_view text, const std::string& source) {
  TrainConfig c;
  const toml::table root = config::ParseToml(text, source);
  config::RejectUnknownTables(root, source, {"run", "ddpg", "precision"});
  for (const auto& [section, node] : root)
    for (const auto& [key, value] : *node.as_table())
      SetKey(c, std::string(section.str()) + "." + std::string(key.str()), value, source);
  return c;
}

TrainConfig LoadTrainConfig(const std::string& path) {
  if (path.empty()) return TrainConfig{};
  return ParseTrainConfig(config::ReadTextFile(path, "config file"), path);
}

void ApplyOverride(TrainConfig& c, const std::string& assignment) {
  const config::Override o = config::ParseOverride(assignment);
  SetKey(c, o.key, o.value(), config::kOverrideSource);
}

}  // namespace fixar::rl
