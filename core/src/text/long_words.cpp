// Words of megabytes (hotloop/text.hpp, long_words): a str whose words are few and long is not
// counted into tables. Each word would be read by the scan, hashed, copied into its table, copied
// into the export, decoded and hashed again by Python: more passes over it than Counter's
// lower() and split(). Here the text is read where it lies: its words' edges are found 64 units
// at a time (utf8::find_split), each word is hashed once to tell repeats apart and checked for
// whether it lowers to itself, and the caller makes one str per distinct word out of the text.
#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "case_tables.hpp"
#include "simd.hpp"
#include "hotloop/error.hpp"
#include "hotloop/text.hpp"
#include "utf8.hpp"
#include "word_table.hpp"

namespace hotloop {
namespace {

struct Span {
    std::size_t begin, end;
};

constexpr std::size_t kChunk = 64;

// The start of the first 64-unit chunk of [i, n) that holds a unit Test accepts, or n: plain
// loops that each SIMD level vectorizes in the units' own width (simd_run), without an early exit
// inside a chunk. A word of 40M ASCII characters took 20 ms through find_split's 32-bit test at
// baseline x86-64, against Counter's 75 ms in all.
template <class Test, class U>
struct FirstChunkWith {
    HL_INLINE static std::size_t run(const U* units, std::size_t i, std::size_t n) noexcept {
        for (; i + kChunk <= n; i += kChunk) {
            U hit = 0;
            for (std::size_t k = 0; k < kChunk; ++k) hit |= U(Test::may(units[i + k]));
            if (hit) return i;
        }
        U hit = 0;
        for (std::size_t k = i; k < n; ++k) hit |= U(Test::may(units[k]));
        return hit ? i : n;
    }
};

// Units that may split words (utf8::Rules::may_split, in the units' width).
struct MaySplit {
    template <class U>
    HL_INLINE static bool may(U c) noexcept {
        if constexpr (sizeof(U) == 1)
            return (c < U(0x21)) | (c == U(0x85)) | (c == U(0xA0));
        else
            return (c < U(0x21)) | (c == U(0x85)) | (c == U(0xA0)) |
                   (U(c - U(0x1680)) <= U(0x3000 - 0x1680));
    }
};

// Units that a case table may map: not below 'A', '['..U+00BF or U+3040..U+A63F (no table maps
// those: case_tables.cpp's surely_unmapped, checked by the tests).
struct MayBeMapped {
    template <class U>
    HL_INLINE static bool may(U c) noexcept {
        bool unmapped = (c < U(0x41)) | (U(c - U(0x5B)) < U(0xC0 - 0x5B));
        if constexpr (sizeof(U) > 1) unmapped |= U(c - U(0x3040)) < U(0xA640 - 0x3040);
        return !unmapped;
    }
};

// The first unit of [i, n) that splits words, or n.
template <class U>
std::size_t next_split(const U* units, std::size_t i, std::size_t n, const utf8::Rules& rules) {
    while (i < n) {
        i = simd_run<FirstChunkWith<MaySplit, U>>(units, i, n);
        const std::size_t end = n - i < kChunk ? n : i + kChunk;
        for (; i < end; ++i)
            if (rules.splits(units[i])) return i;
    }
    return n;
}

// Whether str.lower() leaves units [i, n) as they are: chunks that may hold a mapped unit are
// looked up in the case table.
template <class U>
bool lower_to_themselves(const CaseTable& table, const U* units, std::size_t i, std::size_t n) {
    while (i < n) {
        i = simd_run<FirstChunkWith<MayBeMapped, U>>(units, i, n);
        const std::size_t end = n - i < kChunk ? n : i + kChunk;
        if (i < end && !lowers_to_itself(table, units + i, end - i)) return false;
        i = end;
    }
    return true;
}

// A hash of n bytes for telling this call's words apart (not a table's hash_word: that chains
// one multiply per 16 bytes, which a word of megabytes waits on): four independent lanes.
uint64_t hash_long(const uint8_t* p, std::size_t n) noexcept {
    constexpr uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull;
    uint64_t h[4] = {k0 ^ n, k1, k0 + 1, k1 + 1};
    std::size_t i = 0;
    for (; i + 64 <= n; i += 64)
        for (int l = 0; l < 4; ++l)
            h[l] = mum(load64(p + i + 16 * l) ^ k0 ^ h[l], load64(p + i + 16 * l + 8) ^ k1);
    uint64_t r = mum(h[0] ^ h[1], h[2] ^ h[3] ^ k1);
    for (; i + 8 <= n; i += 8) r = mum(load64(p + i) ^ r, k1);
    for (; i < n; ++i) r = mum(r ^ p[i], k0);
    return r;
}

// The words' spans, or false as soon as there are more than max_words.
template <class U>
bool spans_of(const U* units, std::size_t n, const utf8::Rules& rules, std::size_t max_words,
              std::vector<Span>& out) {
    std::size_t i = 0;
    for (;;) {
        while (i < n && rules.splits(units[i])) ++i;
        if (i == n) return true;
        if (out.size() == max_words) return false;
        const std::size_t end = next_split(units, i, n, rules);
        out.push_back(Span{i, end});
        i = end;
    }
}

template <class U>
bool long_words_of(const U* units, std::size_t n, const TextOptions& options,
                   std::size_t max_words, std::vector<LongWord>& out) {
    utf8::Rules rules;
    rules.info_separators = options.info_separators_split;
    rules.mongolian_vowel_separator = options.mongolian_vowel_separator_splits;
    std::vector<Span> spans;
    // The spans first: a text of short words is turned away after max_words of them, before
    // any word is hashed.
    if (!spans_of(units, n, rules, max_words, spans)) return false;
    // Only a word that has a word of its length beside it is hashed (one word of 40M: none).
    std::unordered_map<std::size_t, std::size_t> of_length;
    for (const Span& s : spans) ++of_length[s.end - s.begin];
    std::vector<uint64_t> hashes;  // of out's words
    for (const Span& s : spans) {
        const auto* p = reinterpret_cast<const uint8_t*>(units + s.begin);
        const std::size_t bytes = (s.end - s.begin) * sizeof(U);
        const uint64_t h = of_length[s.end - s.begin] > 1 ? hash_long(p, bytes) : 0;
        bool seen = false;
        for (std::size_t k = 0; k < out.size() && !seen; ++k) {
            LongWord& w = out[k];
            if (hashes[k] == h && w.end - w.begin == s.end - s.begin &&
                std::memcmp(units + w.begin, p, bytes) == 0) {
                ++w.count;
                seen = true;
            }
        }
        if (seen) continue;
        out.push_back(LongWord{s.begin, s.end, 1,
                               lower_to_themselves(*options.casing, units, s.begin, s.end)});
        hashes.push_back(h);
    }
    return true;
}

}  // namespace

namespace {

// A-Z -> a-z of n bytes: a plain loop that each SIMD level vectorizes (CPython's lower() of an
// ASCII str takes ~1 ns a byte, a table lookup each).
struct LowerAscii {
    HL_INLINE static void run(const uint8_t* p, std::size_t n, uint8_t* out) noexcept {
        for (std::size_t i = 0; i < n; ++i)
            out[i] = static_cast<uint8_t>(p[i] + (uint8_t(p[i] - 'A') < 26 ? 32 : 0));
    }
};

}  // namespace

void lower_ascii(const uint8_t* text, std::size_t n, uint8_t* out) noexcept {
    simd_run<LowerAscii>(text, n, out);
}

bool long_words(const void* text, std::size_t n_units, TextEncoding encoding,
                const TextOptions& options, std::size_t max_words, std::vector<LongWord>& out) {
    out.clear();
    if (options.casing == nullptr)
        throw Error(ErrorKind::InvalidArgument, "long_words needs a case table");
    // Code units are read through typed pointers: text not aligned to its unit (from C) is read
    // through one aligned copy, as count_words reads it.
    const std::size_t unit = encoding == TextEncoding::Ucs2   ? 2
                             : encoding == TextEncoding::Ucs4 ? 4
                                                               : 1;
    std::vector<uint32_t> aligned;
    if (n_units > 0 && reinterpret_cast<std::uintptr_t>(text) % unit != 0) {
        aligned.resize((n_units * unit + 3) / 4);
        std::memcpy(aligned.data(), text, n_units * unit);
        text = aligned.data();
    }
    switch (encoding) {
        case TextEncoding::Latin1:
            return long_words_of(static_cast<const uint8_t*>(text), n_units, options, max_words,
                                 out);
        case TextEncoding::Ucs2:
            return long_words_of(static_cast<const uint16_t*>(text), n_units, options, max_words,
                                 out);
        case TextEncoding::Ucs4:
            return long_words_of(static_cast<const uint32_t*>(text), n_units, options, max_words,
                                 out);
        default:
            throw Error(ErrorKind::InvalidArgument, "long_words reads a str's code units only");
    }
}

}  // namespace hotloop
