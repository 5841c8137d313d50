// The vector kernels of the word counter (text.cpp), in the house SIMD idiom (simd.hpp): structs
// whose HL_INLINE static run() works on simd::Vec steps, called through simd_run<Kernel>(...).
// Every level computes the same bits (the engine tests compare the levels).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "simd.hpp"

#if defined(HL_SIMD_X86)
#include <immintrin.h>
#endif

// 64-byte vectors change the calling convention without AVX-512; every function taking them is
// always inlined, so no such call exists.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace hotloop::text {

// 16 signed bytes (bytes >= 0x80 are negative). Not simd::Vec<int8_t>: GCC 12 turns compares of
// integer vectors wider than the level's registers (64 bytes below AVX-512BW, 32 at baseline)
// into one scalar compare per byte, so the kernels below go through 64 bytes a quarter at a time,
// which every level compiles to its own 16-byte instructions.
using Bytes = simd::VecN<int8_t, 16>;

HL_INLINE Bytes splat(int8_t b) { return Bytes{} + b; }

// Bit i set when byte i of m is set (m: the result of a comparison, 0 or -1 per byte).
HL_INLINE uint32_t bits(Bytes m) {
#if defined(HL_SIMD_X86)
    __m128i x;
    std::memcpy(&x, &m, sizeof m);
    return static_cast<uint32_t>(_mm_movemask_epi8(x));
#else
    uint32_t out = 0;
    for (int k = 0; k < 16; ++k) out |= uint32_t(m[k] < 0) << k;
    return out;
#endif
}

// Classifies the chunks of 64 bytes at text[from + 64 k], k < n, of a window of `size` bytes:
//   space[k]:  bit i set when byte i is ASCII whitespace (09-0D, 20, and 1C-1F when
//              info_separators is set);
//   simple[k]: 1 when those bits alone mark every word edge of the chunk, because the chunk
//              holds no NUL byte and every byte >= 0x80 belongs to a valid 2-byte character
//              (lead C2..DF, one continuation byte) that is not whitespace (C2 85, C2 A0);
//              a character cut by the chunk's edges counts with the byte before (text[from +
//              64 k - 1], if in the window) or after (text[from + 64 k + 64], which must be).
// Any other chunk (3- and 4-byte characters, malformed bytes, NUL) is decoded unit by unit.
// run() goes 16 bytes at a time, which every level compiles to its own instructions;
// run_avx512 compares a whole chunk at once with AVX-512BW (each compare gives the chunk's
// 64-bit mask directly): on the 50 MB Zipf text the 16-byte version was 13% of the count.
struct ClassifyChunks {
    // The text is read here first, and from memory when it is larger than the caches: each
    // chunk's line is prefetched a pass of the scanner (64 chunks) ahead, so that it arrives
    // while the scanner adds this pass's words. (The load waited for 73% of the samples of
    // run_avx512 on the 50 MB Zipf text; the hardware prefetchers stop at 4 KiB pages.)
    static constexpr std::size_t kPrefetchAhead = 4096;
    HL_INLINE static void run(const uint8_t* text, std::size_t size, std::size_t from,
                              std::size_t n, bool info_separators, uint64_t* space,
                              uint8_t* simple) {
        const int8_t sep_lo = info_separators ? 0x1B : 0x7F;  // 1C..1F, or an empty range
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t at = from + 64 * k;
            __builtin_prefetch(text + at + kPrefetchAhead);
            uint64_t ws = 0, high = 0, nul = 0;
            for (int q = 0; q < 4; ++q) {
                const Bytes v = simd::load<Bytes>(text + at + 16 * q);
                const Bytes w = (v == splat(0x20)) | ((v > splat(0x08)) & (v < splat(0x0E))) |
                                ((v > splat(sep_lo)) & (v < splat(0x20)));
                ws |= uint64_t(bits(w)) << (16 * q);
                high |= uint64_t(bits(v < splat(0))) << (16 * q);
                nul |= uint64_t(bits(v == splat(0))) << (16 * q);
            }
            space[k] = ws;
            if (nul != 0 || high == 0) {
                simple[k] = nul == 0;
                continue;
            }
            uint64_t lead = 0, cont = 0, c2 = 0, space2 = 0;
            for (int q = 0; q < 4; ++q) {
                const Bytes v = simd::load<Bytes>(text + at + 16 * q);
                const Bytes is_lead = (v > splat(int8_t(0xC1))) & (v < splat(int8_t(0xE0)));
                const Bytes is_space2 = (v == splat(int8_t(0x85))) | (v == splat(int8_t(0xA0)));
                lead |= uint64_t(bits(is_lead)) << (16 * q);
                cont |= uint64_t(bits(v < splat(int8_t(0xC0)))) << (16 * q);  // 80..BF
                c2 |= uint64_t(bits(v == splat(int8_t(0xC2)))) << (16 * q);
                space2 |= uint64_t(bits(is_space2)) << (16 * q);
            }
            simple[k] = two_byte_only(text, size, at, high, lead, cont, c2, space2);
        }
    }

#if defined(HL_SIMD_X86)
    // The same bits. Unsigned ranges as one compare each: lo <= v <= hi is v - lo <= hi - lo.
    HL_TARGET_AVX512BW static void run_avx512(const uint8_t* text, std::size_t size,
                                              std::size_t from, std::size_t n,
                                              bool info_separators, uint64_t* space,
                                              uint8_t* simple) {
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t at = from + 64 * k;
            __builtin_prefetch(text + at + kPrefetchAhead);
            const __m512i v = _mm512_loadu_si512(text + at);
            const uint64_t ws =
                _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(0x20)) |
                _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8(0x09)),
                                       _mm512_set1_epi8(0x0D - 0x09)) |
                (info_separators ? _mm512_cmple_epu8_mask(
                                       _mm512_sub_epi8(v, _mm512_set1_epi8(0x1C)),
                                       _mm512_set1_epi8(0x1F - 0x1C))
                                 : 0);
            const uint64_t high = _mm512_movepi8_mask(v);
            const uint64_t nul = _mm512_testn_epi8_mask(v, v);
            space[k] = ws;
            if (nul != 0 || high == 0) {
                simple[k] = nul == 0;
                continue;
            }
            const uint64_t lead = _mm512_cmple_epu8_mask(
                _mm512_sub_epi8(v, _mm512_set1_epi8(int8_t(0xC2))), _mm512_set1_epi8(0xDF - 0xC2));
            const uint64_t cont = high & _mm512_cmplt_epu8_mask(v, _mm512_set1_epi8(int8_t(0xC0)));
            const uint64_t c2 = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(int8_t(0xC2)));
            const uint64_t space2 = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(int8_t(0x85))) |
                                    _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(int8_t(0xA0)));
            simple[k] = two_byte_only(text, size, at, high, lead, cont, c2, space2);
        }
    }
#endif

    // Whether the bytes >= 0x80 (high) of the chunk at text[at] are all valid 2-byte characters
    // other than C2 85 and C2 A0, given the chunk's masks of leads (C2..DF), continuation bytes
    // (80..BF), C2 bytes and 85 or A0 bytes; the characters cut by the chunk's edges included.
    HL_INLINE static bool two_byte_only(const uint8_t* text, std::size_t size, std::size_t at,
                                        uint64_t high, uint64_t lead, uint64_t cont, uint64_t c2,
                                        uint64_t space2) {
        const uint8_t before = at > 0 ? text[at - 1] : 0;
        const uint64_t lead_in = before >= 0xC2 && before <= 0xDF;
        const uint64_t c2_in = before == 0xC2;
        bool ok = cont == ((lead << 1) | lead_in) && (lead | cont) == high &&
                  ((((c2 << 1) | c2_in) & space2) == 0);
        if (ok && (lead >> 63)) {  // the last character ends in the next chunk
            const uint8_t last = text[at + 63];
            const uint8_t next = at + 64 < size ? text[at + 64] : 0;
            ok = (next & 0xC0) == 0x80 && !(last == 0xC2 && (next == 0x85 || next == 0xA0));
        }
        return ok;
    }
};

// ---- str layouts to UTF-8 ----

// kSqueeze.order[m]: for 8 code units below U+0800 encoded as 16 bytes (two per unit: the UTF-8
// lead or ASCII byte, then the continuation byte), the shuffle that keeps both bytes of the
// units whose bit is set in m (2-byte characters) and the first byte of the others (ASCII);
// kSqueeze.length[m] the bytes kept.
struct Squeeze {
    uint8_t order[256][16];
    uint8_t length[256];
    constexpr Squeeze() : order(), length() {
        for (int m = 0; m < 256; ++m) {
            int n = 0;
            for (int k = 0; k < 8; ++k) {
                order[m][n++] = static_cast<uint8_t>(2 * k);
                if ((m >> k) & 1) order[m][n++] = static_cast<uint8_t>(2 * k + 1);
            }
            length[m] = static_cast<uint8_t>(n);
            for (; n < 16; ++n) order[m][n] = 0;
        }
    }
};
inline constexpr Squeeze kSqueeze{};

using Units16 = simd::VecN<uint16_t, 8>;
using Bytes16 = simd::VecN<uint8_t, 16>;
using Bytes8 = simd::VecN<uint8_t, 8>;

// Whether every lane of v is 0.
HL_INLINE bool none(Units16 v) {
    uint64_t half[2];
    std::memcpy(half, &v, sizeof half);
    return (half[0] | half[1]) == 0;
}

// Writes the UTF-8 of the 8 code units u (all below U+0800) at out (which has room for 16 bytes)
// and returns its length.
HL_INLINE std::size_t squeeze8(Units16 u, uint8_t* out) {
    const Units16 zero = Units16{};
    const Units16 two = u > (zero + 0x7F);  // 0xFFFF for a 2-byte character
    // Little-endian lanes: the lead byte first, then the continuation byte.
    const Units16 pair = (((u & 0x3F) | 0x80) << 8) | ((u >> 6) | 0xC0);
    const Units16 enc = (pair & two) | (u & ~two);
#if defined(HL_SIMD_X86)
    __m128i t;
    std::memcpy(&t, &two, sizeof t);
    const __m128i packed = _mm_packs_epi16(t, _mm_setzero_si128());
    const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(packed));
#else
    unsigned m = 0;
    for (int k = 0; k < 8; ++k) m |= unsigned(two[k] != 0) << k;
#endif
    Bytes16 bytes, order;
    std::memcpy(&bytes, &enc, sizeof bytes);
    std::memcpy(&order, kSqueeze.order[m], sizeof order);
#if defined(__clang__)  // clang has no __builtin_shuffle (the fuzz build uses clang): its meaning
    Bytes16 shuffled;
    for (int k = 0; k < 16; ++k) shuffled[k] = bytes[order[k] & 15];
#else
    const Bytes16 shuffled = __builtin_shuffle(bytes, order);
#endif
    simd::store(out, shuffled);
    return kSqueeze.length[m];
}

// Transcodes code units (uint8_t: Latin-1, uint16_t: UCS-2) to UTF-8 at out, 16 at a time, from
// units[0] for as long as a group of 16 lies below U+0800; out has room for 32 bytes per unit
// group. Returns {units done, bytes written}: the caller encodes what follows one by one.
// run_avx512 copies 32 ASCII units at once (AVX-512BW narrows 32 UCS-2 units in one
// instruction) and does the two groups of 16 of any other 32 as run() does: the same stop, the
// same bytes. A str of ASCII with a few other characters (the Debian copyright files: 2-byte
// layout, 99.97% ASCII) is all read here (transcode in text.cpp).
struct TranscodeShort {
    static constexpr std::size_t kPrefetchAhead = 2048;  // bytes of units
    template <class U>
    HL_INLINE static std::pair<std::size_t, std::size_t> run(const U* units, std::size_t n,
                                                             uint8_t* out) {
        std::size_t i = 0, at = 0;
        for (; i + 16 <= n; i += 16)
            if (!group(units + i, out, at)) break;
        return {i, at};
    }

#if defined(HL_SIMD_X86)
    template <class U>
    HL_TARGET_AVX512BW static std::pair<std::size_t, std::size_t> run_avx512(const U* units,
                                                                           std::size_t n,
                                                                           uint8_t* out) {
        std::size_t i = 0, at = 0;
        for (; i + 32 <= n; i += 32) {
            // A str larger than the caches streams from memory: its loads waited for 79% of
            // the samples here on the copyright files (50 MB of UCS-2).
            __builtin_prefetch(reinterpret_cast<const uint8_t*>(units + i) + kPrefetchAhead);
            __m256i bytes;
            bool ascii;
            if constexpr (sizeof(U) == 1) {
                bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(units + i));
                ascii = _mm256_movemask_epi8(bytes) == 0;
            } else {
                const __m512i v = _mm512_loadu_si512(units + i);
                ascii = _mm512_test_epi16_mask(v, _mm512_set1_epi16(int16_t(0xFF80))) == 0;
                // maskz: the plain form's undefined upper half trips GCC 12's
                // -Wmaybe-uninitialized; an all-ones mask is the same instruction.
                bytes = _mm512_maskz_cvtepi16_epi8(~__mmask32(0), v);
            }
            if (ascii) {
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + at), bytes);
                at += 32;
                continue;
            }
            // Both groups of 16 as run() does them (Latin, Cyrillic, ... text tests once per 32).
            if (!group(units + i, out, at)) return {i, at};
            if (!group(units + i + 16, out, at)) return {i + 16, at};
        }
        for (; i + 16 <= n; i += 16)
            if (!group(units + i, out, at)) break;
        return {i, at};
    }
#endif

    // Transcodes the 16 units at u to out + at and moves at past them; false (nothing written)
    // if one is U+0800 or above.
    template <class U>
    HL_INLINE static bool group(const U* u, uint8_t* out, std::size_t& at) {
        Units16 lo, hi;
        if constexpr (sizeof(U) == 1) {
            lo = __builtin_convertvector(simd::load<Bytes8>(u), Units16);
            hi = __builtin_convertvector(simd::load<Bytes8>(u + 8), Units16);
        } else {
            lo = simd::load<Units16>(u);
            hi = simd::load<Units16>(u + 8);
        }
        const Units16 any = lo | hi;
        if (!none(any & 0xF800)) return false;
        if (none(any & 0xFF80)) {  // ASCII: 16 bytes as they are
            simd::store(out + at, __builtin_convertvector(lo, Bytes8));
            simd::store(out + at + 8, __builtin_convertvector(hi, Bytes8));
            at += 16;
            return true;
        }
        at += squeeze8(lo, out + at);
        at += squeeze8(hi, out + at);
        return true;
    }
};

}  // namespace hotloop::text
