// C API tests of hl_monte_carlo_pi: NULLs, 0 samples, determinism, cancellation.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>

#include "hotloop.h"

TEST_CASE("C API monte_carlo_pi", "[capi][montecarlo]") {
    uint64_t inside = 0;
    double estimate = 0;
    REQUIRE(hl_monte_carlo_pi(0, 1, &inside, &estimate, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_monte_carlo_pi(1, 1, nullptr, &estimate, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_monte_carlo_pi(1, 1, &inside, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_monte_carlo_pi(2'000'000, 123, &inside, &estimate, nullptr) == HL_OK);
    REQUIRE(estimate == 4.0 * double(inside) / 2e6);
    REQUIRE(std::abs(estimate - M_PI) < 0.01);
    uint64_t again = 0;
    REQUIRE(hl_monte_carlo_pi(2'000'000, 123, &again, &estimate, nullptr) == HL_OK);
    REQUIRE(again == inside);
    // A cancellable run past 2^32 samples starts fine: cancel it from its own progress.
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    REQUIRE(hl_monte_carlo_pi(10'000'000'000ULL, 1, &inside, &estimate, ctl) == HL_ERR_CANCELLED);
    hl_control_destroy(ctl);
}

TEST_CASE("C API monte_carlo_pi checks its out-parameters before a cancelled control", "[capi][montecarlo]") {
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    REQUIRE(hl_monte_carlo_pi(1000, 1, nullptr, nullptr, ctl) == HL_ERR_INVALID_ARGUMENT);
    uint64_t inside = 0;
    double estimate = 0;
    REQUIRE(hl_monte_carlo_pi(1000, 1, &inside, &estimate, ctl) == HL_ERR_CANCELLED);
    hl_control_destroy(ctl);
}
