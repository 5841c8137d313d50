// The vector kernels of the word counter (text.cpp), in the house SIMD idiom (simd.hpp): structs
// whose HL_INLINE static run() works on simd::Vec steps, called through simd_run<Kernel>(...).
// Every level computes the same bits (the engine tests compare the levels).
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd.hpp"

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
struct ClassifyChunks {
    HL_INLINE static void run(const uint8_t* text, std::size_t size, std::size_t from,
                              std::size_t n, bool info_separators, uint64_t* space,
                              uint8_t* simple) {
        const int8_t sep_lo = info_separators ? 0x1B : 0x7F;  // 1C..1F, or an empty range
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t at = from + 64 * k;
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
            simple[k] = ok;
        }
    }
};

}  // namespace hotloop::text
