// Throughput of the matrix-product kernels on the DDPG layer shapes, in GMAC/s
// (multiply-accumulates per second of wall time, counter "GMAC/s"), for every kernel,
// layout, available SIMD path and 1 or 2 threads. float32 runs in the same binary so
// the int16 : float32 ratio can be read off directly.
//
// Names: gemm/<kernel>/<layout>/<path>/batch:<B>/out:<N>/in:<K>/threads:<T>, where the
// layer maps `in` inputs to `out` outputs for a batch of B:
//   kNT forward      C[B×out] = X[B×in] · W[out×in]ᵀ
//   kNN input grad   C[B×in]  = dY[B×out] · W[out×in]
//   kTN weight grad  C[out×in] = dY[B×out]ᵀ · X[B×in]
// Every variant does B·out·in MACs. Example:
//   bench_kernels --benchmark_filter='gemm/(i16|f32)/kNT/avx512_vnni/batch:(64|256|512)/out:300/in:400'
// Kernels: i16, f32, i16xi32, i32 (all |x| <= 1024), and at training magnitudes
// g32xi16full (int32 ±2^20 × int16 ±32767), g32xw32 (both int32 ±2^20), i16fullxw32.
// An "actor" benchmark times one single-sample forward pass of the 17-400-300-6 actor.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/parallel.h"

namespace fixar::kern {
namespace {

struct Layer {
  int out, in;
};
const Layer kLayers[] = {{400, 23}, {300, 400}, {6, 300}, {1, 300}};
const int kBatches[] = {1, 64, 256, 512};

// limit 0: |x| <= 1024: int16 sums over K = 400 fit int32 (the narrow path, as in
// training with activations and weights scaled to use about 11 bits). Otherwise |x| <=
// limit, e.g. full-range int16 activations after the QAT switch (32767) and 24-fraction-bit
// gradients (2^20), which exercise the int16-piece products of 32-bit operands.
template <typename T>
std::vector<T> Random(std::size_t n, std::uint64_t seed, std::int64_t limit = 0) {
  std::mt19937_64 rng(seed);
  std::vector<T> v(n);
  if constexpr (std::is_floating_point_v<T>) {
    std::uniform_real_distribution<T> d(-1, 1);
    for (auto& x : v) x = d(rng);
  } else {
    const std::int64_t l = limit == 0 ? 1024 : limit;
    std::uniform_int_distribution<std::int64_t> d(-l, l);
    for (auto& x : v) x = static_cast<T>(d(rng));
  }
  return v;
}

template <typename TA, typename TB, typename TC>
GemmArgs<TA, TB, TC> MakeArgs(Layout layout, int batch, Layer l, const std::vector<TA>& a,
                              const std::vector<TB>& b, std::vector<TC>& c) {
  GemmArgs<TA, TB, TC> g;
  g.layout = layout;
  switch (layout) {
    case Layout::kNT: g.M = batch, g.N = l.out, g.K = l.in, g.lda = l.in, g.ldb = l.in; break;
    case Layout::kNN: g.M = batch, g.N = l.in, g.K = l.out, g.lda = l.out, g.ldb = l.in; break;
    case Layout::kTN: g.M = l.out, g.N = l.in, g.K = batch, g.lda = l.out, g.ldb = l.in; break;
  }
  g.ldc = g.N;
  g.A = a.data();
  g.B = b.data();
  g.C = c.data();
  return g;
}

template <typename TA, typename TB, typename TC>
void BenchGemm(benchmark::State& state, Layout layout, Path path, int batch, Layer l, int threads,
               std::int64_t a_limit = 0, std::int64_t b_limit = 0) {
  ForcePath(path);
  SetNumThreads(threads);
  const std::size_t a_size = static_cast<std::size_t>(batch) * (l.in > l.out ? l.in : l.out);
  const auto a = Random<TA>(a_size, 1, a_limit);
  const auto b = Random<TB>(static_cast<std::size_t>(l.out) * l.in + static_cast<std::size_t>(batch) * l.in, 2, b_limit);
  std::vector<TC> c(static_cast<std::size_t>(batch) * l.in + static_cast<std::size_t>(l.out) * l.in + batch * l.out);
  const auto g = MakeArgs<TA, TB, TC>(layout, batch, l, a, b, c);
  const std::vector<std::int64_t> bias(g.N, 123);
  const std::vector<float> fbias(g.N, 0.5f);
  OutputStage stage;
  stage.acc_frac_bits = 24;
  stage.out = num::Signed(8 * sizeof(TC), 12);
  stage.bias = bias.data();
  for (auto _ : state) {
    if constexpr (std::is_same_v<TA, float>) {
      GemmF32(g, FloatStage{fbias.data(), true});
    } else {
      benchmark::DoNotOptimize(Gemm(g, stage));
    }
    benchmark::ClobberMemory();
  }
  const double macs = static_cast<double>(batch) * l.out * l.in;
  state.counters["GMAC/s"] =
      benchmark::Counter(macs * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

// One single-sample forward pass of the DDPG actor (17 -> 400 -> 300 -> 6), int16.
void BenchActorForward(benchmark::State& state, Path path, int threads) {
  ForcePath(path);
  SetNumThreads(threads);
  const int sizes[] = {17, 400, 300, 6};
  std::vector<std::vector<std::int16_t>> w, act(4);
  std::vector<std::vector<std::int64_t>> bias;
  for (int l = 0; l < 3; ++l) {
    w.push_back(Random<std::int16_t>(static_cast<std::size_t>(sizes[l]) * sizes[l + 1], 10 + l));
    bias.emplace_back(sizes[l + 1], 7);
  }
  for (int l = 0; l < 4; ++l) act[l] = Random<std::int16_t>(sizes[l], 20 + l);
  for (auto _ : state) {
    for (int l = 0; l < 3; ++l) {
      GemmArgs<std::int16_t, std::int16_t, std::int16_t> g;
      g.M = 1, g.N = sizes[l + 1], g.K = sizes[l];
      g.A = act[l].data(), g.lda = g.K;
      g.B = w[l].data(), g.ldb = g.K;
      g.C = act[l + 1].data(), g.ldc = g.N;
      g.split = Split::kCols;
      OutputStage stage;
      stage.acc_frac_bits = 24;
      stage.out = num::Signed(16, 12);
      stage.bias = bias[l].data();
      stage.relu = l < 2;
      benchmark::DoNotOptimize(Gemm(g, stage));
    }
    benchmark::ClobberMemory();
  }
}

void RegisterAll() {
  const char* layout_names[] = {"kNT", "kNN", "kTN"};
  for (Path path : AvailablePaths()) {
    if (path == Path::kReference) continue;  // the scalar reference is for tests
    for (int threads : {1, 2}) {
      benchmark::RegisterBenchmark(
          (std::string("actor_forward_batch1/i16/") + to_string(path) + "/threads:" + std::to_string(threads)).c_str(),
          [=](benchmark::State& s) { BenchActorForward(s, path, threads); })
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
    }
    for (int li = 0; li < 3; ++li) {
      const Layout layout = static_cast<Layout>(li);
      for (const Layer& l : kLayers) {
        for (int batch : kBatches) {
          for (int threads : {1, 2}) {
            const std::string suffix = std::string("/") + layout_names[li] + "/" + to_string(path) +
                                       "/batch:" + std::to_string(batch) + "/out:" + std::to_string(l.out) +
                                       "/in:" + std::to_string(l.in) + "/threads:" + std::to_string(threads);
            auto reg = [&](const char* kernel, auto fn) {
              benchmark::RegisterBenchmark((std::string("gemm/") + kernel + suffix).c_str(), fn)
                  ->Unit(benchmark::kMicrosecond)
                  ->UseRealTime();
            };
            reg("i16", [=](benchmark::State& s) {
              BenchGemm<std::int16_t, std::int16_t, std::int16_t>(s, layout, path, batch, l, threads);
            });
            reg("f32", [=](benchmark::State& s) { BenchGemm<float, float, float>(s, layout, path, batch, l, threads); });
            // FIXAR's PE: 16-bit activations x 32-bit weights, and the 32-bit mode.
            reg("i16xi32", [=](benchmark::State& s) {
              BenchGemm<std::int16_t, std::int32_t, std::int32_t>(s, layout, path, batch, l, threads);
            });
            reg("i32", [=](benchmark::State& s) {
              BenchGemm<std::int32_t, std::int32_t, std::int32_t>(s, layout, path, batch, l, threads);
            });
            // Training magnitudes: int32 gradients (±2^20) times full-range int16
            // activations / weights (w16a16, fixar backward), and times int32 weights.
            reg("g32xi16full", [=](benchmark::State& s) {
              BenchGemm<std::int32_t, std::int16_t, std::int32_t>(s, layout, path, batch, l, threads,
                                                                   std::int64_t{1} << 20, 32767);
            });
            reg("g32xw32", [=](benchmark::State& s) {
              BenchGemm<std::int32_t, std::int32_t, std::int32_t>(s, layout, path, batch, l, threads,
                                                                   std::int64_t{1} << 20, std::int64_t{1} << 20);
            });
            reg("i16fullxw32", [=](benchmark::State& s) {
              BenchGemm<std::int16_t, std::int32_t, std::int32_t>(s, layout, path, batch, l, threads, 32767,
                                                                   std::int64_t{1} << 20);
            });
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace fixar::kern

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  fixar::kern::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
