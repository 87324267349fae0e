// Reading an autoq run's TOML config (RunConfig::Load, Parse) and checking it (Validate).
#include <cmath>
#include <set>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "autoq/run.h"
#include "config/section.h"

namespace fixar::autoq {

RunConfig RunConfig::Load(const std::filesystem::path& path) {
  return Parse(config::ReadTextFile(path.string(), "autoq config"), path.string());
}

RunConfig RunConfig::Parse(std::string_view text, const std::string& file) {
  const toml::table root = config::ParseToml(text, file);
  RunConfig c;
  config::RejectUnknownTables(root, file, {"target", "search", "reward", "ppo", "ddpg", "sensitivity"});

  config::Section t(root["target"].as_table(), file, "target");
  t.Value("kind", c.target);
  t.Value("network", c.network);
  t.Value("model_config", c.model_config);
  t.Value("checkpoint", c.checkpoint);
  t.Value("data_dir", c.data_dir);
  t.Value("validation_size", c.validation_size);
  t.Value("search_validation_images", c.search_validation_images);
  t.Value("search_finetune_steps", c.search_finetune_steps);
  t.Value("search_finetune_subset", c.search_finetune_subset);
  t.Value("search_finetune_batch", c.search_finetune_batch);
  t.Value("final_finetune_steps", c.final_finetune_steps);
  t.Value("final_finetune_batch", c.final_finetune_batch);
  t.Value("finetune_lr", c.finetune_lr);
  t.RejectUnknown();

  config::Section s(root["search"].as_table(), file, "search");
  s.Value("budget", c.budget);
  std::string metric = to_string(c.metric);
  s.Value("metric", metric);
  c.metric = ParseCostMetric(metric, file + ": [search] metric");
  s.Value("reram_config", c.reram_config);
  std::vector<std::string> agents;
  s.List("agents", agents);
  if (!agents.empty()) {
    c.agents.clear();
    for (const auto& a : agents) c.agents.push_back(ParseAgent(a, file + ": [search] agents"));
  }
  s.List("seeds", c.seeds);
  s.Value("episodes", c.search.episodes);
  s.List("candidates", c.search.env.candidates);
  s.Value("random_matches_ppo", c.random_matches_ppo);
  s.Value("final_finetune", c.final_finetune);
  s.RejectUnknown();

  config::Section r(root["reward"].as_table(), file, "reward");
  r.Value("accuracy_scale", c.search.env.reward.accuracy_scale);
  r.Value("over_budget_penalty", c.search.env.reward.over_budget_penalty);
  r.Value("overshoot_scale", c.search.env.reward.overshoot_scale);
  r.RejectUnknown();

  rl::PpoConfig& p = c.search.ppo;
  config::Section pr(root["ppo"].as_table(), file, "ppo");
  pr.Value("episodes_per_update", c.search.ppo_episodes_per_update);
  pr.Value("learning_rate", p.learning_rate);
  pr.Value("anneal_lr", p.anneal_lr);
  pr.Value("gamma", p.gamma);
  pr.Value("gae_lambda", p.gae_lambda);
  pr.Value("num_minibatches", p.num_minibatches);
  pr.Value("update_epochs", p.update_epochs);
  pr.Value("clip_coef", p.clip_coef);
  pr.Value("clip_vloss", p.clip_vloss);
  pr.Value("ent_coef", p.ent_coef);
  pr.Value("vf_coef", p.vf_coef);
  pr.Value("max_grad_norm", p.max_grad_norm);
  pr.List("hidden", p.hidden);
  pr.RejectUnknown();

  HaqSearchConfig& d = c.search.ddpg;
  config::Section dr(root["ddpg"].as_table(), file, "ddpg");
  dr.List("hidden", d.hidden);
  dr.Value("actor_lr", d.actor_lr);
  dr.Value("critic_lr", d.critic_lr);
  dr.Value("batch", d.batch);
  dr.Value("tau", d.tau);
  dr.Value("noise_sigma", d.noise_sigma);
  dr.Value("noise_decay", d.noise_decay);
  dr.Value("warmup_episodes", d.warmup_episodes);
  dr.Value("replay_episodes", d.replay_episodes);
  dr.Value("keep_first_last", d.keep_first_last);
  dr.RejectUnknown();

  config::Section sr(root["sensitivity"].as_table(), file, "sensitivity");
  sr.Value("reference_bits", c.search.sensitivity.reference_bits);
  sr.Value("keep_first_last", c.search.sensitivity.keep_first_last);
  sr.RejectUnknown();
  c.Validate();
  return c;
}

void RunConfig::Validate() const {
  if (target != "synthetic" && target != "cnn")
    throw std::invalid_argument(fmt::format("target '{}' is unknown; valid: synthetic, cnn", target));
  if (!(budget > 0 && budget <= 1))
    throw std::invalid_argument(fmt::format("budget {} is invalid; valid: (0, 1] of the uniform 8/8 cost", budget));
  if (agents.empty())
    throw std::invalid_argument("agents: the list is empty; valid: ppo, ddpg, random, uniform, sensitivity");
  if (seeds.empty()) throw std::invalid_argument("seeds: the list is empty");
  if (search_validation_images < 0 || search_validation_images > validation_size)
    throw std::invalid_argument(fmt::format(
        "search_validation_images = {} is invalid; valid: 0 (all) .. validation_size ({})", search_validation_images,
        validation_size));
  if (search_finetune_steps < 0 || final_finetune_steps < 0)
    throw std::invalid_argument(fmt::format("fine-tune steps {} / {} are invalid; valid: >= 0", search_finetune_steps,
                                            final_finetune_steps));
  search.validate();
  search.ppo.validate();
}

}  // namespace fixar::autoq
