// Engine tests of monte_carlo_pi: the vectorised generator against its scalar definition, the
// estimate, determinism across thread counts, and errors; ranges of samples (hotloop.dask) that
// split 0 .. n - 1 add up to the whole count, also at the end of the 2^64 sample space.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "hotloop/error.hpp"
#include "hotloop/montecarlo.hpp"
#include "hotloop/parallel.hpp"

using namespace hotloop;

TEST_CASE("the vectorised generator matches the scalar definition at any offset", "[montecarlo]") {
    const uint64_t offsets[] = {0, 1, 12345, uint64_t(1) << 33, uint64_t(1) << 40,
                                10'000'000'000ULL - 500, uint64_t(1) << 63, ~uint64_t(0) - 300};
    for (uint64_t seed : {uint64_t(0), uint64_t(42), ~uint64_t(0)})
        for (uint64_t first : offsets)
            for (uint64_t n : {uint64_t(0), uint64_t(1), uint64_t(17), uint64_t(1000)}) {
                uint64_t expected = 0;
                for (uint64_t i = 0; i < n; ++i) expected += sample_inside(seed, first + i);
                REQUIRE(count_inside(seed, first, n) == expected);
            }
    // SplitMix64's published first output for seed 0 (state advanced by the golden gamma once).
    REQUIRE(splitmix64_at(0, 0) == 0xe220a8397b1dcdafULL);
    // A block count past 2^32 blocks' worth of samples is fine: the sum of blocks equals the whole.
    const uint64_t n = 3 * (uint64_t(1) << 20) + 77;
    REQUIRE(monte_carlo_pi_hits(n, 5) == count_inside(5, 0, n));
}

TEST_CASE("monte_carlo_pi_hits estimates pi", "[montecarlo]") {
    const uint64_t n = 4'000'000;
    const double se = 4.0 * std::sqrt(M_PI / 4 * (1 - M_PI / 4) / double(n));
    for (uint64_t seed = 0; seed < 4; ++seed) {
        const double estimate = 4.0 * double(monte_carlo_pi_hits(n, seed)) / double(n);
        REQUIRE(std::abs(estimate - M_PI) < 5 * se);
    }
}

TEST_CASE("monte_carlo_pi_hits does not depend on the thread count", "[montecarlo]") {
    const int before = get_num_threads();
    set_num_threads(1);
    const uint64_t hits1 = monte_carlo_pi_hits(5'000'003, 9);
    for (int threads : {2, 3}) {
        set_num_threads(threads);
        REQUIRE(monte_carlo_pi_hits(5'000'003, 9) == hits1);
    }
    set_num_threads(before);
}

TEST_CASE("monte_carlo_pi_hits refuses 0 samples and stops when cancelled", "[montecarlo]") {
    auto kind = [](auto&& f) {
        try {
            f();
        } catch (const Error& e) {
            return e.kind();
        }
        return ErrorKind::Internal;
    };
    REQUIRE(kind([&] { monte_carlo_pi_hits(0, 1); }) == ErrorKind::InvalidArgument);
    Control ctl;
    ctl.cancel();
    REQUIRE(kind([&] { monte_carlo_pi_hits(10'000'000, 1, &ctl); }) == ErrorKind::Cancelled);
}

namespace {

constexpr uint64_t kEngineBlock = uint64_t(1) << 20;  // montecarlo.cpp's block of samples

uint64_t naive_hits(uint64_t seed, uint64_t first, uint64_t count) {
    uint64_t hits = 0;
    for (uint64_t i = 0; i < count; ++i) hits += sample_inside(seed, first + i);
    return hits;
}

ErrorKind kind_of(uint64_t first, uint64_t count, Control* ctl = nullptr) {
    try {
        monte_carlo_range_hits(first, count, 1, ctl);
    } catch (const Error& e) {
        return e.kind();
    }
    return ErrorKind::Internal;  // no error: never an expected kind here
}

}  // namespace

TEST_CASE("ranges that split 0..n-1 add up to the single call's hits", "[montecarlo]") {
    const uint64_t n = 3 * kEngineBlock + 12'345, seed = 20'240'601;
    const uint64_t whole = monte_carlo_pi_hits(n, seed);
    REQUIRE(monte_carlo_range_hits(0, n, seed) == whole);
    // Cuts on, next to and far from the engine's block boundaries, and empty ranges.
    const std::vector<std::vector<uint64_t>> cut_sets = {
        {1},
        {kEngineBlock},
        {kEngineBlock - 1, kEngineBlock + 1},
        {7, 7, 7, 2 * kEngineBlock + 3, n},
        {12'345, 1'000'000, 1'000'001, 2'500'000, 3 * kEngineBlock},
    };
    for (const auto& cuts : cut_sets) {
        uint64_t total = 0, start = 0;
        for (uint64_t cut : cuts) {
            total += monte_carlo_range_hits(start, cut - start, seed);
            start = cut;
        }
        total += monte_carlo_range_hits(start, n - start, seed);
        REQUIRE(total == whole);
    }
    // Random cuts from the generator itself.
    for (uint64_t trial = 0; trial < 5; ++trial) {
        uint64_t total = 0, start = 0;
        for (uint64_t k = 0; start < n; ++k) {
            const uint64_t length = std::min(n - start, splitmix64_at(trial, k) % (kEngineBlock + 77));
            total += monte_carlo_range_hits(start, length, seed);
            start += length;
        }
        REQUIRE(total == whole);
    }
}

TEST_CASE("a range's hits match a sample-by-sample count", "[montecarlo]") {
    const uint64_t last = ~uint64_t(0);  // sample 2^64 - 1
    struct Range {
        uint64_t first, count;
    };
    const std::vector<Range> ranges = {
        {0, 1}, {5, 17}, {kEngineBlock - 3, 10}, {123'456'789'012ULL, kEngineBlock + 5},
        {last - 999, 1000},  // ends exactly at 2^64
        {last, 1},
    };
    for (uint64_t seed : {uint64_t(0), uint64_t(42), last}) {
        for (const Range& r : ranges) {
            CAPTURE(seed, r.first, r.count);
            REQUIRE(monte_carlo_range_hits(r.first, r.count, seed) ==
                    naive_hits(seed, r.first, r.count));
        }
    }
    REQUIRE(monte_carlo_range_hits(last, 0, 3) == 0);
    REQUIRE(monte_carlo_range_hits(17, 0, 3) == 0);
}

TEST_CASE("range hits do not depend on the thread count", "[montecarlo]") {
    const int before = get_num_threads();
    set_num_threads(1);
    const uint64_t one = monte_carlo_range_hits(999'999, 4 * kEngineBlock + 1, 77);
    for (int threads : {2, 3}) {
        set_num_threads(threads);
        REQUIRE(monte_carlo_range_hits(999'999, 4 * kEngineBlock + 1, 77) == one);
    }
    set_num_threads(before);
}

TEST_CASE("ranges past sample 2^64 - 1 and cancelled controls fail", "[montecarlo]") {
    const uint64_t last = ~uint64_t(0);
    REQUIRE(kind_of(last, 2) == ErrorKind::InvalidArgument);
    REQUIRE(kind_of(2, last) == ErrorKind::InvalidArgument);  // ends at 2^64 + 1
    REQUIRE(kind_of(last - 9, 11) == ErrorKind::InvalidArgument);
    Control ctl;
    ctl.cancel();
    // The largest valid ranges are accepted (and then cancelled before their first block).
    REQUIRE(kind_of(0, last, &ctl) == ErrorKind::Cancelled);
    REQUIRE(kind_of(1, last, &ctl) == ErrorKind::Cancelled);  // ends exactly at 2^64
    REQUIRE(kind_of(0, 10'000'000, &ctl) == ErrorKind::Cancelled);
}
