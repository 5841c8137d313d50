// DataProcessor: a FIFO of float64 values consumed in fixed-size chunks. All member functions are
// safe to call from several threads at once (one internal mutex); every mutation is all or
// nothing, including a cancelled one: the queue changes only after the last cancellation check.
// Statistics are maintained incrementally, deterministically for a given sequence of calls
// whatever the thread count.
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
    // Appends the elements of an ndim-dimensional strided array in C order, converted to
    // float64 straight into the queue (the one copy a NumPy view costs). first points at element
    // (0, ..., 0); strides are in bytes and may be negative or zero. All or nothing.
    void add_strided(const void* first, std::size_t ndim, const std::size_t* shape,
                     const std::ptrdiff_t* strides, DType dtype, Control* ctl = nullptr);
    // Removes every full chunk from the front; returns their means in order (float64 buffer).
    Buffer process_chunks(Control* ctl = nullptr);
    // Count, mean and population standard deviation; all zero when empty.
    Moments statistics(Control* ctl = nullptr) const;
    void clear();
    std::size_t size() const;
    std::size_t chunk_size() const noexcept { return chunk_size_; }

private:
    // Grows the queue by n values (all or nothing) and returns where they go.
    double* append_uninitialised(std::size_t n);
    template <class Fill>
    void commit_or_drop(std::size_t n, Control* ctl, Fill&& fill);
    std::size_t held() const noexcept { return values_.size() - head_; }
    const double* front() const noexcept { return values_.data() + head_; }

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
    std::vector<double, UninitAllocator<double>> values_;  // live values: [head_, size())
    std::size_t head_ = 0;        // consumed prefix, reclaimed lazily
    // Moments of the live values, kept current by every mutation: add() merges the moments of
    // the new values (computed while copying them), process_chunks() recomputes them over the
    // partial chunk left behind. statistics() is then O(1).
    MomentsAccumulator moments_;
    using Partials = std::vector<MomentsAccumulator, UninitAllocator<MomentsAccumulator>>;
};

}  // namespace hotloop
