// DataProcessor: a FIFO of float64 values consumed in fixed-size chunks. All member functions are
// safe to call from several threads at once (one internal mutex); every mutation is all or
// nothing, including a cancelled one: the queue changes only after the last cancellation check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "hotloop/buffer.hpp"
#include "hotloop/dtype.hpp"
#include "hotloop/parallel.hpp"
#include "hotloop/stats.hpp"

namespace hotloop {

class DataProcessor {
public:
    explicit DataProcessor(std::size_t chunk_size);  // chunk_size >= 1

    // Appends n values converted to float64 from dtype (all or nothing).
    void add(const void* values, std::size_t n, DType dtype, Control* ctl = nullptr);
    // Removes every full chunk from the front; returns their means in order (float64 buffer).
    Buffer process_chunks(Control* ctl = nullptr);
    // Count, mean and population standard deviation; all zero when empty.
    Moments statistics(Control* ctl = nullptr) const;
    void clear();
    std::size_t size() const;
    std::size_t chunk_size() const noexcept { return chunk_size_; }

private:
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
