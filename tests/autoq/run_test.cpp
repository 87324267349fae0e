// The `fixar autoq` run (what the CLI calls) end to end on the synthetic target.
#include "autoq/run.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace fixar::autoq {
namespace {

int CountLines(const std::filesystem::path& p) {
  std::ifstream in(p);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

TEST(RunAutoq, AllAgentsThreeEpisodesWriteResults) {
  RunConfig c;
  c.agents = {Agent::kPpo, Agent::kDdpg, Agent::kRandom, Agent::kUniform};
  c.search.episodes = 3;
  c.search.ddpg.hidden = {32, 32};
  c.seeds = {1, 2};
  const std::filesystem::path out = std::filesystem::temp_directory_path() / "fixar_autoq_run_test";
  std::filesystem::remove_all(out);
  const RunOutcome r = RunAutoq(c, out, {});
  ASSERT_EQ(r.searches.size(), 8u);
  for (const char* f : {"evaluations.csv", "summary.json", "report.md", "ppo_log.csv"})
    EXPECT_TRUE(std::filesystem::exists(out / f)) << f;
  int rows = 0;
  for (const FinishedSearch& s : r.searches) rows += s.result.agent == Agent::kRandom ? s.result.episodes : 0;
  EXPECT_GT(CountLines(out / "evaluations.csv"), 1 + rows);
  std::ifstream md(out / "report.md");
  const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  for (const char* agent : {"| ppo |", "| ddpg |", "| random |", "| uniform |"})
    EXPECT_NE(text.find(agent), std::string::npos) << agent;
}

// A run stopped midway keeps what it finished: SearchAll hands the outcome so far to its
// caller after every search (RunAutoq writes the results directory there), in run order.
TEST(RunAutoq, EveryFinishedSearchReachesTheCallerAtOnce) {
  RunConfig c;
  c.agents = {Agent::kRandom, Agent::kPpo};
  c.search.episodes = 3;
  c.seeds = {1, 2};
  const std::filesystem::path out = std::filesystem::temp_directory_path() / "fixar_autoq_partial_test";
  std::filesystem::remove_all(out);
  std::vector<std::size_t> seen;
  std::vector<Agent> last_agent;
  const RunOutcome r = SearchAll(c, out, {}, {}, [&](const RunOutcome& so_far) {
    seen.push_back(so_far.searches.size());
    last_agent.push_back(so_far.searches.back().result.agent);
  });
  EXPECT_EQ(seen, (std::vector<std::size_t>{1, 2, 3, 4}));
  EXPECT_EQ(last_agent, (std::vector<Agent>{Agent::kPpo, Agent::kPpo, Agent::kRandom, Agent::kRandom}));
  EXPECT_EQ(r.searches.size(), 4u);
}

TEST(RunConfig, LoadsTomlAndRejectsUnknownKeys) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  std::ofstream(dir / "autoq_ok.toml") << "[search]\nbudget = 0.4\nmetric = \"latency\"\nagents = [\"ppo\", \"uniform\"]\n"
                                          "[ppo]\nlearning_rate = 0.0005\n";
  const RunConfig c = RunConfig::Load(dir / "autoq_ok.toml");
  EXPECT_DOUBLE_EQ(c.budget, 0.4);
  EXPECT_EQ(c.metric, CostMetric::kLatency);
  EXPECT_EQ(c.agents.size(), 2u);
  EXPECT_DOUBLE_EQ(c.search.ppo.learning_rate, 5e-4);
  std::ofstream(dir / "autoq_bad.toml") << "[search]\nbudgett = 0.4\n";
  try {
    RunConfig::Load(dir / "autoq_bad.toml");
    FAIL() << "unknown key accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("budgett"), std::string::npos) << e.what();
  }
}

// The run config binds through the config binder: one message naming file, key, value and what is valid.
TEST(RunConfig, ErrorsHaveTheBindersFormat) {
  const auto error = [](const std::string& text) {
    try {
      RunConfig::Parse(text, "a.toml");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error("[search]\nseeds = [1, -1]\n"),
            "a.toml: search.seeds[1] = -1: out of range; valid: an integer >= 0");
  EXPECT_EQ(error("[search]\nbudget = \"half\"\n"), "a.toml: search.budget = 'half': expected a finite number, got a string");
  EXPECT_EQ(error("[ppo]\ngamma = nan\n"), "a.toml: ppo.gamma = nan: not a finite number; valid: a finite number");
  EXPECT_EQ(error("[target]\nvalidation_size = 4294967296\n"),
            "a.toml: target.validation_size = 4294967296: out of range; valid: an integer in [-2147483648, 2147483647]");
  EXPECT_EQ(error("[searches]\n").rfind("a.toml: searches = (a table): unknown table; valid tables: target, search", 0), 0u);
  EXPECT_EQ(error("[search]\nbudgett = 0.4\n").rfind("a.toml: search.budgett = 0.4: unknown key; valid keys in [search]: ", 0), 0u);
}

TEST(RunConfig, SearchValidationImagesIsAPrefixOfTheValidationSplit) {
  const RunConfig c = RunConfig::Parse("[target]\nkind = \"cnn\"\nsearch_validation_images = 2500\n", "a.toml");
  EXPECT_EQ(c.search_validation_images, 2500);
  for (const char* bad : {"search_validation_images = 6000", "search_validation_images = -1",
                          "validation_size = 1000\nsearch_validation_images = 2500"}) {
    try {
      RunConfig::Parse(std::string("[target]\n") + bad + "\n", "b.toml");
      FAIL() << bad << ": accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("search_validation_images"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace fixar::autoq
