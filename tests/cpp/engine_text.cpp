// Word counting in the engine: against a plain serial reference, across block boundaries, with
// invalid UTF-8, and over files (missing, directory, unreadable, FIFO).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "hotloop/text.hpp"

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

// Serial reference over code points: split where splits_words() says, lowering A-Z in words made
// only of ASCII when options.lower_ascii is set.
std::map<std::string, Counted> reference(const std::vector<char32_t>& text,
                                         const TextOptions& options) {
    const bool lower_ascii = options.lower_ascii;
    std::map<std::string, Counted> out;
    std::string word;
    bool ascii = true;
    uint64_t offset = 0, start = 0;
    auto finish = [&] {
        if (word.empty()) return;
        if (lower_ascii && ascii)
            for (char& c : word)
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        Counted& e = out[word];
        if (e.count++ == 0) e.first = start;
        word.clear();
        ascii = true;
    };
    for (char32_t c : text) {
        const std::string bytes = utf8(c);
        if (splits_words(c, options)) {
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

void require_matches(const WordCounts& got, const std::map<std::string, Counted>& want) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        const std::string word(got.word(i));
        const auto it = want.find(word);
        REQUIRE(it != want.end());
        CHECK(got.counts[i] == it->second.count);
        CHECK(got.first[i] == it->second.first);
        if (i) CHECK(got.first[i - 1] < got.first[i]);  // first-occurrence order
    }
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

int io_errno_of(const std::string& path) {
    try {
        count_words_in_file(path);
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::Io) return e.os_errno();
        return -1;
    }
    return 0;
}

}  // namespace

TEST_CASE("the whitespace is Python's str.split() whitespace", "[text]") {
    std::vector<char32_t> found, split;
    for (char32_t c = 0; c < 0x110000; ++c) {
        if (is_python_whitespace(c)) found.push_back(c);
        if (splits_words(c, TextOptions{})) split.push_back(c);
    }
    CHECK(found == kPythonWhitespace);
    CHECK(split == kPythonWhitespace);
    TextOptions pypy;
    pypy.info_separators_split = false;
    pypy.mongolian_vowel_separator_splits = true;
    CHECK(splits_words(0x180E, pypy));
    CHECK_FALSE(splits_words(0x1C, pypy));
    CHECK(splits_words(0x3000, pypy));
}

TEST_CASE("count_words: small texts", "[text]") {
    const std::string text = "hello world\u3000hello\xc2\x85rust\xe2\x80\x8bx Hello";
    const WordCounts w = count_words(text.data(), text.size());
    REQUIRE(w.size() == 4);
    CHECK(w.word(0) == "hello");
    CHECK(w.counts[0] == 2);
    CHECK(w.word(1) == "world");
    CHECK(w.word(2) == "rust\xe2\x80\x8bx");  // U+200B is not whitespace
    CHECK(w.word(3) == "Hello");
    CHECK(w.first[3] == text.size() - 5);

    TextOptions lower;
    lower.lower_ascii = true;
    const std::string mixed = "Hello HELLO h\xc3\x89llo H\xc3\x89LLO hello";
    const WordCounts l = count_words(mixed.data(), mixed.size(), lower);
    REQUIRE(l.size() == 3);  // non-ASCII words stay as written
    CHECK(l.word(0) == "hello");
    CHECK(l.counts[0] == 3);
    CHECK(l.word(1) == "h\xc3\x89llo");
    CHECK(l.word(2) == "H\xc3\x89LLO");

    CHECK(count_words(nullptr, 0).size() == 0);
    CHECK(count_words(" \t\n", 3).size() == 0);
    CHECK_THROWS_AS(count_words(nullptr, 5), Error);

    const std::string nul("a\0b a\0b a", 9);
    const WordCounts z = count_words(nul.data(), nul.size());
    REQUIRE(z.size() == 2);
    CHECK(z.word(0) == std::string("a\0b", 3));
    CHECK(z.counts[0] == 2);
}

TEST_CASE("count_words: words of every length up to 40 bytes and beyond", "[text]") {
    // Lengths around the 16- and 32-byte inline keys, in ASCII of both cases, 2-byte characters
    // and with NUL bytes, at the end of the buffer too (no over-read).
    std::vector<char32_t> chars;
    for (std::size_t len = 1; len <= 41; ++len) {
        for (char32_t c : {char32_t('a'), char32_t('A'), char32_t(0xE9), char32_t(0)}) {
            for (std::size_t k = 0; k < len; ++k) chars.push_back(c == 0 && k == 0 ? 'x' : c);
            chars.push_back(' ');
            for (std::size_t k = 0; k < len; ++k) chars.push_back(k % 3 ? c : char32_t('B'));
            chars.push_back(0x3000);
        }
    }
    for (std::size_t cut = chars.size() - 90; cut <= chars.size(); ++cut) {
        const std::vector<char32_t> part(chars.begin(), chars.begin() + cut);
        const std::string text = encode(part);
        for (bool lower : {false, true}) {
            TextOptions options;
            options.lower_ascii = lower;
            // An exact-size copy, so that reading past the end would be caught by ASan.
            const std::vector<char> exact(text.begin(), text.end());
            require_matches(count_words(exact.data(), exact.size(), options),
                            reference(part, options));
        }
    }
}

TEST_CASE("count_words: random texts match the serial reference", "[text]") {
    std::mt19937_64 rng(42);
    for (int round = 0; round < 12; ++round) {
        const bool big = round % 3 == 0;
        const auto chars = random_text(rng, big ? 1'500'000 : rng() % 3000, round % 2 == 0);
        const std::string text = encode(chars);
        for (int variant = 0; variant < 4; ++variant) {
            TextOptions options;
            options.lower_ascii = variant & 1;
            if (variant & 2) {  // PyPy 3.9's str.split() set
                options.info_separators_split = false;
                options.mongolian_vowel_separator_splits = true;
            }
            require_matches(count_words(text.data(), text.size(), options),
                            reference(chars, options));
        }
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
            require_matches(count_words(text.data(), text.size()), reference(chars, {}));
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
            count_words(c.bytes.data(), c.bytes.size());
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
    CHECK_THROWS_AS(count_words(surrogate.data(), surrogate.size()), Error);
    TextOptions pass;
    pass.allow_surrogates = true;
    const WordCounts s = count_words(surrogate.data(), surrogate.size(), pass);
    REQUIRE(s.size() == 2);
    CHECK(s.counts[1] == 2);

    // The first error wins, whichever block holds it.
    for (int shift = -3; shift <= 3; ++shift) {
        std::string text(3 * kBlock, 'a');
        for (std::size_t i = 5; i < text.size(); i += 7) text[i] = ' ';
        const std::size_t bad = kBlock + shift;
        text[bad] = '\xff';
        text[2 * kBlock + shift] = '\x80';
        text.replace(bad - 2, 2, "\xc3\xa9");
        try {
            count_words(text.data(), text.size());
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find("byte offset " + std::to_string(bad) + " ") !=
                  std::string::npos);
        }
    }
}

TEST_CASE("count_words: byte order mark", "[text]") {
    const std::string text = "\xef\xbb\xbfword word";
    CHECK(count_words(text.data(), text.size()).size() == 2);  // U+FEFF is part of a word
    TextOptions skip;
    skip.skip_bom = true;
    const WordCounts w = count_words(text.data(), text.size(), skip);
    REQUIRE(w.size() == 1);
    CHECK(w.counts[0] == 2);
    CHECK(w.first[0] == 3);
}

TEST_CASE("count_words: a cancelled control stops it", "[text]") {
    const std::string text(3 * kBlock, 'a');
    Control ctl;
    ctl.cancel();
    try {
        count_words(text.data(), text.size(), {}, &ctl);
        FAIL("not cancelled");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Cancelled);
    }
    Control progress;
    count_words(text.data(), text.size(), {}, &progress);
    CHECK(progress.done() == progress.total());
    CHECK(progress.total() == 3);
}

TEST_CASE("count_words_in_file: contents, empty files and OS errors", "[text]") {
    const std::string text = "one two two\nthree three three \xe2\x80\x80";
    const std::string path = temp_file(text);
    const WordCounts w = count_words_in_file(path);
    REQUIRE(w.size() == 3);
    CHECK(w.counts[2] == 3);
    const std::string empty = temp_file("");
    CHECK(count_words_in_file(empty).size() == 0);
    const std::string bad = temp_file("fine \xff");
    CHECK_THROWS_AS(count_words_in_file(bad), Error);

    CHECK(io_errno_of("/nonexistent/hotloop/file.txt") == ENOENT);
    CHECK(io_errno_of("/tmp") == EISDIR);
    try {
        count_words_in_file("/nonexistent-hotloop-file");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("/nonexistent-hotloop-file") != std::string::npos);
    }
    std::remove(path.c_str());
    std::remove(empty.c_str());
    std::remove(bad.c_str());
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

TEST_CASE("count_words_in_file: a FIFO is read, not mapped", "[text]") {
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
    const WordCounts w = count_words_in_file(path);
    writer.join();
    REQUIRE(w.size() == 2);
    CHECK(w.counts[0] == 40000);
    std::remove(path.c_str());
    rmdir(dir);
}
