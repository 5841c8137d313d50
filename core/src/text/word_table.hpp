// Hash tables from words (byte strings) to their count and first offset, built for the word
// counter's per-thread counts (text.cpp). Internal to the engine.
//   InlineWordTable<K>: words of up to 8 * K bytes without NUL bytes (nearly all words), held
//     inline in the slots as zero-padded 8-byte lanes, so that a lookup touches one slot; one
//     region of slots per hash partition, so that tables merge partition by partition.
//   ArenaTable: any other word; 8-byte slots (a 32-bit hash tag and an entry index), entries kept
//     densely in insertion order, word bytes copied into one arena (ArenaSet: one per partition).
// Neither points into the caller's text.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <utility>
#include <vector>

#include "hotloop/parallel.hpp"
#include "hotloop/text.hpp"
#include "memory.hpp"
#include "simd.hpp"

namespace hotloop {

HL_INLINE uint64_t load64(const uint8_t* p) noexcept {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

// 64x64 -> 128-bit multiply folded to 64 bits (wyhash's "mum").
HL_INLINE uint64_t mum(uint64_t a, uint64_t b) noexcept {
    const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
    return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

// Hash of the len bytes at p; `end` bounds what may be read, so that short words are loaded in
// two 8-byte reads when the buffer allows it. The constants' byte patterns are not valid UTF-8,
// so no word can zero a factor of mum.
HL_INLINE uint64_t hash_word(const uint8_t* p, std::size_t len, const uint8_t* end) noexcept {
    constexpr uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull;
    constexpr uint64_t k2 = 0x8ebc6af09c88c6e3ull;
    uint64_t a, b;
    if (len <= 16) {
        if (end - p >= 16) {
            const uint64_t x = load64(p), y = load64(p + 8);
            a = len >= 8 ? x : x & (~0ull >> (64 - 8 * len));
            b = len > 8 ? y & (~0ull >> (128 - 8 * len)) : 0;
        } else {
            uint8_t tmp[16] = {};
            std::memcpy(tmp, p, len);
            a = load64(tmp);
            b = load64(tmp + 8);
        }
        return mum(a ^ k0, b ^ k1 ^ len);
    }
    uint64_t h = k2 ^ len;
    std::size_t i = 0;
    for (; i + 16 < len; i += 16) h = mum(load64(p + i) ^ k0 ^ h, load64(p + i + 8) ^ k1);
    return mum(load64(p + len - 16) ^ k0 ^ h, load64(p + len - 8) ^ k1 ^ len);
}

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "word keys assume little-endian lanes");

// A word of at most 8 * K bytes without NUL bytes, as K zero-padded 8-byte lanes (little-endian:
// the lanes' bytes are the word's bytes, then zeros). Lane 0 is never 0 for a real word.
template <unsigned K>
struct WordKey {
    uint64_t lane[K];

    bool operator==(const WordKey& o) const noexcept {
        uint64_t diff = 0;
        for (unsigned i = 0; i < K; ++i) diff |= lane[i] ^ o.lane[i];
        return diff == 0;
    }
    std::size_t length() const noexcept {
        unsigned last = K - 1;
        while (last > 0 && lane[last] == 0) --last;
        return 8 * last + (71 - __builtin_clzll(lane[last])) / 8;
    }
};

// Loads the len bytes at p (1 <= len <= 8 * K) as a key; `end` bounds what may be read. Returns
// false if the word holds a NUL byte (it then cannot be a key).
template <unsigned K>
HL_INLINE bool load_key(const uint8_t* p, std::size_t len, const uint8_t* end,
                        WordKey<K>& key) noexcept {
    constexpr uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint8_t tmp[8 * K];
    const uint8_t* src = p;
    if (static_cast<std::size_t>(end - p) < 8 * K) {
        std::memset(tmp, 0, sizeof tmp);
        std::memcpy(tmp, p, len);
        src = tmp;
    }
    uint64_t zero = 0;
    for (unsigned i = 0; i < K; ++i) {
        const uint64_t x = load64(src + 8 * i);
        const std::size_t lo = 8 * i;
        const uint64_t mask =
            len >= lo + 8 ? ~0ull : len <= lo ? 0 : ~0ull >> (64 - 8 * (len - lo));
        key.lane[i] = x & mask;
        // Bit 7 of a byte is set for the lowest zero byte (and only wrongly above a real one).
        zero |= (x - ones) & ~x & highs & mask;
    }
    return zero == 0;
}

template <unsigned K>
HL_INLINE uint64_t hash_key(const WordKey<K>& key) noexcept {
    // The constants' byte patterns are not valid UTF-8, so no lane can zero a factor of mum.
    uint64_t h = mum(key.lane[0] ^ 0xa0761d6478bd642full, key.lane[1] ^ 0xe7037ed1a0b428dbull);
    for (unsigned i = 2; i + 1 < K; i += 2)
        h = mum(h ^ key.lane[i] ^ 0x8ebc6af09c88c6e3ull, key.lane[i + 1] ^ 0x589965cc75374cc3ull);
    return h;
}

// A zeroed array of trivially copyable T, from allocate_zeroed: a fresh large table is zero
// already and is not written twice (memset, then the kernel's first-touch zeroing).
template <class T>
class ZeroedArray {
public:
    explicit ZeroedArray(std::size_t n)
        : data_(static_cast<T*>(allocate_zeroed(n * sizeof(T)))), size_(n) {}
    ~ZeroedArray() { release_zeroed(data_); }
    ZeroedArray(const ZeroedArray&) = delete;
    ZeroedArray& operator=(const ZeroedArray&) = delete;
    void swap(ZeroedArray& o) noexcept {
        std::swap(data_, o.data_);
        std::swap(size_, o.size_);
    }
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }
    std::size_t size() const noexcept { return size_; }
    // Zeroes elements [from, from + n), giving their whole pages back to the system.
    void zero(std::size_t from, std::size_t n) noexcept {
        zero_releasing(data_ + from, n * sizeof(T));
    }
    const T* begin() const noexcept { return data_; }
    const T* end() const noexcept { return data_ + size_; }

private:
    T* data_;
    std::size_t size_;
};

// A table's words are spread over kPartitions partitions by the top bits of their hash, so that
// the tables of several threads can be merged partition by partition, in parallel, each merge
// small enough to stay in cache.
constexpr unsigned kPartitionBits = 5;
constexpr std::size_t kPartitions = std::size_t(1) << kPartitionBits;
HL_INLINE std::size_t partition_of(uint64_t h) noexcept {
    return static_cast<std::size_t>(h >> (64 - kPartitionBits));
}

// Words held inline as keys of K lanes, in slots of 8 * (K + 2) bytes: a lookup touches the slot
// and nothing else. Open addressing with linear probing inside one region of slots per
// partition (all regions of one size, a power of 2): a key's region is its partition, its slot
// in the region the next bits of its hash; no region gets more than 3/4 full.
template <unsigned K>
class InlineWordTable {
public:
    using Key = WordKey<K>;
    struct Slot {
        Key key;  // key.lane[0] == 0 marks an empty slot
        uint64_t count;
        uint64_t first;
    };

    // Zeroed regions of 2^region_bits slots.
    explicit InlineWordTable(unsigned region_bits = kInitialRegionBits)
        : slots_(kPartitions << region_bits), region_bits_(region_bits) {}

    // Where the slots are: a hot loop keeps a copy in registers (stores into slots could alias
    // the table's own fields), refreshed by add() when the table grows.
    struct View {
        Slot* slots;
        std::size_t region_mask;
        unsigned shift;  // 64 - kPartitionBits - region bits
        // The top bits of the hash: the partition (the region), then the slot in the region.
        HL_INLINE std::size_t home(uint64_t h) const noexcept {
            return static_cast<std::size_t>(h >> shift);
        }
        HL_INLINE std::size_t next(std::size_t i) const noexcept {
            return (i & ~region_mask) | ((i + 1) & region_mask);
        }
    };
    View view() noexcept { return view_of(&slots_[0], region_bits_); }
    static View view_of(Slot* slots, unsigned region_bits) noexcept {
        return View{slots, (std::size_t(1) << region_bits) - 1,
                    64 - kPartitionBits - region_bits};
    }

    // Asks the CPU to fetch the slot where a key of this hash starts probing, so that a caller
    // can overlap the cache misses of several words before adding them.
    HL_INLINE static void prefetch(const View& v, uint64_t h) noexcept {
        const char* slot = reinterpret_cast<const char*>(&v.slots[v.home(h)]);
        __builtin_prefetch(slot);
        // A slot of more than 32 bytes may end in the next cache line (one of 80 bytes always
        // does): its last lanes, count and first offset would otherwise miss there.
        if constexpr (sizeof(Slot) > 32) __builtin_prefetch(slot + sizeof(Slot) - 1);
    }

    // Adds `count` occurrences of the key (h == hash_key(key)), first seen at `offset`.
    HL_INLINE void add(const Key& key, uint64_t h, uint64_t offset, uint64_t count = 1) {
        View v = view();
        add(v, key, h, offset, count);
    }

    HL_INLINE void add(View& v, const Key& key, uint64_t h, uint64_t offset, uint64_t count = 1) {
        std::size_t i = v.home(h);
        for (;;) {
            Slot& s = v.slots[i];
            if (s.key == key) {
                s.count += count;
                s.first = offset < s.first ? offset : s.first;
                return;
            }
            if (s.key.lane[0] == 0) {
                v = place(i, key, offset, count);
                return;
            }
            i = v.next(i);
        }
    }

    std::size_t size() const noexcept {
        std::size_t n = 0;
        for (uint32_t r : region_size_) n += r;
        return n;
    }
    std::size_t region_size(std::size_t p) const noexcept { return region_size_[p]; }
    // The slots of partition p's region, empty ones included.
    const Slot* region(std::size_t p) const noexcept { return &slots_[p << region_bits_]; }
    Slot* region(std::size_t p) noexcept { return &slots_[p << region_bits_]; }
    std::size_t region_slots() const noexcept { return std::size_t(1) << region_bits_; }
    // Empties region p, giving its whole pages back to the system: tables merged partition by
    // partition (text.cpp) then hold no memory for the partitions merged already.
    void clear_region(std::size_t p) noexcept {
        slots_.zero(p << region_bits_, region_slots());
        region_size_[p] = 0;
    }
    // The slot holding `key` (h == hash_key(key)), or nullptr.
    Slot* find(const Key& key, uint64_t h) noexcept {
        const View v = view();
        for (std::size_t i = v.home(h);; i = v.next(i)) {
            if (v.slots[i].key == key) return &v.slots[i];
            if (v.slots[i].key.lane[0] == 0) return nullptr;
        }
    }

private:
    static constexpr unsigned kInitialRegionBits = 4;  // 512 slots in all

    // A new key in the empty slot i; returns where the slots are now.
    View place(std::size_t i, const Key& key, uint64_t offset, uint64_t count) {
        slots_[i] = Slot{key, count, offset};
        const std::size_t p = i >> region_bits_;
        if (std::size_t(++region_size_[p]) * 4 > (std::size_t(3) << region_bits_)) grow();
        return view();
    }

    void grow() {
        const unsigned bits = region_bits_ + 1;
        ZeroedArray<Slot> slots(kPartitions << bits);
        const View v = view_of(&slots[0], bits);
        for (const Slot& s : slots_) {
            if (s.key.lane[0] == 0) continue;
            std::size_t i = v.home(hash_key(s.key));
            while (slots[i].key.lane[0] != 0) i = v.next(i);
            slots[i] = s;
        }
        slots_.swap(slots);
        region_bits_ = bits;
    }

    ZeroedArray<Slot> slots_;
    unsigned region_bits_;
    uint32_t region_size_[kPartitions] = {};  // keys in each region
};

class ArenaTable {
public:
    struct Entry {
        uint64_t hash;
        uint64_t count;
        uint64_t first;       // offset of the first occurrence seen
        std::size_t at;       // the word's bytes are arena[at, at + length)
        std::size_t length;
    };

    ArenaTable() : slots_(kInitialSlots, 0), mask_(kInitialSlots - 1) {}

    // Adds `count` occurrences of the word, first seen at `offset`.
    HL_INLINE void add(const uint8_t* word, std::size_t length, uint64_t hash, uint64_t offset,
                       uint64_t count = 1) {
        const uint64_t tag = hash >> 32;
        std::size_t i = static_cast<std::size_t>(hash) & mask_;
        for (;;) {
            const uint64_t slot = slots_[i];
            if (slot == 0) break;
            if ((slot >> 32) == tag) {
                Entry& e = entries_[static_cast<uint32_t>(slot) - 1];
                if (e.length == length && e.hash == hash &&
                    std::memcmp(arena_.data() + e.at, word, length) == 0) {
                    e.count += count;
                    if (offset < e.first) e.first = offset;
                    return;
                }
            }
            i = (i + 1) & mask_;
        }
        insert_new(i, word, length, hash, offset, count);
    }

    const std::vector<Entry>& entries() const noexcept { return entries_; }
    const uint8_t* bytes(const Entry& e) const noexcept { return arena_.data() + e.at; }
    std::size_t size() const noexcept { return entries_.size(); }

private:
    static constexpr std::size_t kInitialSlots = 64;  // one of kPartitions

    void insert_new(std::size_t i, const uint8_t* word, std::size_t length, uint64_t hash,
                    uint64_t offset, uint64_t count) {
        if (entries_.size() >= 0xFFFFFFFEu) throw std::bad_alloc();  // the slot's index is 32-bit
        const std::size_t at = arena_.size();
        arena_.append(word, length);
        entries_.push_back(Entry{hash, count, offset, at, length});
        slots_[i] = ((hash >> 32) << 32) | entries_.size();
        if (entries_.size() * 2 > slots_.size()) grow();
    }

    void grow() {
        std::vector<uint64_t> slots(slots_.size() * 2, 0);
        const std::size_t mask = slots.size() - 1;
        for (std::size_t k = 0; k < entries_.size(); ++k) {
            const uint64_t hash = entries_[k].hash;
            std::size_t i = static_cast<std::size_t>(hash) & mask;
            while (slots[i] != 0) i = (i + 1) & mask;
            slots[i] = ((hash >> 32) << 32) | (k + 1);
        }
        slots_.swap(slots);
        mask_ = mask;
    }

    std::vector<uint64_t> slots_;  // 0 = empty, else (hash >> 32) << 32 | (entry index + 1)
    std::size_t mask_;
    std::vector<Entry> entries_;
    // The engine's memory (a PodArray), not std::vector's: a word of megabytes gets huge pages,
    // whose faults cost half of 4 KiB ones' (40 MB: 21-44 against 60-68 ms here).
    detail::PodArray<uint8_t> arena_;
};

// A thread's long words: one ArenaTable per partition (see InlineWordTable).
class ArenaSet {
public:
    HL_INLINE void add(const uint8_t* word, std::size_t length, uint64_t hash, uint64_t offset) {
        parts_[partition_of(hash)].add(word, length, hash, offset);
    }
    ArenaTable& part(std::size_t p) noexcept { return parts_[p]; }
    void clear(std::size_t p) { parts_[p] = ArenaTable(); }

private:
    ArenaTable parts_[kPartitions];
};

// Open-addressing index from word to entry number, over a table's words. A slot holds the top
// 32 bits of the word's hash beside the entry number, so that probing past other words rarely
// reads their bytes: indexing millions of words (a merge) costs about one cache miss per word,
// and callers that know the next words prefetch their slots (hash_of, prefetch).
class WordIndex {
public:
    // ctl (if any) is checked every kFillChunk slots while the index is filled: a merge's
    // index of millions of words is hundreds of MB, tens of milliseconds of page faults.
    explicit WordIndex(std::size_t expected, const Control* ctl = nullptr) {
        if (expected >= kNoEntry) throw std::bad_alloc();  // entry numbers are 32-bit
        std::size_t n = 16;
        while (n < 2 * expected + 2) n *= 2;
        // allocate_aligned: huge pages for a large index (fewer TLB misses and page faults, and
        // a quick release when a cancel unwinds), uninitialised: filled once, below.
        slots_.reset(static_cast<uint64_t*>(allocate_aligned(n * sizeof(uint64_t))));
        slots_.get_deleter().bytes = n * sizeof(uint64_t);
        mask_ = n - 1;
        constexpr std::size_t kFillChunk = std::size_t(1) << 18;
        for (std::size_t i = 0; i < n; i += kFillChunk) {
            if (ctl) ctl->check();
            std::fill(slots_.get() + i, slots_.get() + std::min(n, i + kFillChunk), kEmpty);
        }
    }
    static uint64_t hash_of(std::string_view word) noexcept {
        const auto* p = reinterpret_cast<const uint8_t*>(word.data());
        return hash_word(p, word.size(), p + word.size());
    }
    void prefetch(uint64_t hash) const noexcept {
        __builtin_prefetch(slots_.get() + (hash & mask_));
    }
    // The entry already holding `word`, or -1 after recording it as entry `id` (< expected).
    template <class WordOf>
    int64_t find_or_add(std::string_view word, uint64_t id, WordOf&& word_of) {
        return find_or_add(word, hash_of(word), id, word_of);
    }
    template <class WordOf>
    int64_t find_or_add(std::string_view word, uint64_t hash, uint64_t id, WordOf&& word_of) {
        const uint64_t tag = hash >> 32;
        for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
            const uint64_t slot = slots_.get()[i];
            if (slot == kEmpty) {
                slots_.get()[i] = tag << 32 | id;
                return -1;
            }
            if ((slot >> 32) == tag && word_of(slot & kNoEntry) == word)
                return static_cast<int64_t>(slot & kNoEntry);
        }
    }

    // The entry holding `word`, or -1. Only reads the index: any number of threads may look up
    // words at once while nothing is added.
    template <class WordOf>
    int64_t find(std::string_view word, uint64_t hash, WordOf&& word_of) const {
        const uint64_t tag = hash >> 32;
        for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
            const uint64_t slot = slots_.get()[i];
            if (slot == kEmpty) return -1;
            if ((slot >> 32) == tag && word_of(slot & kNoEntry) == word)
                return static_cast<int64_t>(slot & kNoEntry);
        }
    }

private:
    static constexpr uint64_t kNoEntry = 0xFFFFFFFFu;  // no entry has this number
    static constexpr uint64_t kEmpty = ~uint64_t(0);   // tag and entry all ones
    struct Release {
        Release() noexcept : bytes(0) {}
        std::size_t bytes;
        void operator()(uint64_t* p) const noexcept { release_aligned(p, bytes); }
    };
    std::unique_ptr<uint64_t, Release> slots_;
    std::size_t mask_ = 0;  // slots - 1 (a power of 2)
};

}  // namespace hotloop
