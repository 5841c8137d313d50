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
    CHECK(num_threads() == 3);
    CHECK(kind_of([] { set_num_threads(0); }) == ErrorKind::InvalidArgument);
    CHECK(num_threads() == 3);

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

