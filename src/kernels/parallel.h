// A small persistent thread pool for the kernels and the layers above them.
//
// Workers spin briefly before sleeping, so that the short parallel sections of
// single-sample inference (a few microseconds) do not pay a wake-up each time.
// The calling thread takes part in the work. Nested calls run serially.
#pragma once

#include <cstdint>
#include <functional>

namespace fixar::kern {

// Threads used by ParallelFor; defaults to the hardware's cores or FIXAR_THREADS.
int NumThreads();
void SetNumThreads(int n);  // 1..256; throws std::invalid_argument otherwise

// Calls fn(task) for task in [0, num_tasks), spread over the threads, and returns when
// all are done. Task t always runs the same work whatever the thread count, so a
// deterministic result only needs the tasks themselves to be deterministic.
void ParallelFor(int num_tasks, const std::function<void(int task)>& fn);

// Splits [0, n) into `parts` contiguous blocks as even as possible, aligned to `align`.
struct Range {
  int begin, end;
};
Range BlockRange(int n, int parts, int part, int align = 1);

}  // namespace fixar::kern
