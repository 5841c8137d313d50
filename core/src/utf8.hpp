// UTF-8 decoding by Python's rules, and Python's whitespace, one character at a time.
// Internal to the engine (text.cpp and its tests).
//
// Python's whitespace (str.split(), str.isspace()) in UTF-8:
//   1 byte   09-0D, 1C-1F, 20
//   2 bytes  C2 85 (U+0085), C2 A0 (U+00A0)
//   3 bytes  E1 9A 80 (U+1680), E2 80 80..8A (U+2000..200A), E2 80 A8 / A9 (U+2028/2029),
//            E2 80 AF (U+202F), E2 81 9F (U+205F), E3 80 80 (U+3000)
// Not U+200B, U+180E or U+FEFF. tests/python/test_text.py checks this set against the running
// interpreter's, over every code point. PyPy 3.9's str.split() (not its isspace()) differs:
// 1C-1F do not split and U+180E (E1 A0 8E) does; Rules selects either set.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd.hpp"

namespace hotloop::utf8 {

constexpr bool ascii_space(uint8_t b) noexcept {
    return b == 0x20 || (b >= 0x09 && b <= 0x0D) || (b >= 0x1C && b <= 0x1F);
}

constexpr bool three_byte_space(uint8_t b0, uint8_t b1, uint8_t b2) noexcept {
    if (b0 == 0xE2) {
        if (b1 == 0x80) return b2 <= 0x8A || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF;
        return b1 == 0x81 && b2 == 0x9F;
    }
    return (b0 == 0xE1 && b1 == 0x9A && b2 == 0x80) || (b0 == 0xE3 && b1 == 0x80 && b2 == 0x80);
}

// How a text is read: which characters split words, and whether surrogates are accepted.
struct Rules {
    bool surrogates = false;
    bool info_separators = true;             // U+001C..U+001F split words (CPython)
    bool mongolian_vowel_separator = false;  // U+180E splits words (PyPy 3.9's str.split())

    constexpr bool ascii(uint8_t b) const noexcept {
        return b == 0x20 || (b >= 0x09 && b <= 0x0D) || (info_separators && b >= 0x1C && b <= 0x1F);
    }
    constexpr bool three_bytes(uint8_t b0, uint8_t b1, uint8_t b2) const noexcept {
        return three_byte_space(b0, b1, b2) ||
               (mongolian_vowel_separator && b0 == 0xE1 && b1 == 0xA0 && b2 == 0x8E);
    }
};

// What decode() returns for a malformed sequence; the reasons are Python's.
enum Malformed : int {
    kInvalidStart = -1,         // "invalid start byte"
    kInvalidContinuation = -2,  // "invalid continuation byte"
    kUnexpectedEnd = -3,        // "unexpected end of data"
};

inline const char* reason(int malformed) noexcept {
    switch (malformed) {
        case kInvalidStart: return "invalid start byte";
        case kInvalidContinuation: return "invalid continuation byte";
        default: return "unexpected end of data";
    }
}

// Decodes the character at p (p < end): returns its length in bytes (1-4) and sets `space`, or
// returns a Malformed code. Python's rules: shortest form only, at most U+10FFFF, and surrogates
// (ED A0..BF xx) only when rules.surrogates is set.
HL_INLINE int decode(const uint8_t* p, const uint8_t* end, const Rules& rules,
                     bool& space) noexcept {
    const uint8_t b0 = p[0];
    space = false;
    if (b0 < 0x80) {
        space = rules.ascii(b0);
        return 1;
    }
    const std::ptrdiff_t avail = end - p;
    if (b0 < 0xC2) return kInvalidStart;  // a continuation byte, or an overlong C0/C1
    if (b0 < 0xE0) {
        if (avail < 2) return kUnexpectedEnd;
        if ((p[1] & 0xC0) != 0x80) return kInvalidContinuation;
        space = b0 == 0xC2 && (p[1] == 0x85 || p[1] == 0xA0);
        return 2;
    }
    if (b0 < 0xF0) {
        const uint8_t lo = b0 == 0xE0 ? 0xA0 : 0x80;
        const uint8_t hi = (b0 == 0xED && !rules.surrogates) ? 0x9F : 0xBF;
        if (avail < 2) return kUnexpectedEnd;
        if (p[1] < lo || p[1] > hi) return kInvalidContinuation;
        if (avail < 3) return kUnexpectedEnd;
        if ((p[2] & 0xC0) != 0x80) return kInvalidContinuation;
        space = rules.three_bytes(b0, p[1], p[2]);
        return 3;
    }
    if (b0 < 0xF5) {
        const uint8_t lo = b0 == 0xF0 ? 0x90 : 0x80;
        const uint8_t hi = b0 == 0xF4 ? 0x8F : 0xBF;
        if (avail < 2) return kUnexpectedEnd;
        if (p[1] < lo || p[1] > hi) return kInvalidContinuation;
        if (avail < 3) return kUnexpectedEnd;
        if ((p[2] & 0xC0) != 0x80) return kInvalidContinuation;
        if (avail < 4) return kUnexpectedEnd;
        if ((p[3] & 0xC0) != 0x80) return kInvalidContinuation;
        return 4;
    }
    return kInvalidStart;
}

// Length of the sequence a lead byte announces (1 for ASCII and for bytes that lead nothing).
constexpr int lead_length(uint8_t b) noexcept {
    return b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
}

constexpr bool is_continuation(uint8_t b) noexcept { return (b & 0xC0) == 0x80; }

// The first character boundary at or after s (s <= n): s itself unless s falls inside a
// character that starts before it. In valid UTF-8 this is exact; in invalid UTF-8 it is exact up
// to the first malformed sequence, which is all the block split needs (see text.cpp).
inline std::size_t boundary_at_or_after(const uint8_t* p, std::size_t n, std::size_t s) noexcept {
    if (s == 0 || s >= n) return s < n ? s : n;
    for (std::size_t k = 1; k <= 3 && k <= s; ++k) {
        const uint8_t b = p[s - k];
        if (is_continuation(b)) continue;
        const std::size_t len = static_cast<std::size_t>(lead_length(b));
        if (len > k) return s - k + len < n ? s - k + len : n;
        return s;
    }
    return s;
}

// Whether the character that ends just before boundary s (0 < s) is whitespace. Exact when the
// bytes before s are valid UTF-8: a whitespace character's bytes cannot be the tail of another.
inline bool space_before(const uint8_t* p, std::size_t s, const Rules& rules) noexcept {
    const uint8_t last = p[s - 1];
    if (last < 0x80) return rules.ascii(last);
    if (s >= 2 && p[s - 2] == 0xC2 && (last == 0x85 || last == 0xA0)) return true;
    return s >= 3 && rules.three_bytes(p[s - 3], p[s - 2], last);
}

}  // namespace hotloop::utf8
