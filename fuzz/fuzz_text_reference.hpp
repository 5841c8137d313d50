// Plain references shared by the word-count fuzz targets (fuzz_word_count, fuzz_long_words):
// str.split()'s whitespace under the engine's flags, and the UTF-8 of a code point.
#pragma once

#include <cstdint>
#include <string>

#include "hotloop.h"

namespace fuzz {

// Whether str.split() splits on code point c, with the HL_TEXT_* variants in `flags`.
inline bool splits(uint32_t c, int flags) {
    if (c >= 0x1C && c <= 0x1F) return !(flags & HL_TEXT_KEEP_INFO_SEPARATORS);
    if (c == 0x180E) return (flags & HL_TEXT_SPLIT_MONGOLIAN_VOWEL_SEPARATOR) != 0;
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

// UTF-8 of a code point (surrogates encoded as three bytes, as 'surrogatepass' does and the
// engine exports them).
inline std::string utf8(uint32_t c) {
    std::string s;
    if (c < 0x80) {
        s += static_cast<char>(c);
    } else if (c < 0x800) {
        s += static_cast<char>(0xC0 | c >> 6);
        s += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        s += static_cast<char>(0xE0 | c >> 12);
        s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        s += static_cast<char>(0xF0 | c >> 18);
        s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (c & 0x3F));
    }
    return s;
}

}  // namespace fuzz
