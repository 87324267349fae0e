// Who measures the accuracy of candidate assignments: the search's Evaluator (search_env.h)
// prices, caches and records; it hands the assignments it must measure to a
// CandidateEvaluator as one batch and gets their accuracies back in the same order.
//
//   SerialCandidateEvaluator  QuantTarget::Accuracy of each candidate, in order, here;
//   MpiCandidateEvaluator     (mpi_evaluator.h, FIXAR_WITH_MPI) the candidates go to the
//                             other MPI ranks from a dynamic queue (docs/scale-out.md).
//
// QuantTarget::Accuracy is a function of the bits alone (no state carried from one call to
// the next, any fine-tune RNG seeded from fixed options), so which process measured a
// candidate, and in which order, does not change its accuracy.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "autoq/target.h"

namespace fixar::autoq {

struct Measurement {
  double accuracy = 0;  // fraction
  double seconds = 0;   // wall time of the measurement where it ran
};

class CandidateEvaluator {
 public:
  virtual ~CandidateEvaluator() = default;
  // The accuracy of each candidate, in the order given. Throws when a measurement fails
  // (the message names the candidate and, for MPI, the rank).
  virtual std::vector<Measurement> Measure(std::span<const Bits> candidates) = 0;
  // Candidates measured at the same time (1: one after another).
  virtual int concurrency() const = 0;
  virtual std::string describe() const = 0;  // e.g. "serial", "MPI: 2 worker ranks"
};

class SerialCandidateEvaluator final : public CandidateEvaluator {
 public:
  explicit SerialCandidateEvaluator(QuantTarget& target) : target_(target) {}
  std::vector<Measurement> Measure(std::span<const Bits> candidates) override;
  int concurrency() const override { return 1; }
  std::string describe() const override { return "serial"; }

 private:
  QuantTarget& target_;
};

namespace mpi {
// True when this process was started by an MPI launcher (mpirun / mpiexec, or srun with
// PMI), judged from the launchers' environment variables; *size: the job's rank count (1
// when the launcher does not say). Needs no MPI library, so builds without MPI use it too:
// to refuse a multi-rank launch they cannot serve.
bool LaunchedByMpi(int* size);
}  // namespace mpi

}  // namespace fixar::autoq
