// Long words in CPython's str layouts (Latin-1, UCS-2, UCS-4): a block that lies inside a word
// begun in an earlier block starts no word, and must not read on to the word's end (which cost
// each such block the rest of the word: quadratic in the word's length). Apart from
// engine_text.cpp, whose helper utf8() would clash with the engine's utf8 namespace.
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "hotloop/text.hpp"
#include "../../core/src/text/utf8.hpp"

using namespace hotloop;

namespace {

constexpr std::size_t kBlockUnits = std::size_t(1) << 18;  // the engine's str block

void require_same(const WordTable& a, const WordTable& b) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a.word(i) == b.word(i));
        CHECK(a.entry(i).count == b.entry(i).count);
        CHECK(a.entry(i).offset == b.entry(i).offset);
    }
}

}  // namespace

TEST_CASE("inside_one_word: a range of a str that starts no word", "[text]") {
    const utf8::Rules cpython;
    utf8::Rules pypy;
    pypy.mongolian_vowel_separator = true;
    const std::u32string word = U"\u00e4\u03a3\u4e2d\U0001F600a";
    const std::u32string text = word + U" " + word + U"\u3000" + word + U"\u180e" + word;
    const std::size_t n = text.size();
    CHECK_FALSE(utf8::inside_one_word(text.data(), 0, 3, cpython));   // the text's start
    CHECK(utf8::inside_one_word(text.data(), 1, 5, cpython));         // inside the first word
    CHECK_FALSE(utf8::inside_one_word(text.data(), 1, 6, cpython));   // reaches the space
    CHECK_FALSE(utf8::inside_one_word(text.data(), 6, 8, cpython));   // right after it
    CHECK_FALSE(utf8::inside_one_word(text.data(), 8, 12, cpython));  // reaches U+3000
    CHECK(utf8::inside_one_word(text.data(), 13, n, cpython));        // U+180E joins (CPython)
    CHECK_FALSE(utf8::inside_one_word(text.data(), 13, n, pypy));     // and splits (PyPy 3.9)
    const std::u16string two = u"ab\u00e4\u00e4";
    CHECK(utf8::inside_one_word(two.data(), 1, 4, cpython));
    const std::string one = "ab\x85" "c";
    CHECK_FALSE(
        utf8::inside_one_word(reinterpret_cast<const uint8_t*>(one.data()), 1, 4, cpython));
}

namespace {

// find_split over a text of 'a' with `decoys` (units that do not split, some of which pass
// Rules::may_split's filter) at every 7th unit, and `space` at each offset in turn, from several
// starts.
template <class U>
void check_find_split(std::initializer_list<U> decoys, std::initializer_list<U> spaces,
                      const utf8::Rules& rules) {
    constexpr std::size_t n = 200;  // three chunks of 64 and a part
    std::vector<U> text(n, U('a'));
    std::size_t d = 0;
    for (std::size_t i = 3; i < n; i += 7) text[i] = *(decoys.begin() + d++ % decoys.size());
    for (std::size_t from : {std::size_t(0), std::size_t(1), std::size_t(63), std::size_t(64)})
        CHECK(utf8::find_split(text.data(), from, n, rules) == n);
    for (U space : spaces) {
        for (std::size_t at = 0; at < n; ++at) {
            std::vector<U> t = text;
            t[at] = space;
            INFO("U+" << std::hex << uint32_t(space) << std::dec << " at " << at);
            for (std::size_t from : {std::size_t(0), at / 2, at})
                CHECK(utf8::find_split(t.data(), from, n, rules) == at);
            CHECK(utf8::find_split(t.data(), at + 1, n, rules) == n);
            CHECK(utf8::find_split(t.data(), 0, at, rules) == at);  // the end bounds the search
        }
    }
}

}  // namespace

TEST_CASE("Rules::may_split_exactly passes the code points that split under some Rules",
          "[text]") {
    // splits() rejects every other code point with it before searching the list: every
    // whitespace of CPython and PyPy (U+001C..U+001F, U+180E) must pass, and nothing else but the
    // code points up to U+0020; find_split's quick filter, may_split, must pass all of them too.
    utf8::Rules pypy;
    pypy.info_separators = false;
    pypy.mongolian_vowel_separator = true;
    std::vector<uint32_t> wrong;
    for (char32_t c = 0; c <= 0x10FFFF; ++c) {
        const bool exact = utf8::Rules::may_split_exactly(c);
        if (exact != (utf8::Rules{}.splits(c) || pypy.splits(c) || c <= 0x20) ||
            (exact && !utf8::Rules::may_split(c)))
            wrong.push_back(uint32_t(c));
    }
    CHECK(wrong.empty());
    CHECK(utf8::Rules::may_split_exactly(0x180E));
    CHECK_FALSE(utf8::Rules::may_split_exactly(0x200B));
}

TEST_CASE("find_split: the first unit that splits, past candidates that do not", "[text]") {
    const utf8::Rules cpython;  // the info separators U+001C..U+001F split, U+180E does not
    check_find_split<uint8_t>({0x01, 0x08, 0x0E, 0x1B, 0x84}, {' ', '\t', 0x0B, 0x1C, 0x85, 0xA0},
                              cpython);
    check_find_split<uint16_t>({0x2014, 0x200B, 0x180E, 0x2FFF, 0x1B},
                               {0x1F, 0x1680, 0x2000, 0x200A, 0x2028, 0x205F, 0x3000}, cpython);
    check_find_split<char32_t>({0x2014, 0x0, 0x1F600, 0x3001, 0x167F},
                               {'\n', 0xA0, 0x2029, 0x202F, 0x3000}, cpython);
    utf8::Rules other;  // the other way round (ASCII-only text under PyPy 3.9; U+180E there)
    other.info_separators = false;
    other.mongolian_vowel_separator = true;
    check_find_split<uint16_t>({0x2014, 0x1C, 0x1F}, {0x180E, ' '}, other);
}

TEST_CASE("count_words: words of several str blocks, in every layout", "[text]") {
    for (char32_t c : {char32_t(0xE4), char32_t(0x3A3), char32_t(0x1F600)}) {
        std::vector<char32_t> chars = {'x', ' '};
        chars.insert(chars.end(), 5 * kBlockUnits + 5, c);
        chars.push_back(' ');
        chars.insert(chars.end(), kBlockUnits / 2, 'A');
        chars.insert(chars.end(), 3 * kBlockUnits, c);
        chars.push_back(0xA0);  // splits, and is Latin-1
        chars.push_back('x');
        std::string text;
        for (char32_t u : chars) {
            uint8_t buffer[4];
            const int n = utf8::encode(u, buffer);
            text.append(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(n));
        }
        const WordTable want = count_words(text.data(), text.size(), TextEncoding::Utf8, {});
        REQUIRE(want.size() == 3);
        const std::vector<uint32_t> ucs4(chars.begin(), chars.end());
        require_same(count_words(ucs4.data(), ucs4.size(), TextEncoding::Ucs4, {}), want);
        if (c < 0x100) {
            const std::vector<uint8_t> latin(chars.begin(), chars.end());
            require_same(count_words(latin.data(), latin.size(), TextEncoding::Latin1, {}), want);
        }
        if (c < 0x10000) {
            const std::vector<uint16_t> ucs2(chars.begin(), chars.end());
            require_same(count_words(ucs2.data(), ucs2.size(), TextEncoding::Ucs2, {}), want);
        }
    }
}
