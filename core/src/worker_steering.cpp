// Worker steering: lets woken workers start on idle CPUs (see parallel.hpp).
//
// Why: a region's caller wakes TBB's workers, and Linux often queues a woken worker on the
// caller's own CPU, busy with the region, although another CPU is idle; a worker that is still
// spinning can sit there too. Measured on this project's 2-vCPU virtual machines: after 50 ms
// idle the worker joined a 2 ms sum 1-3 ms late or never, so the "parallel" sum ran on one core;
// steered, it joins in ~0.1 ms. So for the length of a region the workers' CPUs are the caller's
// minus the caller's current CPU, and at its end they get their own CPUs back (unless someone
// else changed them meanwhile): threads that TBB shares with other libraries are never left
// confined. Workers become known by running part of a region. A caller allowed one CPU, or more
// than eight, is left alone, and so is a worker that starts a nested region.
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include "hotloop/parallel.hpp"

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace hotloop {
namespace {

#if defined(__linux__)
struct WorkerState {
    pid_t tid = 0;      // 0 once the thread is exiting (its tid may then name another thread)
    cpu_set_t own{};    // its CPUs before it was steered
    cpu_set_t given{};  // the CPUs steering gave it
    int kept_off = -1;  // the CPU it is kept off, or -1 when it has its own CPUs
};

// Guards every WorkerState and the registry. A thread marks itself exiting under it, so a
// steering that holds it may use a tid it finds alive.
std::mutex g_mutex;
std::vector<std::shared_ptr<WorkerState>> g_workers;

// This worker's state, registered the first time it runs part of a region.
struct Registration {
    std::shared_ptr<WorkerState> state;
    ~Registration() {
        if (!state) return;
        std::lock_guard<std::mutex> lock(g_mutex);
        state->tid = 0;
    }
};
thread_local Registration t_registration;

// With more CPUs, a woken worker finds an idle one anyway, and one late worker matters less
// than the system calls of steering all of them.
constexpr int kSteerUpToCpus = 8;

// HOTLOOP_STEER_WORKERS=0 turns steering off.
bool enabled() {
    static const bool on = [] {
        const char* env = std::getenv("HOTLOOP_STEER_WORKERS");
        return !(env && env[0] == '0' && env[1] == '\0');
    }();
    return on;
}

// Requires g_mutex. Gives a steered worker its own CPUs back, unless someone else has changed
// them meanwhile.
void give_back_cpus(WorkerState& w) noexcept {
    if (w.kept_off < 0) return;
    w.kept_off = -1;
    cpu_set_t now;
    if (sched_getaffinity(w.tid, sizeof now, &now) == 0 && CPU_EQUAL(&now, &w.given))
        sched_setaffinity(w.tid, sizeof w.own, &w.own);
}
#endif

}  // namespace

void note_worker_thread() noexcept {
#if defined(__linux__)
    if (t_registration.state || !enabled()) return;
    try {
        auto state = std::make_shared<WorkerState>();
        state->tid = static_cast<pid_t>(syscall(SYS_gettid));
        std::lock_guard<std::mutex> lock(g_mutex);
        g_workers.push_back(state);
        t_registration.state = std::move(state);
    } catch (...) {  // not registered: this worker is simply never steered
    }
#endif
}

void steer_workers_off_this_cpu() noexcept {
#if defined(__linux__)
    // A worker starting a nested region would steer itself off its own CPU: leave it be.
    if (!enabled() || t_registration.state) return;
    const int cpu = sched_getcpu();
    if (cpu < 0 || cpu >= CPU_SETSIZE) return;
    try {
        std::lock_guard<std::mutex> lock(g_mutex);
        bool have_mask = false;
        cpu_set_t others;
        for (std::size_t i = 0; i < g_workers.size();) {
            WorkerState& w = *g_workers[i];
            if (w.tid == 0) {  // exited: forget it
                g_workers[i] = std::move(g_workers.back());
                g_workers.pop_back();
                continue;
            }
            ++i;
            if (w.kept_off == cpu) continue;  // another region from this CPU steered it already
            if (!have_mask) {
                CPU_ZERO(&others);
                if (pthread_getaffinity_np(pthread_self(), sizeof others, &others) != 0 ||
                    !CPU_ISSET(cpu, &others) || CPU_COUNT(&others) < 2 ||
                    CPU_COUNT(&others) > kSteerUpToCpus)
                    return;
                CPU_CLR(cpu, &others);
                have_mask = true;
            }
            // Save its CPUs only when it has its own: a worker steered off another CPU keeps
            // the CPUs it had before any steering.
            if (w.kept_off < 0 && sched_getaffinity(w.tid, sizeof w.own, &w.own) != 0) continue;
            if (sched_setaffinity(w.tid, sizeof others, &others) == 0) {
                w.given = others;
                w.kept_off = cpu;
            }
        }
    } catch (...) {  // std::mutex failing: leave the workers as they are
    }
#endif
}

void release_steered_workers() noexcept {
#if defined(__linux__)
    if (!enabled() || t_registration.state) return;
    try {
        std::lock_guard<std::mutex> lock(g_mutex);
        for (const auto& w : g_workers)
            if (w->tid != 0) give_back_cpus(*w);
    } catch (...) {
    }
#endif
}

}  // namespace hotloop
