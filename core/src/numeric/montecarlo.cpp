#include "hotloop/montecarlo.hpp"

#include <algorithm>
#include <atomic>

#include "simd.hpp"

namespace hotloop {
namespace {

// 2^20 samples take well under a millisecond per thread: blocks stay small enough for prompt
// cancellation, large enough that scheduling costs nothing. Fixed, so results never depend on it.
constexpr uint64_t kBlock = uint64_t(1) << 20;

// The loop body is sample_inside() written out so that GCC vectorises it (64-bit lanes; the
// squares of 31-bit halves are single widening multiplications). For simd_run.
struct CountInside {
    HL_INLINE static uint64_t run(uint64_t seed, uint64_t first, uint64_t n) {
        const uint64_t gamma = 0x9e3779b97f4a7c15ULL;
        const uint64_t z0 = seed + (first + 1) * gamma;
        uint64_t count = 0;
        for (uint64_t i = 0; i < n; ++i) {
            uint64_t z = z0 + i * gamma;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            z ^= z >> 31;
            const uint32_t a = static_cast<uint32_t>(z >> 33);
            const uint32_t b = static_cast<uint32_t>(z) & 0x7fffffffu;
            count += uint64_t(a) * a + uint64_t(b) * b < (uint64_t(1) << 62);
        }
        return count;
    }
};

}  // namespace

uint64_t count_inside(uint64_t seed, uint64_t first, uint64_t n) noexcept {
    return simd_run<CountInside>(seed, first, n);
}

uint64_t monte_carlo_pi_hits(uint64_t n_samples, uint64_t seed, Control* ctl) {
    if (n_samples == 0) fail(ErrorKind::InvalidArgument, "monte_carlo_pi: n_samples must be >= 1");
    return monte_carlo_range_hits(0, n_samples, seed, ctl);
}

uint64_t monte_carlo_range_hits(uint64_t first, uint64_t count, uint64_t seed, Control* ctl) {
    // 0 - first is 2^64 - first in unsigned arithmetic: the samples left after `first`.
    if (first != 0 && count > 0 - first)
        fail(ErrorKind::InvalidArgument,
             "monte_carlo_range_hits: the range ends past sample 2^64 - 1 (first + count > 2^64)");
    const uint64_t blocks = count / kBlock + (count % kBlock != 0);
    // Integer counts: the order in which blocks (or ranges) add up cannot change the total.
    std::atomic<uint64_t> total{0};
    parallel_blocks(
        static_cast<std::size_t>(blocks),
        [&](std::size_t b) {
            const uint64_t offset = uint64_t(b) * kBlock;
            const uint64_t hits = count_inside(seed, first + offset, std::min(kBlock, count - offset));
            total.fetch_add(hits, std::memory_order_relaxed);
        },
        ctl);
    return total.load();
}

}  // namespace hotloop
