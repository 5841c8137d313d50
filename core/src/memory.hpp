// Large allocations for results and queues. Memory comes from malloc (so that allocation failure
// is a clean std::bad_alloc, also under AddressSanitizer); large blocks are advised to use
// transparent huge pages, as NumPy does, and a few recently released large blocks are kept for
// reuse: first-touch page faults (the kernel zeroing every fresh page) otherwise dominate the
// time of producing an 80 MB result.
#pragma once

#include <cstddef>

namespace hotloop {

// 64-byte aligned; throws std::bad_alloc. Release with release_aligned(p, the same bytes).
void* allocate_aligned(std::size_t bytes);
void release_aligned(void* p, std::size_t bytes) noexcept;

}  // namespace hotloop
