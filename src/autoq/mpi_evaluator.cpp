// The MPI evaluator: rank 0's dynamic queue and the workers' loop (mpi_evaluator.h).
//
// Messages (all on MPI_COMM_WORLD, rank 0 <-> one worker):
//   kGo      0 -> w  int: 1 build the target and serve, 0 rank 0 ended before starting
//   kJob     0 -> w  int[1 + 2L]: the candidate's index in its batch, then w0, a0, w1, a1, ...
//   kStop    0 -> w  int: serve no more
//   kResult  w -> 0  double[3]: index, accuracy, seconds
//   kFailure w -> 0  char[]: "index\nmessage"
#include "autoq/mpi_evaluator.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace fixar::autoq::mpi {
namespace {

enum Tag : int { kGo = 1, kJob = 2, kStop = 3, kResult = 4, kFailure = 5 };

// Waits for a message without MPI's busy polling: probe, sleep 20 µs, 40 µs, ... up to
// 1 ms between probes. Idle ranks then cost nearly no CPU.
MPI_Status WaitFor(int source, int tag) {
  MPI_Status status;
  int flag = 0;
  auto pause = std::chrono::microseconds(20);
  for (;;) {
    MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, &status);
    if (flag) return status;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(1000));
  }
}

void SendInt(int value, int dest, int tag) { MPI_Send(&value, 1, MPI_INT, dest, tag, MPI_COMM_WORLD); }

int ReceiveInt(const MPI_Status& probed) {
  int value = 0;
  MPI_Recv(&value, 1, MPI_INT, probed.MPI_SOURCE, probed.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return value;
}

}  // namespace

// ---------------------------------------------------------------- Session

Session::Session() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) MPI_Init(nullptr, nullptr);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  char name[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  MPI_Get_processor_name(name, &length);
  host_.assign(name, static_cast<std::size_t>(length));
}

Session::~Session() {
  if (rank_ == 0) {
    if (!started_) {
      for (int w = 1; w < size_; ++w) SendInt(0, w, kGo);  // rank 0 failed early: workers end
    } else {
      StopWorkers();
    }
  }
  MPI_Finalize();
}

void Session::StartWorkers() {
  if (rank_ != 0 || started_) return;
  for (int w = 1; w < size_; ++w) SendInt(1, w, kGo);
  started_ = true;
}

void Session::StopWorkers() {
  if (rank_ != 0 || !started_ || stopped_) return;
  for (int w = 1; w < size_; ++w) SendInt(0, w, kStop);
  stopped_ = true;
}

// ---------------------------------------------------------------- rank 0

MpiCandidateEvaluator::MpiCandidateEvaluator(Session& session, QuantTarget& target, bool rank0_measures)
    : session_(session), target_(target), rank0_measures_(rank0_measures) {
  if (session.rank() != 0)
    throw std::logic_error(fmt::format("MpiCandidateEvaluator on rank {}; valid: rank 0 only", session.rank()));
  if (session.size() < 2)
    throw std::logic_error("MpiCandidateEvaluator with 1 rank: nobody to send candidates to; use the serial evaluator");
  session_.StartWorkers();
}

std::string MpiCandidateEvaluator::describe() const {
  return fmt::format("MPI: {} worker rank{}{}", session_.size() - 1, session_.size() > 2 ? "s" : "",
                     rank0_measures_ ? " + rank 0 when no worker is free" : "");
}

std::vector<Measurement> MpiCandidateEvaluator::Measure(std::span<const Bits> candidates) {
  const int n = static_cast<int>(candidates.size());
  std::vector<Measurement> out(candidates.size());
  std::vector<int> idle;  // free workers; rank 1 is handed out first
  for (int w = session_.size() - 1; w >= 1; --w) idle.push_back(w);
  int next = 0, in_flight = 0;
  std::string failure;  // the first failure; no new candidate is sent after it

  // Receives one result or failure (blocking when `wait`); false when none was there.
  auto receive = [&](bool wait) {
    MPI_Status st;
    if (wait) {
      st = WaitFor(MPI_ANY_SOURCE, MPI_ANY_TAG);
    } else {
      int flag = 0;
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
      if (!flag) return false;
    }
    if (st.MPI_TAG == kResult) {
      double r[3];
      MPI_Recv(r, 3, MPI_DOUBLE, st.MPI_SOURCE, kResult, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      const int index = static_cast<int>(r[0]);
      if (index < 0 || index >= n)
        throw std::logic_error(fmt::format("MPI: rank {} returned candidate {} of a batch of {}", st.MPI_SOURCE,
                                           index, n));
      out[index] = {r[1], r[2]};
    } else if (st.MPI_TAG == kFailure) {
      int length = 0;
      MPI_Get_count(&st, MPI_CHAR, &length);
      std::string text(static_cast<std::size_t>(length), '\0');
      MPI_Recv(text.data(), length, MPI_CHAR, st.MPI_SOURCE, kFailure, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      const std::size_t eol = text.find('\n');
      if (failure.empty()) failure = eol == std::string::npos ? text : text.substr(eol + 1);
    } else {
      throw std::logic_error(fmt::format("MPI: unexpected message (tag {}) from rank {}", st.MPI_TAG, st.MPI_SOURCE));
    }
    idle.push_back(st.MPI_SOURCE);
    --in_flight;
    return true;
  };

  for (;;) {
    while (failure.empty() && next < n && !idle.empty()) {  // the next candidate to a free worker
      std::vector<int> job{next};
      for (const auto& b : candidates[next]) job.insert(job.end(), {b.weight_bits, b.activation_bits});
      MPI_Send(job.data(), static_cast<int>(job.size()), MPI_INT, idle.back(), kJob, MPI_COMM_WORLD);
      idle.pop_back();
      ++next;
      ++in_flight;
    }
    if (failure.empty() && next < n && rank0_measures_) {
      if (receive(false)) continue;  // a worker came free: it gets the candidate
      const auto t0 = std::chrono::steady_clock::now();
      try {
        out[next].accuracy = target_.Accuracy(candidates[next]);
      } catch (const std::exception& e) {
        failure = fmt::format("rank 0 ({}) failed measuring {}: {}", session_.host(), FormatBits(candidates[next]),
                              e.what());
      }
      out[next].seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ++next;
      continue;
    }
    if (in_flight == 0) break;  // all measured, or a failure and nothing left in flight
    receive(true);
  }
  if (!failure.empty()) throw std::runtime_error("MPI evaluation: " + failure);
  return out;
}

// ---------------------------------------------------------------- workers

void ServeCandidates(Session& session, const std::function<std::unique_ptr<QuantTarget>()>& make_target) {
  if (session.rank() == 0) throw std::logic_error("ServeCandidates on rank 0; valid: ranks 1 .. size - 1");
  if (ReceiveInt(WaitFor(0, kGo)) == 0) return;
  std::unique_ptr<QuantTarget> target;
  std::string build_error;
  try {
    target = make_target();
  } catch (const std::exception& e) {
    build_error = e.what();  // reported with the first candidate, to rank 0
  }
  for (;;) {
    const MPI_Status st = WaitFor(0, MPI_ANY_TAG);
    if (st.MPI_TAG == kStop) {
      ReceiveInt(st);
      return;
    }
    int count = 0;
    MPI_Get_count(&st, MPI_INT, &count);
    std::vector<int> job(static_cast<std::size_t>(std::max(count, 1)));
    MPI_Recv(job.data(), count, MPI_INT, 0, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (st.MPI_TAG != kJob) continue;  // not ours to answer (kGo twice cannot happen)
    Bits bits;
    for (int i = 1; i + 1 < count; i += 2) bits.push_back({job[i], job[i + 1]});
    try {
      if (!target)
        throw std::runtime_error(fmt::format("could not build the target: {}", build_error));
      if (bits.size() != target->layers().size())
        throw std::runtime_error(fmt::format("{} bit pairs for the {} weight layers of {} here (do all ranks run the "
                                             "same command and config?)",
                                             bits.size(), target->layers().size(), target->name()));
      const auto t0 = std::chrono::steady_clock::now();
      const double accuracy = target->Accuracy(bits);
      const double r[3] = {static_cast<double>(job[0]), accuracy,
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
      MPI_Send(r, 3, MPI_DOUBLE, 0, kResult, MPI_COMM_WORLD);
    } catch (const std::exception& e) {
      const std::string text = fmt::format("{}\nrank {} ({}) failed measuring {}: {}", job[0], session.rank(),
                                           session.host(), FormatBits(bits), e.what());
      MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, kFailure, MPI_COMM_WORLD);
    }
  }
}

}  // namespace fixar::autoq::mpi
