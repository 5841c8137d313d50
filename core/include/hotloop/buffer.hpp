// A 64-byte aligned, typed block of memory the engine hands out as a result. Movable, not
// copyable; the C API gives it to callers as an hl_buffer.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

#include "hotloop/dtype.hpp"

namespace hotloop {

// Returns a Buffer's memory to the engine's allocator (core/src/runtime/memory.cpp).
struct BufferRelease {
    std::size_t bytes = 0;
    void operator()(void* p) const noexcept;
};

class Buffer {
public:
    Buffer() = default;
    // Uninitialised storage for n elements of dtype; throws std::bad_alloc.
    Buffer(DType dtype, std::size_t n);

    void* data() noexcept { return data_.get(); }
    const void* data() const noexcept { return data_.get(); }
    template <class T>
    T* as() noexcept { return static_cast<T*>(data_.get()); }
    std::size_t length() const noexcept { return length_; }
    DType dtype() const noexcept { return dtype_; }
    // Keeps the first n elements (n <= length()); the memory is not reallocated.
    void truncate(std::size_t n) noexcept;

private:
    std::unique_ptr<void, BufferRelease> data_;
    std::size_t length_ = 0;
    DType dtype_ = DType::Float64;
};

}  // namespace hotloop
