#include "hotloop/parallel.hpp"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include <pthread.h>

#include <tbb/global_control.h>
#include <tbb/info.h>

namespace hotloop {
namespace {

std::mutex g_mutex;
std::shared_ptr<tbb::task_arena> g_arena;  // created on first use
int g_num_threads = 0;                     // 0 until the first use
std::atomic<long> g_regions{0};           // parallel regions in flight (ParallelRegion)
std::atomic<bool> g_forked_mid_region{false};

// fork() takes g_mutex first, so that no thread holds it at the fork: a child forked while
// another thread was in set_num_threads or get_num_threads (or replacing the arena) waited for
// it for ever at its next call (25 children of 300 forked beside a loop of set_num_threads).
void on_fork_prepare() { g_mutex.lock(); }
void on_fork_parent() { g_mutex.unlock(); }
// In the child of fork(): the regions that were running have no workers here.
void on_fork_child() {
    g_mutex.unlock();  // held by the thread that forked, which is this one
    if (g_regions.load(std::memory_order_relaxed) > 0)
        g_forked_mid_region.store(true, std::memory_order_relaxed);
}
[[maybe_unused]] const int g_atfork =
    pthread_atfork(&on_fork_prepare, &on_fork_parent, &on_fork_child);

// HOTLOOP_NUM_THREADS if it holds an integer in 1 .. kMaxThreads, else the machine's concurrency.
int default_num_threads() {
    if (const char* env = std::getenv("HOTLOOP_NUM_THREADS")) {
        char* end = nullptr;
        errno = 0;
        const long n = std::strtol(env, &end, 10);
        if (errno == 0 && end != env && *end == '\0' && n >= 1 && n <= kMaxThreads)
            return static_cast<int>(n);
    }
    const int n = tbb::info::default_concurrency();
    return n >= 1 ? n : 1;
}

// An arena for n threads. oneTBB never runs more threads than its process-wide limit (the CPUs
// this process may use, or a global_control the application set), and an arena asking for more
// makes it print a warning on stderr: the arena asks for at most the limit. get_num_threads()
// still reports n, as set.
std::shared_ptr<tbb::task_arena> arena_for(int n) {
    const std::size_t limit =
        tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
    return std::make_shared<tbb::task_arena>(
        limit >= 1 && limit < static_cast<std::size_t>(n) ? static_cast<int>(limit) : n);
}

// Requires g_mutex.
void ensure_initialised() {
    if (g_num_threads != 0) return;
    g_num_threads = default_num_threads();
    g_arena = arena_for(g_num_threads);
}

}  // namespace

void set_num_threads(int n) {
    if (n < 1 || n > kMaxThreads)
        fail(ErrorKind::InvalidArgument, "number of threads must be in 1 .. " +
                                             std::to_string(kMaxThreads) + ", got " +
                                             std::to_string(n));
    std::lock_guard<std::mutex> lock(g_mutex);
    ensure_initialised();
    if (n != g_num_threads) {
        // Work in flight keeps the old arena alive through its own shared_ptr.
        g_arena = arena_for(n);
        g_num_threads = n;
    }
}

int get_num_threads() {
    std::lock_guard<std::mutex> lock(g_mutex);
    ensure_initialised();
    return g_num_threads;
}

bool forked_mid_region() noexcept { return g_forked_mid_region.load(std::memory_order_relaxed); }

ParallelRegion::ParallelRegion() noexcept { g_regions.fetch_add(1, std::memory_order_relaxed); }
ParallelRegion::~ParallelRegion() { g_regions.fetch_sub(1, std::memory_order_relaxed); }

std::shared_ptr<tbb::task_arena> current_arena() {
    if (g_forked_mid_region.load(std::memory_order_relaxed))
        fail(ErrorKind::Internal,
             "this process was forked while another thread ran hotloop parallel work, so its "
             "thread pool cannot run here (its workers exist only in the parent): fork before "
             "or between hotloop calls, or use multiprocessing's 'spawn' or 'forkserver' start "
             "method");
    std::lock_guard<std::mutex> lock(g_mutex);
    ensure_initialised();
    return g_arena;
}

}  // namespace hotloop
