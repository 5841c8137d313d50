#include "hotloop/processor.hpp"

#include <algorithm>
#include <cstring>
#include <vector>
#include <type_traits>

#include "hotloop/parallel.hpp"
#include "hotloop/reduce.hpp"
#include "memory.hpp"

namespace hotloop {
namespace {

constexpr std::size_t kChunkWork = std::size_t(1) << 16;  // values per task in process_chunks

}  // namespace

void* allocate_queue_memory(std::size_t bytes) { return allocate_aligned(bytes); }
void release_queue_memory(void* p, std::size_t bytes) noexcept { release_aligned(p, bytes); }

DataProcessor::DataProcessor(std::size_t chunk_size) : chunk_size_(chunk_size) {
    if (chunk_size < 1) fail(ErrorKind::InvalidArgument, "chunk_size must be at least 1");
}

void DataProcessor::add(const void* values, std::size_t n, DType dtype) {
    if (dtype_size(dtype) == 0)
        fail(ErrorKind::Type, "add: unknown dtype code " +
                                  std::to_string(static_cast<int32_t>(dtype)));
    check_array(values, n, dtype_size(dtype), "add");
    if (n == 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    // Reclaim the consumed prefix before growing; this moves values but loses none.
    if (head_ != 0 && values_.size() + n > values_.capacity()) {
        values_.erase(values_.begin(), values_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
    if (n > values_.max_size() - values_.size()) throw std::bad_alloc();
    // Copy (converting) block by block, and take each block's moments while it is in cache.
    const std::size_t blocks = block_count(n, kMomentsBlock);
    std::vector<Moments, UninitAllocator<Moments>> partials(blocks);  // malloc: fails cleanly
    const std::size_t old_size = values_.size();
    values_.resize(old_size + n);  // the last step that can fail: nothing has changed before it
    double* dst = values_.data() + old_size;
    dispatch_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* src = static_cast<const T*>(values);
        parallel_blocks(blocks, [&](std::size_t b) {
            const std::size_t begin = b * kMomentsBlock, end = std::min(n, begin + kMomentsBlock);
            if constexpr (std::is_same<T, double>::value)
                std::memcpy(dst + begin, src + begin, (end - begin) * sizeof(double));
            else
                for (std::size_t i = begin; i < end; ++i) dst[i] = static_cast<double>(src[i]);
            partials[b] = block_moments(dst + begin, end - begin);
        });
    });
    for (const Moments& partial : partials) moments_.merge(partial);
}

Buffer DataProcessor::process_chunks() {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t chunks = held() / chunk_size_;
    Buffer means(DType::Float64, chunks);  // allocate before changing anything
    double* out = means.as<double>();
    const double* base = front();
    const std::size_t per_task = std::max<std::size_t>(1, kChunkWork / chunk_size_);
    parallel_blocks(block_count(chunks, per_task), [&](std::size_t t) {
        const std::size_t first = t * per_task, last = std::min(chunks, first + per_task);
        for (std::size_t c = first; c < last; ++c)
            out[c] = sum_doubles_serial(base + c * chunk_size_, chunk_size_) /
                     static_cast<double>(chunk_size_);
    });
    const Moments rest = moments(base + chunks * chunk_size_, held() - chunks * chunk_size_);
    head_ += chunks * chunk_size_;
    moments_ = rest;
    if (head_ == values_.size()) {
        values_.clear();
        head_ = 0;
    }
    return means;
}

Moments DataProcessor::statistics() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return moments_;
}

void DataProcessor::clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    values_.clear();
    values_.shrink_to_fit();
    head_ = 0;
    moments_ = Moments{};
}

std::size_t DataProcessor::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return held();
}

}  // namespace hotloop
