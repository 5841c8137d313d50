// Large allocations for results and queues: the standard allocator (so that allocation failure
// is a clean std::bad_alloc, also under AddressSanitizer, and freed memory goes back to malloc
// at once; what glibc keeps of it: docs/benchmarks.md, "Allocator"). Blocks of 4 MB or more
// are aligned to 2 MB and advised to use transparent huge pages, as NumPy does for its arrays:
// the advice applies to that block only. No cache: a fresh large result pays its first-touch
// page faults like NumPy's does (what that costs: the same section).
#pragma once

#include <cstddef>

namespace hotloop {

// 64-byte aligned; throws std::bad_alloc. Release with release_aligned(p, the same bytes).
void* allocate_aligned(std::size_t bytes);
void release_aligned(void* p, std::size_t bytes) noexcept;

// 64-byte aligned zeroed memory from calloc: a large block that glibc maps fresh is already zero
// (the kernel zeroes each page at first touch), so calloc skips the memset that
// allocate_aligned + memset pays on top of the kernel's zeroing; a reused block is memset by
// calloc as before. Blocks of 4 MB or more are 2 MB-aligned and advised to use huge pages, as
// allocate_aligned's. Throws std::bad_alloc. Release with release_zeroed(p).
void* allocate_zeroed(std::size_t bytes);
void release_zeroed(void* p) noexcept;

// Zeroes [p, p + bytes), giving the whole pages in it back to the system (Linux: madvise
// MADV_DONTNEED; a page touched again is faulted in zeroed), the rest by memset: a table that
// empties part by part then holds no memory for the parts it is done with.
void zero_releasing(void* p, std::size_t bytes) noexcept;

}  // namespace hotloop
