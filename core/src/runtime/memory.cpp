#include "memory.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace hotloop {
namespace {

constexpr std::size_t kHugePage = std::size_t(2) << 20;
constexpr std::size_t kLargeFrom = std::size_t(4) << 20;  // huge-page advice from here on

bool is_large(std::size_t bytes) { return bytes >= kLargeFrom; }

// The size actually allocated for a request: whole huge pages for large blocks.
std::size_t block_size(std::size_t bytes) {
    const std::size_t alignment = is_large(bytes) ? kHugePage : 64;
    return (bytes + alignment - 1) / alignment * alignment;
}

}  // namespace

void* allocate_aligned(std::size_t bytes) {
    if (bytes > std::size_t(-1) - kHugePage) throw std::bad_alloc();
    const std::size_t size = block_size(bytes == 0 ? 1 : bytes);
    const bool large = is_large(size);
    void* p = std::aligned_alloc(large ? kHugePage : 64, size);
    if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (large) madvise(p, size, MADV_HUGEPAGE);  // advice for this block only; errors ignored
#endif
    return p;
}

void release_aligned(void* p, std::size_t) noexcept { std::free(p); }

void* allocate_zeroed(std::size_t bytes) {
    // calloc's pointer is 16-byte aligned: room is added to align it (to 2 MB for a large block,
    // so that all of it can be huge pages, as allocate_aligned's are) and to keep the pointer
    // to free just before the aligned one.
    const bool large = is_large(bytes);
    const std::size_t alignment = large ? kHugePage : 64;
    if (bytes > std::size_t(-1) - 2 * kHugePage) throw std::bad_alloc();
    void* raw = std::calloc(1, bytes + alignment);
    if (raw == nullptr) throw std::bad_alloc();
    const auto at = (reinterpret_cast<std::uintptr_t>(raw) + alignment) & ~(alignment - 1);
    void* p = reinterpret_cast<void*>(at);
    std::memcpy(static_cast<char*>(p) - sizeof(void*), &raw, sizeof raw);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (large) madvise(p, bytes & ~(kHugePage - 1), MADV_HUGEPAGE);  // whole pages of this block
#endif
    return p;
}

void release_zeroed(void* p) noexcept {
    if (p == nullptr) return;
    void* raw;
    std::memcpy(&raw, static_cast<char*>(p) - sizeof(void*), sizeof raw);
    std::free(raw);
}

void zero_releasing(void* p, std::size_t bytes) noexcept {
    auto* first = static_cast<char*>(p);
    char* const last = first + bytes;
#if defined(__linux__) && defined(MADV_DONTNEED)
    static const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    const auto begin = (reinterpret_cast<std::uintptr_t>(first) + page - 1) & ~(page - 1);
    const auto end = reinterpret_cast<std::uintptr_t>(last) & ~(page - 1);
    if (begin < end && madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED) == 0) {
        std::memset(first, 0, begin - reinterpret_cast<std::uintptr_t>(first));
        std::memset(reinterpret_cast<char*>(end), 0, reinterpret_cast<std::uintptr_t>(last) - end);
        return;
    }
#endif
    std::memset(first, 0, bytes);
}

}  // namespace hotloop
