#include "hotloop/buffer.hpp"

#include "memory.hpp"

namespace hotloop {

Buffer::Buffer(DType dtype, std::size_t n) : length_(n), dtype_(dtype) {
    const std::size_t element = dtype_size(dtype);
    check_array(nullptr, 0, element, "Buffer");
    if (element == 0) fail(ErrorKind::Type, "Buffer: unknown dtype");
    if (n > (std::size_t(-1) - 63) / element) throw std::bad_alloc();
    if (n == 0) return;
    data_ = std::unique_ptr<void, BufferRelease>(allocate_aligned(n * element), BufferRelease{n * element});
}

void BufferRelease::operator()(void* p) const noexcept { release_aligned(p, bytes); }

void Buffer::truncate(std::size_t n) noexcept {
    if (n < length_) length_ = n;
}

}  // namespace hotloop
