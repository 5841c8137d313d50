// Monte Carlo ranges: the hits of one range of samples, for estimates computed in pieces.
#include "boundary.hpp"
#include "hotloop/montecarlo.hpp"

using namespace hotloop;
using namespace hotloop::capi;

extern "C" {

// ---- hl_monte_carlo_hits (hotloop.dask) ----
HL_API hl_status hl_monte_carlo_hits(uint64_t first, uint64_t count, uint64_t seed,
                                     uint64_t* inside, hl_control* ctl) {
    return guard(ctl, [&] {
        require(inside, "inside");
        *inside = monte_carlo_range_hits(first, count, seed, control_of(ctl));
    });
}
// ---- end hl_monte_carlo_hits ----

}  // extern "C"
