// Engine tests: filter, threads, control, scalar functions (sums: engine_reduce.cpp; statistics:
// engine_stats.cpp; DataProcessor: engine_processor.cpp).
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

#include "hotloop/filter.hpp"
#include "hotloop/parallel.hpp"
#include "hotloop/reduce.hpp"
#include "hotloop/scalar.hpp"

using namespace hotloop;

namespace {

// Restores the thread count a test changed.
struct ThreadCountGuard {
    int saved = num_threads();
    ~ThreadCountGuard() { set_num_threads(saved); }
};

ErrorKind kind_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.kind();
    }
    FAIL("no hotloop::Error thrown");
    return ErrorKind::Internal;
}

}  // namespace

TEST_CASE("filter_double keeps order, doubles and detects overflow", "[filter]") {
    std::vector<int64_t> v(200000);
    std::iota(v.begin(), v.end(), -100000);
    LowerBound min;
    min.signed_min = 51;  // x > 50
    Buffer out = filter_double(v.data(), v.size(), DType::Int64, min);
    std::vector<int64_t> expected;
    for (auto x : v)
        if (x > 50) expected.push_back(2 * x);
    REQUIRE(out.length() == expected.size());
    CHECK(std::equal(expected.begin(), expected.end(), out.as<int64_t>()));

    std::vector<int64_t> edge = {std::numeric_limits<int64_t>::max() / 2,
                                 std::numeric_limits<int64_t>::max() / 2 + 1};
    min.signed_min = 0;
    CHECK(kind_of([&] { filter_double(edge.data(), 2, DType::Int64, min); }) ==
          ErrorKind::Overflow);
    CHECK(filter_double(edge.data(), 1, DType::Int64, min).as<int64_t>()[0] ==
          std::numeric_limits<int64_t>::max() - 1);
    // An overflowing value that is filtered out is no error.
    min.signed_min = std::numeric_limits<int64_t>::max();
    CHECK(filter_double(edge.data(), 2, DType::Int64, min).length() == 0);
}

TEST_CASE("filter_double clamps bounds to narrow dtypes and handles floats", "[filter]") {
    std::vector<int8_t> v = {-128, -65, -64, 0, 63, 64, 127};
    LowerBound min;
    min.signed_min = std::numeric_limits<int64_t>::min();  // everything passes
    CHECK(kind_of([&] { filter_double(v.data(), v.size(), DType::Int8, min); }) ==
          ErrorKind::Overflow);
    min.signed_min = -64;
    Buffer ok = filter_double(v.data(), 5, DType::Int8, min);
    REQUIRE(ok.length() == 3);
    CHECK(ok.as<int8_t>()[0] == -128);
    CHECK(ok.as<int8_t>()[2] == 126);
    min.signed_min = 1000;  // above int8: nothing passes
    CHECK(filter_double(v.data(), v.size(), DType::Int8, min).length() == 0);

    std::vector<uint64_t> u = {0, 1ull << 63, ~0ull};
    min.unsigned_min = 1;
    CHECK(kind_of([&] { filter_double(u.data(), 3, DType::UInt64, min); }) == ErrorKind::Overflow);

    std::vector<double> f = {std::nan(""), -1.5, 0.5, 2.0, std::numeric_limits<double>::infinity()};
    min.float_min = 0.5;
    Buffer kept = filter_double(f.data(), f.size(), DType::Float64, min);
    REQUIRE(kept.length() == 3);
    CHECK(kept.as<double>()[0] == 1.0);
    CHECK(std::isinf(kept.as<double>()[2]));
    min.float_min = std::nan("");
    CHECK(filter_double(f.data(), f.size(), DType::Float64, min).length() == 0);
    bool b = true;
    CHECK(kind_of([&] { filter_double(&b, 1, DType::Bool, min); }) == ErrorKind::Type);
}

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

TEST_CASE("scalar functions", "[scalar]") {
    CHECK(sum_as_string(5, 20) == "25");
    CHECK(sum_as_string(UINT64_MAX, 0) == "18446744073709551615");
    CHECK(kind_of([] { sum_as_string(UINT64_MAX, 1); }) == ErrorKind::Overflow);
    CHECK(divide(10, 4) == 2.5);
    try {
        divide(1, 0);
        FAIL("no throw");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::DivisionByZero);
        CHECK(std::string(e.what()) == "Cannot divide by zero");
    }
}
