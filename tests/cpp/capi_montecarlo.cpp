// C API tests of hl_monte_carlo_pi and hl_monte_carlo_hits: NULLs, 0 samples, determinism,
// ranges that add up to the whole, out-of-range arguments (output unchanged), cancellation.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>

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

TEST_CASE("C API monte_carlo_hits: ranges add up to hl_monte_carlo_pi", "[capi][montecarlo]") {
    const uint64_t n = 2'500'001, seed = 99;
    uint64_t whole = 0;
    double estimate = 0;
    REQUIRE(hl_monte_carlo_pi(n, seed, &whole, &estimate, nullptr) == HL_OK);
    uint64_t a = 0, b = 0, c = 0;
    REQUIRE(hl_monte_carlo_hits(0, 1'048'577, seed, &a, nullptr) == HL_OK);
    REQUIRE(hl_monte_carlo_hits(1'048'577, 0, seed, &b, nullptr) == HL_OK);
    REQUIRE(b == 0);
    REQUIRE(hl_monte_carlo_hits(1'048'577, n - 1'048'577, seed, &c, nullptr) == HL_OK);
    REQUIRE(a + b + c == whole);
    REQUIRE(std::string(hl_last_error_message()).empty());
}

TEST_CASE("C API monte_carlo_hits errors leave the output unchanged", "[capi][montecarlo]") {
    uint64_t inside = 12345;
    REQUIRE(hl_monte_carlo_hits(0, 10, 1, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(std::string(hl_last_error_message()).find("inside") != std::string::npos);
    REQUIRE(hl_monte_carlo_hits(UINT64_MAX, 2, 1, &inside, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(std::string(hl_last_error_message()).find("2^64") != std::string::npos);
    REQUIRE(inside == 12345);

    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    REQUIRE(hl_monte_carlo_hits(0, 10'000'000'000ULL, 1, &inside, ctl) == HL_ERR_CANCELLED);
    REQUIRE(inside == 12345);
    // guard(ctl, ...) recorded the outcome: a wait returns at once with the status.
    REQUIRE(hl_control_wait(ctl, 0) == HL_OK);
    hl_status status = HL_OK;
    REQUIRE(hl_control_result(ctl, &status) == HL_OK);
    REQUIRE(status == HL_ERR_CANCELLED);
    hl_control_destroy(ctl);
}
