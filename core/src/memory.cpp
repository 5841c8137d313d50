#include "memory.hpp"

#include <cstdint>
#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace hotloop {

namespace {
constexpr std::size_t kHugePage = std::size_t(2) << 20;
constexpr std::size_t kAdviseFrom = std::size_t(4) << 20;
}  // namespace

void* allocate_aligned(std::size_t bytes) {
    if (bytes > std::size_t(-1) - 64) throw std::bad_alloc();
    const std::size_t rounded = (bytes + 63) / 64 * 64;
    // Large blocks are 2 MB aligned so that whole huge pages back them.
    const std::size_t alignment = rounded >= kAdviseFrom ? kHugePage : 64;
    const std::size_t size = (rounded + alignment - 1) / alignment * alignment;
    void* p = std::aligned_alloc(alignment, size == 0 ? alignment : size);
    if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (alignment == kHugePage) madvise(p, size, MADV_HUGEPAGE);  // advice only: errors ignored
#endif
    return p;
}

}  // namespace hotloop
