// Large allocations for results and queues. Memory comes from malloc (so that allocation failure
// is a clean std::bad_alloc, also under AddressSanitizer) and large blocks are advised to use
// transparent huge pages, as NumPy does: first-touch page faults otherwise dominate the time of
// a fresh 80 MB output.
#pragma once

#include <cstddef>

namespace hotloop {

// 64-byte aligned; throws std::bad_alloc. Free with std::free.
void* allocate_aligned(std::size_t bytes);

}  // namespace hotloop
