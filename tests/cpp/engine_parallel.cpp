// Engine tests: parallel regions, the thread count and controls (filter: engine_filter.cpp;
// scalar functions: engine_scalar.cpp).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "hotloop/parallel.hpp"
#include "hotloop/reduce.hpp"

#include "engine_util.hpp"

using namespace hotloop;
using hotloop::test::ThreadCountGuard;
using hotloop::test::kind_of;

namespace {


}  // namespace

#if defined(__linux__)
namespace {
// Number of this process's threads whose CPUs differ from `cpus`.
int threads_with_other_cpus(const cpu_set_t& cpus) {
    int differ = 0;
    DIR* dir = opendir("/proc/self/task");
    REQUIRE(dir != nullptr);
    while (dirent* entry = readdir(dir)) {
        const int tid = std::atoi(entry->d_name);
        cpu_set_t mask;
        if (tid > 0 && sched_getaffinity(tid, sizeof mask, &mask) == 0 && !CPU_EQUAL(&mask, &cpus))
            ++differ;
    }
    closedir(dir);
    return differ;
}
}  // namespace

TEST_CASE("parallel regions leave every thread's CPUs alone", "[parallel]") {
    // TBB's workers are shared with every other TBB user in the process: the engine never
    // changes their affinity, during a region or after it. Whichever threads run the blocks
    // (how many do is up to the scheduler), each sees the CPUs the process started with.
    cpu_set_t all;
    REQUIRE(pthread_getaffinity_np(pthread_self(), sizeof all, &all) == 0);
    ThreadCountGuard guard;
    set_num_threads(2);
    std::atomic<int> blocks{0}, other_cpus{0}, failed_calls{0};
    for (int region = 0; region < 5; ++region) {
        parallel_blocks(64, [&](std::size_t) {
            // No Catch2 assertion here: they are not thread-safe (make tsan reports them).
            cpu_set_t mine;
            if (sched_getaffinity(0, sizeof mine, &mine) != 0) ++failed_calls;
            ++blocks;
            if (!CPU_EQUAL(&mine, &all)) ++other_cpus;
        });
    }
    CHECK(failed_calls == 0);
    CHECK(blocks == 5 * 64);
    CHECK(other_cpus == 0);
    CHECK(threads_with_other_cpus(all) == 0);
}
#endif

TEST_CASE("thread count and controls", "[parallel]") {
    ThreadCountGuard guard;
    set_num_threads(3);
    CHECK(get_num_threads() == 3);
    CHECK(kind_of([] { set_num_threads(0); }) == ErrorKind::InvalidArgument);
    CHECK(get_num_threads() == 3);

    Control ctl;
    std::vector<int64_t> v(1 << 20, 1);
    CHECK(sum_int(contiguous_view(v.data(), v.size(), DType::Int64), &ctl) == (1 << 20));
    CHECK(ctl.done() == ctl.total());
    CHECK(ctl.total() == 16);
    Control cancelled;
    cancelled.cancel();
    CHECK(kind_of([&] { sum_int(contiguous_view(v.data(), v.size(), DType::Int64), &cancelled); }) ==
          ErrorKind::Cancelled);
}


#if defined(__linux__) && !defined(HOTLOOP_TSAN)
TEST_CASE("a child forked during a parallel region runs parallel work serially, never hangs",
          "[parallel]") {
    // The region's blocks wait until the fork is done, so the child is surely forked mid-region:
    // its copy of the pool waits for workers that exist only in the parent.
    ThreadCountGuard guard;
    set_num_threads(2);
    std::atomic<bool> started{false}, forked{false};
    std::thread worker([&] {
        parallel_blocks(4, [&](std::size_t) {
            started = true;
            while (!forked) std::this_thread::yield();
        });
    });
    while (!started) std::this_thread::yield();
    const pid_t pid = fork();
    if (pid == 0) {
        alarm(30);  // a hang ends the child with SIGALRM: the test fails instead of hanging
        int code = 0;  // no Catch2 here (a failure would run the other tests in the child)
        // It refused with ErrorKind::Internal: the blocks now all run, on this thread.
        const std::thread::id self = std::this_thread::get_id();
        std::size_t ran = 0, elsewhere = 0;
        try {
            parallel_blocks(64, [&](std::size_t) {
                ++ran;  // one thread: no race
                elsewhere += std::this_thread::get_id() != self;
            });
            Control cancelled;  // and a cancel still stops them
            cancelled.cancel();
            try {
                parallel_blocks(64, [](std::size_t) {}, &cancelled);
                code = 4;
            } catch (const Error& e) {
                if (e.kind() != ErrorKind::Cancelled) code = 5;
            }
        } catch (...) {
            code = 2;
        }
        if (code == 0 && (ran != 64 || elsewhere != 0)) code = 3;
        _exit(code);
    }
    forked = true;
    worker.join();
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    std::atomic<int> blocks{0};  // the parent's pool is unaffected
    parallel_blocks(8, [&](std::size_t) { ++blocks; });
    CHECK(blocks == 8);
}
#endif
