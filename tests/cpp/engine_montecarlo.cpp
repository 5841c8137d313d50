// Engine tests of monte_carlo_pi: the vectorised generator against its scalar definition, the
// estimate, determinism across thread counts, and errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>

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
    const int before = num_threads();
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
