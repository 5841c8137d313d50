// Hash tables from words (byte strings) to their count and first offset, built for the word
// counter. Internal to the engine.
//   ShortWordTable: words of 1-16 bytes without NUL bytes (nearly all words), held inline in
//     32-byte slots as two zero-padded 8-byte halves, so that a lookup touches one cache line.
//   WordTable: any other word; 8-byte slots (a 32-bit hash tag and an entry index), entries kept
//     densely in insertion order, word bytes copied into one arena.
// Neither points into the caller's text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <vector>

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

// The zero-padded halves of a word of 1-16 bytes at p, and whether it holds a NUL byte; `end`
// bounds what may be read (two 8-byte reads when the buffer allows it).
HL_INLINE bool short_word_halves(const uint8_t* p, std::size_t len, const uint8_t* end,
                                 uint64_t& a, uint64_t& b) noexcept {
    uint64_t x, y;
    if (end - p >= 16) {
        x = load64(p);
        y = load64(p + 8);
    } else {
        uint8_t tmp[16] = {};
        std::memcpy(tmp, p, len);
        x = load64(tmp);
        y = load64(tmp + 8);
    }
    const uint64_t mask_a = len >= 8 ? ~0ull : ~0ull >> (64 - 8 * len);
    const uint64_t mask_b = len > 8 ? ~0ull >> (128 - 8 * len) : 0;
    a = x & mask_a;
    b = y & mask_b;
    // Bit 7 of byte i is set for the lowest zero byte (and only wrongly above a real one).
    constexpr uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    const uint64_t zero_a = (x - ones) & ~x & highs & mask_a;
    const uint64_t zero_b = (y - ones) & ~y & highs & mask_b;
    return (zero_a | zero_b) != 0;
}

class ShortWordTable {
public:
    struct Slot {
        uint64_t a, b;  // the word's bytes, zero-padded; a == 0 marks an empty slot
        uint64_t count;
        uint64_t first;
    };

    ShortWordTable() : slots_(kInitialSlots, Slot{0, 0, 0, 0}), mask_(kInitialSlots - 1) {}

    HL_INLINE void add(uint64_t a, uint64_t b, uint64_t offset, uint64_t count = 1) {
        add_hashed(a, b, hash(a, b), offset, count);
    }

    // Asks the CPU to fetch the slot where a word of this hash starts probing, so that a caller
    // can overlap the cache misses of several words before adding them.
    HL_INLINE void prefetch(uint64_t h) const noexcept {
        __builtin_prefetch(&slots_[static_cast<std::size_t>(h) & mask_]);
    }

    static HL_INLINE uint64_t hash(uint64_t a, uint64_t b) noexcept {
        return mum(a ^ 0xa0761d6478bd642full, b ^ 0xe7037ed1a0b428dbull);
    }

    // add() with h == hash(a, b).
    HL_INLINE void add_hashed(uint64_t a, uint64_t b, uint64_t h, uint64_t offset,
                              uint64_t count = 1) {
        std::size_t i = static_cast<std::size_t>(h) & mask_;
        for (;;) {
            Slot& s = slots_[i];
            if (s.a == a && s.b == b) {
                s.count += count;
                if (offset < s.first) s.first = offset;
                return;
            }
            if (s.a == 0) {
                s = Slot{a, b, count, offset};
                if (++size_ * 5 > slots_.size() * 3) grow();
                return;
            }
            i = (i + 1) & mask_;
        }
    }

    std::size_t size() const noexcept { return size_; }
    const std::vector<Slot>& slots() const noexcept { return slots_; }  // empty ones included

    // Length of the word a slot holds (its bytes are the slot's a then b, little-endian).
    static std::size_t length(const Slot& s) noexcept {
        return s.b ? 8 + (71 - __builtin_clzll(s.b)) / 8 : (71 - __builtin_clzll(s.a)) / 8;
    }

private:
    static constexpr std::size_t kInitialSlots = 1024;

    void grow() {
        std::vector<Slot> slots(slots_.size() * 2, Slot{0, 0, 0, 0});
        const std::size_t mask = slots.size() - 1;
        for (const Slot& s : slots_) {
            if (s.a == 0) continue;
            std::size_t i = static_cast<std::size_t>(hash(s.a, s.b)) & mask;
            while (slots[i].a != 0) i = (i + 1) & mask;
            slots[i] = s;
        }
        slots_.swap(slots);
        mask_ = mask;
    }

    std::vector<Slot> slots_;
    std::size_t mask_;
    std::size_t size_ = 0;
};

class WordTable {
public:
    struct Entry {
        uint64_t hash;
        uint64_t count;
        uint64_t first;       // offset of the first occurrence seen
        std::size_t at;       // the word's bytes are arena[at, at + length)
        std::size_t length;
    };

    WordTable() : slots_(kInitialSlots, 0), mask_(kInitialSlots - 1) {}

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
    static constexpr std::size_t kInitialSlots = 1024;

    void insert_new(std::size_t i, const uint8_t* word, std::size_t length, uint64_t hash,
                    uint64_t offset, uint64_t count) {
        if (entries_.size() >= 0xFFFFFFFEu) throw std::bad_alloc();  // the slot's index is 32-bit
        const std::size_t at = arena_.size();
        arena_.insert(arena_.end(), word, word + length);
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
    std::vector<uint8_t> arena_;
};

}  // namespace hotloop
