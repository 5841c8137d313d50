#include "hotloop/processor.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>
#include <type_traits>

#include "hotloop/parallel.hpp"
#include "hotloop/reduce.hpp"
#include "memory.hpp"

namespace hotloop {
namespace {

constexpr std::size_t kCopyBlock = std::size_t(1) << 16;
constexpr std::size_t kMaxDims = 64;
constexpr std::size_t kChunkWork = std::size_t(1) << 16;  // values per task in process_chunks

}  // namespace

void* allocate_queue_memory(std::size_t bytes) { return allocate_aligned(bytes); }
void release_queue_memory(void* p, std::size_t bytes) noexcept { release_aligned(p, bytes); }

DataProcessor::DataProcessor(std::size_t chunk_size) : chunk_size_(chunk_size) {
    if (chunk_size < 1) fail(ErrorKind::InvalidArgument, "chunk_size must be at least 1");
}

void DataProcessor::add(const void* values, std::size_t n, DType dtype, Control* ctl) {
    if (dtype_size(dtype) == 0)
        fail(ErrorKind::Type, "add: unknown dtype code " +
                                  std::to_string(static_cast<int32_t>(dtype)));
    check_array(values, n, dtype_size(dtype), "add");
    if (ctl) ctl->check();
    if (n == 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    // Copy (converting) block by block, and take each block's moments while it is in cache.
    Partials partials(block_count(n, kMomentsBlock));  // before anything changes: may throw
    double* dst = append_uninitialised(n);             // the last step that can fail
    commit_or_drop(n, ctl, [&] {
        dispatch_dtype(dtype, [&](auto tag) {
            using T = decltype(tag);
            const T* src = static_cast<const T*>(values);
            parallel_blocks(
                partials.size(),
                [&](std::size_t b) {
                    const std::size_t begin = b * kMomentsBlock;
                    const std::size_t end = std::min(n, begin + kMomentsBlock);
                    if constexpr (std::is_same<T, double>::value) {
                        // Moments from the source block, which the copy leaves in cache.
                        copy_streaming(dst + begin, src + begin, end - begin);
                        partials[b] = block_moments(src + begin, end - begin);
                    } else {
                        for (std::size_t i = begin; i < end; ++i)
                            dst[i] = static_cast<double>(src[i]);
                        partials[b] = block_moments(dst + begin, end - begin);
                    }
                },
                ctl);
        });
    });
    for (const MomentsAccumulator& partial : partials) moments_.merge(partial);
}

// Requires mutex_, and the last n values appended uninitialised. Runs fill(); if it throws (a
// cancellation included) or the control was cancelled meanwhile, the n values are dropped again
// and the queue is exactly as it was.
template <class Fill>
void DataProcessor::commit_or_drop(std::size_t n, Control* ctl, Fill&& fill) {
    try {
        fill();
        if (ctl) ctl->check();  // the last point where cancelling leaves the queue untouched
    } catch (...) {
        values_.resize(values_.size() - n);  // shrinking: no reallocation, cannot throw
        // Give back storage this add grew (an interrupted 8 GB add must not keep 8 GB);
        // shrink_to_fit reports no failure, it keeps the old storage instead.
        if (values_.capacity() > 2 * values_.size() + kCopyBlock) values_.shrink_to_fit();
        throw;
    }
}

// Requires mutex_.
double* DataProcessor::append_uninitialised(std::size_t n) {
    // Reclaim the consumed prefix before growing; this moves values but loses none.
    if (head_ != 0 && values_.size() + n > values_.capacity()) {
        values_.erase(values_.begin(), values_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
    if (n > values_.max_size() - values_.size()) throw std::bad_alloc();
    const std::size_t old_size = values_.size();
    values_.resize(old_size + n);  // the only step that can fail; the queue is unchanged if so
    return values_.data() + old_size;
}

void DataProcessor::add_strided(const void* first, std::size_t ndim, const std::size_t* shape,
                                const std::ptrdiff_t* strides, DType dtype, Control* ctl) {
    if (dtype_size(dtype) == 0)
        fail(ErrorKind::Type, "add: unknown dtype code " +
                                  std::to_string(static_cast<int32_t>(dtype)));
    if (ndim > kMaxDims)
        fail(ErrorKind::InvalidArgument, "add: " + std::to_string(ndim) + " dimensions (at most " +
                                             std::to_string(kMaxDims) + ")");
    if (ndim != 0 && (shape == nullptr || strides == nullptr))
        fail(ErrorKind::InvalidArgument, "add: NULL shape or strides");
    std::size_t n = 1;
    for (std::size_t d = 0; d < ndim; ++d) {
        if (shape[d] != 0 && n > SIZE_MAX / shape[d])
            fail(ErrorKind::InvalidArgument, "add: the array's size overflows");
        n *= shape[d];
    }
    check_array(first, n, dtype_size(dtype), "add");
    if (n == 0) return;
    // Rows along the last dimension; a 0-d array is one row of one element.
    const std::size_t inner = ndim ? shape[ndim - 1] : 1;
    const std::ptrdiff_t step = ndim ? strides[ndim - 1] : 0;
    const std::size_t rows = n / inner;
    const std::size_t rows_per_block = std::max<std::size_t>(1, kCopyBlock / inner);
    std::lock_guard<std::mutex> lock(mutex_);
    Partials partials(block_count(n, kMomentsBlock));  // before anything changes: may throw
    double* dst = append_uninitialised(n);
    commit_or_drop(n, ctl, [&] {
        dispatch_dtype(dtype, [&](auto tag) {
            using T = decltype(tag);
            parallel_blocks(block_count(rows, rows_per_block), [&](std::size_t b) {
                const std::size_t first_row = b * rows_per_block;
                const std::size_t last_row = std::min(rows, first_row + rows_per_block);
                for (std::size_t r = first_row; r < last_row; ++r) {
                    // Byte offset of row r: its index unravelled over the outer dimensions.
                    std::ptrdiff_t offset = 0;
                    std::size_t rest = r;
                    for (std::size_t d = ndim > 0 ? ndim - 1 : 0; d-- > 0;) {
                        offset += static_cast<std::ptrdiff_t>(rest % shape[d]) * strides[d];
                        rest /= shape[d];
                    }
                    const char* src = static_cast<const char*>(first) + offset;
                    double* out = dst + r * inner;
                    for (std::size_t j = 0; j < inner; ++j) {
                        T v;  // memcpy: NumPy views need not be aligned
                        std::memcpy(&v, src + static_cast<std::ptrdiff_t>(j) * step, sizeof v);
                        out[j] = static_cast<double>(v);
                    }
                }
            },
            ctl);
        });
        parallel_blocks(
            partials.size(),
            [&](std::size_t b) {
                const std::size_t begin = b * kMomentsBlock;
                partials[b] = block_moments(dst + begin, std::min(kMomentsBlock, n - begin));
            },
            ctl);
    });
    for (const MomentsAccumulator& partial : partials) moments_.merge(partial);
}

Buffer DataProcessor::process_chunks(Control* ctl) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t chunks = held() / chunk_size_;
    Buffer means(DType::Float64, chunks);  // allocate before changing anything
    double* out = means.as<double>();
    const double* base = front();
    const std::size_t per_task = std::max<std::size_t>(1, kChunkWork / chunk_size_);
    parallel_blocks(
        block_count(chunks, per_task),
        [&](std::size_t t) {
            const std::size_t first = t * per_task, last = std::min(chunks, first + per_task);
            for (std::size_t c = first; c < last; ++c)
                out[c] = sum_doubles_serial(base + c * chunk_size_, chunk_size_, ctl) /
                         static_cast<double>(chunk_size_);
        },
        ctl);
    const MomentsAccumulator rest =
        moments_accumulator(base + chunks * chunk_size_, held() - chunks * chunk_size_, ctl);
    if (ctl) ctl->check();  // the last point where cancelling leaves the queue untouched
    head_ += chunks * chunk_size_;
    moments_ = rest;
    if (head_ == values_.size()) {
        values_.clear();
        head_ = 0;
    }
    return means;
}

Moments DataProcessor::statistics(Control* ctl) const {
    if (ctl) ctl->check();
    std::lock_guard<std::mutex> lock(mutex_);
    return moments_.moments();
}

void DataProcessor::clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    values_.clear();
    values_.shrink_to_fit();
    head_ = 0;
    moments_ = MomentsAccumulator{};
}

std::size_t DataProcessor::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return held();
}

}  // namespace hotloop
