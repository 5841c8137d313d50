// Word counting in the engine: against a plain serial reference, across block boundaries, with
// invalid UTF-8, over files (missing, directory, unreadable, FIFO, truncated, byte ranges), the
// case tables, and the WordTable's merge and serialized form.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <tbb/global_control.h>

#include "hotloop/error.hpp"
#include "hotloop/simd.hpp"
#include "hotloop/text.hpp"
#include "../../core/src/runtime/file_bytes.hpp"

using namespace hotloop;

namespace {

constexpr std::size_t kBlock = std::size_t(1) << 20;  // the engine's block size

const std::vector<char32_t> kPythonWhitespace = {
    0x09,   0x0A,   0x0B,   0x0C,   0x0D,   0x1C,   0x1D,   0x1E,   0x1F,   0x20,
    0x85,   0xA0,   0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
    0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000};

std::string utf8(char32_t c) {
    std::string s;
    if (c < 0x80) {
        s += static_cast<char>(c);
    } else if (c < 0x800) {
        s += static_cast<char>(0xC0 | (c >> 6));
        s += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        s += static_cast<char>(0xE0 | (c >> 12));
        s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        s += static_cast<char>(0xF0 | (c >> 18));
        s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (c & 0x3F));
    }
    return s;
}

struct Counted {
    uint64_t count = 0;
    uint64_t first = 0;
};

// Serial reference over code points, without a case table: split where the options say,
// lowering A-Z in words made only of ASCII (what the engine does with casing == nullptr).
std::map<std::string, Counted> reference(const std::vector<char32_t>& text,
                                         const TextOptions& options) {
    const auto white = splitting_whitespace(options);
    auto splits = [&](char32_t c) { return std::binary_search(white.begin(), white.end(), c); };
    std::map<std::string, Counted> out;
    std::string word;
    bool ascii = true;
    uint64_t offset = 0, start = 0;
    auto finish = [&] {
        if (word.empty()) return;
        if (ascii)
            for (char& c : word)
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        Counted& e = out[word];
        if (e.count++ == 0) e.first = start;
        word.clear();
        ascii = true;
    };
    for (char32_t c : text) {
        const std::string bytes = utf8(c);
        if (splits(c)) {
            finish();
        } else {
            if (word.empty()) start = offset;
            word += bytes;
            ascii = ascii && c < 0x80;
        }
        offset += bytes.size();
    }
    finish();
    return out;
}

std::string encode(const std::vector<char32_t>& text) {
    std::string s;
    for (char32_t c : text) s += utf8(c);
    return s;
}

void require_matches(const WordTable& got, const std::map<std::string, Counted>& want) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        const std::string word(got.word(i));
        const auto it = want.find(word);
        REQUIRE(it != want.end());
        CHECK(got.entry(i).count == it->second.count);
        CHECK(got.entry(i).offset == it->second.first);
        if (i) CHECK(got.entry(i - 1).offset < got.entry(i).offset);  // first-occurrence order
    }
}

void require_same(const WordTable& a, const WordTable& b) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a.word(i) == b.word(i));
        CHECK(a.entry(i).count == b.entry(i).count);
        CHECK(a.entry(i).part == b.entry(i).part);
        CHECK(a.entry(i).offset == b.entry(i).offset);
    }
}

WordTable count(const std::string& text, const TextOptions& options = {}) {
    return count_words(text.data(), text.size(), TextEncoding::Utf8, options);
}

std::vector<char32_t> random_text(std::mt19937_64& rng, std::size_t n_chars, bool long_words) {
    static const std::vector<char32_t> letters = {
        'a', 'b', 'c', 'A', 'B', 'Z', 'z', 0,      0xE9,  0xC9,     0x3A3, 0x3C3, 0x130,
        0x212A, 0x200B, 0xFEFF, 0x4E2D, 0x1F600, 0x10FFFF, 0x7F, '\'', '.', 0x180E, 0x1C};
    std::vector<char32_t> text;
    text.reserve(n_chars);
    while (text.size() < n_chars) {
        const auto r = rng() % 100;
        if (r < 25) {
            text.push_back(kPythonWhitespace[rng() % kPythonWhitespace.size()]);
        } else if (long_words && r < 26) {
            const std::size_t len = rng() % 5000;
            for (std::size_t k = 0; k < len; ++k) text.push_back(letters[rng() % letters.size()]);
        } else {
            text.push_back(letters[rng() % (r < 80 ? 7 : letters.size())]);
        }
    }
    return text;
}

std::string temp_file(const std::string& bytes) {
    char name[] = "/tmp/hotloop-text-XXXXXX";
    const int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    close(fd);
    return name;
}

WordTable count_file(const std::string& path, const TextOptions& options = {}) {
    return count_words_in_file(path, 0, UINT64_MAX, options);
}

int io_errno_of(const std::string& path) {
    try {
        count_file(path);
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::Io) return e.os_errno();
        return -1;
    }
    return 0;
}

TextOptions cased(const char* version = "14.0.0") {
    TextOptions options;
    options.casing = find_case_table(version);
    REQUIRE(options.casing != nullptr);
    return options;
}

}  // namespace

TEST_CASE("the whitespace is Python's str.split() whitespace, in one definition", "[text]") {
    std::vector<char32_t> found;
    for (char32_t c = 0; c < 0x110000; ++c)
        if (is_python_whitespace(c)) found.push_back(c);
    CHECK(found == kPythonWhitespace);
    CHECK(splitting_whitespace(TextOptions{}) == kPythonWhitespace);
    TextOptions pypy;
    pypy.info_separators_split = false;
    pypy.mongolian_vowel_separator_splits = true;
    const auto p = splitting_whitespace(pypy);
    CHECK(std::count(p.begin(), p.end(), 0x180E) == 1);
    CHECK(std::count(p.begin(), p.end(), 0x1C) == 0);
    // The byte-level tests of the scanner agree with the definition for every code point:
    // "a<c>b" is one word exactly when c does not split.
    std::string text;
    for (char32_t c = 0; c < 0x110000; ++c) text += "a" + utf8(c) + "b\xe3\x80\x80";
    TextOptions pass;
    pass.allow_surrogates = true;
    for (const TextOptions& options : {pass, [&] { TextOptions o = pypy; o.allow_surrogates = true; return o; }()}) {
        const WordTable t = count(text, options);
        const auto white = splitting_whitespace(options);
        uint64_t joined = 0;  // occurrences ("aAb" and "aab" are one word)
        for (std::size_t i = 0; i < t.size(); ++i)
            if (t.word(i).size() > 2) joined += t.entry(i).count;
        CHECK(joined + white.size() == 0x110000);
    }
}

TEST_CASE("count_words: small texts", "[text]") {
    const std::string text = "hello world\u3000hello\xc2\x85rust\xe2\x80\x8bx Hello";
    const WordTable w = count(text);
    REQUIRE(w.size() == 3);
    CHECK(w.word(0) == "hello");
    CHECK(w.entry(0).count == 3);
    CHECK(w.word(1) == "world");
    CHECK(w.word(2) == "rust\xe2\x80\x8bx");  // U+200B is not whitespace
    CHECK(w.spans().size() == 1);
    CHECK(w.spans()[0].end == text.size());

    const std::string mixed = "Hello HELLO h\xc3\x89llo H\xc3\x89LLO hello";
    const WordTable l = count(mixed);  // no case table: non-ASCII words stay as written
    REQUIRE(l.size() == 3);
    CHECK(l.word(0) == "hello");
    CHECK(l.entry(0).count == 3);
    CHECK(l.word(2) == "H\xc3\x89LLO");
    const WordTable c = count(mixed, cased());
    REQUIRE(c.size() == 2);
    CHECK(c.word(1) == "h\xc3\xa9llo");
    CHECK(c.entry(1).count == 2);
    CHECK(c.casing() == "14.0.0");

    CHECK(count_words(nullptr, 0, TextEncoding::Utf8, {}).size() == 0);
    CHECK(count(" \t\n").size() == 0);
    CHECK_THROWS_AS(count_words(nullptr, 5, TextEncoding::Utf8, {}), Error);

    const std::string nul("a\0b a\0b a", 9);
    const WordTable z = count(nul);
    REQUIRE(z.size() == 2);
    CHECK(z.word(0) == std::string("a\0b", 3));
    CHECK(z.entry(0).count == 2);
}

TEST_CASE("case tables: one per interpreter's Unicode version", "[text]") {
    CHECK(find_case_table("13.0.0") != nullptr);  // PyPy 3.9
    CHECK(find_case_table("14.0.0") != nullptr);  // CPython 3.11
    CHECK(find_case_table("99.0.0") == nullptr);
    // Python's documented examples: full mappings and the final-sigma rule.
    const std::string text =
        "\xc4\xb0 \xce\x9f\xce\x94\xce\xa5\xce\xa3\xce\xa3\xce\x95\xce\xa5\xce\xa3 "  // İ ΟΔΥΣΣΕΥΣ
        "\xce\xa3 \xe1\xba\x9e \xe2\x84\xaa";                                        // Σ ẞ K
    for (const char* v : {"13.0.0", "14.0.0"}) {
        const WordTable t = count(text, cased(v));
        REQUIRE(t.size() == 5);
        CHECK(t.word(0) == "i\xcc\x87");                                          // i̇
        CHECK(t.word(1) == "\xce\xbf\xce\xb4\xcf\x85\xcf\x83\xcf\x83\xce\xb5\xcf\x85\xcf\x82");
        CHECK(t.word(2) == "\xcf\x83");                                           // lone Σ: σ
        CHECK(t.word(3) == "\xc3\x9f");                                           // ß
        CHECK(t.word(4) == "k");
    }
}

TEST_CASE("count_words: words of every length up to 70 bytes and beyond", "[text]") {
    // Lengths around the 16-, 32- and 64-byte inline keys, in ASCII of both cases, 2-byte
    // characters and with NUL bytes, at the end of the buffer too (no over-read); separated by
    // a 3-byte space (chunks decoded unit by unit) or by ASCII ones only (the fast scan).
    for (char32_t separator : {char32_t(0x3000), char32_t('\n')}) {
        std::vector<char32_t> chars;
        for (std::size_t len = 1; len <= 70; ++len) {
            for (char32_t c : {char32_t('a'), char32_t('A'), char32_t(0xE9), char32_t(0)}) {
                for (std::size_t k = 0; k < len; ++k) chars.push_back(c == 0 && k == 0 ? 'x' : c);
                chars.push_back(' ');
                for (std::size_t k = 0; k < len; ++k) chars.push_back(k % 3 ? c : char32_t('B'));
                chars.push_back(separator);
            }
        }
        for (std::size_t cut = chars.size() - 160; cut <= chars.size(); ++cut) {
            const std::vector<char32_t> part(chars.begin(), chars.begin() + cut);
            const std::string text = encode(part);
            // An exact-size copy, so that reading past the end would be caught by ASan.
            const std::vector<char> exact(text.begin(), text.end());
            require_matches(count_words(exact.data(), exact.size(), TextEncoding::Utf8, {}),
                            reference(part, {}));
        }
    }
}

TEST_CASE("count_words: random texts match the serial reference, in every layout", "[text]") {
    std::mt19937_64 rng(42);
    for (int round = 0; round < 9; ++round) {
        const bool big = round % 3 == 0;
        const auto chars = random_text(rng, big ? 1'200'000 : rng() % 3000, round % 2 == 0);
        const std::string text = encode(chars);
        for (int variant = 0; variant < 2; ++variant) {
            TextOptions options;
            if (variant) {  // PyPy 3.9's str.split() set
                options.info_separators_split = false;
                options.mongolian_vowel_separator_splits = true;
            }
            const WordTable utf = count(text, options);
            require_matches(utf, reference(chars, options));
            // The same text as UCS-4 and UCS-2 (CPython's str layouts): the same table, UTF-8
            // offsets included.
            const std::vector<uint32_t> ucs4(chars.begin(), chars.end());
            require_same(count_words(ucs4.data(), ucs4.size(), TextEncoding::Ucs4, options), utf);
            bool bmp = true;
            for (char32_t c : chars) bmp = bmp && c < 0x10000;
            if (bmp) {
                const std::vector<uint16_t> ucs2(chars.begin(), chars.end());
                require_same(count_words(ucs2.data(), ucs2.size(), TextEncoding::Ucs2, options),
                             utf);
            }
        }
    }
    std::vector<uint8_t> latin;
    for (int i = 0; i < 700'000; ++i) latin.push_back(static_cast<uint8_t>(rng() % 7 ? rng() % 256 : ' '));
    const std::vector<char32_t> chars(latin.begin(), latin.end());
    require_same(count_words(latin.data(), latin.size(), TextEncoding::Latin1, {}),
                 count(encode(chars)));
    const uint32_t too_big = 0x110000;
    CHECK_THROWS_AS(count_words(&too_big, 1, TextEncoding::Ucs4, {}), Error);
}

TEST_CASE("count_words: a large vocabulary, first seen densely or sparsely", "[text]") {
    // The distinct words are put in order of first occurrence by rank (a bitmap of the keys)
    // when they are dense in the text, else by a bucketed comparison sort: both against the
    // reference. 300k distinct words also grow every thread's tables many times over. On one
    // thread the table's entries always take the place of the merged words (fill_table), on
    // several only when the threads' tables overlap enough: the same table either way. Four
    // threads make more than two tables to merge (a word of the third may be in either of the
    // first two): oneTBB runs more threads than the machine's cores under a raised limit only.
    std::mt19937_64 rng(11);
    const tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 4);
    struct Restore {
        int threads = get_num_threads();
        ~Restore() { set_num_threads(threads); }
    } restore;
    const std::pair<std::size_t, int> runs[] = {
        {0, 1}, {0, restore.threads}, {2000, restore.threads}, {0, 4}};
    for (const auto& [gap, threads] : runs) {
        set_num_threads(threads);
        std::vector<char32_t> chars;
        const std::size_t distinct = gap ? 3000 : 300'000;
        for (std::size_t i = 0; i < distinct; ++i) {
            // Words of 1 to ~60 bytes, some with capitals or 2-byte characters.
            const std::size_t length = 1 + rng() % (i % 7 == 0 ? 60 : 12);
            for (std::size_t k = 0; k < length; ++k) {
                const uint64_t r = rng() % 40;
                chars.push_back(r < 26   ? char32_t('a' + r)
                                : r < 32 ? char32_t('A' + (r - 26))
                                         : char32_t(0xE0 + r));
            }
            chars.push_back(i % 5 ? ' ' : '\n');
            for (std::size_t k = 0; k < gap; ++k) chars.push_back(k % 2 ? ' ' : 'x');
            if (rng() % 3 == 0) {  // an earlier word again
                const std::size_t back = std::min<std::size_t>(chars.size(), 1 + rng() % 64);
                const std::vector<char32_t> again(chars.end() - back, chars.end());
                chars.insert(chars.end(), again.begin(), again.end());
                chars.push_back(' ');
            }
        }
        const std::string text = encode(chars);
        const WordTable utf = count(text);
        CHECK(utf.size() >= distinct / 2);
        require_matches(utf, reference(chars, {}));
        const std::vector<uint16_t> ucs2(chars.begin(), chars.end());
        require_same(count_words(ucs2.data(), ucs2.size(), TextEncoding::Ucs2, {}), utf);
    }
}

TEST_CASE("count_words: words of megabytes, read to their end past their block", "[text]") {
    // The block where a long word starts reads on to its end, skipping whole chunks without
    // whitespace: each text puts one character that matters (2-byte whitespace, a 2-byte
    // character cut by a chunk's edge, NUL, a 3-byte or an info separator) at every offset
    // around the chunk edges of a word that starts just before a block's end.
    const char32_t specials[] = {0xA0, 0x85, 0xE9, 0, 0x4E2D, 0x2000, 0x1C, 'A', 0x3000};
    std::mt19937_64 rng(5);
    for (char32_t special : specials) {
        for (int round = 0; round < 4; ++round) {
            std::vector<char32_t> chars(kBlock - 10, 'x');
            chars[kBlock - 20] = ' ';  // the long word starts 10 bytes before block 0 ends
            const std::size_t length = 2 * kBlock + rng() % 4096;
            for (std::size_t i = 0; i < length; ++i) chars.push_back(i % 3 ? 'a' : 0xE9);
            // The special character somewhere in the word (or, in round 0, right after it).
            const std::size_t at = round == 0 ? chars.size() : kBlock + rng() % kBlock;
            if (at == chars.size())
                chars.push_back(special);
            else
                chars[at] = special;
            chars.insert(chars.end(), {'b', ' ', 'c'});
            const std::string text = encode(chars);
            INFO("special U+" << std::hex << uint32_t(special) << std::dec << " at " << at);
            require_matches(count(text), reference(chars, {}));
        }
    }
}

TEST_CASE("count_words: words of megabytes given back once lowered merge as lowered", "[text]") {
    // A word of 2 MiB or more is lowered in pieces, then its bytes as counted are given back
    // (their pages released): the table must hold the lowered forms only, words that lower
    // alike merged, and one that lowers to ASCII (KELVIN SIGN -> k) met by its ASCII twin.
    const std::size_t n = std::size_t(1) << 20;
    std::string upper, lower, kelvin, ascii(n, 'k');
    for (std::size_t i = 0; i < n; ++i) {
        upper += "\xCE\xA3\xCE\x91";  // "ΣΑ": each sigma followed by a letter, so never final
        lower += "\xCF\x83\xCE\xB1";  // "σα"
        kelvin += "\xE2\x84\xAA";     // U+212A
    }
    const WordTable t = count(upper + " " + kelvin + " x " + lower + " " + ascii, cased());
    REQUIRE(t.size() == 3);
    CHECK(t.word(0) == lower);
    CHECK(t.entry(0).count == 2);
    CHECK(t.word(1) == ascii);
    CHECK(t.entry(1).count == 2);
    CHECK(t.word(2) == "x");
}

TEST_CASE("count_words: non-ASCII words that lower to themselves keep their own bytes",
          "[text]") {
    // A word that lowers to itself keeps its bytes as counted (its lowered copy is dropped);
    // when no word changes, nothing is merged. Words that do change still merge with those.
    const WordTable same = count("\xd0\xbf\xd1\x80\xd0\xb8 \xe6\xbc\xa2 a \xd0\xbf\xd1\x80\xd0\xb8 "
                                 "\xe6\xbc\xa2\xe5\xad\x97",
                                 cased());
    REQUIRE(same.size() == 4);
    CHECK(same.word(0) == "\xd0\xbf\xd1\x80\xd0\xb8");  // "при"
    CHECK(same.entry(0).count == 2);
    CHECK(same.word(1) == "\xe6\xbc\xa2");
    CHECK(same.word(3) == "\xe6\xbc\xa2\xe5\xad\x97");
    CHECK(same.casing() == "14.0.0");
    // "при" "При" "ПРИ" "мир" "Мир": the unchanged word first, then after its changed twins.
    const WordTable mixed = count("\xd0\xbf\xd1\x80\xd0\xb8 \xd0\x9f\xd1\x80\xd0\xb8 "
                                  "\xd0\x9f\xd0\xa0\xd0\x98 \xd0\x9c\xd0\xb8\xd1\x80 "
                                  "\xd0\xbc\xd0\xb8\xd1\x80",
                                  cased());
    REQUIRE(mixed.size() == 2);
    CHECK(mixed.word(0) == "\xd0\xbf\xd1\x80\xd0\xb8");
    CHECK(mixed.entry(0).count == 3);
    CHECK(mixed.entry(0).offset == 0);
    CHECK(mixed.word(1) == "\xd0\xbc\xd0\xb8\xd1\x80");
    CHECK(mixed.entry(1).count == 2);
    CHECK(mixed.entry(1).offset == 21);
    // A word of megabytes that lowers to itself, first, then its capital twin and another
    // changed word: the pages of the words that were lowered are given back, its own must not.
    const std::size_t n = std::size_t(1) << 20;
    std::string upper, lower;
    for (std::size_t i = 0; i < n; ++i) {
        upper += "\xCE\xA3\xCE\x91";  // "ΣΑ"
        lower += "\xCF\x83\xCE\xB1";  // "σα"
    }
    const WordTable big = count(lower + " " + upper + " \xc3\x89", cased());
    REQUIRE(big.size() == 2);
    CHECK(big.word(0) == lower);
    CHECK(big.entry(0).count == 2);
    CHECK(big.word(1) == "\xc3\xa9");
}

TEST_CASE("count_words: tens of thousands of words lowered in slices, few or many changed",
          "[text]") {
    // The words are lowered in slices of 4096; those that change are listed per slice and then
    // matched to the non-ASCII words in order. Words of ASCII, or Cyrillic with no, a few or
    // many capitals, against a plain reference (A-Z and U+0410..U+042F lower by +0x20).
    std::mt19937_64 rng(5);
    for (int capitals : {0, 200, 3}) {  // a capital in 1 of `capitals` letters (0: none)
        std::string text;
        std::map<std::string, std::size_t> index;
        std::vector<std::pair<std::string, std::pair<uint64_t, uint64_t>>> ref;  // count, offset
        for (int i = 0; i < 40000; ++i) {
            const bool ascii = rng() % 4 == 0;
            const std::size_t length = 1 + rng() % 7;
            std::string word, lower;
            for (std::size_t k = 0; k < length; ++k) {
                const uint32_t r = static_cast<uint32_t>(rng() % 6);
                const bool cap = capitals && rng() % capitals == 0;
                const char32_t c = ascii ? char32_t('a' + r) : char32_t(0x430 + r);
                word += utf8(cap ? c - 0x20 : c);
                lower += utf8(c);
            }
            const auto [at, fresh] = index.emplace(lower, ref.size());
            if (fresh) ref.push_back({lower, {0, text.size()}});
            ++ref[at->second].second.first;
            text += word + (i % 9 ? " " : "\n");
        }
        const WordTable t = count(text, cased());
        REQUIRE(t.size() == ref.size());
        for (std::size_t i = 0; i < ref.size(); ++i) {
            REQUIRE(t.word(i) == ref[i].first);
            REQUIRE(t.entry(i).count == ref[i].second.first);
            REQUIRE(t.entry(i).offset == ref[i].second.second);
        }
    }
}

TEST_CASE("count_words: the fast scan of ASCII and 2-byte text, at every SIMD level", "[text]") {
    // Mostly ASCII and 2-byte characters (the chunks the fast scan walks by their whitespace
    // bits), with what makes a chunk need decoding unit by unit sprinkled in: 2-byte whitespace
    // (U+0085, U+00A0), NUL, U+001C, 3-byte characters, invalid bytes; at every alignment to
    // the 64-byte chunks, in words of every length around the 16-, 32- and 64-byte keys.
    std::mt19937_64 rng(7);
    const std::vector<char32_t> common = {'a', 'B', 'z', 0xE9, 0xC9, 0x416, 0x436, 0x3A3, 0x7FF};
    const std::vector<char32_t> spaces = {' ', ' ', ' ', '\n', '\t', 0x0B};
    const std::vector<char32_t> rare = {0x85, 0xA0, 0, 0x1C, 0x3000, 0x4E2D, 0x1F600, 0x180E};
    const SimdLevel best = simd_level();
    for (int round = 0; round < 6; ++round) {
        std::vector<char32_t> chars(rng() % 64, 'x');
        const std::size_t n = round < 2 ? 600'000 : 20'000 + rng() % 5'000;
        const unsigned rare_one_in = round % 3 == 0 ? 1'000'000 : round % 3 == 1 ? 5'000 : 300;
        while (chars.size() < n) {
            const std::size_t length = rng() % 8 == 0 ? rng() % 80 + 1 : rng() % 9 + 1;
            for (std::size_t k = 0; k < length; ++k)
                chars.push_back(rng() % rare_one_in == 0 ? rare[rng() % rare.size()]
                                                         : common[rng() % common.size()]);
            chars.push_back(spaces[rng() % spaces.size()]);
        }
        std::string text = encode(chars);
        for (int variant = 0; variant < 2; ++variant) {
            TextOptions options;
            if (variant) {  // PyPy 3.9's str.split() set
                options.info_separators_split = false;
                options.mongolian_vowel_separator_splits = true;
            }
            const auto want = reference(chars, options);
            for (SimdLevel level : {SimdLevel::Baseline, SimdLevel::AVX2, SimdLevel::AVX512}) {
                if (set_simd_level(level) != level) continue;
                const WordTable got = count(text, options);
                require_matches(got, want);
                // CPython's str layouts, transcoded to UTF-8 block by block: the same table.
                const std::vector<uint32_t> ucs4(chars.begin(), chars.end());
                require_same(count_words(ucs4.data(), ucs4.size(), TextEncoding::Ucs4, options),
                             got);
                std::vector<uint16_t> ucs2;
                for (char32_t c : chars)
                    ucs2.push_back(static_cast<uint16_t>(c < 0x10000 ? c : 'q'));
                const std::vector<char32_t> bmp(ucs2.begin(), ucs2.end());
                require_same(count_words(ucs2.data(), ucs2.size(), TextEncoding::Ucs2, options),
                             count(encode(bmp), options));
                std::vector<uint8_t> latin;
                for (char32_t c : chars)
                    latin.push_back(static_cast<uint8_t>(c < 0x100 ? c : 0xE9));
                const std::vector<char32_t> low(latin.begin(), latin.end());
                require_same(count_words(latin.data(), latin.size(), TextEncoding::Latin1, options),
                             count(encode(low), options));
            }
            set_simd_level(best);
        }
        // Invalid bytes: the same table as Python's decoder with errors="replace" would give.
        if (round == 5) {
            for (int k = 0; k < 50; ++k)
                text[rng() % text.size()] = static_cast<char>(0x80 + rng() % 0x40);
            TextOptions replace;
            replace.errors = DecodeErrors::Replace;
            std::vector<WordTable> tables;
            for (SimdLevel level : {SimdLevel::Baseline, SimdLevel::AVX2, SimdLevel::AVX512}) {
                if (set_simd_level(level) != level) continue;
                tables.push_back(count(text, replace));
            }
            set_simd_level(best);
            for (const WordTable& t : tables) require_same(t, tables.front());
        }
    }
}

TEST_CASE("count_words: chunks of 64 bytes holding 0 to 32 words each", "[text]") {
    // The fast scan lists a chunk's word starts and ends from its whitespace bits, and cuts its
    // batches after a chunk: every count of words per chunk, from none (a chunk inside a long
    // word, or of spaces) to 32 (one-letter words), next to every other, at every alignment.
    std::mt19937_64 rng(11);
    const std::vector<char32_t> letters = {'a', 'b', 'C', 0xE9};
    for (int round = 0; round < 4; ++round) {
        std::vector<char32_t> chars(rng() % 64, ' ');
        while (chars.size() < 300'000) {
            // A run of words all of one length (1..8 characters, a space or two between), or
            // a word or spaces filling whole chunks.
            const unsigned kind = rng() % 10;
            const std::size_t run = rng() % 200 + 1;
            if (kind == 0) {
                chars.insert(chars.end(), rng() % 150 + 1, rng() % 2 ? U' ' : U'w');
                chars.push_back(' ');
                continue;
            }
            const std::size_t length = rng() % 8 + 1;
            for (std::size_t w = 0; w < run; ++w) {
                for (std::size_t k = 0; k < length; ++k)
                    chars.push_back(letters[rng() % letters.size()]);
                chars.push_back(' ');
                if (rng() % 4 == 0) chars.push_back('\n');
            }
        }
        const std::string text = encode(chars);
        require_matches(count(text), reference(chars, {}));
        const std::vector<uint16_t> ucs2(chars.begin(), chars.end());
        require_same(count_words(ucs2.data(), ucs2.size(), TextEncoding::Ucs2, {}), count(text));
    }
}

TEST_CASE("count_words: words and characters across block cuts", "[text]") {
    const std::vector<char32_t> pieces = {0xE9, 0x3000, 0x85, 0x1F600, ' '};
    for (char32_t piece : pieces) {
        for (int shift = -3; shift <= 3; ++shift) {
            std::vector<char32_t> chars(kBlock - 2 + shift, 'a');
            chars.push_back(piece);
            for (char32_t c : {'b', ' ', 'c'}) chars.push_back(c);
            chars.insert(chars.end(), kBlock + 7, 'd');  // a word longer than a block
            chars.push_back(piece);
            chars.push_back(0x2003);
            chars.push_back(0xE9);
            const std::string text = encode(chars);
            require_matches(count(text), reference(chars, {}));
        }
    }
}

TEST_CASE("count_words: invalid UTF-8 gives the first malformed offset and Python's reason",
          "[text]") {
    struct Case {
        std::string bytes;
        std::size_t offset;
        const char* reason;
    };
    const std::vector<Case> cases = {
        {"ok \xff", 3, "invalid start byte"},
        {"\x80", 0, "invalid start byte"},
        {"a \xc0\x80", 2, "invalid start byte"},
        {"a \xe0\x80\x80", 2, "invalid continuation byte"},
        {"ab \xed\xa0\x80", 3, "invalid continuation byte"},
        {"\xf4\x90\x80\x80", 0, "invalid continuation byte"},
        {"\xf5\x80\x80\x80", 0, "invalid start byte"},
        {"word \xe2\x82", 5, "unexpected end of data"},
        {"word \xe2\x82x", 5, "invalid continuation byte"},
        {"\xf0\x9f\x98", 0, "unexpected end of data"},
    };
    for (const Case& c : cases) {
        INFO(c.bytes);
        try {
            count(c.bytes);
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Encoding);
            const std::string message = e.what();
            CHECK(message.find("byte offset " + std::to_string(c.offset) + " ") !=
                  std::string::npos);
            CHECK(message.find(c.reason) != std::string::npos);
        }
    }

    // Surrogates are valid only with allow_surrogates (Python's 'surrogatepass').
    const std::string surrogate = "x \xed\xa0\x80y \xed\xa0\x80y";
    CHECK_THROWS_AS(count(surrogate), Error);
    TextOptions pass;
    pass.allow_surrogates = true;
    const WordTable s = count(surrogate, pass);
    REQUIRE(s.size() == 2);
    CHECK(s.entry(1).count == 2);

    // The first error wins, whichever block holds it.
    for (int shift = -3; shift <= 3; ++shift) {
        std::string text(3 * kBlock, 'a');
        for (std::size_t i = 5; i < text.size(); i += 7) text[i] = ' ';
        const std::size_t bad = kBlock + shift;
        text[bad] = '\xff';
        text[2 * kBlock + shift] = '\x80';
        text.replace(bad - 2, 2, "\xc3\xa9");
        try {
            count(text);
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find("byte offset " + std::to_string(bad) + " ") !=
                  std::string::npos);
        }
    }
}

TEST_CASE("count_words: errors replace and ignore, as CPython's decoder", "[text]") {
    // b"a\xed\xa0\x80b".decode("utf-8", "replace") == "a\ufffd\ufffd\ufffdb" (one U+FFFD per
    // maximal invalid subpart); "ignore" drops them and joins the word.
    TextOptions replace, ignore;
    replace.errors = DecodeErrors::Replace;
    ignore.errors = DecodeErrors::Ignore;
    const std::string text = "a\xed\xa0\x80" "b \xe2\x82 x\xffy \xff";
    const WordTable r = count(text, replace);
    REQUIRE(r.size() == 3);
    CHECK(r.word(0) == "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b");
    CHECK(r.word(1) == "\xef\xbf\xbd");
    CHECK(r.entry(1).count == 2);
    CHECK(r.word(2) == "x\xef\xbf\xbdy");
    const WordTable i = count(text, ignore);
    REQUIRE(i.size() == 2);
    CHECK(i.word(0) == "ab");
    CHECK(i.word(1) == "xy");
}

TEST_CASE("count_words: PyPy's U+180E context with errors replace and ignore", "[text]") {
    // PyPy 3.9 splits on U+180E (E1 A0 8E) and its lower() looks across it for a final sigma.
    // The words' values are PyPy's: Counter(b.decode("utf-8", errors).lower().split()).
    TextOptions pypy = cased("13.0.0");
    pypy.mongolian_vowel_separator_splits = true;
    TextOptions replace = pypy, ignore = pypy;
    replace.errors = DecodeErrors::Replace;
    ignore.errors = DecodeErrors::Ignore;
    const std::string sigma = "\xce\xa3", mvs = "\xe1\xa0\x8e";
    const std::string small_sigma = "\xcf\x83", final_sigma = "\xcf\x82", fffd = "\xef\xbf\xbd";
    // A malformed unit inside the word: still lowered in context (B, cased, follows).
    const WordTable r = count("x\xff" "A" + sigma + mvs + "B", replace);
    REQUIRE(r.size() == 2);
    CHECK(r.word(0) == "x" + fffd + "a" + small_sigma);
    const WordTable i = count("x\xff" "A" + sigma + mvs + "B", ignore);
    REQUIRE(i.size() == 2);
    CHECK(i.word(0) == "xa" + small_sigma);
    // A malformed unit beyond the U+180E: U+FFFD ends the context, a dropped one does not.
    CHECK(count("A" + sigma + mvs + "\xff" "B", replace).word(0) == "a" + final_sigma);
    CHECK(count("A" + sigma + mvs + "\xff" "B", ignore).word(0) == "a" + small_sigma);
    // A dropped unit between the U+180E and the word: the word is still next to it.
    const WordTable after = count("B" + mvs + "\xff" + sigma, ignore);
    REQUIRE(after.size() == 2);
    CHECK(after.word(1) == final_sigma);
}

TEST_CASE("count_words: features of the decoded text with errors ignore", "[text]") {
    // b"\x1c\xffK".decode("utf-8", "ignore") == "\x1cK": ASCII-only, which PyPy splits
    // differently, so the bytes >= 0x80 that were dropped must not count as non-ASCII.
    TextOptions ignore, replace;
    ignore.errors = DecodeErrors::Ignore;
    replace.errors = DecodeErrors::Replace;
    ignore.report_features = replace.report_features = true;
    CHECK(count("\x1c\xff" "K", ignore).features() == kSawInfoSeparator);
    CHECK(count("\x1c\xff" "K\xc3\xa9", ignore).features() == (kSawInfoSeparator | kSawNonAscii));
    CHECK(count("\x1c\xff" "K", replace).features() == (kSawInfoSeparator | kSawNonAscii));
    const std::string path = temp_file("a\x1c" "b\xc3");
    CHECK(count_file(path, ignore).features() == kSawInfoSeparator);
    std::remove(path.c_str());
}

TEST_CASE("count_words: byte order mark", "[text]") {
    const std::string text = "\xef\xbb\xbfword word";
    CHECK(count(text).size() == 2);  // U+FEFF is part of a word
    TextOptions skip;
    skip.skip_bom = true;
    const WordTable w = count(text, skip);
    REQUIRE(w.size() == 1);
    CHECK(w.entry(0).count == 2);
    CHECK(w.entry(0).offset == 3);
}

TEST_CASE("count_words: a cancelled control stops it", "[text]") {
    const std::string text(3 * kBlock, 'a');
    Control ctl;
    ctl.cancel();
    try {
        count_words(text.data(), text.size(), TextEncoding::Utf8, {}, 0, &ctl);
        FAIL("not cancelled");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Cancelled);
    }
    Control progress;
    count_words(text.data(), text.size(), TextEncoding::Utf8, {}, 0, &progress);
    CHECK(progress.done() == progress.total());
    CHECK(progress.total() > 3);  // the blocks, and the merge after them
}

TEST_CASE("WordTable::merge reports progress over every entry and honours a cancel", "[text]") {
    std::string one, two;
    for (int i = 0; i < 100'000; ++i) one += "w" + std::to_string(i) + " ";
    for (int i = 50'000; i < 230'000; ++i) two += "w" + std::to_string(i) + " ";
    const WordTable a = count_words(one.data(), one.size(), TextEncoding::Utf8, {}, 0);
    const WordTable b = count_words(two.data(), two.size(), TextEncoding::Utf8, {}, 1);
    Control progress;
    const WordTable ab = WordTable::merge(a, b, &progress);
    CHECK(ab.size() == 230'000);
    CHECK(progress.total() == 2 * (100'000 + 180'000));  // indexing and merging, then building
    CHECK(progress.done() == progress.total());
    Control cancelled;
    cancelled.cancel();
    try {
        WordTable::merge(a, b, &cancelled);
        FAIL("not cancelled");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Cancelled);
    }
}

// A merge of 10M-word tables saw a cancel only after 0.11-0.17 s: it filled its index and match
// list, copied the first table, checked the order and sorted an out-of-order result (seconds)
// without looking at its control, and looked every 2^16 words elsewhere (10-20 ms of cache
// misses). Each step now looks every 2^12 words or 2^18 slots, bytes or comparisons. How often
// is counted, not timed: 2^20 + 2^20 words used to be checked 51 times, in either order (once,
// then every 2^16 words of the index, the lookups and the second table, then twice); now at
// least once per 2^12 words of each of those three steps, and the sort's checks on top.
TEST_CASE("WordTable::merge looks at its control in every step, in order or not", "[text]") {
    constexpr int kWords = 1 << 20;
    std::string one, two;
    for (int i = 0; i < kWords; ++i) one += "w" + std::to_string(i) + " ";
    for (int i = 0; i < kWords; ++i) two += "x" + std::to_string(i) + " ";
    const WordTable first = count_words(one.data(), one.size(), TextEncoding::Utf8, {}, 0);
    const WordTable second = count_words(two.data(), two.size(), TextEncoding::Utf8, {}, 1);
    Control in_order, sorted;
    const WordTable ab = WordTable::merge(first, second, &in_order);
    const WordTable ba = WordTable::merge(second, first, &sorted);  // its entries need a sort
    const bool same = ab.to_bytes() == ba.to_bytes();
    CHECK(same);
    CAPTURE(in_order.checks(), sorted.checks());
    CHECK(in_order.checks() >= 3 * kWords / 4096);
    CHECK(sorted.checks() >= in_order.checks() + 64);
    // A cancel at any of those checks leaves nothing behind (a cancel from a watcher lands on
    // one of them): checked from the first, a control cancelled before the call.
    Control cancelled;
    cancelled.cancel();
    CHECK_THROWS_AS(WordTable::merge(second, first, &cancelled), Error);
}

// hl_word_table_export's most_common sorted millions of words without looking at its control
// (1.3 s after a cancel for 10M distinct words). 200,000 words take millions of comparisons,
// so a cancelled control must stop the sort; the same sort without it gives Counter's order.
TEST_CASE("WordTable::most_common honours a cancel during the sort", "[text]") {
    std::string text;
    for (int i = 0; i < 200'000; ++i) text += "w" + std::to_string(i % 150'000) + " ";
    const WordTable t = count_words(text.data(), text.size(), TextEncoding::Utf8, {}, 0);
    for (const std::size_t k : {std::size_t(100'000), t.size()}) {
        CAPTURE(k);
        Control cancelled;
        cancelled.cancel();
        try {
            t.most_common(k, &cancelled);
            FAIL("not cancelled");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Cancelled);
        }
        Control running;
        const std::vector<std::size_t> order = t.most_common(k, &running);
        CHECK(order == t.most_common(k));
        REQUIRE(order.size() == k);
        CHECK(t.entry(order[0]).count == 2);
        CHECK(t.entry(order[k - 1]).count == 1);
    }
}

TEST_CASE("WordTable: merge, most_common, serialized form", "[text]") {
    const std::string one = "b a B c", two = "c d a a";
    const WordTable a = count_words(one.data(), one.size(), TextEncoding::Utf8, {}, 0);
    const WordTable b = count_words(two.data(), two.size(), TextEncoding::Utf8, {}, 1);
    const WordTable ab = WordTable::merge(a, b), ba = WordTable::merge(b, a);
    require_same(ab, ba);
    REQUIRE(ab.size() == 4);
    CHECK(ab.word(0) == "b");
    CHECK(ab.word(3) == "d");
    CHECK(ab.entry(3).part == 1);
    CHECK(ab.entry(3).offset == 2);
    const auto top = ab.most_common(3);  // a: 3, b: 2, c: 2 (b first seen before c)
    REQUIRE(top.size() == 3);
    CHECK(ab.word(top[0]) == "a");
    CHECK(ab.word(top[1]) == "b");
    CHECK(ab.word(top[2]) == "c");
    CHECK(ab.most_common(99).size() == 4);
    CHECK_THROWS_AS(WordTable::merge(a, a), Error);              // the same bytes twice
    CHECK_THROWS_AS(WordTable::merge(a, count(one, cased())), Error);  // other casing

    const std::string bytes = ab.to_bytes();
    require_same(WordTable::from_bytes(bytes.data(), bytes.size()), ab);
    for (std::size_t cut = 0; cut < bytes.size(); ++cut)
        CHECK_THROWS_AS(WordTable::from_bytes(bytes.data(), cut), Error);
    std::string other = bytes;
    other[4] = 2;  // format version 2
    try {
        WordTable::from_bytes(other.data(), other.size());
        FAIL("accepted");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("format version 2") != std::string::npos);
    }
    // A word holding whitespace (a '\n' would shift every later word of an export) is refused;
    // U+001C..U+001F (inside PyPy's ASCII-only words) and U+180E (CPython's) are not whitespace
    // in every interpreter's words.
    const std::string ab_cd = count("ab cd").to_bytes();
    for (const char* inside : {"\n", " ", "\t"}) {
        std::string forged = ab_cd;
        forged[forged.size() - 3] = *inside;  // "ab" -> "a\n"
        CHECK_THROWS_WITH(WordTable::from_bytes(forged.data(), forged.size()),
                          Catch::Contains("whitespace"));
    }
    std::string info = ab_cd;
    info[info.size() - 3] = '\x1c';
    CHECK(WordTable::from_bytes(info.data(), info.size()).word(0) == "a\x1c");
    // Counts that would pass 2^64 - 1 in a merge (only forged tables hold such counts).
    std::string huge = count("x").to_bytes();
    const uint64_t most = UINT64_MAX;
    std::memcpy(&huge[40 + 24], &most, 8);  // no casing string, one span: the first count
    const WordTable big = WordTable::from_bytes(huge.data(), huge.size());
    REQUIRE(big.entry(0).count == UINT64_MAX);
    const std::string x = "x";
    try {
        WordTable::merge(big, count_words(x.data(), x.size(), TextEncoding::Utf8, {}, 1));
        FAIL("the count wrapped");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Overflow);
    }
    std::mt19937_64 rng(7);
    for (int round = 0; round < 2000; ++round) {  // damaged bytes: an error, never a crash
        std::string damaged = bytes;
        damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
        try {
            WordTable::from_bytes(damaged.data(), damaged.size());
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::InvalidArgument);
        }
    }
}

TEST_CASE("count_words_in_file: contents, empty files and OS errors", "[text]") {
    const std::string text = "one two two\nthree three three \xe2\x80\x80";
    const std::string path = temp_file(text);
    const WordTable w = count_file(path);
    REQUIRE(w.size() == 3);
    CHECK(w.entry(2).count == 3);
    const std::string empty = temp_file("");
    CHECK(count_file(empty).size() == 0);
    const std::string bad = temp_file("fine \xff");
    CHECK_THROWS_AS(count_file(bad), Error);

    CHECK(io_errno_of("/nonexistent/hotloop/file.txt") == ENOENT);
    CHECK(io_errno_of("/tmp") == EISDIR);
    try {
        count_file("/nonexistent-hotloop-file");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("/nonexistent-hotloop-file") != std::string::npos);
    }
    std::remove(path.c_str());
    std::remove(empty.c_str());
    std::remove(bad.c_str());
}

TEST_CASE("count_words_in_file: byte ranges tile the file exactly", "[text]") {
    // Multi-byte characters and whitespace, malformed bytes and long words, cut everywhere.
    std::string text;
    std::mt19937_64 rng(3);
    const std::vector<std::string> pieces = {"a", "B", "\xc3\xa9", "\xce\xa3", "\xe3\x80\x80",
                                             "\xc2\x85", " ", "\xf0\x9f\x98\x80", "\xff",
                                             "\xe2\x82", "\xed\xa0\x80", "word"};
    while (text.size() < 300) text += pieces[rng() % pieces.size()];
    const std::string path = temp_file(text);
    for (DecodeErrors errors : {DecodeErrors::Replace, DecodeErrors::Ignore}) {
        TextOptions options = cased();
        options.errors = errors;
        const WordTable whole = count(text, options);
        for (std::size_t cut = 0; cut <= text.size(); ++cut) {
            const WordTable merged =
                WordTable::merge(count_words_in_file(path, 0, cut, options),
                                 count_words_in_file(path, cut, UINT64_MAX, options));
            require_same(merged, whole);
        }
    }
    std::remove(path.c_str());
}

TEST_CASE("FileReader: a file that shrinks reports it, never SIGBUS", "[text]") {
    const std::string path = temp_file(std::string(1 << 16, 'x'));
    FileReader file(path);
    ByteBuffer buffer;
    file.read(0, 100, buffer);
    CHECK(buffer.size() == 100);
    REQUIRE(truncate(path.c_str(), 10) == 0);
    CHECK_THROWS_AS(file.read(1000, 100, buffer), FileChanged);
    try {
        file.read(1000, 100, buffer);
    } catch (const FileChanged& changed) {
        CHECK_FALSE(changed.size_lies);  // it shrank: counted again, not read whole
    }
    std::remove(path.c_str());
}

TEST_CASE("count_words_in_file: an unreadable file is EACCES", "[text]") {
    // Root reads any file whatever its mode, so the check runs in a child process that first
    // becomes an unprivileged user (nobody); a non-root user needs no switch.
    const std::string path = temp_file("secret words");
    REQUIRE(chmod(path.c_str(), 0) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(2);
        _exit(io_errno_of(path) == EACCES ? 0 : 1);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    std::remove(path.c_str());
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("count_words_in_file: a FIFO is read", "[text]") {
    char dir[] = "/tmp/hotloop-fifo-XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    const std::string path = std::string(dir) + "/fifo";
    REQUIRE(mkfifo(path.c_str(), 0600) == 0);
    std::string text;
    for (int i = 0; i < 40000; ++i) text += "pipe dream ";
    std::thread writer([&] {
        std::ofstream out(path, std::ios::binary);
        out << text;
    });
    const WordTable w = count_file(path);
    writer.join();
    REQUIRE(w.size() == 2);
    CHECK(w.entry(0).count == 40000);
    std::remove(path.c_str());
    rmdir(dir);
}

TEST_CASE("count_words_at: pieces of a text merge into exactly the whole text's table", "[text]") {
    // Distinct words enough for the merge's lookups in several slices (2^16 words each), and
    // non-ASCII words that lower alike in different pieces (final sigmas among them).
    const std::vector<std::string> extra = {
        "\xce\x9f\xce\x94\xce\xa5\xce\xa3 ", "\xce\xa3 ", "ab AB\n", "stra\xc3\x9f" "e ",
        "\xc3\x89t\xc3\xa9 \xc3\xa9T\xc3\x89\t", "\xce\xbf\xce\xb4\xcf\x85\xcf\x82\n"};
    std::mt19937_64 rng(11);
    std::string text;
    for (int i = 0; i < 150'000; ++i) {
        text += "w" + std::to_string(rng() % 200'000) + (i % 7 ? " " : "\n");
        if (i % 1000 == 0) text += extra[rng() % extra.size()];
    }
    const TextOptions options = cased();
    const std::string whole =
        count_words(text.data(), text.size(), TextEncoding::Utf8, options, 3).to_bytes();
    for (std::size_t n_pieces : {2, 3, 7}) {
        std::vector<std::size_t> cuts = {0};
        for (std::size_t k = 1; k < n_pieces; ++k) {  // each just after ASCII whitespace
            std::size_t at = text.size() * k / n_pieces;
            while (text[at - 1] != ' ' && text[at - 1] != '\n' && text[at - 1] != '\t') ++at;
            cuts.push_back(at);
        }
        cuts.push_back(text.size());
        std::vector<WordTable> tables;
        for (std::size_t k = 0; k < n_pieces; ++k) {
            const char* piece = text.data() + cuts[k];
            const std::size_t size = cuts[k + 1] - cuts[k];
            WordTable t = count_words_at(piece, size, TextEncoding::Utf8, options, 3, cuts[k]);
            REQUIRE(t.spans().size() == 1);
            CHECK(t.spans()[0].part == 3);
            CHECK(t.spans()[0].begin == cuts[k]);
            CHECK(t.spans()[0].end == cuts[k + 1]);
            // The same words and counts as the piece counted at 0, every offset moved.
            const WordTable at0 = count_words(piece, size, TextEncoding::Utf8, options, 3);
            REQUIRE(at0.size() == t.size());
            std::size_t moved = 0;
            for (std::size_t i = 0; i < t.size(); ++i)
                moved += t.word(i) == at0.word(i) && t.entry(i).count == at0.entry(i).count &&
                         t.entry(i).part == 3 &&
                         t.entry(i).offset == cuts[k] + at0.entry(i).offset;
            CHECK(moved == t.size());
            tables.push_back(std::move(t));
        }
        WordTable forward = tables[0];  // in input order: the merge's sort is skipped
        for (std::size_t k = 1; k < n_pieces; ++k) forward = WordTable::merge(forward, tables[k]);
        CHECK(forward.to_bytes() == whole);
        WordTable backward = tables.back();  // each later range first: the merge sorts
        for (std::size_t k = n_pieces - 1; k-- > 0;)
            backward = WordTable::merge(backward, tables[k]);
        CHECK(backward.to_bytes() == whole);
        // The ranges' tables overlap once a range is counted twice, or one starts a byte early.
        CHECK_THROWS_AS(WordTable::merge(forward, tables[1]), Error);
        const std::size_t size = cuts[2] - cuts[1];
        const WordTable early = count_words_at(text.data() + cuts[1], size, TextEncoding::Utf8,
                                               options, 3, cuts[1] - 1);
        CHECK_THROWS_AS(WordTable::merge(tables[0], early), Error);
    }
}

TEST_CASE("count_words_at: code units are placed by their UTF-8 size", "[text]") {
    // Latin-1 and UCS-4 pieces: a span ends at offset + the piece's UTF-8 size, not its units.
    const std::string latin = "caf\xe9 Na\xefve CAF\xc9 x \xc9t\xe9 na\xcfve";
    const std::string utf = "caf\xc3\xa9 Na\xc3\xafve CAF\xc3\x89 x \xc3\x89t\xc3\xa9 na\xc3\x8fve";
    const TextOptions options = cased();
    const std::string whole =
        count_words(utf.data(), utf.size(), TextEncoding::Utf8, options, 1).to_bytes();
    for (std::size_t cut = 0; cut <= latin.size(); ++cut) {
        if (cut > 0 && cut < latin.size() && latin[cut - 1] != ' ') continue;
        const WordTable head =
            count_words_at(latin.data(), cut, TextEncoding::Latin1, options, 1, 0);
        const uint64_t end = head.spans()[0].end;
        std::vector<uint32_t> ucs4(latin.begin() + static_cast<std::ptrdiff_t>(cut), latin.end());
        for (uint32_t& c : ucs4) c &= 0xFF;  // the chars were signed
        const WordTable tail =
            count_words_at(ucs4.data(), ucs4.size(), TextEncoding::Ucs4, options, 1, end);
        CHECK(tail.spans()[0].end == utf.size());
        CHECK(WordTable::merge(head, tail).to_bytes() == whole);
    }
}

TEST_CASE("count_words_at: a span must end within uint64 offsets", "[text]") {
    const std::string abc = "abc";
    const WordTable last =
        count_words_at(abc.data(), 3, TextEncoding::Utf8, {}, 0, UINT64_MAX - 3);
    CHECK(last.spans()[0].end == UINT64_MAX);
    CHECK(last.entry(0).offset == UINT64_MAX - 3);
    try {
        count_words_at(abc.data(), 3, TextEncoding::Utf8, {}, 0, UINT64_MAX - 2);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::InvalidArgument);
    }
    const std::vector<uint32_t> e_acute = {0xE9};  // 1 unit, 2 bytes of UTF-8
    CHECK_THROWS_AS(count_words_at(e_acute.data(), 1, TextEncoding::Ucs4, {}, 0, UINT64_MAX - 1),
                    Error);
}

// A FIFO fed `text` by a thread (its end of the pipe closed when the reader went away).
struct FedFifo {
    std::string dir, path;
    std::string text;
    std::thread writer;
    explicit FedFifo(std::string bytes) : text(std::move(bytes)) {
        char name[] = "/tmp/hotloop-stream-XXXXXX";
        REQUIRE(mkdtemp(name) != nullptr);
        dir = name;
        path = dir + "/fifo";
        REQUIRE(mkfifo(path.c_str(), 0600) == 0);
        writer = std::thread([this] {
            const int fd = open(path.c_str(), O_WRONLY);  // waits for the reader
            if (fd < 0) return;
            for (std::size_t done = 0; done < text.size();) {
                const ssize_t got = write(fd, text.data() + done, text.size() - done);
                if (got <= 0) break;  // EPIPE: the reader refused the stream (SIGPIPE ignored)
                done += static_cast<std::size_t>(got);
            }
            close(fd);
        });
    }
    ~FedFifo() {
        writer.join();
        unlink(path.c_str());
        rmdir(dir.c_str());
    }
};

// Streams are counted in pieces of about 8 MiB cut after ASCII whitespace, the pieces' tables
// merged: the result must be the regular file's table, byte for byte, whatever falls on a cut
// (multi-byte characters, final sigmas, a BOM at the start, words of every length).
TEST_CASE("count_words_in_file: a stream counted in pieces gives exactly the file's table",
          "[text]") {
    signal(SIGPIPE, SIG_IGN);
    std::mt19937_64 rng(5);
    const std::vector<std::string> extra = {
        "\xce\x9f\xce\x94\xce\xa5\xce\xa3 ", "\xce\xa3\n", "stra\xc3\x9f" "e\t",
        "\xe3\x80\x80", "\xc3\x89t\xc3\xa9 "};
    std::string text = "\xef\xbb\xbf";
    while (text.size() < (std::size_t(20) << 20)) {
        text += "w" + std::to_string(rng() % 300'000) + (rng() % 5 ? " " : "\n");
        if (rng() % 500 == 0) text += extra[rng() % extra.size()];
        if (rng() % 100'000 == 0) text += std::string(3 << 20, 'x') + " ";  // > 1 read
    }
    const std::string file = temp_file(text);
    for (bool skip_bom : {false, true}) {
        TextOptions options = cased();
        options.skip_bom = skip_bom;
        options.report_features = true;
        const std::string expected = count_file(file, options).to_bytes();
        FedFifo fifo(text);
        CHECK(count_file(fifo.path, options).to_bytes() == expected);
    }
    std::remove(file.c_str());
}

TEST_CASE("count_words_in_file: a stream's invalid UTF-8 is reported at its stream offset",
          "[text]") {
    signal(SIGPIPE, SIG_IGN);
    std::string text;
    while (text.size() < (std::size_t(12) << 20)) text += "word ";
    text += "bad\xff ";
    std::string message;
    {
        FedFifo fifo(text);
        try {
            count_file(fifo.path);
        } catch (const Error& e) {
            message = e.what();
        }
    }
    CHECK(message == "invalid UTF-8 at byte offset " + std::to_string(text.size() - 2) +
                         " (byte 0xff): invalid start byte");
}

// One word with no end (/dev/zero: NUL bytes forever) is refused once more than 256 MiB of it
// is read, instead of growing until memory runs out.
TEST_CASE("count_words_in_file: a stream's word of more than 256 MiB is refused", "[text]") {
    signal(SIGPIPE, SIG_IGN);
    {
        FedFifo fifo(std::string((std::size_t(256) << 20) + 4096, 'z'));
        try {
            count_file(fifo.path);
            FAIL("a 256 MiB word of a stream was counted");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::InvalidArgument);
            CHECK(std::string(e.what()).find("at most 256 MiB") != std::string::npos);
        }
    }
    try {
        count_file("/dev/zero");
        FAIL("/dev/zero was counted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::InvalidArgument);
        CHECK(std::string(e.what()).find("'/dev/zero'") != std::string::npos);
    }
    // A word of exactly 256 MiB, in a stream, is still counted.
    {
        FedFifo fifo(std::string(std::size_t(256) << 20, 'z') + " z");
        const WordTable w = count_file(fifo.path);
        REQUIRE(w.size() == 2);
        CHECK(w.entry(1).count == 1);
    }
    // A byte range of a stream reads it whole into memory first (the ranges of /proc and sysfs
    // files), with the same bound.
    CHECK(count_words_in_file("/dev/null", 0, 10, {}).size() == 0);
    try {
        count_words_in_file("/dev/zero", 5, 10, {});
        FAIL("a range of /dev/zero was counted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::InvalidArgument);
    }
}
