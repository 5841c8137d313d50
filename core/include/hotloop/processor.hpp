// DataProcessor: a FIFO of float64 values consumed in fixed-size chunks. All member functions are
// safe to call from several threads at once (one internal mutex); every mutation is all or
// nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "hotloop/buffer.hpp"
#include "hotloop/dtype.hpp"
#include "hotloop/stats.hpp"

namespace hotloop {

class DataProcessor {
public:
    explicit DataProcessor(std::size_t chunk_size);  // chunk_size >= 1

    // Appends n values converted to float64 from dtype (all or nothing).
    void add(const void* values, std::size_t n, DType dtype);
    // Appends the elements of an ndim-dimensional strided array in C order, converted to
    // float64 straight into the queue (the one copy a NumPy view costs). first points at element
    // (0, ..., 0); strides are in bytes and may be negative or zero. All or nothing.
    void add_strided(const void* first, std::size_t ndim, const std::size_t* shape,
                     const std::ptrdiff_t* strides, DType dtype);
    // Removes every full chunk from the front; returns their means in order (float64 buffer).
    Buffer process_chunks();
    // Count, mean and population standard deviation; all zero when empty.
    Moments statistics() const;
    void clear();
    std::size_t size() const;
    std::size_t chunk_size() const noexcept { return chunk_size_; }

private:
    // Grows the queue by n values (all or nothing) and returns where they go.
    double* append_uninitialised(std::size_t n);
    std::size_t held() const noexcept { return values_.size() - head_; }
    const double* front() const noexcept { return values_.data() + head_; }

    const std::size_t chunk_size_;
    mutable std::mutex mutex_;
    // Default-initialising allocator: growing the queue does not zero memory it overwrites next.
    template <class T>
    struct UninitAllocator : std::allocator<T> {
        template <class U>
        struct rebind {
            using other = UninitAllocator<U>;
        };
        template <class U>
        void construct(U* p) noexcept {
            ::new (static_cast<void*>(p)) U;
        }
        template <class U, class... Args>
        void construct(U* p, Args&&... args) {
            ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
        }
    };
    std::vector<double, UninitAllocator<double>> values_;  // live values: [head_, size())
    std::size_t head_ = 0;        // consumed prefix, reclaimed lazily
};

}  // namespace hotloop
