// Engine tests: sums, filter, processor, threads, control.
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
#include "hotloop/processor.hpp"
#include "hotloop/reduce.hpp"
#include "hotloop/scalar.hpp"
#include "hotloop/stats.hpp"

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

TEST_CASE("sum_int is exact beyond 64 bits for every integer dtype", "[reduce]") {
    std::vector<int64_t> big(200000, std::numeric_limits<int64_t>::max());
    const int128_t expected = static_cast<int128_t>(std::numeric_limits<int64_t>::max()) * 200000;
    CHECK(sum_int(big.data(), big.size(), DType::Int64) == expected);

    std::vector<int64_t> low(150001, std::numeric_limits<int64_t>::min());
    CHECK(sum_int(low.data(), low.size(), DType::Int64) ==
          static_cast<int128_t>(std::numeric_limits<int64_t>::min()) * 150001);

    std::vector<uint64_t> ubig(70000, std::numeric_limits<uint64_t>::max());
    CHECK(sum_int(ubig.data(), ubig.size(), DType::UInt64) ==
          static_cast<int128_t>(std::numeric_limits<uint64_t>::max()) * 70000);

    std::vector<int8_t> bytes(100000, -128);
    CHECK(sum_int(bytes.data(), bytes.size(), DType::Int8) == int128_t(-128) * 100000);
    std::vector<uint32_t> words(131073, 0xffffffffu);
    CHECK(sum_int(words.data(), words.size(), DType::UInt32) == int128_t(0xffffffffu) * 131073);
    bool flags[5] = {true, false, true, true, false};
    CHECK(sum_int(flags, 5, DType::Bool) == 3);
}

TEST_CASE("sum_int matches a serial reference on random data", "[reduce]") {
    std::mt19937_64 rng(7);
    std::vector<int64_t> v(300007);
    for (auto& x : v) x = static_cast<int64_t>(rng());
    int128_t ref = 0;
    for (auto x : v) ref += x;
    CHECK(sum_int(v.data(), v.size(), DType::Int64) == ref);
    CHECK(sum_int(v.data(), 0, DType::Int64) == 0);
    CHECK(sum_int(nullptr, 0, DType::Int64) == 0);
}

TEST_CASE("sum_float is compensated and independent of the thread count", "[reduce]") {
    ThreadCountGuard guard;
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> dist(-1e6, 1e6);
    std::vector<double> v(1000003);
    for (auto& x : v) x = dist(rng);
    set_num_threads(1);
    const double one = sum_float(v.data(), v.size(), DType::Float64);
    for (int threads : {2, 3, 4}) {
        set_num_threads(threads);
        const double many = sum_float(v.data(), v.size(), DType::Float64);
        CHECK(std::memcmp(&one, &many, sizeof(double)) == 0);
    }
    // Cancellation-prone data: a naive sum returns 0 here, the exact sum is 2.
    std::vector<double> tricky = {1e100, 1.0, -1e100, 1.0};
    CHECK(sum_float(tricky.data(), tricky.size(), DType::Float64) == 2.0);
    std::vector<float> f(1000, 0.1f);
    CHECK(sum_float(f.data(), f.size(), DType::Float32) ==
          Approx(1000 * static_cast<double>(0.1f)).epsilon(1e-15));
}

TEST_CASE("sum_float propagates infinities and NaN like IEEE summation", "[reduce]") {
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> a = {1.0, inf, 2.0};
    CHECK(sum_float(a.data(), a.size(), DType::Float64) == inf);
    std::vector<double> b = {inf, -inf};
    CHECK(std::isnan(sum_float(b.data(), b.size(), DType::Float64)));
    std::vector<double> c(40000, 1.0);
    c[39999] = std::nan("");
    CHECK(std::isnan(sum_float(c.data(), c.size(), DType::Float64)));
}

TEST_CASE("sums reject wrong dtypes and bad arrays", "[reduce]") {
    double d = 1;
    CHECK(kind_of([&] { sum_int(&d, 1, DType::Float64); }) == ErrorKind::Type);
    CHECK(kind_of([&] { sum_float(&d, 1, DType::Int64); }) == ErrorKind::Type);
    CHECK(kind_of([&] { sum_int(nullptr, 3, DType::Int64); }) == ErrorKind::InvalidArgument);
    CHECK(kind_of([&] { sum_int(&d, std::size_t(-1) / 4, DType::Int64); }) ==
          ErrorKind::InvalidArgument);
    CHECK(kind_of([&] { sum_int(&d, 1, static_cast<DType>(99)); }) == ErrorKind::Type);
}

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

TEST_CASE("DataProcessor queues, drains full chunks and computes statistics", "[processor]") {
    DataProcessor p(3);
    CHECK(p.statistics().count == 0);
    std::vector<double> v = {1, 2, 3, 4, 5, 6, 7};
    p.add(v.data(), v.size(), DType::Float64);
    CHECK(p.size() == 7);
    Moments m = p.statistics();
    CHECK(m.count == 7);
    CHECK(m.mean == Approx(4.0));
    CHECK(m.population_std() == Approx(2.0));
    Buffer means = p.process_chunks();
    REQUIRE(means.length() == 2);
    CHECK(means.as<double>()[0] == 2.0);
    CHECK(means.as<double>()[1] == 5.0);
    CHECK(p.size() == 1);
    std::vector<int32_t> more = {8, 9};
    p.add(more.data(), more.size(), DType::Int32);
    Buffer last = p.process_chunks();
    REQUIRE(last.length() == 1);
    CHECK(last.as<double>()[0] == 8.0);
    CHECK(p.size() == 0);
    p.clear();
    CHECK(p.size() == 0);
    CHECK(kind_of([] { DataProcessor bad(0); }) == ErrorKind::InvalidArgument);
}

TEST_CASE("DataProcessor chunk means do not depend on how the values were added", "[processor]") {
    // Chunks smaller than, equal to and larger than the engine's 32K-value blocks, values of
    // mixed magnitude (where the summation order shows), adds split at random points.
    std::mt19937_64 rng(42);
    std::vector<double> v(300007);
    for (double& x : v)
        x = std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng),
                       std::uniform_int_distribution<int>(-30, 30)(rng));
    for (std::size_t chunk : {1u, 7u, 1000u, 32768u, 40000u, 100003u}) {
        for (int split = 0; split < 4; ++split) {
            DataProcessor p(chunk);
            std::size_t added = 0;
            while (added < v.size()) {
                // Either one large add or many adds that begin and end mid-chunk.
                std::size_t n = split == 0 ? v.size()
                                           : std::uniform_int_distribution<std::size_t>(
                                                 0, 3 * chunk / 2 + 5000)(rng);
                n = std::min(n, v.size() - added);
                p.add(v.data() + added, n, DType::Float64);
                added += n;
                CHECK(p.size() == added);
            }
            Buffer means = p.process_chunks();
            REQUIRE(means.length() == v.size() / chunk);
            for (std::size_t c = 0; c < means.length(); ++c)
                REQUIRE(means.as<double>()[c] ==
                        sum_doubles_serial(v.data() + c * chunk, chunk) / double(chunk));
            const std::size_t rest = v.size() % chunk;
            CHECK(p.size() == rest);
            const Moments left = p.statistics();
            const Moments expected = moments(v.data() + v.size() - rest, rest);
            CHECK(left.count == rest);
            CHECK(left.mean == expected.mean);
            CHECK(left.m2 == expected.m2);
            CHECK(p.process_chunks().length() == 0);
        }
    }
}

TEST_CASE("DataProcessor rejects a failing add without changing anything", "[processor]") {
    DataProcessor p(2);
    std::vector<double> v = {1, 2, 3};
    p.add(v.data(), v.size(), DType::Float64);
    CHECK(kind_of([&] { p.add(nullptr, 5, DType::Float64); }) == ErrorKind::InvalidArgument);
    CHECK_THROWS_AS(p.add(v.data(), std::size_t(1) << 59, DType::Float64), std::bad_alloc);
    CHECK(p.size() == 3);
    CHECK(p.statistics().mean == Approx(2.0));
}

TEST_CASE("moments merge blocks exactly like one pass", "[stats]") {
    std::vector<double> v(100001);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = 1e9 + static_cast<double>(i % 7);
    Moments m = moments(v.data(), v.size());
    double mean = 0;
    for (double x : v) mean += (x - 1e9);
    mean = mean / v.size() + 1e9;
    double m2 = 0;
    for (double x : v) m2 += (x - mean) * (x - mean);
    CHECK(m.mean == Approx(mean).epsilon(1e-15));
    CHECK(m.m2 == Approx(m2).epsilon(1e-10));
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
    std::atomic<int> blocks{0}, other_cpus{0};
    for (int region = 0; region < 5; ++region) {
        parallel_blocks(64, [&](std::size_t) {
            cpu_set_t mine;
            REQUIRE(sched_getaffinity(0, sizeof mine, &mine) == 0);
            ++blocks;
            if (!CPU_EQUAL(&mine, &all)) ++other_cpus;
        });
    }
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
    CHECK(sum_int(v.data(), v.size(), DType::Int64, &ctl) == (1 << 20));
    CHECK(ctl.done() == ctl.total());
    CHECK(ctl.total() == 16);
    Control cancelled;
    cancelled.cancel();
    CHECK(kind_of([&] { sum_int(v.data(), v.size(), DType::Int64, &cancelled); }) ==
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
