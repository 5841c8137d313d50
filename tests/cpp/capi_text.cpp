// The hl_word_table functions: results through the accessors and export, NULLs, flags, error
// statuses, serialization and cancellation.
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "hotloop.h"

namespace {

struct Exported {
    std::vector<std::string> words;
    std::vector<uint64_t> counts;
};

// The '\n'-separated words of an HL_DTYPE_UINT8 buffer (n of them: "" is one empty word when
// n is 1, none when n is 0); frees it.
std::vector<std::string> lines(hl_buffer* blob, size_t n) {
    REQUIRE(hl_buffer_dtype(blob) == HL_DTYPE_UINT8);
    std::vector<std::string> out;
    const char* text = static_cast<const char*>(hl_buffer_data(blob));
    std::string word;
    for (size_t i = 0; i < hl_buffer_length(blob); ++i) {
        if (text[i] == '\n') {
            out.push_back(word);
            word.clear();
        } else {
            word += text[i];
        }
    }
    if (n) out.push_back(word);
    REQUIRE(out.size() == n);
    hl_buffer_free(blob);
    return out;
}

// The values of an HL_DTYPE_UINT64 buffer; frees it.
std::vector<uint64_t> values(hl_buffer* numbers) {
    REQUIRE(hl_buffer_dtype(numbers) == HL_DTYPE_UINT64);
    const auto* c = static_cast<const uint64_t*>(hl_buffer_data(numbers));
    std::vector<uint64_t> out(c, c + hl_buffer_length(numbers));
    hl_buffer_free(numbers);
    return out;
}

bool is_ascii(const std::string& word) {
    for (unsigned char c : word)
        if (c >= 0x80) return false;
    return true;
}

// hl_word_table_export_grouped's four buffers, checked against the plain export's words and
// counts: the same counts; each non-ASCII word empty in *words and listed, in order, in *others
// with its position in *others_at.
void check_grouped(const hl_word_table* table, int64_t top, const Exported& plain) {
    hl_buffer *words = nullptr, *others = nullptr, *others_at = nullptr, *counts = nullptr;
    REQUIRE(hl_word_table_export_grouped(table, top, &words, &others, &others_at, &counts,
                                         nullptr) == HL_OK);
    const std::vector<uint64_t> at = values(others_at);
    CHECK(values(counts) == plain.counts);
    std::vector<std::string> expected_words, expected_others;
    std::vector<uint64_t> expected_at;
    for (size_t k = 0; k < plain.words.size(); ++k) {
        const bool plain_word = is_ascii(plain.words[k]);
        expected_words.push_back(plain_word ? plain.words[k] : "");
        if (plain_word) continue;
        expected_others.push_back(plain.words[k]);
        expected_at.push_back(k);
    }
    CHECK(lines(words, plain.words.size()) == expected_words);
    CHECK(lines(others, at.size()) == expected_others);
    CHECK(at == expected_at);
}

// hl_word_table_export's two buffers, split and checked (and the grouped export against them);
// frees them.
Exported exported(const hl_word_table* table, int64_t top) {
    hl_buffer *words = nullptr, *counts = nullptr;
    REQUIRE(hl_word_table_export(table, top, &words, &counts, nullptr) == HL_OK);
    Exported e;
    e.counts = values(counts);
    e.words = lines(words, e.counts.size());
    check_grouped(table, top, e);
    return e;
}

hl_word_table* count(const std::string& text, int flags = 0, const char* casing = "14.0.0",
                     uint64_t part = 0) {
    hl_word_table* t = nullptr;
    REQUIRE(hl_word_table_count(text.data(), text.size(), HL_TEXT_UTF8, flags, casing, part, &t,
                                nullptr) == HL_OK);
    return t;
}

std::string temp_file(const std::string& bytes) {
    char name[] = "/tmp/hotloop-capi-text-XXXXXX";
    const int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    close(fd);
    return name;
}

}  // namespace

TEST_CASE("hl_word_table: counts, order, accessors", "[capi][text]") {
    hl_word_table* t = count("b a B\xe2\x80\x83" "a \xc3\x89t\xc3\xa9 Z \xc3\xa9T\xc3\x89");
    Exported all = exported(t, -1);
    CHECK(all.words == std::vector<std::string>{"b", "a", "\xc3\xa9t\xc3\xa9", "z"});
    CHECK(all.counts == std::vector<uint64_t>{2, 2, 2, 1});
    Exported top = exported(t, 3);  // most_common: count descending, ties by first occurrence
    CHECK(top.words == std::vector<std::string>{"b", "a", "\xc3\xa9t\xc3\xa9"});
    CHECK(exported(t, 0).words.empty());
    size_t n = 0;
    REQUIRE(hl_word_table_size(t, &n) == HL_OK);
    CHECK(n == 4);
    const char* word = nullptr;
    size_t length = 0;
    uint64_t c = 0, part = 9, offset = 0;
    REQUIRE(hl_word_table_entry(t, 2, &word, &length, &c, &part, &offset) == HL_OK);
    CHECK(std::string(word, length) == "\xc3\xa9t\xc3\xa9");
    CHECK((c == 2 && part == 0 && offset == 10));
    CHECK(hl_word_table_entry(t, 4, &word, &length, &c, &part, &offset) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_word_table_entry(t, 0, nullptr, nullptr, nullptr, nullptr, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    hl_word_table_destroy(t);
    hl_word_table_destroy(nullptr);

    hl_word_table* ascii_only = count("B b \xc3\x89 \xc3\xa9", 0, nullptr);  // no case table
    CHECK(exported(ascii_only, -1).words == std::vector<std::string>{"b", "\xc3\x89", "\xc3\xa9"});
    hl_word_table_destroy(ascii_only);
}

TEST_CASE("hl_word_table: NULLs, flags and statuses", "[capi][text]") {
    hl_word_table* out = reinterpret_cast<hl_word_table*>(&out);
    CHECK(hl_word_table_count(nullptr, 3, HL_TEXT_UTF8, 0, nullptr, 0, &out, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(out == nullptr);  // cleared on failure
    CHECK(hl_word_table_count("a", 1, HL_TEXT_UTF8, 0, nullptr, 0, nullptr, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_word_table_count("a", 1, 3, 0, nullptr, 0, &out, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_word_table_count("a", 1, HL_TEXT_UTF8, 4, nullptr, 0, &out, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_word_table_count("a", 1, HL_TEXT_UTF8,
                              HL_TEXT_ERRORS_REPLACE | HL_TEXT_ERRORS_IGNORE, nullptr, 0, &out,
                              nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_word_table_count("a", 1, HL_TEXT_UTF8, 0, "1.0.0", 0, &out, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(std::string(hl_last_error_message()).find("1.0.0") != std::string::npos);

    CHECK(hl_word_table_count("abc \xed\xa0\x80", 7, HL_TEXT_UTF8, 0, nullptr, 0, &out,
                              nullptr) == HL_ERR_ENCODING);
    CHECK(std::string(hl_last_error_message()).find("byte offset 4 ") != std::string::npos);
    CHECK(out == nullptr);
    hl_word_table* t = count("abc \xed\xa0\x80", HL_TEXT_ALLOW_SURROGATES);
    CHECK(exported(t, -1).words.size() == 2);
    hl_word_table_destroy(t);
    t = count("abc \xed\xa0\x80", HL_TEXT_ERRORS_REPLACE);
    CHECK(exported(t, -1).words == std::vector<std::string>{"abc", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"});
    hl_word_table_destroy(t);

    int available = -1;
    REQUIRE(hl_text_casing_available("14.0.0", &available) == HL_OK);
    CHECK(available == 1);
    REQUIRE(hl_text_casing_available("2.0", &available) == HL_OK);
    CHECK(available == 0);
    CHECK(hl_text_casing_available(nullptr, &available) == HL_ERR_INVALID_ARGUMENT);

    size_t n = 0;
    REQUIRE(hl_text_whitespace(0, nullptr, 0, &n) == HL_OK);
    std::vector<uint32_t> ws(n);
    REQUIRE(hl_text_whitespace(0, ws.data(), ws.size(), &n) == HL_OK);
    CHECK(n == 29);
    CHECK((ws.front() == 0x09 && ws.back() == 0x3000));
    CHECK(hl_text_whitespace(0, nullptr, 5, &n) == HL_ERR_INVALID_ARGUMENT);
}

TEST_CASE("hl_word_table: PyPy's whitespace and features", "[capi][text]") {
    const std::string text = "a\x1c" "b c\xe1\xa0\x8e" "d";
    hl_word_table* t = count(text);
    CHECK(exported(t, -1).words == std::vector<std::string>{"a", "b", "c\xe1\xa0\x8e" "d"});
    hl_word_table_destroy(t);
    t = count(text, HL_TEXT_KEEP_INFO_SEPARATORS | HL_TEXT_SPLIT_MONGOLIAN_VOWEL_SEPARATOR, "13.0.0");
    CHECK(exported(t, -1).words == std::vector<std::string>{"a\x1c" "b", "c", "d"});
    int features = -1;
    REQUIRE(hl_word_table_features(t, &features) == HL_OK);
    CHECK(features == 0);  // not asked for
    hl_word_table_destroy(t);
    t = count("x\xe1\xa0\x8e" "y\x1c", HL_TEXT_REPORT_FEATURES);
    REQUIRE(hl_word_table_features(t, &features) == HL_OK);
    CHECK(features == (HL_TEXT_SAW_NON_ASCII | HL_TEXT_SAW_INFO_SEPARATOR |
                       HL_TEXT_SAW_MONGOLIAN_VOWEL_SEPARATOR));
    hl_word_table_destroy(t);
}

TEST_CASE("hl_word_table: merge, to_bytes and from_bytes", "[capi][text]") {
    hl_word_table* a = count("x y Y", 0, "14.0.0", 0);
    hl_word_table* b = count("z x", 0, "14.0.0", 1);
    hl_word_table* ab = nullptr;
    REQUIRE(hl_word_table_merge(b, a, &ab, nullptr) == HL_OK);  // order of parts, not of calls
    CHECK(exported(ab, -1).words == std::vector<std::string>{"x", "y", "z"});
    CHECK(exported(ab, -1).counts == std::vector<uint64_t>{2, 2, 1});
    hl_word_table* bad = reinterpret_cast<hl_word_table*>(&bad);
    CHECK(hl_word_table_merge(a, a, &bad, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(bad == nullptr);
    CHECK(hl_word_table_merge(a, nullptr, &bad, nullptr) == HL_ERR_INVALID_ARGUMENT);

    hl_buffer* bytes = nullptr;
    REQUIRE(hl_word_table_to_bytes(ab, &bytes) == HL_OK);
    hl_word_table* back = nullptr;
    REQUIRE(hl_word_table_from_bytes(hl_buffer_data(bytes), hl_buffer_length(bytes), &back) ==
            HL_OK);
    CHECK(exported(back, -1).words == exported(ab, -1).words);
    CHECK(hl_word_table_from_bytes(hl_buffer_data(bytes), 7, &bad) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_word_table_from_bytes("PK\x03\x04", 4, &bad) == HL_ERR_INVALID_ARGUMENT);
    CHECK(std::string(hl_last_error_message()).find("HLWT") != std::string::npos);
    CHECK(hl_word_table_from_bytes(nullptr, 0, &bad) == HL_ERR_INVALID_ARGUMENT);
    hl_buffer_free(bytes);
    for (hl_word_table* t : {a, b, ab, back}) hl_word_table_destroy(t);
}

TEST_CASE("hl_word_table_count_file: ranges and OS errors", "[capi][text]") {
    const std::string path = temp_file("alpha beta\xe3\x80\x80gamma beta");
    hl_word_table *head = nullptr, *tail = nullptr, *whole = nullptr, *both = nullptr;
    REQUIRE(hl_word_table_count_file(path.c_str(), 0, 8, 0, "14.0.0", 0, &head, nullptr) == HL_OK);
    REQUIRE(hl_word_table_count_file(path.c_str(), 8, UINT64_MAX, 0, "14.0.0", 0, &tail,
                                     nullptr) == HL_OK);
    REQUIRE(hl_word_table_count_file(path.c_str(), 0, UINT64_MAX, 0, "14.0.0", 0, &whole,
                                     nullptr) == HL_OK);
    CHECK(exported(head, -1).words == std::vector<std::string>{"alpha", "beta"});
    REQUIRE(hl_word_table_merge(head, tail, &both, nullptr) == HL_OK);
    CHECK(exported(both, -1).words == exported(whole, -1).words);
    CHECK(exported(both, -1).counts == exported(whole, -1).counts);
    for (hl_word_table* t : {head, tail, whole, both}) hl_word_table_destroy(t);

    hl_word_table* out = reinterpret_cast<hl_word_table*>(&out);
    CHECK(hl_word_table_count_file("/nonexistent/x", 0, UINT64_MAX, 0, nullptr, 0, &out,
                                   nullptr) == HL_ERR_IO);
    CHECK(hl_last_error_errno() == ENOENT);
    CHECK(out == nullptr);
    CHECK(hl_word_table_count_file(nullptr, 0, 1, 0, nullptr, 0, &out, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_word_table_count_file(path.c_str(), 5, 1, 0, nullptr, 0, &out, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    std::remove(path.c_str());
}

// A FIFO that no writer opens: count_file used to wait in a blocking open() that no
// cancellation could end (hl_control_cancel had no effect, hl_control_wait never returned).
// It is now opened non-blocking and waited for in poll() slices with the control checked.
struct Fifo {
    std::string path;
    Fifo() {
        char name[] = "/tmp/hotloop-capi-fifo-XXXXXX";
        REQUIRE(mkdtemp(name) != nullptr);
        path = std::string(name) + "/fifo";
        REQUIRE(mkfifo(path.c_str(), 0600) == 0);
    }
    ~Fifo() {
        unlink(path.c_str());
        rmdir(path.substr(0, path.size() - 5).c_str());
    }
};

TEST_CASE("hl_word_table_count_file: a FIFO nobody writes to can be cancelled", "[capi][text]") {
    Fifo fifo;
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    hl_status status = -1;
    hl_word_table* table = reinterpret_cast<hl_word_table*>(1);
    std::thread reader([&] {
        status = hl_word_table_count_file(fifo.path.c_str(), 0, UINT64_MAX, 0, nullptr, 0,
                                          &table, ctl);
    });
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    // Cancellation is promised within 100 ms; a minute only keeps a regression from hanging.
    const hl_status waited = hl_control_wait(ctl, 60000);
    CHECK(waited == HL_OK);
    if (waited != HL_OK) {  // unblock the old blocking open() so that the thread can be joined
        const int fd = open(fifo.path.c_str(), O_WRONLY);
        if (fd >= 0) close(fd);
    }
    reader.join();
    CHECK(status == HL_ERR_CANCELLED);
    CHECK(table == nullptr);
    hl_control_destroy(ctl);
}

TEST_CASE("hl_word_table_count_file: a FIFO is still read from the writer that opens it",
          "[capi][text]") {
    Fifo fifo;
    hl_status status = -1;
    hl_word_table* table = nullptr;
    std::thread reader([&] {
        status = hl_word_table_count_file(fifo.path.c_str(), 0, UINT64_MAX, 0, nullptr, 0,
                                          &table, nullptr);
    });
    // Blocks until the reader has opened the FIFO, whenever that happens.
    const int fd = open(fifo.path.c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    const std::string text = "b a b\n";
    for (int i = 0; i < 1000; ++i)
        REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    close(fd);
    reader.join();
    REQUIRE(status == HL_OK);
    uint64_t count = 0;
    const char* word = nullptr;
    size_t length = 0, size = 0;
    REQUIRE(hl_word_table_size(table, &size) == HL_OK);
    CHECK(size == 2);
    REQUIRE(hl_word_table_entry(table, 0, &word, &length, &count, nullptr, nullptr) == HL_OK);
    CHECK(std::string(word, length) == "b");
    CHECK(count == 2000);
    hl_word_table_destroy(table);
}

// A UCS-2 or UCS-4 length whose bytes exceed the address space is a bad argument, as an hl_view
// that spans more than memory is; it used to size a block table from it (HL_ERR_NO_MEMORY, or
// an abort under ASan without allocator_may_return_null).
TEST_CASE("hl_word_table_count: a unit count beyond the address space", "[capi][text]") {
    const uint32_t text[2] = {'a', ' '};
    const std::pair<int, size_t> cases[] = {{HL_TEXT_UCS2, SIZE_MAX / 2 + 1},
                                            {HL_TEXT_UCS4, SIZE_MAX / 4 + 1},
                                            {HL_TEXT_UCS4, SIZE_MAX}};
    for (const auto& [encoding, n_units] : cases) {
        CAPTURE(encoding, n_units);
        hl_word_table* out = reinterpret_cast<hl_word_table*>(1);
        CHECK(hl_word_table_count(text, n_units, encoding, 0, nullptr, 0, &out, nullptr) ==
              HL_ERR_INVALID_ARGUMENT);
        CHECK(out == nullptr);
        CHECK(std::string(hl_last_error_message()).find("do not fit in memory") !=
              std::string::npos);
    }
}

// Fuzz finding (fuzz_word_count): a count whose text holds no word sorted an empty (null) array
// by forming `first + 1` on it, undefined behaviour that clang's UBSan reports.
TEST_CASE("hl_word_table: text and file ranges without a word", "[capi][text]") {
    const std::string path = temp_file("\x0b");
    hl_word_table *text = count("\x0b", 0, nullptr), *a = nullptr, *b = nullptr, *merged = nullptr;
    REQUIRE(hl_word_table_count_file(path.c_str(), 0, 0, 0, nullptr, 0, &a, nullptr) == HL_OK);
    REQUIRE(hl_word_table_count_file(path.c_str(), 0, UINT64_MAX, 0, nullptr, 0, &b, nullptr) ==
            HL_OK);
    REQUIRE(hl_word_table_merge(b, a, &merged, nullptr) == HL_OK);
    for (hl_word_table* t : {text, a, b, merged}) {
        size_t n = 99;
        REQUIRE(hl_word_table_size(t, &n) == HL_OK);
        CHECK(n == 0);
        CHECK(exported(t, -1).words.empty());
        hl_word_table_destroy(t);
    }
    std::remove(path.c_str());
}

// open(path, encoding="utf-8-sig").read() of a file that only starts a BOM is "": the
// decoder holds EF / EF BB back as a BOM to come and drops them at the end. The count raised
// "unexpected end of data" (errors strict) or counted U+FFFD (replace). A longer file that
// starts so is still malformed, and the bytes' count keeps bytes.decode's rule.
TEST_CASE("hl_word_table_count_file: a file that only starts a BOM, under HL_TEXT_SKIP_BOM",
          "[capi][text]") {
    for (const char* data : {"\xef", "\xef\xbb"}) {
        const std::string path = temp_file(data);
        for (int errors : {0, HL_TEXT_ERRORS_REPLACE, HL_TEXT_ERRORS_IGNORE}) {
            const int flags = HL_TEXT_SKIP_BOM | errors;
            hl_word_table *whole = nullptr, *head = nullptr, *tail = nullptr;
            REQUIRE(hl_word_table_count_file(path.c_str(), 0, UINT64_MAX, flags, nullptr, 0,
                                             &whole, nullptr) == HL_OK);
            REQUIRE(hl_word_table_count_file(path.c_str(), 0, 1, flags, nullptr, 0, &head,
                                             nullptr) == HL_OK);
            REQUIRE(hl_word_table_count_file(path.c_str(), 1, UINT64_MAX, flags, nullptr, 0,
                                             &tail, nullptr) == HL_OK);
            for (hl_word_table* t : {whole, head, tail}) {
                CHECK(exported(t, -1).words.empty());
                hl_word_table_destroy(t);
            }
        }
        hl_word_table* out = nullptr;  // without the flag: malformed, as bytes.decode("utf-8")
        CHECK(hl_word_table_count_file(path.c_str(), 0, UINT64_MAX, 0, nullptr, 0, &out,
                                       nullptr) == HL_ERR_ENCODING);
        CHECK(hl_word_table_count(data, std::strlen(data), HL_TEXT_UTF8, HL_TEXT_SKIP_BOM, nullptr,
                                  0, &out, nullptr) == HL_ERR_ENCODING);
        std::remove(path.c_str());
    }
    const std::string longer = temp_file("\xef\xbb" "abc");
    hl_word_table* out = nullptr;
    CHECK(hl_word_table_count_file(longer.c_str(), 0, UINT64_MAX, HL_TEXT_SKIP_BOM, nullptr, 0,
                                   &out, nullptr) == HL_ERR_ENCODING);
    std::remove(longer.c_str());
}

TEST_CASE("hl_word_table: cancellation", "[capi][text]") {
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    const std::string text(4 << 20, 'x');
    hl_word_table* out = nullptr;
    CHECK(hl_word_table_count(text.data(), text.size(), HL_TEXT_UTF8, 0, nullptr, 0, &out, ctl) ==
          HL_ERR_CANCELLED);
    CHECK(out == nullptr);
    // Export honours the sticky cancel for every `top` (the whole table, top < 0, included).
    REQUIRE(hl_word_table_count("a b a", 5, HL_TEXT_UTF8, 0, nullptr, 0, &out, nullptr) == HL_OK);
    for (int64_t top : {int64_t(-1), int64_t(1)}) {
        hl_buffer* words = reinterpret_cast<hl_buffer*>(&words);  // garbage, must be overwritten
        hl_buffer* counts = reinterpret_cast<hl_buffer*>(&counts);
        CHECK(hl_word_table_export(out, top, &words, &counts, ctl) == HL_ERR_CANCELLED);
        CHECK(words == nullptr);
        CHECK(counts == nullptr);
    }
    hl_word_table_destroy(out);
    hl_control_destroy(ctl);
}

TEST_CASE("hl_word_table_export: the output it was given is NULL after a failure", "[capi][text]") {
    hl_buffer* words = reinterpret_cast<hl_buffer*>(&words);
    hl_buffer* counts = reinterpret_cast<hl_buffer*>(&counts);
    CHECK(hl_word_table_export(nullptr, -1, &words, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(words == nullptr);
    CHECK(hl_word_table_export(nullptr, -1, nullptr, &counts, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(counts == nullptr);
}

TEST_CASE("hl_word_table_export_grouped: every output is NULL after a failure", "[capi][text]") {
    hl_word_table* t = count("a \xc3\xa9 b");
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    for (int missing = 0; missing < 5; ++missing) {  // 4: none missing, but cancelled
        hl_buffer* out[4];
        for (hl_buffer*& o : out) o = reinterpret_cast<hl_buffer*>(&o);  // garbage
        hl_buffer** arg[4] = {&out[0], &out[1], &out[2], &out[3]};
        if (missing < 4) arg[missing] = nullptr;
        const int64_t top = missing % 2 ? 1 : -1;
        CHECK(hl_word_table_export_grouped(t, top, arg[0], arg[1], arg[2], arg[3],
                                           missing < 4 ? nullptr : ctl) ==
              (missing < 4 ? HL_ERR_INVALID_ARGUMENT : HL_ERR_CANCELLED));
        for (int k = 0; k < 4; ++k)
            if (k != missing) CHECK(out[k] == nullptr);
    }
    hl_control_destroy(ctl);
    hl_word_table_destroy(t);
}

TEST_CASE("hl_word_table_export_grouped: ASCII and other words, in runs and alone", "[capi][text]") {
    // Non-ASCII words first, last, side by side, alone, and in a table of only them; the top
    // list in its own order.
    for (const char* text : {"\xc3\xa9 a b \xc3\xa9 c \xce\xb1\xce\xb2 \xe2\x82\xac d \xf0\x9f\x98\x80",
                             "\xc3\xa9", "a", "x \xc3\xa9\xc3\xa9 x y", "\xc3\xa9 \xc3\xa8 \xc3\xa9"}) {
        hl_word_table* t = count(text);
        for (int64_t top : {int64_t(-1), int64_t(0), int64_t(1), int64_t(2), int64_t(100)})
            exported(t, top);  // checks the grouped export against the plain one
        hl_word_table_destroy(t);
    }
}

TEST_CASE("hl_word_table_export_grouped: non-ASCII words at every gap, found by a gallop",
          "[capi][text]") {
    // Each non-ASCII word is found from the previous one's by a galloping search of the words'
    // starts: gaps of 0 to 300 ASCII words (past several doublings of its step, and landing on
    // every offset within one), then a last run of ASCII words up to the table's end.
    std::string text;
    int id = 0;
    for (int gap = 0; gap <= 300; gap += gap < 40 ? 1 : 37) {
        for (int k = 0; k < gap; ++k) text += "a" + std::to_string(id++) + " ";
        text += "\xc3\xa9" + std::to_string(id++) + " ";
    }
    for (int k = 0; k < 70; ++k) text += "z" + std::to_string(k) + " ";
    hl_word_table* t = count(text);
    exported(t, -1);  // checks others_at against the plain export
    hl_word_table_destroy(t);
}

namespace {

hl_word_table* count_at(const std::string& text, uint64_t part, uint64_t offset,
                        const char* casing = "14.0.0") {
    hl_word_table* t = nullptr;
    REQUIRE(hl_word_table_count_at(text.data(), text.size(), HL_TEXT_UTF8, 0, casing, part,
                                   offset, &t, nullptr) == HL_OK);
    return t;
}

std::string serialized(const hl_word_table* t) {
    hl_buffer* bytes = nullptr;
    REQUIRE(hl_word_table_to_bytes(t, &bytes) == HL_OK);
    std::string out(static_cast<const char*>(hl_buffer_data(bytes)), hl_buffer_length(bytes));
    hl_buffer_free(bytes);
    return out;
}

std::vector<uint64_t> spans(const hl_word_table* t) {
    size_t n = 99;
    REQUIRE(hl_word_table_spans(t, nullptr, 0, &n) == HL_OK);
    std::vector<uint64_t> out(3 * n);
    size_t again = 0;
    REQUIRE(hl_word_table_spans(t, out.data(), n, &again) == HL_OK);
    REQUIRE(again == n);
    return out;
}

}  // namespace

TEST_CASE("hl_word_table_count_at: offsets, spans, and merges of adjacent ranges",
          "[capi][text]") {
    const std::string text =
        "Ab \xce\x9f\xce\x94\xce\xa5\xce\xa3\xce\xa3\xce\x95\xce\xa5\xce\xa3 cd\nab "
        "\xc3\xa9T\xc3\x89 x\t\xce\xa3 AB \xc3\x89t\xc3\xa9";
    hl_word_table* whole = count_at(text, 2, 0);
    hl_word_table* plain = count(text, 0, "14.0.0", 2);
    CHECK(serialized(whole) == serialized(plain));  // hl_word_table_count is offset 0
    CHECK(spans(whole) == std::vector<uint64_t>{2, 0, text.size()});
    for (size_t cut = 0; cut <= text.size(); ++cut) {
        if (cut > 0 && cut < text.size() && !std::strchr(" \n\t", text[cut - 1])) continue;
        hl_word_table* head = count_at(text.substr(0, cut), 2, 0);
        hl_word_table* tail = count_at(text.substr(cut), 2, cut);
        hl_word_table* tail_at0 = count_at(text.substr(cut), 2, 0);
        CHECK(spans(tail) == std::vector<uint64_t>{2, cut, text.size()});
        size_t n = 0, n0 = 0;
        REQUIRE(hl_word_table_size(tail, &n) == HL_OK);
        REQUIRE(hl_word_table_size(tail_at0, &n0) == HL_OK);
        REQUIRE(n == n0);
        for (size_t i = 0; i < n; ++i) {
            const char* word = nullptr;
            uint64_t offset = 0, offset0 = 0, part = 0;
            REQUIRE(hl_word_table_entry(tail, i, &word, nullptr, nullptr, &part, &offset) == HL_OK);
            REQUIRE(hl_word_table_entry(tail_at0, i, &word, nullptr, nullptr, nullptr,
                                        &offset0) == HL_OK);
            CHECK(part == 2);
            CHECK(offset == cut + offset0);
        }
        // Adjacent ranges of one part merge, in either order, into the whole text's bytes.
        hl_word_table *ht = nullptr, *th = nullptr;
        REQUIRE(hl_word_table_merge(head, tail, &ht, nullptr) == HL_OK);
        REQUIRE(hl_word_table_merge(tail, head, &th, nullptr) == HL_OK);
        CHECK(serialized(ht) == serialized(whole));
        CHECK(serialized(th) == serialized(whole));
        CHECK(spans(ht) == std::vector<uint64_t>{2, 0, text.size()});
        // Overlapping ranges of one part (a byte early, or the whole text again) are refused.
        hl_word_table* bad = reinterpret_cast<hl_word_table*>(&bad);
        if (cut > 0 && cut < text.size()) {
            hl_word_table* early = count_at(text.substr(cut), 2, cut - 1);
            CHECK(hl_word_table_merge(head, early, &bad, nullptr) == HL_ERR_INVALID_ARGUMENT);
            CHECK(bad == nullptr);
            CHECK(std::string(hl_last_error_message()).find("part 2") != std::string::npos);
            hl_word_table_destroy(early);
            CHECK(hl_word_table_merge(ht, tail, &bad, nullptr) == HL_ERR_INVALID_ARGUMENT);
        }
        for (hl_word_table* t : {head, tail, tail_at0, ht, th}) hl_word_table_destroy(t);
    }
    hl_word_table_destroy(whole);
    hl_word_table_destroy(plain);
}

TEST_CASE("hl_word_table_count_at: disjoint ranges, code units, limits; hl_word_table_spans",
          "[capi][text]") {
    // Ranges of one part with a gap between them merge; the spans say which bytes were counted.
    hl_word_table* a = count_at("x y", 0, 0);
    hl_word_table* b = count_at("y z", 0, 10);
    hl_word_table* ab = nullptr;
    REQUIRE(hl_word_table_merge(b, a, &ab, nullptr) == HL_OK);
    CHECK(exported(ab, -1).words == std::vector<std::string>{"x", "y", "z"});
    CHECK(exported(ab, -1).counts == std::vector<uint64_t>{1, 2, 1});
    CHECK(spans(ab) == std::vector<uint64_t>{0, 0, 3, 0, 10, 13});
    uint64_t few[6] = {7, 7, 7, 7, 7, 7};
    size_t n = 0;
    REQUIRE(hl_word_table_spans(ab, few, 1, &n) == HL_OK);  // room for one: one written
    CHECK(n == 2);
    CHECK(std::vector<uint64_t>(few, few + 6) == std::vector<uint64_t>{0, 0, 3, 7, 7, 7});
    CHECK(hl_word_table_spans(ab, nullptr, 1, &n) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_word_table_spans(ab, few, 1, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_word_table_spans(nullptr, few, 1, &n) == HL_ERR_INVALID_ARGUMENT);

    // Code units: the span ends at offset + the text's UTF-8 size.
    const std::string latin = "caf\xe9 x";
    hl_word_table* t = nullptr;
    REQUIRE(hl_word_table_count_at(latin.data(), latin.size(), HL_TEXT_LATIN1, 0, "14.0.0", 4,
                                   5, &t, nullptr) == HL_OK);
    CHECK(spans(t) == std::vector<uint64_t>{4, 5, 5 + 7});
    hl_word_table_destroy(t);

    // The span's end must fit in uint64; errors leave *out NULL.
    hl_word_table* last = count_at("abc", 0, UINT64_MAX - 3);
    CHECK(spans(last) == std::vector<uint64_t>{0, UINT64_MAX - 3, UINT64_MAX});
    hl_word_table* out = reinterpret_cast<hl_word_table*>(&out);
    CHECK(hl_word_table_count_at("abc", 3, HL_TEXT_UTF8, 0, nullptr, 0, UINT64_MAX - 2, &out,
                                 nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(out == nullptr);
    CHECK(hl_word_table_count_at(nullptr, 3, HL_TEXT_UTF8, 0, nullptr, 0, 5, &out, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_word_table_count_at("a", 1, HL_TEXT_UTF8, 0, nullptr, 0, 5, nullptr, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    for (hl_word_table* x : {a, b, ab, last}) hl_word_table_destroy(x);
}

// /dev/zero is one endless word of NUL bytes. It used to be read whole into memory, growing
// until memory ran out (a cancel then took 0.3-0.4 s, spent in the buffer's doubling). A stream
// is now counted in pieces, and a run of 256 MiB without ASCII whitespace is refused.
TEST_CASE("hl_word_table_count_file: /dev/zero is refused once 256 MiB of its word is read",
          "[capi][text]") {
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    hl_status status = -1;
    hl_word_table* table = reinterpret_cast<hl_word_table*>(1);
    std::string message;
    std::thread reader([&] {
        status = hl_word_table_count_file("/dev/zero", 0, UINT64_MAX, 0, nullptr, 0, &table, ctl);
        message = hl_last_error_message();
    });
    // A minute only keeps a regression from running until memory runs out.
    if (hl_control_wait(ctl, 60000) != HL_OK) hl_control_cancel(ctl);
    reader.join();
    CHECK(status == HL_ERR_INVALID_ARGUMENT);
    CHECK(table == nullptr);
    CHECK(message.find("'/dev/zero'") != std::string::npos);
    CHECK(message.find("at most 256 MiB") != std::string::npos);
    // A cancelled control stops it before anything is read.
    REQUIRE(hl_control_reset(ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    table = reinterpret_cast<hl_word_table*>(1);
    CHECK(hl_word_table_count_file("/dev/zero", 0, UINT64_MAX, 0, nullptr, 0, &table, ctl) ==
          HL_ERR_CANCELLED);
    CHECK(table == nullptr);
    hl_control_destroy(ctl);
    // A byte range of a stream is read from the whole stream in memory, with the same bound.
    table = reinterpret_cast<hl_word_table*>(1);
    CHECK(hl_word_table_count_file("/dev/zero", 0, 100, 0, nullptr, 0, &table, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(table == nullptr);
    for (uint64_t end : {uint64_t(100), UINT64_MAX}) {
        REQUIRE(hl_word_table_count_file("/dev/null", 0, end, 0, nullptr, 0, &table, nullptr) ==
                HL_OK);
        size_t size = 1;
        CHECK(hl_word_table_size(table, &size) == HL_OK);
        CHECK(size == 0);
        hl_word_table_destroy(table);
    }
}

// A cancelled merge returns HL_ERR_CANCELLED, *out NULL, both tables as they were: with a
// control cancelled before the call, and one cancelled by another thread while it runs (at
// whatever step it has reached: it may also have finished first).
TEST_CASE("hl_word_table_merge: a cancel leaves the output NULL and the tables unchanged",
          "[capi][text]") {
    std::string one, two;
    for (int i = 0; i < 300'000; ++i) one += "w" + std::to_string(i) + " ";
    for (int i = 100'000; i < 400'000; ++i) two += "w" + std::to_string(i) + " ";
    hl_word_table* later = count(one, 0, "14.0.0", 1);
    hl_word_table* earlier = count(two, 0, "14.0.0", 0);  // merged second: the result is sorted
    const std::string later_bytes = serialized(later), earlier_bytes = serialized(earlier);
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    hl_word_table* out = reinterpret_cast<hl_word_table*>(&out);
    CHECK(hl_word_table_merge(later, earlier, &out, ctl) == HL_ERR_CANCELLED);
    CHECK(out == nullptr);
    CHECK(std::string(hl_last_error_message()) == "operation cancelled");
    for (int round = 0; round < 5; ++round) {
        REQUIRE(hl_control_reset(ctl) == HL_OK);
        hl_status status = -1;
        out = reinterpret_cast<hl_word_table*>(&out);
        std::thread merger([&] { status = hl_word_table_merge(later, earlier, &out, ctl); });
        std::this_thread::sleep_for(std::chrono::milliseconds(round * 3));
        REQUIRE(hl_control_cancel(ctl) == HL_OK);
        merger.join();
        if (status == HL_OK) {
            size_t size = 0;
            CHECK(hl_word_table_size(out, &size) == HL_OK);
            CHECK(size == 400'000);
            hl_word_table_destroy(out);
        } else {
            CHECK(status == HL_ERR_CANCELLED);
            CHECK(out == nullptr);
        }
    }
    CHECK(serialized(later) == later_bytes);
    CHECK(serialized(earlier) == earlier_bytes);
    hl_control_destroy(ctl);
    hl_word_table_destroy(later);
    hl_word_table_destroy(earlier);
}
