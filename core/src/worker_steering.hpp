// The registry of worker threads that steer_workers_off_this_cpu() (parallel.hpp) steers.
#pragma once

#include <memory>

#include <tbb/task_arena.h>
#include <tbb/task_scheduler_observer.h>

namespace hotloop {

// An observer that records every worker thread entering `arena`; keep it alive as long as the
// arena, and destroy it first.
std::unique_ptr<tbb::task_scheduler_observer> make_worker_registry(tbb::task_arena& arena);

}  // namespace hotloop
