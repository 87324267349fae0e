// Network-level throughput (Google Benchmark), the numbers behind docs/throughput.md.
//
//   ddpg_update/<precision>/batch:<B>        one DDPG update (critic fwd/bwd/Adam, actor
//                                            fwd/bwd/Adam, soft targets) of the 400-300
//                                            actor and critic on HalfCheetah's shapes
//                                            (17 -> 6), on a fixed random batch; counters
//                                            "learner_IPS" (B per update) and "GMAC/s".
//   actor_inference/<precision>              one single-sample actor forward (the action
//                                            inference of a timestep), in microseconds.
//   parallelism/<precision>/<mode>/batch:<B> actor forward at batch B under
//                                            Parallelism::kAuto / kIntraLayer / kIntraBatch:
//                                            kAuto must never lose to the better fixed mode.
// Precisions: float32, fixed32, fixar and w16a16 after the QAT switch, fixed16.
// Threads: FIXAR_THREADS (default all cores). Example:
//   bench_nn --benchmark_filter='ddpg_update/(float32|w16a16)/batch:(64|512)'
#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "nn/mlp.h"
#include "nn/precision.h"
#ifdef FIXAR_BENCH_WITH_RL
#include "rl/ddpg.h"
#include "rl/replay_buffer.h"
#endif

namespace fixar::nn {
namespace {

constexpr int kObs = 17, kAct = 6;
const std::vector<int> kHidden = {400, 300};

struct PrecisionCase {
  const char* label;
  const char* name;
  bool switch_qat;  // run past Algorithm 1's switch before timing
};
const PrecisionCase kPrecisions[] = {{"float32", "float32", false},
                                     {"fixed32", "fixed32", false},
                                     {"fixar_after_switch", "fixar", true},
                                     {"w16a16_after_switch", "w16a16", true},
                                     {"fixed16", "fixed16", false}};

std::vector<double> Uniform(std::size_t n, double lo, double hi, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Multiply-accumulates of one DDPG sample per update (as in `fixar bench ddpg`).
double MacsPerSample() {
  auto fc = [](int in, int out, double* first) {
    double total = 0;
    int prev = in;
    for (std::size_t i = 0; i <= kHidden.size(); ++i) {
      const int next = i < kHidden.size() ? kHidden[i] : out;
      total += static_cast<double>(prev) * next;
      if (i == 0) *first = static_cast<double>(prev) * next;
      prev = next;
    }
    return total;
  };
  double a1 = 0, c1 = 0;
  const double a = fc(kObs, kAct, &a1), c = fc(kObs + kAct, 1, &c1);
  return 4 * a - a1 + 6 * c - c1;
}

MlpSpec ActorSpec() {
  MlpSpec s;
  s.name = "actor";
  s.sizes = {kObs};
  s.sizes.insert(s.sizes.end(), kHidden.begin(), kHidden.end());
  s.sizes.push_back(kAct);
  s.output = Activation::kTanh;
  return s;
}

// An actor in `pc`'s precision, past the QAT switch when asked.
std::unique_ptr<Mlp> MakeActor(const PrecisionCase& pc) {
  auto actor = Mlp::Create(ActorSpec(), MakePrecision(pc.name, 0), 1);
  if (pc.switch_qat) {
    const auto x = Uniform(64 * kObs, -3, 3, 5);
    std::vector<double> y(64 * kAct);
    actor->Forward(x, 64, y);
    actor->SetTrainingStep(0);
    actor->Forward(x, 64, y);
  }
  return actor;
}

void ActorInference(benchmark::State& state, PrecisionCase pc) {
  auto actor = MakeActor(pc);
  const auto obs = Uniform(kObs, -3, 3, 9);
  std::vector<double> action(kAct);
  for (auto _ : state) {
    actor->Forward(obs, 1, action);
    benchmark::DoNotOptimize(action.data());
  }
}

void ActorForwardParallelism(benchmark::State& state, PrecisionCase pc, Parallelism mode, int batch) {
  auto actor = MakeActor(pc);
  actor->set_parallelism(mode);
  const auto obs = Uniform(static_cast<std::size_t>(batch) * kObs, -3, 3, 9);
  std::vector<double> action(static_cast<std::size_t>(batch) * kAct);
  for (auto _ : state) {
    actor->Forward(obs, batch, action);
    benchmark::DoNotOptimize(action.data());
  }
  state.counters["IPS"] = benchmark::Counter(static_cast<double>(batch) * state.iterations(),
                                             benchmark::Counter::kIsRate);
}

#ifdef FIXAR_BENCH_WITH_RL
void DdpgUpdate(benchmark::State& state, PrecisionCase pc, int batch) {
  rl::DdpgSpec spec;
  spec.obs_dim = kObs;
  spec.action_dim = kAct;
  spec.hidden = kHidden;
  spec.actor_policy = spec.critic_policy = MakePrecision(pc.name, 0);
  rl::Ddpg agent(spec);
  rl::Batch b;
  b.size = batch;
  b.obs = Uniform(static_cast<std::size_t>(batch) * kObs, -3, 3, 1);
  b.next_obs = Uniform(static_cast<std::size_t>(batch) * kObs, -3, 3, 2);
  b.action = Uniform(static_cast<std::size_t>(batch) * kAct, -1, 1, 3);
  b.reward = Uniform(batch, -1, 1, 4);
  b.not_terminated.assign(batch, 1.0);
  for (int i = 0; i < 3; ++i) agent.Update(b);  // record ranges, warm the buffers
  if (pc.switch_qat) {
    agent.SetTrainingStep(0);
    agent.Update(b);
  }
  for (auto _ : state) benchmark::DoNotOptimize(agent.Update(b));
  state.counters["learner_IPS"] = benchmark::Counter(static_cast<double>(batch) * state.iterations(),
                                                     benchmark::Counter::kIsRate);
  state.counters["GMAC/s"] = benchmark::Counter(MacsPerSample() * batch * state.iterations() * 1e-9,
                                                benchmark::Counter::kIsRate);
}
#endif

void RegisterAll() {
  for (const PrecisionCase& pc : kPrecisions) {
#ifdef FIXAR_BENCH_WITH_RL
    for (int batch : {64, 128, 256, 512}) {
      benchmark::RegisterBenchmark(
          (std::string("ddpg_update/") + pc.label + "/batch:" + std::to_string(batch)).c_str(),
          [=](benchmark::State& s) { DdpgUpdate(s, pc, batch); })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
#endif
    benchmark::RegisterBenchmark((std::string("actor_inference/") + pc.label).c_str(),
                                 [=](benchmark::State& s) { ActorInference(s, pc); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    for (int batch : {1, 64, 256}) {
      for (Parallelism mode : {Parallelism::kAuto, Parallelism::kIntraLayer, Parallelism::kIntraBatch}) {
        benchmark::RegisterBenchmark((std::string("parallelism/") + pc.label + "/" + to_string(mode) +
                                      "/batch:" + std::to_string(batch))
                                         .c_str(),
                                     [=](benchmark::State& s) { ActorForwardParallelism(s, pc, mode, batch); })
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
      }
    }
  }
}

}  // namespace
}  // namespace fixar::nn

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  fixar::nn::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
