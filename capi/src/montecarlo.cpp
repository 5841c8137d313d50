// Monte Carlo estimate of pi, whole or one range of samples at a time (hotloop.h, "Monte Carlo").
#include "boundary.hpp"
#include "hotloop/montecarlo.hpp"

using namespace hotloop;
using namespace hotloop::capi;

extern "C" {

HL_API hl_status hl_monte_carlo_pi(uint64_t n_samples, uint64_t seed, uint64_t* inside,
                                   double* estimate, hl_control* ctl) {
    return guard(ctl, [&] {
        require(inside, "inside");
        require(estimate, "estimate");
        const uint64_t hits = monte_carlo_pi_hits(n_samples, seed, control_of(ctl));
        *inside = hits;
        *estimate = 4.0 * static_cast<double>(hits) / static_cast<double>(n_samples);
    });
}

// The hits of samples [first, first + count): pieces of an estimate computed apart (hotloop.dask).
HL_API hl_status hl_monte_carlo_hits(uint64_t first, uint64_t count, uint64_t seed,
                                     uint64_t* inside, hl_control* ctl) {
    return guard(ctl, [&] {
        require(inside, "inside");
        *inside = monte_carlo_range_hits(first, count, seed, control_of(ctl));
    });
}

}  // extern "C"
