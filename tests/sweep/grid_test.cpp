// Grid files: expansion into runs, their names and order, the train command lines, and a
// clear error for every kind of bad input.
#include "sweep/grid.h"

#include <gtest/gtest.h>

#include <cctype>
#include <stdexcept>
#include <string>

#include "test_util.h"

namespace fixar::sweep {
namespace {

using testing::InDirectory;
using testing::PendulumGrid;
using testing::ScratchDir;
using testing::WriteFile;

std::vector<std::string> Names(const Grid& g) {
  std::vector<std::string> n;
  for (const auto& r : g.runs) n.push_back(r.name);
  return n;
}

TEST(Grid, ExpandsTasksPrecisionsSeedsInOrderThenExtraBlocks) {
  const Grid g = ParseGrid(R"([sweep]
name = "c"
config = "base.toml"
tasks = ["HalfCheetah", "Hopper"]
precisions = ["float32", "fixar"]
seeds = [0, 1]
steps = 1000
threads = 2
set = ["ddpg.batch_size=64"]
[[sweep.extra]]
tasks = ["HalfCheetah"]
precisions = ["fixed16"]
seeds = [5]
label = "rtn"
[[sweep.extra]]
precisions = ["fixed16"]
set = ["precision.rounding=stochastic"]
label = "sr"
)",
                           "c.toml");
  EXPECT_EQ(g.name, "c");
  EXPECT_EQ(g.config, "base.toml");
  EXPECT_EQ(g.steps, 1000);
  EXPECT_EQ(g.threads, 2);
  const std::vector<std::string> want = {
      "HalfCheetah_float32_s0",     "HalfCheetah_float32_s1",    "HalfCheetah_fixar_s0", "HalfCheetah_fixar_s1",
      "Hopper_float32_s0",          "Hopper_float32_s1",         "Hopper_fixar_s0",      "Hopper_fixar_s1",
      "HalfCheetah_fixed16_rtn_s5",  // extra: its own tasks, precisions, seeds; the grid's set
      "HalfCheetah_fixed16_sr_s0",  "HalfCheetah_fixed16_sr_s1",  // extra: the grid's tasks and seeds
      "Hopper_fixed16_sr_s0",       "Hopper_fixed16_sr_s1"};
  EXPECT_EQ(Names(g), want);
  for (std::size_t i = 0; i < g.runs.size(); ++i) EXPECT_EQ(g.runs[i].index, static_cast<int>(i));
  EXPECT_EQ(g.runs[0].overrides, std::vector<std::string>{"ddpg.batch_size=64"});
  EXPECT_EQ(g.runs[0].origin, "sweep");
  EXPECT_EQ(g.runs[8].overrides, std::vector<std::string>{"ddpg.batch_size=64"});
  EXPECT_EQ(g.runs[8].origin, "sweep.extra[0]");
  EXPECT_EQ(g.runs[8].seed, 5u);
  // An extra block's set replaces the grid's.
  EXPECT_EQ(g.runs[9].overrides, std::vector<std::string>{"precision.rounding=stochastic"});
  EXPECT_EQ(g.runs[9].label, "sr");
}

TEST(Grid, NamesAreStableAcrossParses) {
  const std::string text = PendulumGrid();
  EXPECT_EQ(Names(ParseGrid(text, "a.toml")), Names(ParseGrid(text, "b.toml")));
  EXPECT_EQ(Names(ParseGrid(text, "a.toml")), (std::vector<std::string>{"Pendulum_float32_s0", "Pendulum_float32_s1",
                                                                        "Pendulum_fixar_s0", "Pendulum_fixar_s1"}));
  EXPECT_EQ(ParseGrid(text, "a.toml").threads, 1);  // the default
}

TEST(Grid, TrainArgsForFreshAndResumedRuns) {
  const Grid g = ParseGrid(PendulumGrid(R"(threads = 3
set = ["ddpg.warmup_steps=500", "precision.qat_delay=1000"])"),
                           "g.toml");
  const RunSpec& r = g.runs[3];
  EXPECT_EQ(RunArgs(g, r, "base.toml", "/s/runs/Pendulum_fixar_s1", false),
            (std::vector<std::string>{"train",
                                      "--config",
                                      "base.toml",
                                      "--task",
                                      "Pendulum",
                                      "--precision",
                                      "fixar",
                                      "--seed",
                                      "1",
                                      "--steps",
                                      "2000",
                                      "--threads",
                                      "3",
                                      "--set",
                                      "ddpg.warmup_steps=500",
                                      "--set",
                                      "precision.qat_delay=1000",
                                      "--no-progress",
                                      "--run-dir",
                                      "/s/runs/Pendulum_fixar_s1"}));
  EXPECT_EQ(RunArgs(g, r, "base.toml", "/s/runs/Pendulum_fixar_s1", true),
            (std::vector<std::string>{"train", "--resume", "/s/runs/Pendulum_fixar_s1", "--steps", "2000", "--threads",
                                      "3", "--no-progress"}));
}

TEST(Grid, DifferencesNameWhatChanged) {
  const Grid a = ParseGrid(PendulumGrid(), "a.toml");
  EXPECT_TRUE(GridDifferences(a, ParseGrid("# a comment\n" + PendulumGrid(), "b.toml")).empty());
  const auto d = GridDifferences(a, ParseGrid(PendulumGrid("", "4000"), "b.toml"));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0], "sweep.steps: 2000 before, 4000 now");
  const auto more =
      GridDifferences(a, ParseGrid(PendulumGrid("[[sweep.extra]]\nseeds = [7]\nlabel = \"x\""), "b.toml"));
  ASSERT_EQ(more.size(), 2u);
  EXPECT_EQ(more[0], "run 4 (Pendulum_float32_x_s7) added");
  const auto set = GridDifferences(a, ParseGrid(PendulumGrid("set = [\"ddpg.batch_size=32\"]"), "b.toml"));
  ASSERT_FALSE(set.empty());
  EXPECT_NE(set[0].find("set [] before, [ddpg.batch_size=32] now"), std::string::npos) << set[0];
}

std::string AutoqGrid(const std::string& extra = "") {
  return R"([sweep]
name = "aq"
kind = "autoq"
config = "configs/autoq/synthetic_vgg_small.toml"
agents = ["ppo+random", "ddpg"]
budgets = [0.34, 0.5]
metrics = ["energy"]
seeds = [1, 2]
episodes = 600
)" + extra;
}

TEST(Grid, AutoqGridsExpandMetricBudgetSeedAgentWithAgentFastest) {
  const Grid g = ParseGrid(AutoqGrid(R"(
[[sweep.extra]]
agents = ["uniform", "sensitivity"]
budgets = [0.34]
seeds = [1]
metrics = ["latency"]
label = "det"
)"),
                           "aq.toml");
  EXPECT_EQ(g.kind, GridKind::kAutoq);
  EXPECT_EQ(g.steps, 600);
  EXPECT_EQ(Names(g), (std::vector<std::string>{
                          "ppo-random_energy_b0.34_s1", "ddpg_energy_b0.34_s1", "ppo-random_energy_b0.34_s2",
                          "ddpg_energy_b0.34_s2", "ppo-random_energy_b0.5_s1", "ddpg_energy_b0.5_s1",
                          "ppo-random_energy_b0.5_s2", "ddpg_energy_b0.5_s2", "uniform_latency_b0.34_det_s1",
                          "sensitivity_latency_b0.34_det_s1"}));
  EXPECT_EQ(g.runs[0].agents, "ppo,random");
  EXPECT_EQ(RunArgs(g, g.runs[4], "base.toml", "/s/runs/x", true),  // a search has no checkpoint: never resumed
            (std::vector<std::string>{"autoq", "--config", "base.toml", "--agent", "ppo,random", "--seeds", "1",
                                      "--budget", "0.5", "--metric", "energy", "--episodes", "600", "--threads", "1",
                                      "--out", "/s/runs/x"}));
}

TEST(Grid, AutoqGridsRefuseTrainKeysAndBadValuesNamingThem) {
  auto message = [](const std::string& text) {
    try {
      ParseGrid(text, "aq.toml");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message(AutoqGrid("steps = 5\n")).find("sweep.steps = 5: unknown key; valid keys in [sweep]"),
            std::string::npos);
  std::string t = AutoqGrid();
  EXPECT_NE(message(t.replace(t.find("\"ddpg\""), 6, "\"dqn\"")).find("sweep.agents[1] = 'dqn': unknown agent"),
            std::string::npos)
      << message(t);
  t = AutoqGrid();
  EXPECT_NE(message(t.replace(t.find("0.5]"), 3, "1.5")).find("(0, 1]"), std::string::npos) << message(t);
  t = AutoqGrid();
  EXPECT_NE(message(t.replace(t.find("\"energy\""), 8, "\"power\"")).find("latency"), std::string::npos);
  t = AutoqGrid();
  EXPECT_NE(message(t.replace(t.find("kind = \"autoq\""), 14, "kind = \"gym\"")).find("sweep.kind"),
            std::string::npos);
}

struct BadGrid {
  const char* what;
  std::string text;
  std::string message;  // a part of the error
};
void PrintTo(const BadGrid& b, std::ostream* os) { *os << b.what; }

class BadGrids : public ::testing::TestWithParam<BadGrid> {};

TEST_P(BadGrids, FailWithAMessageNamingFileKeyValueAndWhatIsValid) {
  const BadGrid& b = GetParam();
  try {
    ParseGrid(b.text, "bad.toml");
    FAIL() << b.what << ": accepted";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("bad.toml", 0), 0u) << b.what << ": " << msg;
    EXPECT_NE(msg.find(b.message), std::string::npos) << b.what << ": " << msg;
  }
}

const std::string kHead = "[sweep]\nname = \"n\"\nconfig = \"c.toml\"\n";
const std::string kCells = "tasks = [\"Pendulum\"]\nprecisions = [\"fixar\"]\nseeds = [0]\n";

INSTANTIATE_TEST_SUITE_P(
    Grid, BadGrids,
    ::testing::Values(
        BadGrid{"malformed", "[sweep\n", "not valid TOML"},
        BadGrid{"no sweep table", "x = 1\n", "x = 1: unknown table; valid tables: sweep"},
        BadGrid{"empty file", "", "missing the [sweep] table"},
        BadGrid{"unknown key", kHead + kCells + "steps = 10\ntaks = [\"Hopper\"]\n",
                "bad.toml: sweep.taks = [ 'Hopper' ]: unknown key; valid keys in [sweep]: config, extra, kind, name, "
                "precisions, seeds, set, steps, tasks, threads"},
        BadGrid{"missing steps", kHead + kCells, "bad.toml: sweep.steps: missing (steps per run)"},
        BadGrid{"empty tasks", kHead + "tasks = []\nprecisions = [\"fixar\"]\nseeds = [0]\nsteps = 10\n",
                "bad.toml: sweep.tasks = []: empty; valid: a non-empty array of names"},
        BadGrid{"empty seeds", kHead + "tasks = [\"P\"]\nprecisions = [\"fixar\"]\nseeds = []\nsteps = 10\n",
                "sweep.seeds = []: empty; valid: a non-empty array of integers >= 0"},
        BadGrid{"zero steps", kHead + kCells + "steps = 0\n", "sweep.steps = 0: out of range; valid: an integer >= 1"},
        BadGrid{"negative steps", kHead + kCells + "steps = -5\n", "sweep.steps = -5: out of range"},
        BadGrid{"string steps", kHead + kCells + "steps = \"1000\"\n",
                "sweep.steps = '1000': expected an integer >= 1, got a string"},
        BadGrid{"zero threads", kHead + kCells + "steps = 10\nthreads = 0\n",
                "sweep.threads = 0: out of range; valid: an integer in [1, 256]"},
        BadGrid{"negative seed", kHead + "tasks = [\"P\"]\nprecisions = [\"f\"]\nseeds = [1, -1]\nsteps = 10\n",
                "sweep.seeds[1] = -1: out of range; valid: an integer >= 0"},
        BadGrid{"task not a string", kHead + "tasks = [3]\nprecisions = [\"f\"]\nseeds = [1]\nsteps = 10\n",
                "sweep.tasks[0] = 3: expected a string"},
        BadGrid{"slash in a task", kHead + "tasks = [\"a/b\"]\nprecisions = [\"f\"]\nseeds = [1]\nsteps = 10\n",
                "sweep.tasks[0] = 'a/b': not a name; valid: letters, digits"},
        BadGrid{"repeated seed", kHead + "tasks = [\"P\"]\nprecisions = [\"f\"]\nseeds = [1, 1]\nsteps = 10\n",
                "run name 'P_f_s1' comes twice: from sweep and from sweep"},
        BadGrid{"extra repeats the grid", kHead + kCells + "steps = 10\n[[sweep.extra]]\nseeds = [0]\n",
                "run name 'Pendulum_fixar_s0' comes twice: from sweep and from sweep.extra[0]"},
        BadGrid{"extra unknown key", kHead + kCells + "steps = 10\n[[sweep.extra]]\nlable = \"x\"\n",
                "sweep.extra[0].lable = 'x': unknown key; valid keys in [sweep.extra[0]]: label, precisions, seeds, "
                "set, tasks"},
        BadGrid{"extra empty precisions", kHead + kCells + "steps = 10\n[[sweep.extra]]\nprecisions = []\n",
                "sweep.extra[0].precisions = []: empty; valid: a non-empty array of names"},
        BadGrid{"label with a space", kHead + kCells + "steps = 10\n[[sweep.extra]]\nlabel = \"my label\"\n",
                "sweep.extra[0].label = 'my label': not a name; valid: letters, digits"},
        BadGrid{"override of a grid key", kHead + kCells + "steps = 10\nset = [\"run.seed=3\"]\n",
                "sweep.set[0] = 'run.seed=3': the grid sets run.seed itself; valid: overrides of other keys; use "
                "sweep.seeds"},
        BadGrid{"override without =", kHead + kCells + "steps = 10\nset = [\"batch_size\"]\n",
                "sweep.set[0] = 'batch_size': not an override; valid: 'section.key=value' strings"},
        BadGrid{"extra not a table", kHead + kCells + "steps = 10\nextra = 3\n",
                "sweep.extra = 3: expected an array of tables; valid: [[sweep.extra]] blocks"}),
    [](const ::testing::TestParamInfo<BadGrid>& info) {  // "extra repeats the grid" -> extra_repeats_the_grid
      std::string name = info.param.what;
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

// LoadGrid also resolves each run's training configuration the way `fixar train` does.
TEST(LoadGrid, ChecksEveryRunsConfiguration) {
  ScratchDir tmp;
  const auto load = [&](const std::string& text) {
    WriteFile(tmp.path() / "g.toml", text);
    return LoadGrid((tmp.path() / "g.toml").string());
  };
  EXPECT_EQ(load(PendulumGrid()).runs.size(), 4u);
  const auto expect_error = [&](const std::string& text, const std::string& part) {
    try {
      load(text);
      FAIL() << "accepted: " << text;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_error(PendulumGrid("[[sweep.extra]]\ntasks = [\"Cheetah\"]"),
               "run Cheetah_float32_s0 (from sweep.extra[0]): config: run.task = 'Cheetah' is not a known task");
  expect_error(PendulumGrid("set = [\"ddpg.batchsize=64\"]"), "run Pendulum_float32_s0 (from sweep): ");
  expect_error(PendulumGrid("set = [\"ddpg.batchsize=64\"]"), "ddpg.batchsize");
  expect_error(PendulumGrid("[[sweep.extra]]\nprecisions = [\"fixed8\"]"), "fixed8");
  expect_error("[sweep]\nname = \"n\"\nconfig = \"no/such.toml\"\n" + kCells + "steps = 10\n",
               "sweep.config = 'no/such.toml': does not exist (relative paths are taken from the current directory");
  try {
    LoadGrid((tmp.path() / "missing.toml").string());
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("missing.toml' cannot be read (missing or unreadable)"), std::string::npos)
        << e.what();
  }
}

TEST(LoadGrid, TheRepositorysGridsLoad) {
  const InDirectory in(FIXAR_SOURCE_DIR);
  const Grid qat = LoadGrid("configs/sweeps/qat_campaign.toml");
  EXPECT_EQ(qat.runs.size(), 3u * 2u * 3u + 2u + 2u);
  EXPECT_EQ(qat.steps, 1'000'000);
  // Seed by seed: seed 0 of the six float32/fixar runs, the two fixed16 variants, seed 1 …
  EXPECT_EQ(qat.runs[1].name, "HalfCheetah_fixar_s0");
  EXPECT_EQ(qat.runs[6].name, "HalfCheetah_fixed16_rtn_s0");
  EXPECT_TRUE(qat.runs[6].overrides.empty());
  EXPECT_EQ(qat.runs[15].name, "HalfCheetah_fixed16_sr_s1");
  EXPECT_EQ(qat.runs[15].overrides, std::vector<std::string>{"precision.rounding=stochastic"});
  EXPECT_EQ(qat.runs[21].name, "Swimmer_fixar_s2");
  const Grid smoke = LoadGrid("configs/sweeps/smoke.toml");
  EXPECT_EQ(Names(smoke), (std::vector<std::string>{"Pendulum_float32_s0", "Pendulum_float32_s1", "Pendulum_fixar_s0",
                                                    "Pendulum_fixar_s1"}));
}

}  // namespace
}  // namespace fixar::sweep
