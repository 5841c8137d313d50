// hl_text_long_words: arguments, SIZE_MAX beyond max_words, unaligned code units.
#include <cstdint>
#include <cstring>
#include <vector>

#include <catch2/catch.hpp>

#include "hotloop.h"

TEST_CASE("hl_text_long_words: the distinct words of UCS-2 at an odd address", "[capi][text]") {
    const std::vector<uint16_t> text = {0x4E2D, 0x4E2D, 0x20, 0x3A3, 0x3000, 0x4E2D, 0x4E2D};
    std::vector<unsigned char> bytes(text.size() * 2 + 1);
    std::memcpy(bytes.data() + 1, text.data(), text.size() * 2);
    uint64_t out[8];
    size_t n = 0;
    REQUIRE(hl_text_long_words(bytes.data() + 1, text.size(), HL_TEXT_UCS2, 0, "14.0.0", 3, out, 2,
                               &n) == HL_OK);
    REQUIRE(n == 2);
    const uint64_t want[8] = {0, 2, 2, 1, 3, 4, 1, 0};
    for (int i = 0; i < 8; ++i) CHECK(out[i] == want[i]);
    REQUIRE(hl_text_long_words(text.data(), text.size(), HL_TEXT_UCS2, 0, "14.0.0", 2, out, 2,
                               &n) == HL_OK);
    CHECK(n == SIZE_MAX);  // three words (two distinct) are more than max_words 2
    // Three words, at most two taken: SIZE_MAX.
    REQUIRE(hl_text_long_words("a b c", 5, HL_TEXT_LATIN1, 0, "14.0.0", 2, out, 2, &n) == HL_OK);
    CHECK(n == SIZE_MAX);
}

TEST_CASE("hl_text_long_words: bad arguments", "[capi][text]") {
    uint64_t out[4];
    size_t n = 7;
    CHECK(hl_text_long_words("ab", 2, HL_TEXT_UTF8, 0, "14.0.0", 1, out, 1, &n) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_text_long_words("ab", 2, HL_TEXT_LATIN1, 0, nullptr, 1, out, 1, &n) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_text_long_words("ab", 2, HL_TEXT_LATIN1, 0, "1.0.0", 1, out, 1, &n) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_text_long_words("ab", 2, HL_TEXT_LATIN1, 1 << 20, "14.0.0", 1, out, 1, &n) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_text_long_words(nullptr, 2, HL_TEXT_LATIN1, 0, "14.0.0", 1, out, 1, &n) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_text_long_words("ab", 2, HL_TEXT_LATIN1, 0, "14.0.0", 1, out, 1, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    // Two distinct words, room for one.
    CHECK(hl_text_long_words("a b", 3, HL_TEXT_LATIN1, 0, "14.0.0", 2, out, 1, &n) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(n == 7);  // untouched after a failure
    CHECK(hl_text_long_words(nullptr, 0, HL_TEXT_UCS4, 0, "14.0.0", 0, nullptr, 0, &n) == HL_OK);
    CHECK(n == 0);
}

TEST_CASE("hl_text_lower_ascii: A-Z and nothing else, at every length and offset", "[capi][text]") {
    std::vector<unsigned char> all(256 * 3);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<unsigned char>(i);
    for (std::size_t from : {0, 1, 63}) {
        for (std::size_t n : {0, 1, 15, 16, 17, 64, 65, 700}) {
            std::vector<unsigned char> out(n + 1, 0xEE);
            REQUIRE(hl_text_lower_ascii(all.data() + from, n, out.data()) == HL_OK);
            for (std::size_t i = 0; i < n; ++i) {
                const unsigned char c = all[from + i];
                CHECK(out[i] == (c >= 'A' && c <= 'Z' ? c + 32 : c));
            }
            CHECK(out[n] == 0xEE);  // nothing written past n
        }
    }
    std::vector<unsigned char> same(all);
    REQUIRE(hl_text_lower_ascii(same.data(), same.size(), same.data()) == HL_OK);
    CHECK(same['A'] == 'a');
    CHECK(same['Z' + 256] == 'z');
    CHECK(same['@'] == '@');
    CHECK(same['['] == '[');
    CHECK(same[0xC1] == 0xC1);
    CHECK(hl_text_lower_ascii(nullptr, 1, same.data()) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_text_lower_ascii(same.data(), 1, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_text_lower_ascii(nullptr, 0, nullptr) == HL_OK);
}
