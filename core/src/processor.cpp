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
    if (dtype == DType::Float64) {  // read in place
        std::lock_guard<std::mutex> lock(mutex_);
        append(static_cast<const double*>(values), n, ctl);
        return;
    }
    // Other dtypes are converted to float64 first (one copy), before taking the lock.
    Buffer converted(DType::Float64, n);
    double* dst = converted.as<double>();
    dispatch_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* src = static_cast<const T*>(values);
        parallel_blocks(
            block_count(n, kCopyBlock),
            [&](std::size_t b) {
                const std::size_t begin = b * kCopyBlock, end = std::min(n, begin + kCopyBlock);
                for (std::size_t i = begin; i < end; ++i) dst[i] = static_cast<double>(src[i]);
            },
            ctl);
    });
    std::lock_guard<std::mutex> lock(mutex_);
    append(dst, n, ctl);
}

// Requires mutex_. The new values first complete the chunk the tail has begun (lead values), then
// make `whole` chunks of their own, and the rest becomes the new tail. One parallel pass over
// blocks of kMomentsBlock takes each block's moments and the means of the chunks that start in
// it (the last of which reads past the block). If anything throws, a cancellation included, the
// processor is left exactly as it was, and storage this add grew is given back.
void DataProcessor::append(const double* values, std::size_t n, Control* ctl) {
    const std::size_t size = chunk_size_, kept = tail_.size();
    const std::size_t lead = kept == 0 ? 0 : std::min(n, size - kept);
    const bool tail_completes = kept != 0 && kept + lead == size;
    const std::size_t whole = (n - lead) / size;  // chunk c starts at values + lead + c * size
    const std::size_t rest = lead + whole * size;  // values[rest, n) is the new partial chunk
    const std::size_t chunks = static_cast<std::size_t>(tail_completes) + whole;
    const double divisor = static_cast<double>(size);

    // Everything that can fail to allocate, before anything changes.
    Partials partials(block_count(n, kMomentsBlock));
    tail_.reserve(tail_completes ? size : kept + lead + (n - rest));
    const std::size_t old_means = means_.size();
    if (chunks > means_.max_size() - old_means) throw std::bad_alloc();
    means_.resize(old_means + chunks);
    try {
        double* out = means_.data() + old_means;
        tail_.insert(tail_.end(), values, values + lead);  // within capacity: cannot throw
        if (tail_completes) *out++ = sum_doubles_serial(tail_.data(), size, ctl) / divisor;
        parallel_blocks(
            partials.size(),
            [&](std::size_t b) {
                const std::size_t begin = b * kMomentsBlock;
                const std::size_t end = std::min(n, begin + kMomentsBlock);
                partials[b] = block_moments(values + begin, end - begin);
                // The first chunk starting at or after begin; offsets are relative to lead.
                const std::size_t from = begin > lead ? begin - lead : 0;
                for (std::size_t c = from / size + (from % size != 0);
                     c < whole && lead + c * size < end; ++c)
                    out[c] = sum_doubles_serial(values + lead + c * size, size, ctl) / divisor;
            },
            ctl);
        if (ctl) ctl->check();  // the last point where cancelling leaves the processor untouched
    } catch (...) {
        // Shrinking cannot throw; shrink_to_fit reports no failure, it keeps the old storage.
        tail_.resize(kept);
        means_.resize(old_means);
        if (means_.capacity() > 2 * old_means + kCopyBlock) means_.shrink_to_fit();
        throw;
    }
    if (tail_completes) tail_.clear();
    tail_.insert(tail_.end(), values + rest, values + n);  // within capacity
    for (const MomentsAccumulator& partial : partials) moments_.merge(partial);
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
    // Gathered in C order into one float64 array (the one copy a NumPy view costs), outside
    // the lock. Rows along the last dimension; a 0-d array is one row of one element.
    const std::size_t inner = ndim ? shape[ndim - 1] : 1;
    const std::ptrdiff_t step = ndim ? strides[ndim - 1] : 0;
    const std::size_t rows = n / inner;
    const std::size_t rows_per_block = std::max<std::size_t>(1, kCopyBlock / inner);
    Buffer gathered(DType::Float64, n);
    double* dst = gathered.as<double>();
    dispatch_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        parallel_blocks(
            block_count(rows, rows_per_block),
            [&](std::size_t b) {
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
    std::lock_guard<std::mutex> lock(mutex_);
    append(dst, n, ctl);
}

Buffer DataProcessor::process_chunks(Control* ctl) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ctl) ctl->check();
    Buffer means(DType::Float64, means_.size());  // allocate before changing anything
    if (means_.empty()) return means;
    const MomentsAccumulator rest = moments_accumulator(tail_.data(), tail_.size(), ctl);
    if (ctl) ctl->check();  // the last point where cancelling leaves the processor untouched
    std::memcpy(means.data(), means_.data(), means_.size() * sizeof(double));
    Doubles().swap(means_);  // drained: give the storage back
    moments_ = rest;
    return means;
}

Moments DataProcessor::statistics(Control* ctl) const {
    if (ctl) ctl->check();
    std::lock_guard<std::mutex> lock(mutex_);
    return moments_.moments();
}

void DataProcessor::clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    Doubles().swap(means_);
    Doubles().swap(tail_);
    moments_ = MomentsAccumulator{};
}

std::size_t DataProcessor::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return held();
}

}  // namespace hotloop
