// The word counter's vector kernels (core/src/text/text_kernels.hpp) called directly, at every
// SIMD level this CPU has, against plain scalar references written from their specifications:
// every byte value at every position of a chunk and its edges, so that a level's own code
// (AVX-512BW's whole-chunk compares) cannot differ from the others on any byte.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "hotloop/simd.hpp"
#include "../../core/src/text/text_kernels.hpp"

using namespace hotloop;

namespace {

const SimdLevel kLevels[] = {SimdLevel::Baseline, SimdLevel::AVX2, SimdLevel::AVX512};

// Restores the best level whatever a test does.
struct LevelGuard {
    ~LevelGuard() { set_simd_level(simd_level_supported()); }
};

bool is_space(uint8_t b, bool info_separators) {
    return (b >= 0x09 && b <= 0x0D) || b == 0x20 || (info_separators && b >= 0x1C && b <= 0x1F);
}
bool is_lead(uint8_t b) { return b >= 0xC2 && b <= 0xDF; }
bool is_cont(uint8_t b) { return b >= 0x80 && b <= 0xBF; }
// A valid 2-byte character that is not whitespace (U+0085, U+00A0).
bool word_pair(uint8_t lead, uint8_t cont) {
    return is_lead(lead) && is_cont(cont) && !(lead == 0xC2 && (cont == 0x85 || cont == 0xA0));
}

// ClassifyChunks' specification, byte by byte: the chunk at text[at] is simple when it holds no
// NUL and its bytes >= 0x80, if any, are all 2-byte word characters, read from the byte before
// the chunk (when that is a lead) to the byte after it (when the chunk ends with a lead).
bool simple_reference(const uint8_t* text, std::size_t size, std::size_t at) {
    bool ascii = true;
    for (std::size_t i = at; i < at + 64; ++i) {
        if (text[i] == 0) return false;
        ascii &= text[i] < 0x80;
    }
    if (ascii) return true;  // a lead cut off before it is the chunk before's to decode
    std::size_t i = at;
    if (at > 0 && is_lead(text[at - 1])) {  // a lead before the chunk needs its byte first in it
        if (!word_pair(text[at - 1], text[at])) return false;
        i = at + 1;
    } else if (is_cont(text[at])) {
        return false;
    }
    while (i < at + 64) {
        if (text[i] < 0x80) {
            ++i;
        } else if (i + 1 < size && word_pair(text[i], text[i + 1])) {
            i += 2;
        } else {
            return false;
        }
    }
    return true;
}

// Classifies chunks [from, from + 64 n) of text at every level and checks each against the
// references: "" when all agree, else the first difference. (A string per check would cost more
// than the check: the cases run by the hundred thousand.)
std::string classification_mismatch(const std::vector<uint8_t>& text, std::size_t from,
                                    std::size_t n) {
    LevelGuard guard;
    for (bool info : {false, true}) {
        std::vector<uint64_t> want_space(n);
        std::vector<uint8_t> want_simple(n);
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t at = from + 64 * k;
            for (int i = 0; i < 64; ++i)
                want_space[k] |= uint64_t(is_space(text[at + i], info)) << i;
            want_simple[k] = simple_reference(text.data(), text.size(), at);
        }
        for (SimdLevel level : kLevels) {
            if (set_simd_level(level) != level) continue;
            std::vector<uint64_t> space(n, 0xDEAD);
            std::vector<uint8_t> simple(n, 7);
            simd_run<text::ClassifyChunks>(text.data(), text.size(), from, n, info, space.data(),
                                           simple.data());
            for (std::size_t k = 0; k < n; ++k)
                if (space[k] != want_space[k] || simple[k] != want_simple[k])
                    return "info_separators " + std::to_string(info) + ", level " +
                           simd_level_name(level) + ", chunk " + std::to_string(k) +
                           ": space " + std::to_string(space[k]) + " simple " +
                           std::to_string(simple[k]) + ", want " +
                           std::to_string(want_space[k]) + " " + std::to_string(want_simple[k]);
        }
    }
    return "";
}

// Backgrounds the tested bytes are set into: ASCII letters, 2-byte characters (at both
// alignments to the chunks), whitespace, and a mix of both with a 2-byte character cut by every
// chunk edge.
std::vector<std::vector<uint8_t>> backgrounds(std::size_t size) {
    std::vector<std::vector<uint8_t>> out;
    out.emplace_back(size, 'a');
    for (int shift : {0, 1}) {
        std::vector<uint8_t> t(size, 'a');
        for (std::size_t i = shift; i + 1 < size; i += 2) {
            t[i] = 0xD0;
            t[i + 1] = 0xB6;  // U+0436
        }
        out.push_back(t);
    }
    out.emplace_back(size, ' ');
    std::vector<uint8_t> mixed(size);
    for (std::size_t i = 0; i < size; ++i) mixed[i] = "ab c\xC3\xA9 \t"[i % 8];
    for (std::size_t at = 63; at + 1 < size; at += 64) {
        mixed[at] = 0xC3;
        mixed[at + 1] = 0x89;  // U+00C9 cut by the edge
    }
    out.push_back(mixed);
    return out;
}

}  // namespace

TEST_CASE("ClassifyChunks: every byte value at every position, at every level", "[text][simd]") {
    // Two windows: chunks 1-2 of four (bytes before and after them in the window), and chunks
    // 0-1 of two (no byte before the first, none after the last: a lead at its end is not
    // simple). Every byte of the window, the edges' neighbours included, takes every value.
    struct Window {
        std::size_t size, from, n;
    };
    for (const Window w : {Window{256, 64, 2}, Window{128, 0, 2}}) {
        int background = 0;
        for (const std::vector<uint8_t>& base : backgrounds(w.size)) {
            ++background;
            for (std::size_t p = 0; p < w.size; ++p)
                for (int b = 0; b < 256; ++b) {
                    std::vector<uint8_t> text = base;
                    text[p] = static_cast<uint8_t>(b);
                    const std::string m = classification_mismatch(text, w.from, w.n);
                    if (!m.empty())
                        FAIL("window " << w.size << ", background " << background << ", byte "
                                       << b << " at " << p << ": " << m);
                }
        }
    }
}

TEST_CASE("ClassifyChunks: every pair of bytes inside and across a chunk edge, at every level",
          "[text][simd]") {
    // The 2-byte characters (C2 85 and C2 A0 are whitespace, C0/C1/E0.. are not leads, a
    // continuation byte needs its lead), inside a chunk and cut by an edge: all 65536 pairs at
    // bytes 63-64 of the first of two classified chunks, at bytes 63-64 of the second (its byte
    // 64 is the byte after the window's chunks) and at bytes 22-23 of the second.
    std::vector<uint8_t> base(256, 'a');
    for (std::size_t edge : {127, 191, 150})
        for (int a = 0; a < 256; ++a)
            for (int b = 0; b < 256; ++b) {
                std::vector<uint8_t> text = base;
                text[edge] = static_cast<uint8_t>(a);
                text[edge + 1] = static_cast<uint8_t>(b);
                const std::string m = classification_mismatch(text, 64, 2);
                if (!m.empty()) FAIL("bytes " << a << " " << b << " at " << edge << ": " << m);
            }
}

TEST_CASE("ClassifyChunks: random mixes of the bytes that decide a chunk, at every level",
          "[text][simd]") {
    // Many chunks per call, from 0 to 64, at random offsets: the alphabet is what the kernel tells
    // apart (whitespace incl. 1C-1F, NUL, leads C2/C3/DF, continuation bytes incl. 85/A0/BF, C0,
    // E0-F4, ASCII), weighted so that simple and non-simple chunks both occur.
    const uint8_t alphabet[] = {'a', 'Z', ' ', '\n', 0x09, 0x0D, 0x0E, 0x08, 0x1B, 0x1C, 0x1F,
                                0x20, 0x21, 0x7F, 0x00, 0xC2, 0xC3, 0xDF, 0x80, 0x85, 0xA0,
                                0xBF, 0xC0, 0xC1, 0xE0, 0xE3, 0xF0, 0xF4, 0xFF};
    std::mt19937_64 rng(17);
    for (int round = 0; round < 300; ++round) {
        const std::size_t n = rng() % 65;
        const std::size_t from = rng() % 3 == 0 ? 0 : 1 + rng() % 100;
        std::vector<uint8_t> text(from + 64 * n + rng() % 3);
        const unsigned odd_one_in = 2 + static_cast<unsigned>(rng() % 400);
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (rng() % odd_one_in == 0) {
                text[i] = alphabet[rng() % sizeof alphabet];
            } else if (rng() % 3 == 0 && i + 1 < text.size()) {
                text[i] = static_cast<uint8_t>(0xC2 + rng() % 30);
                text[++i] = static_cast<uint8_t>(0x80 + rng() % 64);
            } else {
                text[i] = "abc de\tf"[rng() % 8];
            }
        }
        if (n == 0) continue;
        const std::string m = classification_mismatch(text, from, n);
        if (!m.empty()) FAIL("round " << round << ": " << m);
    }
}

namespace {

// TranscodeShort's specification: groups of 16 units from the first, up to the first group that
// holds a unit of U+0800 or above (or the last whole group), and their UTF-8.
template <class U>
std::pair<std::size_t, std::string> transcode_reference(const std::vector<U>& units) {
    std::size_t done = 0;
    while (done + 16 <= units.size()) {
        bool short_units = true;
        for (std::size_t k = done; k < done + 16; ++k) short_units &= units[k] < 0x800;
        if (!short_units) break;
        done += 16;
    }
    std::string bytes;
    for (std::size_t k = 0; k < done; ++k) {
        const unsigned c = units[k];
        if (c < 0x80) {
            bytes += static_cast<char>(c);
        } else {
            bytes += static_cast<char>(0xC0 | (c >> 6));
            bytes += static_cast<char>(0x80 | (c & 0x3F));
        }
    }
    return {done, bytes};
}

// "" when every level transcodes the units as the reference does, else the first difference.
template <class U>
std::string transcode_mismatch(const std::vector<U>& units) {
    LevelGuard guard;
    const auto want = transcode_reference(units);
    for (SimdLevel level : kLevels) {
        if (set_simd_level(level) != level) continue;
        std::vector<uint8_t> out(2 * units.size() + 64, 0xEE);
        const auto got = simd_run<text::TranscodeShort>(units.data(), units.size(), out.data());
        const std::string bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(got.second));
        if (got.first != want.first || bytes != want.second)
            return std::string("level ") + simd_level_name(level) + ": " +
                   std::to_string(got.first) + " units, " + std::to_string(got.second) +
                   " bytes, want " + std::to_string(want.first) + ", " +
                   std::to_string(want.second.size());
    }
    return "";
}

}  // namespace

TEST_CASE("TranscodeShort: every kind of unit at every position, at every level", "[text][simd]") {
    // ASCII runs (32 units at once at AVX-512) around a unit that ends the run (2-byte) or the
    // transcoding (U+0800 and above), at every position of 100 units, and every length.
    const uint16_t odd[] = {0x00, 0x41, 0x7F, 0x80, 0xFF, 0x100, 0x7FF, 0x800, 0xD800, 0xFFFF};
    for (uint16_t background : {uint16_t('a'), uint16_t(0x436), uint16_t(0xE9)})
        for (std::size_t n : {std::size_t(100), std::size_t(47), std::size_t(32)})
            for (std::size_t p = 0; p < n; ++p)
                for (uint16_t u : odd) {
                    std::vector<uint16_t> ucs2(n, background);
                    ucs2[p] = u;
                    std::string m = transcode_mismatch(ucs2);
                    if (!m.empty())
                        FAIL("UCS-2 of " << n << ", background " << background << ", unit " << u
                                         << " at " << p << ": " << m);
                    if (u > 0xFF || background > 0xFF) continue;
                    const std::vector<uint8_t> latin(ucs2.begin(), ucs2.end());
                    m = transcode_mismatch(latin);
                    if (!m.empty())
                        FAIL("Latin-1 of " << n << ", background " << background << ", unit "
                                           << u << " at " << p << ": " << m);
                }
    std::mt19937_64 rng(23);
    for (int round = 0; round < 2000; ++round) {
        std::vector<uint16_t> ucs2(rng() % 300);
        const unsigned odd_one_in = 1 + static_cast<unsigned>(rng() % 200);
        for (uint16_t& u : ucs2)
            u = rng() % odd_one_in == 0 ? odd[rng() % (sizeof odd / sizeof odd[0])]
                                        : static_cast<uint16_t>(' ' + rng() % 95);
        const std::string m = transcode_mismatch(ucs2);
        if (!m.empty()) FAIL("round " << round << ": " << m);
    }
}
