#include "hotloop/processor.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "hotloop/parallel.hpp"
#include "hotloop/reduce.hpp"

namespace hotloop {
namespace {

constexpr std::size_t kCopyBlock = std::size_t(1) << 16;
constexpr std::size_t kChunkWork = std::size_t(1) << 16;  // values per task in process_chunks

}  // namespace

DataProcessor::DataProcessor(std::size_t chunk_size) : chunk_size_(chunk_size) {
    if (chunk_size < 1) fail(ErrorKind::InvalidArgument, "chunk_size must be at least 1");
}

namespace {

// dst[i] = double(src[i]) for n values, in parallel blocks (cancellable).
void convert_into(double* dst, const void* values, std::size_t n, DType dtype, Control* ctl) {
    dispatch_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* src = static_cast<const T*>(values);
        parallel_blocks(
            block_count(n, kCopyBlock),
            [&](std::size_t b) {
                const std::size_t begin = b * kCopyBlock, end = std::min(n, begin + kCopyBlock);
                if constexpr (std::is_same<T, double>::value)
                    std::memcpy(dst + begin, src + begin, (end - begin) * sizeof(double));
                else
                    for (std::size_t i = begin; i < end; ++i) dst[i] = static_cast<double>(src[i]);
            },
            ctl);
    });
}

}  // namespace

void DataProcessor::add(const void* values, std::size_t n, DType dtype, Control* ctl) {
    if (dtype_size(dtype) == 0)
        fail(ErrorKind::Type, "add: unknown dtype code " +
                                  std::to_string(static_cast<int32_t>(dtype)));
    check_array(values, n, dtype_size(dtype), "add");
    if (ctl) ctl->check();
    if (n == 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t live = held();
    if (n > values_.max_size() - values_.size()) throw std::bad_alloc();
    if (head_ != 0 && values_.size() + n > values_.capacity() && live + n <= values_.capacity()) {
        // Reclaim the consumed prefix in place; this moves values but loses none.
        values_.erase(values_.begin(), values_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
    if (values_.size() + n <= values_.capacity()) {
        // Room at the tail: write there; a failure or cancellation drops the tail again.
        const std::size_t old_size = values_.size();
        values_.resize(old_size + n);  // no reallocation, cannot throw
        try {
            convert_into(values_.data() + old_size, values, n, dtype, ctl);
            if (ctl) ctl->check();
        } catch (...) {
            values_.resize(old_size);
            throw;
        }
        return;
    }
    // Growing: build the new queue aside (live values, then the new ones) and swap it in only
    // when it is complete, so a failure or cancellation frees it and leaves the queue as it was.
    decltype(values_) grown;
    grown.reserve(std::max(live + n, 2 * live));
    grown.resize(live + n);
    convert_into(grown.data(), front(), live, DType::Float64, ctl);
    convert_into(grown.data() + live, values, n, dtype, ctl);
    if (ctl) ctl->check();
    values_.swap(grown);
    head_ = 0;
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
    if (ctl) ctl->check();  // the last point where cancelling leaves the queue untouched
    head_ += chunks * chunk_size_;
    if (head_ == values_.size()) {
        values_.clear();
        head_ = 0;
    }
    return means;
}

Moments DataProcessor::statistics(Control* ctl) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return moments(front(), held(), ctl);
}

void DataProcessor::clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    values_.clear();
    values_.shrink_to_fit();
    head_ = 0;
}

std::size_t DataProcessor::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return held();
}

}  // namespace hotloop
