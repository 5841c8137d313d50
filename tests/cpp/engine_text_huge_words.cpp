// long_words (words of megabytes): a str's distinct words, read in place in its own code units,
// with their counts as written and whether each lowers to itself.
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "hotloop/text.hpp"
#include "../../core/src/text/case_tables.hpp"

using namespace hotloop;

namespace {

TextOptions cpython_options() {
    TextOptions o;
    o.casing = find_case_table("14.0.0");
    return o;
}

template <class U>
std::vector<U> units_of(const std::u32string& s) {
    return std::vector<U>(s.begin(), s.end());
}

// Whether lower_utf8 leaves code point c as it is (the reference for the fast tests).
bool reference_same(const CaseTable& t, char32_t c) {
    std::string w;
    if (c < 0x80) {
        w = std::string(1, char(c));
    } else if (c < 0x800) {
        w = {char(0xC0 | (c >> 6)), char(0x80 | (c & 0x3F))};
    } else {
        w = {char(0xE0 | (c >> 12)), char(0x80 | ((c >> 6) & 0x3F)), char(0x80 | (c & 0x3F))};
    }
    detail::PodArray<uint8_t> out;
    lower_utf8(t, reinterpret_cast<const uint8_t*>(w.data()), w.size(), Beyond::Uncased,
               Beyond::Uncased, out);
    return std::string(reinterpret_cast<const char*>(out.data()), out.size()) == w;
}

template <class U>
std::vector<LongWord> words_of(const std::u32string& text, std::size_t max_words = 100) {
    const auto units = units_of<U>(text);
    const TextEncoding e = sizeof(U) == 1   ? TextEncoding::Latin1
                           : sizeof(U) == 2 ? TextEncoding::Ucs2
                                            : TextEncoding::Ucs4;
    std::vector<LongWord> out;
    REQUIRE(long_words(units.data(), units.size(), e, cpython_options(), max_words, out));
    return out;
}

}  // namespace

TEST_CASE("long_words: spans, counts and lowering of a str's words in every kind", "[text]") {
    // Words of 70-200 units cross the 64-unit chunks; whitespace at a chunk's first and last unit.
    const std::u32string a(63, U'a'), b(200, U'b'), upper(70, U'B'), latin(100, U'\u00e9');
    const std::u32string text = a + U" " + b + U"\t\t" + a + U"\u00a0" + upper + U"\u0085" +
                                latin + U" " + b + U"Z" + U"\n";
    auto check = [&](const std::vector<LongWord>& w) {
        REQUIRE(w.size() == 5);
        CHECK(w[0].begin == 0);
        CHECK(w[0].end == 63);
        CHECK(w[0].count == 2);
        CHECK(w[0].lowers_to_itself);
        CHECK(w[1].begin == 64);
        CHECK(w[1].end == 264);
        CHECK(w[1].count == 1);
        CHECK(w[1].lowers_to_itself);
        CHECK(w[2].count == 1);  // "B" * 70
        CHECK_FALSE(w[2].lowers_to_itself);
        CHECK(w[3].lowers_to_itself);  // é lowers to itself
        CHECK(w[4].end - w[4].begin == 201);  // b * 200 + Z: its capital in the last, short chunk
        CHECK_FALSE(w[4].lowers_to_itself);
    };
    check(words_of<uint8_t>(text));
    check(words_of<uint16_t>(text));
    check(words_of<uint32_t>(text));
}

TEST_CASE("long_words: non-Latin words, whitespace above U+00FF, U+1C..U+1F", "[text]") {
    const std::u32string zh(130, U'\u4e2d'), greek = U"\u03b1\u03a3", emoji(65, U'\U0001F600');
    const std::u32string text = zh + U"\u3000" + greek + U"\u2029" + zh + U"\u001c" + emoji +
                                U"\u200b" + U" " + std::u32string(64, U'\u0400');
    const auto w = words_of<uint32_t>(text);
    REQUIRE(w.size() == 4);
    CHECK(w[0].count == 2);
    CHECK(w[0].lowers_to_itself);
    CHECK_FALSE(w[1].lowers_to_itself);     // a capital sigma
    CHECK(w[2].end - w[2].begin == 66);     // emoji and U+200B, which is not whitespace
    CHECK(w[2].lowers_to_itself);
    CHECK_FALSE(w[3].lowers_to_itself);     // Cyrillic capitals
    const auto w2 = words_of<uint16_t>(text.substr(0, zh.size() * 2 + greek.size() + 3));
    REQUIRE(w2.size() == 2);
    CHECK(w2[0].count == 2);
}

TEST_CASE("long_words: words of one length apart from their bytes", "[text]") {
    std::u32string x(300, U'x'), y = x;
    y[299] = U'y';  // the same length, differing in the last unit
    const auto w = words_of<uint16_t>(x + U" " + y + U" " + x + U" " + y + U" " + y);
    REQUIRE(w.size() == 2);
    CHECK(w[0].count == 2);
    CHECK(w[1].count == 3);
    CHECK(w[1].begin == 301);
}

TEST_CASE("long_words: more than max_words words is no result", "[text]") {
    const auto units = units_of<uint8_t>(U"a b c");
    std::vector<LongWord> out;
    CHECK(long_words(units.data(), units.size(), TextEncoding::Latin1, cpython_options(), 3, out));
    CHECK(out.size() == 3);
    CHECK_FALSE(long_words(units.data(), units.size(), TextEncoding::Latin1, cpython_options(), 2,
                           out));
    CHECK(long_words(nullptr, 0, TextEncoding::Latin1, cpython_options(), 0, out));
    CHECK(out.empty());
    CHECK_THROWS_AS(long_words(units.data(), units.size(), TextEncoding::Utf8, cpython_options(), 3,
                               out),
                    Error);
    CHECK_THROWS_AS(long_words(units.data(), units.size(), TextEncoding::Latin1, TextOptions{}, 3,
                               out),
                    Error);
}

TEST_CASE("lowers_to_itself: every code point below U+10000 as the case table lowers it",
          "[text]") {
    // Also the claim of the fast test: no table maps '\0'..'@', '['..U+00BF, U+3040..U+A63F.
    for (const char* version : {"13.0.0", "14.0.0"}) {
        const CaseTable& t = *find_case_table(version);
        for (char32_t c = 0; c < 0x10000; ++c) {
            if (c >= 0xD800 && c < 0xE000) continue;
            const bool same = reference_same(t, c);
            const uint16_t u16 = static_cast<uint16_t>(c);
            const uint32_t u32 = c;
            if (same != lowers_to_itself(t, &u16, 1) || same != lowers_to_itself(t, &u32, 1)) {
                FAIL("U+" << std::hex << uint32_t(c) << " of " << version);
            }
            if (c < 0x100) {
                const uint8_t u8 = static_cast<uint8_t>(c);
                CHECK(same == lowers_to_itself(t, &u8, 1));
            }
            // A word of 64 such units, through long_words' own vector test (MayBeMapped).
            const std::vector<uint16_t> chunk(64, u16);
            if (same != lowers_to_itself(t, chunk.data(), chunk.size()))
                FAIL("chunk of U+" << std::hex << uint32_t(c));
            if (is_python_whitespace(c) || c == 0x1C || c == 0x1D || c == 0x1E || c == 0x1F) continue;
            TextOptions o;
            o.casing = &t;
            std::vector<LongWord> w;
            REQUIRE(long_words(chunk.data(), chunk.size(), TextEncoding::Ucs2, o, 1, w));
            if (w.size() != 1 || w[0].lowers_to_itself != same)
                FAIL("long_words of U+" << std::hex << uint32_t(c) << " of " << version);
        }
    }
}
