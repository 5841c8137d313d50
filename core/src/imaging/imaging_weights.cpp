// 1-D kernels of the separable filters, folded onto the reflect border's period when they are
// longer than it.
#include <cmath>

#include "imaging_passes.hpp"

namespace hotloop::imaging {
namespace {

constexpr std::size_t kCheckEvery = std::size_t(1) << 20;  // taps between cancellation checks

// w[0..min(radius, n)] from the taps tap(0..radius) of a kernel whose full sum is `total`.
template <class Tap>
std::vector<double> folded(std::size_t radius, std::size_t n, double total, Tap&& tap,
                           Control* ctl) {
    if (radius <= n) {  // every reflected index stays within one mirror image
        std::vector<double> w(radius + 1);
        for (std::size_t k = 0; k <= radius; ++k) w[k] = tap(k) / total;
        return w;
    }
    // Offset k reads the same pixel as offset d = k mod 2n taken in [-(n - 1), n], for every
    // output pixel; the kernel is symmetric, so only d >= 0 is kept. d = n stands for both +n
    // and -n (the same pixel), so its sum is halved.
    const auto period = static_cast<std::ptrdiff_t>(2 * n);
    const auto shift = static_cast<std::ptrdiff_t>(n - 1);
    std::vector<double> w(n + 1, 0.0);
    auto add = [&](std::ptrdiff_t k, double weight) {
        const std::ptrdiff_t d = ((k + shift) % period + period) % period - shift;
        if (d >= 0) w[static_cast<std::size_t>(d)] += weight;
    };
    for (std::size_t k = 0; k <= radius; ++k) {
        if (ctl && k % kCheckEvery == 0) ctl->check();
        const double weight = tap(k);
        add(static_cast<std::ptrdiff_t>(k), weight);
        if (k) add(-static_cast<std::ptrdiff_t>(k), weight);
    }
    for (std::size_t d = 0; d <= n; ++d) w[d] /= total;
    w[n] /= 2;
    return w;
}

}  // namespace

// scipy.ndimage._gaussian_kernel1d: exp(-0.5 / sigma^2 * x^2), normalised by its sum, in double.
std::vector<double> gaussian_weights(double sigma, std::size_t radius, std::size_t n,
                                     Control* ctl) {
    const double scale = -0.5 / (sigma * sigma);
    auto tap = [scale](std::size_t k) {
        if (k == 0) return 1.0;  // also for sigma 0, whose scale is -inf
        const double x = static_cast<double>(k);
        return std::exp(scale * (x * x));
    };
    double total = 1.0;  // tap(0)
    for (std::size_t k = 1; k <= radius; ++k) {
        if (ctl && k % kCheckEvery == 0) ctl->check();
        total += 2.0 * tap(k);
    }
    return folded(radius, n, total, tap, ctl);
}

std::vector<double> box_weights(std::size_t radius, std::size_t n, Control* ctl) {
    return folded(radius, n, static_cast<double>(2 * radius + 1), [](std::size_t) { return 1.0; },
                  ctl);
}

}  // namespace hotloop::imaging
