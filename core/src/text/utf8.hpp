// UTF-8 decoding by Python's rules, and Python's whitespace, one character at a time.
// Internal to the engine (text.cpp, word_table.cpp, case_tables.cpp and their tests).
//
// kPythonWhitespace below is THE definition of the whitespace that str.split() splits on (and
// str.isspace() accepts) in CPython: every other form of it in the project is derived from it
// (the byte tests below are its UTF-8 encodings; engine_text.cpp checks them against it over
// every code point; the Python package asks the engine for the list, hl_text_whitespace()).
// PyPy 3.9's str.split() differs: 1C-1F do not split an ASCII-only text and U+180E (E1 A0 8E)
// splits any other; Rules selects either set.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd.hpp"

namespace hotloop::utf8 {

constexpr char32_t kPythonWhitespace[] = {
    0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
    0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A,
    0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
};
constexpr char32_t kMongolianVowelSeparator = 0x180E;

// The same set, tested on UTF-8 bytes:
//   1 byte   09-0D, 1C-1F, 20
//   2 bytes  C2 85 (U+0085), C2 A0 (U+00A0)
//   3 bytes  E1 9A 80 (U+1680), E2 80 80..8A (U+2000..200A), E2 80 A8 / A9 (U+2028/2029),
//            E2 80 AF (U+202F), E2 81 9F (U+205F), E3 80 80 (U+3000)
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
    // The same test on a code point, quick: whitespace is at most U+0020, U+0085, U+00A0 or in
    // U+1680..U+3000, and nearly every character of a text is rejected here, 64 at a time.
    // (Bitwise, without branches: find_split's loop vectorizes only so.)
    static constexpr bool may_split(char32_t c) noexcept {
        return (c <= 0x20) | (c == 0x85) | (c == 0xA0) | (c - 0x1680u <= 0x3000u - 0x1680u);
    }
    // Exact: the code points that split words under some Rules (kPythonWhitespace, U+001C..U+001F
    // and U+180E) and the others up to U+0020. splits() rejects the rest with it before the list
    // is searched: the punctuation of U+2010..U+2FFF and U+200B pass may_split (a word of 20M
    // U+200B took 1.6x as long when each of them searched the list).
    static constexpr bool may_split_exactly(char32_t c) noexcept {
        return (c <= 0x20) | (c == 0x85) | (c == 0xA0) | (c == 0x1680) | (c == 0x180E) |
               (c - 0x2000u <= 0x0Au) | (c - 0x2028u <= 1u) | (c == 0x202F) | (c == 0x205F) |
               (c == 0x3000);
    }
    constexpr bool splits(char32_t c) const noexcept {
        if (!may_split_exactly(c)) return false;
        if (c >= 0x1C && c <= 0x1F) return info_separators;
        if (c == kMongolianVowelSeparator) return mongolian_vowel_separator;
        for (char32_t w : kPythonWhitespace)
            if (w == c) return true;
        return false;
    }
};

// The first of code units [i, n) of a str that splits words, or n. The units are filtered 64 at
// a time by Rules::may_split in a loop without an early exit (which the compiler vectorizes);
// only a chunk that holds a candidate is searched unit by unit. A block that starts a word of
// megabytes reads on to its end here: unit by unit, that was an eighth of such a count.
template <class U>
constexpr std::size_t find_split(const U* units, std::size_t i, std::size_t n,
                                 const Rules& rules) noexcept {
    constexpr std::size_t kChunk = 64;
    while (i < n) {
        const std::size_t end = n - i < kChunk ? n : i + kChunk;
        unsigned candidate = 0;
        for (std::size_t k = i; k < end; ++k) candidate |= Rules::may_split(units[k]);
        if (candidate)
            for (std::size_t k = i; k < end; ++k)
                if (rules.splits(units[k])) return k;
        i = end;
    }
    return n;
}

// True if code units [cut, next) of a str lie inside one word that started before cut: the unit
// before cut and every unit of the range do not split words, so no word starts in the range
// (count_units then skips reading on to the end of that word, which would cost each such
// block the rest of the word: quadratic in a long word's length).
template <class U>
constexpr bool inside_one_word(const U* units, std::size_t cut, std::size_t next,
                               const Rules& rules) noexcept {
    if (cut == 0 || rules.splits(units[cut - 1])) return false;
    return find_split(units, cut, next, rules) == next;
}

// What decode() reports for a malformed sequence; the reasons are Python's.
enum Malformed : int {
    kValid = 0,
    kInvalidStart = 1,         // "invalid start byte"
    kInvalidContinuation = 2,  // "invalid continuation byte"
    kUnexpectedEnd = 3,        // "unexpected end of data"
};

inline const char* reason(int malformed) noexcept {
    switch (malformed) {
        case kInvalidStart: return "invalid start byte";
        case kInvalidContinuation: return "invalid continuation byte";
        default: return "unexpected end of data";
    }
}

// One decoded unit: a character, or one maximal invalid subpart (what Python's decoder replaces
// by one U+FFFD with errors="replace" and drops with errors="ignore").
struct Unit {
    int length;     // bytes, 1-4
    int malformed;  // kValid or a Malformed reason
    bool space;     // a valid character that splits words
};

// Decodes the unit at p (p < end). Python's rules: shortest form only, at most U+10FFFF,
// surrogates (ED A0..BF xx) only when rules.surrogates is set. A malformed unit spans what
// CPython's decoder reports as one error: the lead byte and the continuation bytes that were
// valid so far (1 byte for an invalid start byte; up to `end` for an unexpected end).
HL_INLINE Unit decode(const uint8_t* p, const uint8_t* end, const Rules& rules) noexcept {
    const uint8_t b0 = p[0];
    if (b0 < 0x80) return Unit{1, kValid, rules.ascii(b0)};
    const std::ptrdiff_t avail = end - p;
    if (b0 < 0xC2) return Unit{1, kInvalidStart, false};  // a continuation byte, or C0/C1
    if (b0 < 0xE0) {
        if (avail < 2) return Unit{1, kUnexpectedEnd, false};
        if ((p[1] & 0xC0) != 0x80) return Unit{1, kInvalidContinuation, false};
        return Unit{2, kValid, b0 == 0xC2 && (p[1] == 0x85 || p[1] == 0xA0)};
    }
    uint8_t lo = 0x80, hi = 0xBF;
    int len;
    if (b0 < 0xF0) {
        len = 3;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED && !rules.surrogates) hi = 0x9F;
    } else if (b0 < 0xF5) {
        len = 4;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else {
        return Unit{1, kInvalidStart, false};
    }
    if (avail < 2) return Unit{1, kUnexpectedEnd, false};
    if (p[1] < lo || p[1] > hi) return Unit{1, kInvalidContinuation, false};
    for (int k = 2; k < len; ++k) {
        if (avail <= k) return Unit{k, kUnexpectedEnd, false};
        if ((p[k] & 0xC0) != 0x80) return Unit{k, kInvalidContinuation, false};
    }
    return Unit{len, kValid, len == 3 && rules.three_bytes(b0, p[1], p[2])};
}

// The code point of a valid character of `length` bytes at p (surrogates included).
HL_INLINE char32_t code_point(const uint8_t* p, int length) noexcept {
    switch (length) {
        case 1: return p[0];
        case 2: return char32_t(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
        case 3: return char32_t(p[0] & 0x0F) << 12 | char32_t(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
        default:
            return char32_t(p[0] & 0x07) << 18 | char32_t(p[1] & 0x3F) << 12 |
                   char32_t(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
    }
}

// Appends the UTF-8 of c (surrogates as ED A0..BF xx, as 'surrogatepass' writes them) at out;
// returns the bytes written.
HL_INLINE int encode(char32_t c, uint8_t* out) noexcept {
    if (c < 0x80) {
        out[0] = uint8_t(c);
        return 1;
    }
    if (c < 0x800) {
        out[0] = uint8_t(0xC0 | (c >> 6));
        out[1] = uint8_t(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = uint8_t(0xE0 | (c >> 12));
        out[1] = uint8_t(0x80 | ((c >> 6) & 0x3F));
        out[2] = uint8_t(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = uint8_t(0xF0 | (c >> 18));
    out[1] = uint8_t(0x80 | ((c >> 12) & 0x3F));
    out[2] = uint8_t(0x80 | ((c >> 6) & 0x3F));
    out[3] = uint8_t(0x80 | (c & 0x3F));
    return 4;
}

constexpr bool is_continuation(uint8_t b) noexcept { return (b & 0xC0) == 0x80; }

// The first unit boundary at or after s in p[0, n), as Python's decoder segments the bytes
// (valid or not): every byte that is not a continuation byte starts a unit, so decoding from the
// last such byte at most 3 bytes before s finds the unit that covers s, if any.
inline std::size_t boundary_at_or_after(const uint8_t* p, std::size_t n, std::size_t s,
                                        const Rules& rules) noexcept {
    if (s == 0 || s >= n) return s < n ? s : n;
    for (std::size_t k = 1; k <= 3 && k <= s; ++k) {
        if (is_continuation(p[s - k])) continue;
        const Unit u = decode(p + s - k, p + n, rules);
        return s - k + static_cast<std::size_t>(u.length) > s ? s - k + u.length : s;
    }
    return s;  // s is a lone continuation byte, or follows a complete 4-byte character
}

// The start of the unit that ends at boundary s (0 < s): found as boundary_at_or_after does.
inline std::size_t unit_before(const uint8_t* p, std::size_t n, std::size_t s,
                               const Rules& rules) noexcept {
    for (std::size_t k = 1; k <= 4 && k <= s; ++k) {
        if (is_continuation(p[s - k])) continue;
        const Unit u = decode(p + s - k, p + n, rules);
        return s - k + static_cast<std::size_t>(u.length) == s ? s - k : s - 1;
    }
    return s - 1;  // a lone continuation byte is a unit of its own
}

}  // namespace hotloop::utf8
