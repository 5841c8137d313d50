#include "hotloop/processor.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "float64_kernels.hpp"
#include "hotloop/parallel.hpp"
#include "hotloop/reduce.hpp"
#include "memory.hpp"

namespace hotloop {
namespace {

constexpr std::size_t kCopyBlock = std::size_t(1) << 16;
constexpr std::size_t kMaxDims = 64;

// The n elements of an ndim-dimensional strided array (first points at element (0, ..., 0);
// strides in bytes, possibly negative or zero), in C order, converted to float64: the one copy
// that input other than contiguous float64 costs. Parallel over blocks of kCopyBlock elements,
// so a single long row (a 1-d array or view) is split too.
Buffer gather_float64(const void* first, std::size_t ndim, const std::size_t* shape,
                      const std::ptrdiff_t* strides, std::size_t n, DType dtype, Control* ctl) {
    // Rows along the last dimension; a 0-d array is one row of one element.
    const std::size_t inner = ndim ? shape[ndim - 1] : 1;
    const std::ptrdiff_t step = ndim ? strides[ndim - 1] : 0;
    Buffer gathered(DType::Float64, n);
    double* dst = gathered.as<double>();
    dispatch_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        // count elements of row `row` from column `column` on, into out.
        const auto convert = [&](std::size_t row, std::size_t column, std::size_t count,
                                 double* out) {
            // Byte offset of the row: its index unravelled over the outer dimensions.
            std::ptrdiff_t offset = static_cast<std::ptrdiff_t>(column) * step;
            for (std::size_t d = ndim > 0 ? ndim - 1 : 0, rest = row; d-- > 0; rest /= shape[d])
                offset += static_cast<std::ptrdiff_t>(rest % shape[d]) * strides[d];
            const char* src = static_cast<const char*>(first) + offset;
            T v;  // memcpy: NumPy views need not be aligned
            if (step == static_cast<std::ptrdiff_t>(sizeof(T))) {  // contiguous: vectorises
                for (std::size_t j = 0; j < count; ++j) {
                    std::memcpy(&v, src + j * sizeof(T), sizeof v);
                    out[j] = static_cast<double>(v);
                }
            } else {
                for (std::size_t j = 0; j < count; ++j) {
                    std::memcpy(&v, src + static_cast<std::ptrdiff_t>(j) * step, sizeof v);
                    out[j] = static_cast<double>(v);
                }
            }
        };
        parallel_blocks(
            block_count(n, kCopyBlock),
            [&](std::size_t b) {
                const std::size_t end = std::min(n, (b + 1) * kCopyBlock);
                for (std::size_t i = b * kCopyBlock; i < end;) {
                    const std::size_t column = i % inner;
                    const std::size_t count = std::min(inner - column, end - i);
                    convert(i / inner, column, count, dst + i);
                    i += count;
                }
            },
            ctl);
    });
    return gathered;
}

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
    const std::size_t shape[1] = {n};
    const std::ptrdiff_t strides[1] = {static_cast<std::ptrdiff_t>(dtype_size(dtype))};
    Buffer converted = gather_float64(values, 1, shape, strides, n, dtype, ctl);
    std::lock_guard<std::mutex> lock(mutex_);
    append(converted.as<double>(), n, ctl);
}

// Requires mutex_. The new values first complete the chunk the tail has begun (lead values), then
// make `whole` chunks of their own, and the rest becomes the new tail. One parallel pass reads
// each value once. The lead and the rest are taken in blocks of kMomentsBlock, for their moments.
// Whole chunks are taken in tasks of at most kMomentsBlock values: each chunk's compensated sum
// gives its mean (the bits of sum_doubles_serial) and, added up, the task's mean, and a second
// pass over the now cached values gives the task's squared deviations. A chunk longer than
// kMomentsBlock is taken in pieces of kMomentsBlock (sum_doubles_serial's blocks: the sizes are
// equal), whose sums are folded per chunk after the pass. Moments are merged in value order.
// If anything throws, a cancellation included, the processor is left exactly as it was, and
// storage this add grew is given back.
void DataProcessor::append(const double* values, std::size_t n, Control* ctl) {
    const std::size_t size = chunk_size_, kept = tail_.size();
    const std::size_t lead = kept == 0 ? 0 : std::min(n, size - kept);
    const bool tail_completes = kept != 0 && kept + lead == size;
    const std::size_t whole = (n - lead) / size;  // chunk c starts at values + lead + c * size
    const std::size_t rest = lead + whole * size;  // values[rest, n) is the new partial chunk
    const std::size_t chunks = static_cast<std::size_t>(tail_completes) + whole;
    const double divisor = static_cast<double>(size);

    // Tasks in value order: the lead's blocks, the whole chunks', the rest's blocks.
    const bool split = size > kMomentsBlock;
    const std::size_t pieces = split ? block_count(size, kMomentsBlock) : 1;  // per chunk
    const std::size_t per_task = split ? 1 : kMomentsBlock / size;           // chunks per task
    const std::size_t lead_tasks = block_count(lead, kMomentsBlock);
    const std::size_t chunk_tasks = split ? whole * pieces : block_count(whole, per_task);
    const std::size_t rest_tasks = block_count(n - rest, kMomentsBlock);

    // Everything that can fail to allocate, before anything changes.
    Partials partials(lead_tasks + chunk_tasks + rest_tasks);
    std::vector<CompensatedSum> piece_sums(split ? chunk_tasks : 0);
    tail_.reserve(tail_completes ? size : kept + lead + (n - rest));
    // The new means go past the held ones, into more room if needed (swapped in at the end).
    const std::size_t old_means = means_held_;
    if (chunks > SIZE_MAX / sizeof(double) - old_means) throw std::bad_alloc();
    Buffer grown;
    if (chunks > means_.length() - old_means) {
        grown = Buffer(DType::Float64, std::max(old_means + chunks, 2 * means_.length()));
        if (old_means != 0)
            std::memcpy(grown.data(), means_.data(), old_means * sizeof(double));
    }
    try {
        double* out = (grown.data() ? grown : means_).as<double>() + old_means;
        tail_.insert(tail_.end(), values, values + lead);  // within capacity: cannot throw
        if (tail_completes) *out++ = sum_doubles_serial(tail_.data(), size, ctl) / divisor;
        const auto block = [&](std::size_t begin, std::size_t end) {
            return block_moments(values + begin, std::min(end, begin + kMomentsBlock) - begin);
        };
        parallel_blocks(
            partials.size(),
            [&](std::size_t task) {
                MomentsAccumulator& partial = partials[task];
                if (task < lead_tasks) {
                    partial = block(task * kMomentsBlock, lead);
                    return;
                }
                const std::size_t t = task - lead_tasks;
                if (t >= chunk_tasks) {
                    partial = block(rest + (t - chunk_tasks) * kMomentsBlock, n);
                    return;
                }
                if (split) {
                    const std::size_t offset = t % pieces * kMomentsBlock;
                    const std::size_t len = std::min(kMomentsBlock, size - offset);
                    const SumAndM2 piece =
                        block_sum_m2_float64(values + lead + t / pieces * size + offset, len);
                    piece_sums[t] = piece.sum;
                    partial.add_block(len, piece.sum.sum, piece.sum.compensation, piece.m2);
                    return;
                }
                const std::size_t first = t * per_task, last = std::min(whole, first + per_task);
                const double* begin = values + lead + first * size;
                CompensatedSum sum;
                for (std::size_t c = first; c < last; ++c) {
                    const CompensatedSum chunk =
                        block_sum_float64_short_inline(values + lead + c * size, size);
                    CompensatedSum mean;  // sum_doubles_serial of a chunk of one block
                    mean.add(chunk);
                    out[c] = mean.value() / divisor;
                    sum.add(chunk);
                }
                const std::size_t len = (last - first) * size;
                const double m2 =
                    squared_deviations_float64(begin, len, sum.value() / static_cast<double>(len));
                partial.add_block(len, sum.sum, sum.compensation, m2);
            },
            ctl);
        for (std::size_t c = 0; split && c < whole; ++c) {  // as sum_doubles_serial folds blocks
            CompensatedSum mean;
            for (std::size_t piece = 0; piece < pieces; ++piece)
                mean.add(piece_sums[c * pieces + piece]);
            out[c] = mean.value() / divisor;
        }
        if (ctl) ctl->check();  // the last point where cancelling leaves the processor untouched
    } catch (...) {
        tail_.resize(kept);  // shrinking: cannot throw; `grown` is freed, means_ was not touched
        throw;
    }
    if (grown.data()) means_ = std::move(grown);
    means_held_ += chunks;
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
    // Gathered outside the lock.
    Buffer gathered = gather_float64(first, ndim, shape, strides, n, dtype, ctl);
    std::lock_guard<std::mutex> lock(mutex_);
    append(gathered.as<double>(), n, ctl);
}

Buffer DataProcessor::process_chunks(Control* ctl) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ctl) ctl->check();
    if (means_held_ == 0) return Buffer(DType::Float64, 0);
    const MomentsAccumulator rest = moments_accumulator(tail_.data(), tail_.size(), ctl);
    if (ctl) ctl->check();  // the last point where cancelling leaves the processor untouched
    Buffer means = std::move(means_);  // handed out as they are: no copy
    means.truncate(means_held_);
    means_ = Buffer();
    means_held_ = 0;
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
    means_ = Buffer();
    means_held_ = 0;
    Doubles().swap(tail_);
    moments_ = MomentsAccumulator{};
}

std::size_t DataProcessor::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return held();
}

}  // namespace hotloop
