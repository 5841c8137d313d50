#include "memory.hpp"

#include <cstdlib>
#include <mutex>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace hotloop {
namespace {

constexpr std::size_t kHugePage = std::size_t(2) << 20;
constexpr std::size_t kLargeFrom = std::size_t(4) << 20;  // huge pages and reuse from here on

// Sanitizer builds free everything at once, so that use-after-free is always caught.
#if defined(HOTLOOP_NO_MEMORY_CACHE)
constexpr int kCachedBlocks = 0;
#else
constexpr int kCachedBlocks = 4;
#endif
constexpr std::size_t kCacheLimit = std::size_t(512) << 20;

struct Block {
    void* p = nullptr;
    std::size_t size = 0;
};
std::mutex g_mutex;
Block g_cache[kCachedBlocks > 0 ? kCachedBlocks : 1];
std::size_t g_cached_bytes = 0;

bool is_large(std::size_t bytes) { return bytes >= kLargeFrom; }

// HOTLOOP_REUSE_MEMORY=0 turns the reuse off (the benchmarks' memory probe does, to measure what
// one call needs).
bool reuse_enabled() {
    static const bool enabled = [] {
        const char* env = std::getenv("HOTLOOP_REUSE_MEMORY");
        return kCachedBlocks > 0 && !(env && env[0] == '0' && env[1] == '\0');
    }();
    return enabled;
}

// The size actually allocated for a request: whole huge pages for large blocks.
std::size_t block_size(std::size_t bytes) {
    const std::size_t alignment = is_large(bytes) ? kHugePage : 64;
    return (bytes + alignment - 1) / alignment * alignment;
}

// A cached block of at least `size` bytes and not wastefully larger, or nullptr.
void* take_cached(std::size_t size) {
    std::lock_guard<std::mutex> lock(g_mutex);
    for (int i = 0; i < kCachedBlocks; ++i) {
        Block& b = g_cache[i];
        if (b.p && b.size >= size && b.size / 2 <= size) {
            void* p = b.p;
            g_cached_bytes -= b.size;
            b = Block{};
            return p;
        }
    }
    return nullptr;
}

}  // namespace

void* allocate_aligned(std::size_t bytes) {
    if (bytes > std::size_t(-1) - kHugePage) throw std::bad_alloc();
    const std::size_t size = block_size(bytes == 0 ? 1 : bytes);
    if (!is_large(size)) {
        void* p = std::aligned_alloc(64, size);
        if (p == nullptr) throw std::bad_alloc();
        return p;
    }
    if (reuse_enabled())
        if (void* p = take_cached(size)) return p;
    void* p = std::aligned_alloc(kHugePage, size);
    if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    madvise(p, size, MADV_HUGEPAGE);  // advice only: errors are ignored
#endif
    return p;
}

void release_aligned(void* p, std::size_t bytes) noexcept {
    if (p == nullptr) return;
    const std::size_t size = block_size(bytes == 0 ? 1 : bytes);
    if (is_large(size) && reuse_enabled()) {
        std::lock_guard<std::mutex> lock(g_mutex);
        if (g_cached_bytes + size <= kCacheLimit) {
            for (int i = 0; i < kCachedBlocks; ++i) {
                if (g_cache[i].p == nullptr) {
                    g_cache[i] = Block{p, size};
                    g_cached_bytes += size;
                    return;
                }
            }
        }
    }
    std::free(p);
}

}  // namespace hotloop
