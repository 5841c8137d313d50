// The separable pass (Gaussian and box blur, unsharp masking). Each block of output rows keeps a
// ring of source rows converted to the working type once (float32 and float64 rows that lie one
// after the other are read in place instead); the rows are filtered down the columns two output
// rows per step, and each result row is padded by reflection and filtered along the row into dst.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "imaging_kernels.hpp"
#include "imaging_passes.hpp"

namespace hotloop::imaging {
namespace {

template <class T, class F>
class Separable {
public:
    Separable(const Pair& images, const std::vector<double>& down,
              const std::vector<double>& along, bool unsharp, double amount)
        : im_(images),
          down_(down.begin(), down.end()),
          along_(along.begin(), along.end()),
          unsharp_(unsharp),
          amount_(static_cast<F>(amount)),
          in_place_(std::is_same<T, F>::value && im_.src.rows_contiguous()) {
        const std::size_t C = im_.src.channels, W = im_.src.width;
        n_ = im_.src.samples_per_row();
        slots_ = 2 * rows_radius() + 2;  // the window of two output rows
        stride_ = aligned_count<F>(n_);
        ring_ = in_place_ ? 0 : checked_mul(slots_, stride_);
        // Pixel 0 of a padded row sits at `lead_`, a whole number of 64-byte lines in.
        lead_ = aligned_count<F>(row_radius() * C);
        padded_ = aligned_count<F>(lead_ + checked_mul(W + row_radius(), C));
        // ring | two padded rows | one spare output row (T is never wider than F)
        scratch_bytes_ = checked_mul(ring_ + stride_ + 2 * padded_, sizeof(F));
    }

    void run(Control* ctl) const {
        parallel_blocks(
            block_count(im_.src.height, kRowsPerBlock), [this](std::size_t b) { block(b); }, ctl);
    }

private:
    std::size_t rows_radius() const { return down_.size() - 1; }
    std::size_t row_radius() const { return along_.size() - 1; }

    // Where source row j (any j in [-H, 2H)) lives in the ring.
    F* slot(F* ring, std::ptrdiff_t j) const {
        const auto slots = static_cast<std::ptrdiff_t>(slots_);
        return ring + static_cast<std::size_t>((j % slots + slots) % slots) * stride_;
    }

    // Source row j (any j in [-H, 2H)) as working values: in the ring, or in place.
    const F* source_row(F* ring, std::ptrdiff_t j) const {
        if (in_place_)
            return reinterpret_cast<const F*>(im_.src.at(reflect(j, im_.src.height), 0, 0));
        return slot(ring, j);
    }

    void load(F* ring, std::ptrdiff_t j) const {
        if (!in_place_) load_row<T>(im_.src, reflect(j, im_.src.height), slot(ring, j));
    }

    // Filters the column-filtered row `line` along the row into dst row y.
    void finish(F* line, std::size_t y, const F* orig, T* spare) const {
        const std::size_t C = im_.src.channels;
        pad_row(line, im_.src.width, C, row_radius());
        T* out = row_target(im_.dst, y, spare);
        simd_run<AlongRow>(static_cast<const F*>(line), n_, C, along_.data(), row_radius(),
                           unsharp_ ? orig : nullptr, amount_, out);
        store_row(im_.dst, y, out);
        copy_alpha(im_, y);
    }

    void block(std::size_t b) const {
        const Scratch memory(scratch_bytes_);
        F* ring = memory.as<F>();
        F* line0 = ring + ring_ + lead_;
        F* line1 = line0 + padded_;
        T* spare = reinterpret_cast<T*>(ring + ring_ + 2 * padded_);
        std::vector<const F*> rows(slots_);
        const auto r = static_cast<std::ptrdiff_t>(rows_radius());
        const auto y0 = static_cast<std::ptrdiff_t>(b * kRowsPerBlock);
        const auto y1 = static_cast<std::ptrdiff_t>(
            std::min(im_.src.height, (b + 1) * kRowsPerBlock));
        auto window = [&](std::ptrdiff_t y, std::size_t count) {
            for (std::size_t k = 0; k < count; ++k)
                rows[k] = source_row(ring, y - r + static_cast<std::ptrdiff_t>(k));
        };
        for (std::ptrdiff_t j = y0 - r; j < y0 + r; ++j) load(ring, j);
        std::ptrdiff_t y = y0;
        for (; y + 1 < y1; y += 2) {  // two output rows per step
            load(ring, y + r);
            load(ring, y + r + 1);
            window(y, slots_);
            simd_run<DownTwoRows<T>>(rows.data(), n_, down_.data(), rows_radius(), line0, line1);
            finish(line0, static_cast<std::size_t>(y), rows[r], spare);
            finish(line1, static_cast<std::size_t>(y + 1), rows[r + 1], spare);
        }
        if (y < y1) {  // an odd last row
            load(ring, y + r);
            window(y, slots_ - 1);
            simd_run<DownRows<T>>(rows.data(), n_, down_.data(), rows_radius(), line0);
            finish(line0, static_cast<std::size_t>(y), rows[r], spare);
        }
    }

    const Pair& im_;
    std::vector<F> down_, along_;
    bool unsharp_;
    F amount_;
    bool in_place_;  // source rows are read where they are
    std::size_t n_, slots_, stride_, ring_, lead_, padded_, scratch_bytes_;
};

}  // namespace

void separable_pass(const Pair& images, const std::vector<double>& down,
                    const std::vector<double>& along, bool unsharp, double amount, Control* ctl) {
    by_dtype(images.src.dtype, [&](auto sample, auto work) {
        using T = decltype(sample);
        using F = decltype(work);
        Separable<T, F>(images, down, along, unsharp, amount).run(ctl);
    });
}

}  // namespace hotloop::imaging
