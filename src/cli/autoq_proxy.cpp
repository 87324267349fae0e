// `fixar autoq-proxy`: which short measurement ranks bit assignments as the long one does?
// Random assignments in a cost band, each measured with every proxy setting (fine-tune
// steps × subset × validation images) and with the final measurement; Spearman's ρ per
// setting and the cheapest with ρ >= threshold (src/autoq/proxy_study.h, docs/autoq.md).
#include <iostream>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "accel/reram/config.h"
#include "autoq/proxy_study.h"
#include "autoq/run.h"
#include "cli/checks.h"
#include "cli/command.h"

namespace fixar::cli {
namespace {

struct ProxyArgs {
  std::string config_file, out_dir = "results/autoq/proxy_study", checkpoint, steps = "0,10,25,50", subsets = "4096",
              validation = "1000,2500,5000", cost_band = "0.25,0.55";
  int assignments = 24, batch = 64;
  std::uint64_t seed = 7;
  double threshold = 0.9;
  bool quiet = false;
};

std::vector<int> IntList(const std::string& text, const char* flag, long lo, long hi) {
  std::vector<int> out;
  for (const auto& item : SplitCommaList(text)) out.push_back(static_cast<int>(ParseListInteger(item, flag, lo, hi)));
  if (out.empty()) throw std::invalid_argument(fmt::format("{} '{}' is an empty list", flag, text));
  return out;
}

const CommandRegistrar kAutoqProxy(
    "autoq-proxy",
    "Rank correlation of short search measurements with the final one (which proxy can the search trust?)",
    [](CLI::App& app) -> std::function<int()> {
      auto a = std::make_shared<ProxyArgs>();
      app.add_option("-c,--config", a->config_file, "autoq TOML config (configs/autoq/*.toml, cnn target)")->required();
      app.add_option("-o,--out", a->out_dir, "results directory (a rerun resumes from its proxy_study.csv)")
          ->capture_default_str();
      app.add_option("--checkpoint", a->checkpoint, "trained model (overrides the config's)");
      IntegerIn(app.add_option("--assignments", a->assignments, "random assignments measured"), 3, 100000)
          ->capture_default_str();
      app.add_option("--seed", a->seed, "seed of the draw")->capture_default_str();
      app.add_option("--cost-band", a->cost_band, "MIN,MAX: cost band (fraction of 8/8 in the config's metric)")
          ->capture_default_str();
      app.add_option("--steps", a->steps, "comma list: fine-tune steps of the proxies")->capture_default_str();
      app.add_option("--subsets", a->subsets, "comma list: fine-tune subsets (images; 0 = all)")->capture_default_str();
      app.add_option("--validation-images", a->validation, "comma list: validation images (0 = all)")
          ->capture_default_str();
      IntegerIn(app.add_option("--batch", a->batch, "fine-tune batch of the proxies"), 1, 65536)->capture_default_str();
      app.add_option("--threshold", a->threshold, "a proxy qualifies with Spearman rho >= this")->capture_default_str();
      app.add_flag("-q,--quiet", a->quiet, "no progress lines");
      return [a]() -> int {
        autoq::RunConfig c = autoq::RunConfig::Load(a->config_file);
        if (!a->checkpoint.empty()) c.checkpoint = a->checkpoint;
        if (c.target != "cnn")
          throw std::invalid_argument(fmt::format(
              "{}: [target] kind = '{}'; valid here: cnn (the synthetic target has no fine-tune to shorten)",
              a->config_file, c.target));
        c.Validate();
        autoq::ProxyStudyOptions o;
        o.assignments = a->assignments;
        o.seed = a->seed;
        o.metric = c.metric;
        o.candidates = c.search.env.candidates;
        o.threshold = a->threshold;
        const auto band = SplitCommaList(a->cost_band);
        if (band.size() != 2)
          throw std::invalid_argument(fmt::format("--cost-band '{}' is not MIN,MAX", a->cost_band));
        o.cost_min = ParseListReal(band[0], "--cost-band");
        o.cost_max = ParseListReal(band[1], "--cost-band");
        for (int steps : IntList(a->steps, "--steps", 0, 1000000))
          for (int subset : IntList(a->subsets, "--subsets", 0, 100000000))
            for (int val : IntList(a->validation, "--validation-images", 0, c.validation_size))
              o.proxies.push_back({.steps = steps, .subset = subset, .batch = a->batch, .validation_images = val});
        o.Validate();
        CheckOutputDirectory("--out", a->out_dir);

        const bool quiet = a->quiet;
        auto progress = [quiet](const std::string& line) {
          if (!quiet) std::cerr << line << "\n";
        };
        const reram::CostModel cost_model(c.reram_config.empty() ? reram::ReramConfig::Isaac()
                                                                 : reram::load_reram_config(c.reram_config));
        bool first = true;
        auto make_target = [&](const autoq::ProxySetting& p) {
          autoq::RunConfig pc = c;
          pc.search_finetune_steps = p.steps;
          pc.search_finetune_subset = p.subset;
          pc.search_finetune_batch = p.batch;
          pc.search_validation_images = p.validation_images;
          auto t = autoq::MakeRunTarget(pc, a->out_dir, first ? progress : std::function<void(const std::string&)>{});
          first = false;
          return t;
        };
        const autoq::ProxyStudyResult r = autoq::RunProxyStudy(make_target, cost_model, o, a->out_dir, progress);
        std::cout << fmt::format("chosen: {}\nreport: {}/proxy_study.md\n",
                                 r.chosen >= 0 ? o.proxies[static_cast<std::size_t>(r.chosen)].Name() : "none",
                                 a->out_dir);
        return 0;
      };
    });

}  // namespace
}  // namespace fixar::cli
