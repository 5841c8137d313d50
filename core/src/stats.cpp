#include "hotloop/stats.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "compensated.hpp"
#include "simd.hpp"

namespace hotloop {
namespace {

// Block moments in two passes over cached data: compensated mean, then squared deviations.
HL_CLONES Moments block_moments_kernel(const double* p, std::size_t n) {
    Moments m;
    m.count = n;
    m.mean = compensated_sum_lanes(p, n).value() / static_cast<double>(n);
    constexpr std::size_t kLanes = 8;
    double acc[kLanes] = {};
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (std::size_t j = 0; j < kLanes; ++j) {
            const double d = p[i + j] - m.mean;
            acc[j] += d * d;
        }
    double m2 = 0.0;
    for (std::size_t j = 0; j < kLanes; ++j) m2 += acc[j];
    for (; i < n; ++i) m2 += (p[i] - m.mean) * (p[i] - m.mean);
    m.m2 = m2;
    return m;
}

}  // namespace

Moments block_moments(const double* data, std::size_t n) {
    return n == 0 ? Moments{} : block_moments_kernel(data, n);
}

void Moments::merge(const Moments& other) noexcept {
    if (other.count == 0) return;
    if (count == 0) {
        *this = other;
        return;
    }
    const double na = static_cast<double>(count), nb = static_cast<double>(other.count);
    const double n = na + nb;
    const double delta = other.mean - mean;
    mean += delta * (nb / n);
    m2 += other.m2 + delta * delta * (na * nb / n);
    count += other.count;
}

double Moments::population_std() const noexcept { return std::sqrt(population_variance()); }

Moments moments(const double* data, std::size_t n, Control* ctl) {
    check_array(data, n, sizeof(double), "moments");
    constexpr std::size_t kBlock = kMomentsBlock;
    const std::size_t blocks = block_count(n, kBlock);
    std::vector<Moments> partials(blocks);
    parallel_blocks(
        blocks,
        [&](std::size_t b) {
            const std::size_t begin = b * kBlock;
            partials[b] = block_moments_kernel(data + begin, std::min(kBlock, n - begin));
        },
        ctl);
    Moments total;
    for (const Moments& partial : partials) total.merge(partial);
    return total;
}

}  // namespace hotloop
