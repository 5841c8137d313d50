// The grayscale pass: each row converted to the working type, then its luma.
#include <algorithm>

#include "imaging_kernels.hpp"
#include "imaging_passes.hpp"

namespace hotloop::imaging {
namespace {

template <class T, class F>
void grayscale_rows(const Pair& im, Control* ctl) {
    const std::size_t W = im.src.width;
    const std::size_t bytes =
        checked_mul(aligned_count<F>(im.src.samples_per_row()) + aligned_count<F>(W), sizeof(F));
    parallel_blocks(
        block_count(im.src.height, kRowsPerBlock),
        [&](std::size_t b) {
            const Scratch memory(bytes);
            F* px = memory.as<F>();
            T* spare = reinterpret_cast<T*>(px + aligned_count<F>(im.src.samples_per_row()));
            const std::size_t end = std::min(im.src.height, (b + 1) * kRowsPerBlock);
            for (std::size_t y = b * kRowsPerBlock; y < end; ++y) {
                load_row<T>(im.src, y, px);
                T* out = row_target(im.dst, y, spare);
                simd_run<LumaRow>(static_cast<const F*>(px), W, im.src.channels, out);
                store_row(im.dst, y, out);
            }
        },
        ctl);
}

}  // namespace

void grayscale_pass(const Pair& images, Control* ctl) {
    by_dtype(images.src.dtype, [&](auto sample, auto work) {
        grayscale_rows<decltype(sample), decltype(work)>(images, ctl);
    });
}

}  // namespace hotloop::imaging
