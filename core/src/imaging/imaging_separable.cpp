// The separable pass (Gaussian and box blur, unsharp masking). Each block of output rows keeps a
// ring of source rows converted to the working type once (float32 and float64 rows that lie one
// after the other are read in place instead); the rows are filtered down the columns two output
// rows per step, and each result row is padded by reflection and filtered along the row into dst.
// A row is filtered in pieces of samples with a cancellation check between them: with a kernel
// as long as a wide image, one row is ~10^10 taps, seconds of work inside one block.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "imaging_kernels.hpp"
#include "imaging_passes.hpp"

namespace hotloop::imaging {
namespace {

constexpr std::size_t kTapsPerCheck = std::size_t(1) << 20;  // about a millisecond of work

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
        down_piece_ = piece(rows_radius());
        along_piece_ = piece(row_radius());
    }

    void run(Control* ctl) const {
        parallel_blocks(
            block_count(im_.src.height, kRowsPerBlock),
            [this, ctl](std::size_t b) { block(b, ctl); }, ctl);
    }

private:
    std::size_t rows_radius() const { return down_.size() - 1; }
    std::size_t row_radius() const { return along_.size() - 1; }

    // Samples filtered between two cancellation checks by a kernel of 2 * radius + 1 taps:
    // whole multiples of 64 (of every level's 4-vector step) but for the row's last piece. Every
    // sample is computed on its own, so the pieces change no bits.
    static std::size_t piece(std::size_t radius) {
        return std::max<std::size_t>(64, kTapsPerCheck / (2 * radius + 1) / 64 * 64);
    }
    static void check(Control* ctl) {
        if (ctl) ctl->check();
    }

    // Down the columns: Down (DownTwoRows or DownRows) over rows[0 .. count) into out..., piece
    // by piece (`moved` holds the rows' pointers moved to each piece).
    template <class Down, class... Out>
    void down(const std::vector<const F*>& rows, std::size_t count, std::vector<const F*>& moved,
              Control* ctl, Out*... out) const {
        const std::size_t step = down_piece_;
        for (std::size_t i = 0; i < n_; i += step) {
            const F* const* at = rows.data();
            if (i) {
                check(ctl);
                for (std::size_t k = 0; k < count; ++k) moved[k] = rows[k] + i;
                at = moved.data();
            }
            simd_run<Down>(at, std::min(step, n_ - i), down_.data(), rows_radius(), (out + i)...);
        }
    }

    // Where source row j (any j in [-H, 2H)) lives in the ring.
    F* slot(F* ring, std::ptrdiff_t j) const {
        const auto slots = static_cast<std::ptrdiff_t>(slots_);
        std::ptrdiff_t k = j % slots;  // one division per row: narrow images have many rows
        if (k < 0) k += slots;
        return ring + static_cast<std::size_t>(k) * stride_;
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

    // Filters the column-filtered row `line` along the row into dst row y, piece by piece.
    void finish(F* line, std::size_t y, const F* orig, T* spare, Control* ctl) const {
        const std::size_t C = im_.src.channels;
        pad_row(line, im_.src.width, C, row_radius());
        T* out = row_target(im_.dst, y, spare);
        const std::size_t step = along_piece_;
        for (std::size_t i = 0; i < n_; i += step) {
            if (i) check(ctl);
            simd_run<AlongRow>(static_cast<const F*>(line + i), std::min(step, n_ - i), C,
                               along_.data(), row_radius(), unsharp_ ? orig + i : nullptr,
                               amount_, out + i);
        }
        store_row(im_.dst, y, out);
        copy_alpha(im_, y);
    }

    void block(std::size_t b, Control* ctl) const {
        const Scratch memory(scratch_bytes_);
        F* ring = memory.as<F>();
        F* line0 = ring + ring_ + lead_;
        F* line1 = line0 + padded_;
        T* spare = reinterpret_cast<T*>(ring + ring_ + 2 * padded_);
        std::vector<const F*> rows(slots_), moved(slots_);
        const auto r = static_cast<std::ptrdiff_t>(rows_radius());
        const auto y0 = static_cast<std::ptrdiff_t>(b * kRowsPerBlock);
        const auto y1 = static_cast<std::ptrdiff_t>(
            std::min(im_.src.height, (b + 1) * kRowsPerBlock));
        auto window = [&](std::ptrdiff_t y, std::size_t count) {
            if (in_place_) {
                for (std::size_t k = 0; k < count; ++k)
                    rows[k] = source_row(ring, y - r + static_cast<std::ptrdiff_t>(k));
                return;
            }
            // The ring's slots in order from row y - r's, wrapping: one division per window,
            // not one per row (with a long kernel over a narrow image, the divisions took most
            // of the time: 4x a float32 image read in place, 4x scipy).
            F* at = slot(ring, y - r);
            F* const end = ring + slots_ * stride_;
            for (std::size_t k = 0; k < count; ++k) {
                rows[k] = at;
                at += stride_;
                if (at == end) at = ring;
            }
        };
        for (std::ptrdiff_t j = y0 - r; j < y0 + r; ++j) load(ring, j);
        std::ptrdiff_t y = y0;
        for (; y + 1 < y1; y += 2) {  // two output rows per step
            load(ring, y + r);
            load(ring, y + r + 1);
            window(y, slots_);
            down<DownTwoRows<T>>(rows, slots_, moved, ctl, line0, line1);
            finish(line0, static_cast<std::size_t>(y), rows[r], spare, ctl);
            finish(line1, static_cast<std::size_t>(y + 1), rows[r + 1], spare, ctl);
        }
        if (y < y1) {  // an odd last row
            load(ring, y + r);
            window(y, slots_ - 1);
            down<DownRows<T>>(rows, slots_ - 1, moved, ctl, line0);
            finish(line0, static_cast<std::size_t>(y), rows[r], spare, ctl);
        }
    }

    const Pair& im_;
    std::vector<F> down_, along_;
    bool unsharp_;
    F amount_;
    bool in_place_;  // source rows are read where they are
    std::size_t n_, slots_, stride_, ring_, lead_, padded_, scratch_bytes_;
    std::size_t down_piece_, along_piece_;  // piece() of each kernel, once: a division per row
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
