// DataProcessor: a FIFO of float64 values consumed in fixed-size chunks. All member functions are
// safe to call from several threads at once (one internal mutex); every mutation is all or
// nothing, including a cancelled one: the queue changes only after the last cancellation check.
// Statistics are maintained incrementally, deterministically for a given sequence of calls
// whatever the thread count.
//
// Nothing ever reads a full chunk's values again except to take its mean, so add() takes the mean
// of every chunk it completes while it reads the new values, and keeps only those means and the
// values after the last full chunk. Adding float64 values therefore reads them once and copies
// none of them (except the partial chunk at the end); process_chunks() hands out the means.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "hotloop/buffer.hpp"
#include "hotloop/dtype.hpp"
#include "hotloop/parallel.hpp"
#include "hotloop/stats.hpp"

namespace hotloop {

// Large, huge-page advised memory (core/src/memory.cpp); throws std::bad_alloc.
void* allocate_queue_memory(std::size_t bytes);
void release_queue_memory(void* p, std::size_t bytes) noexcept;

class DataProcessor {
public:
    explicit DataProcessor(std::size_t chunk_size);  // chunk_size >= 1

    // Appends n values converted to float64 from dtype (all or nothing).
    void add(const void* values, std::size_t n, DType dtype, Control* ctl = nullptr);
    // Appends the elements of an ndim-dimensional strided array in C order, gathered into one
    // float64 array first (the one copy a NumPy view costs). first points at element
    // (0, ..., 0); strides are in bytes and may be negative or zero. All or nothing.
    void add_strided(const void* first, std::size_t ndim, const std::size_t* shape,
                     const std::ptrdiff_t* strides, DType dtype, Control* ctl = nullptr);
    // Removes every full chunk from the front; returns their means in order (float64 buffer).
    // Each mean is sum_doubles_serial(chunk) / chunk_size, whichever adds the chunk came from.
    Buffer process_chunks(Control* ctl = nullptr);
    // Count, mean and population standard deviation; all zero when empty.
    Moments statistics(Control* ctl = nullptr) const;
    void clear();
    std::size_t size() const;
    std::size_t chunk_size() const noexcept { return chunk_size_; }

private:
    // Requires mutex_: adds n float64 values (all or nothing).
    void append(const double* values, std::size_t n, Control* ctl);
    std::size_t held() const noexcept { return means_held_ * chunk_size_ + tail_.size(); }

    const std::size_t chunk_size_;
    mutable std::mutex mutex_;
    // Allocator for the queue: growing does not zero memory that is overwritten next, and memory
    // comes from malloc, so an impossible size fails with std::bad_alloc (also under ASan), and
    // large blocks use huge pages.
    template <class T>
    struct UninitAllocator {
        using value_type = T;
        UninitAllocator() = default;
        template <class U>
        UninitAllocator(const UninitAllocator<U>&) noexcept {}
        T* allocate(std::size_t n) {
            if (n > std::size_t(-1) / sizeof(T)) throw std::bad_alloc();
            return static_cast<T*>(allocate_queue_memory(n * sizeof(T)));
        }
        void deallocate(T* p, std::size_t n) noexcept { release_queue_memory(p, n * sizeof(T)); }
        template <class U>
        void construct(U* p) noexcept {
            ::new (static_cast<void*>(p)) U;
        }
        template <class U, class... Args>
        void construct(U* p, Args&&... args) {
            ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
        }
        friend bool operator==(const UninitAllocator&, const UninitAllocator&) { return true; }
        friend bool operator!=(const UninitAllocator&, const UninitAllocator&) { return false; }
    };
    using Doubles = std::vector<double, UninitAllocator<double>>;
    // The means of the full chunks held, oldest first: means_[0, means_held_); the rest of
    // means_ is room for more. process_chunks() hands the buffer out as it is.
    Buffer means_;
    std::size_t means_held_ = 0;
    Doubles tail_;  // the values after the last full chunk: fewer than chunk_size_
    // Moments of the values held, kept current by every mutation: add() merges the moments of
    // the new values (taken while reading them), process_chunks() recomputes them over the
    // partial chunk left behind. statistics() is then O(1).
    MomentsAccumulator moments_;
    using Partials = std::vector<MomentsAccumulator, UninitAllocator<MomentsAccumulator>>;
};

}  // namespace hotloop
