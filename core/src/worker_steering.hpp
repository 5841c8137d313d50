// The engine's worker threads, as WorkerSteering (hotloop/parallel.hpp) needs to know them.
#pragma once

#include <memory>

#include <tbb/task_arena.h>
#include <tbb/task_scheduler_observer.h>

namespace hotloop {

// An observer that records every worker thread entering `arena`; keep it alive as long as the
// arena, and destroy it first.
std::unique_ptr<tbb::task_scheduler_observer> make_worker_registry(tbb::task_arena& arena);

}  // namespace hotloop
