// The Sobel pass: each block keeps a ring of three source rows, converted to the working type
// and padded by one reflected pixel on each side.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "imaging_kernels.hpp"
#include "imaging_passes.hpp"

namespace hotloop::imaging {
namespace {

// numpy.hypot(x, y): inf if either is inf (even with a NaN), else NaN if either is NaN, else
// sqrt(x^2 + y^2) with the squares scaled by a power of two (no overflow, no lost bits). Not
// std::hypot: glibc 2.35's new hypot symbol would raise the wheel's manylinux tag.
double hypot_of(double x, double y) {
    x = std::abs(x);
    y = std::abs(y);
    if (std::isinf(x) || std::isinf(y)) return std::numeric_limits<double>::infinity();
    if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<double>::quiet_NaN();
    const double larger = std::max(x, y);
    if (larger == 0.0) return 0.0;
    int exponent = 0;
    std::frexp(larger, &exponent);
    const double sx = std::ldexp(x, -exponent), sy = std::ldexp(y, -exponent);
    return std::ldexp(std::sqrt(sx * sx + sy * sy), exponent);
}

template <class T, class F>
class Sobel {
public:
    explicit Sobel(const Pair& images) : im_(images) {
        const std::size_t C = im_.src.channels;
        n_ = im_.src.samples_per_row();
        padded_ = aligned_count<F>(checked_mul(im_.src.width + 2, C));
        // three padded rows | one spare output row
        scratch_bytes_ = checked_mul(checked_mul(padded_, 3) + aligned_count<F>(n_), sizeof(F));
    }

    void run(Control* ctl) const {
        parallel_blocks(
            block_count(im_.src.height, kRowsPerBlock), [this](std::size_t b) { block(b); }, ctl);
    }

private:
    // Pixel 0 of source row j (j in [-1, H]) in the ring.
    F* slot(F* ring, std::ptrdiff_t j) const {
        return ring + static_cast<std::size_t>(j + 3) % 3 * padded_ + im_.src.channels;
    }

    void load(F* ring, std::ptrdiff_t j) const {
        F* row = slot(ring, j);
        load_row<T>(im_.src, reflect(j, im_.src.height), row);
        pad_row(row, im_.src.width, im_.src.channels, 1);
    }

    void block(std::size_t b) const {
        const Scratch memory(scratch_bytes_);
        F* ring = memory.as<F>();
        T* spare = reinterpret_cast<T*>(ring + 3 * padded_);
        const auto y0 = static_cast<std::ptrdiff_t>(b * kRowsPerBlock);
        const auto y1 = static_cast<std::ptrdiff_t>(
            std::min(im_.src.height, (b + 1) * kRowsPerBlock));
        load(ring, y0 - 1);
        load(ring, y0);
        for (std::ptrdiff_t y = y0; y < y1; ++y) {
            load(ring, y + 1);
            const auto row = static_cast<std::size_t>(y);
            T* out = row_target(im_.dst, row, spare);
            const F* above = slot(ring, y - 1);
            const F* at = slot(ring, y);
            const F* below = slot(ring, y + 1);
            if (simd_run<SobelRow>(above, at, below, n_, im_.src.channels, out))
                redo_not_finite(above, at, below, out);
            store_row(im_.dst, row, out);
            copy_alpha(im_, row);
        }
    }

    // The samples of a row whose magnitude came out inf or NaN, or below 2^-59 / 2^-499,
    // again as scipy computes them: in double (float32's own differences may have overflowed)
    // with numpy.hypot's rules (hypot_of). Rare: only rows with inf or NaN inputs, huge
    // gradients or tiny ones.
    void redo_not_finite(const F* a, const F* b, const F* c, T* out) const {
        if constexpr (std::is_floating_point<T>::value) {
            const auto s = static_cast<std::ptrdiff_t>(im_.src.channels);  // pixel -1 is padding
            const auto n = static_cast<std::ptrdiff_t>(n_);
            for (std::ptrdiff_t i = 0; i < n; ++i) {
                const double tiny = std::is_same<T, double>::value ? 0x1p-499 : 0x1p-59;
                if (std::isfinite(out[i]) && !(double(out[i]) < tiny)) continue;
                auto dx = [&](const F* row) {
                    return double(row[i]) * 0.0 + (double(row[i + s]) - double(row[i - s]));
                };
                auto dy = [&](std::ptrdiff_t j) {
                    return double(b[j]) * 0.0 + (double(c[j]) - double(a[j]));
                };
                const double gx = 2.0 * dx(b) + (dx(a) + dx(c));
                const double gy = 2.0 * dy(i) + (dy(i - s) + dy(i + s));
                out[i] = static_cast<T>(hypot_of(gx, gy));  // beyond float32: inf (x86)
            }
        }
    }

    const Pair& im_;
    std::size_t n_, padded_, scratch_bytes_;
};

}  // namespace

void sobel_pass(const Pair& images, Control* ctl) {
    by_dtype(images.src.dtype, [&](auto sample, auto work) {
        Sobel<decltype(sample), decltype(work)>(images).run(ctl);
    });
}

}  // namespace hotloop::imaging
