// `mpirun -np N fixar autoq ...`: rank 0 runs the search agents; ranks 1 .. N-1 measure
// candidate assignments (quantize, fine-tune, validate) for it (docs/scale-out.md).
// Built only with FIXAR_WITH_MPI.
//
//   rank 0   MpiCandidateEvaluator: a batch of candidates is a queue; the next candidate
//            goes to whichever worker is free (optionally rank 0 measures one itself when
//            no worker is free), results are put back in candidate order.
//   rank > 0 ServeCandidates: waits for rank 0's go, builds its own copy of the target,
//            then measures what it is sent until rank 0 says stop.
//
// A candidate's accuracy is a function of its bits (candidate_evaluator.h), so the search
// is the same as the single-process one whichever rank measured what. A worker's failure
// (an exception while building the target or measuring) is sent to rank 0, which lets the
// candidates in flight finish and throws with the worker's message; the workers are then
// told to stop, so the run ends with the message instead of hanging.
//
// Waiting is done by polling with sleeps that grow to 1 ms, not MPI's busy wait, so idle
// ranks leave the cores to the ones measuring (oversubscribed runs, e.g. -np 3 on 2 cores).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "autoq/candidate_evaluator.h"

namespace fixar::autoq::mpi {

#ifdef FIXAR_WITH_MPI

// MPI_Init / MPI_Finalize. On rank 0 the destructor also releases the workers: it tells
// them to stop, or, when rank 0 failed before starting them, not to start.
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  std::string host() const { return host_; }
  // Rank 0: let the workers build their targets (call once rank 0 has built its own, so a
  // model it trains and saves is there for them to load).
  void StartWorkers();
  // Rank 0: tell every worker to stop serving (after StartWorkers; idempotent).
  void StopWorkers();

 private:
  int rank_ = 0, size_ = 1;
  std::string host_;
  bool started_ = false, stopped_ = false;
};

class MpiCandidateEvaluator final : public CandidateEvaluator {
 public:
  // Rank 0. Starts the workers. rank0_measures: rank 0 measures a candidate on `target`
  // itself whenever none of the workers is free.
  MpiCandidateEvaluator(Session& session, QuantTarget& target, bool rank0_measures);
  std::vector<Measurement> Measure(std::span<const Bits> candidates) override;
  int concurrency() const override { return session_.size() - 1 + (rank0_measures_ ? 1 : 0); }
  std::string describe() const override;

 private:
  Session& session_;
  QuantTarget& target_;
  bool rank0_measures_;
};

// Ranks > 0: waits for rank 0's go (returns if rank 0 ended first), builds the target with
// make_target, measures candidates until told to stop. Exceptions from make_target or
// QuantTarget::Accuracy go to rank 0; this returns normally after the stop.
void ServeCandidates(Session& session, const std::function<std::unique_ptr<QuantTarget>()>& make_target);

#endif  // FIXAR_WITH_MPI

}  // namespace fixar::autoq::mpi
