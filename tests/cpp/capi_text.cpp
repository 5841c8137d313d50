// hl_word_count / hl_word_count_file: the packed result, NULLs, flags and error statuses.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "hotloop.h"

namespace {

struct Unpacked {
    uint64_t features = 0;
    std::vector<uint64_t> counts, first;
    std::vector<std::string> words;
};

// Reads the layout documented in hotloop.h, checking its sizes; frees the buffer.
Unpacked unpack(hl_buffer* buf) {
    REQUIRE(buf != nullptr);
    REQUIRE(hl_buffer_dtype(buf) == HL_DTYPE_UINT8);
    const auto* fields = static_cast<const uint64_t*>(hl_buffer_data(buf));
    const uint64_t n = fields[0], blob = fields[1];
    REQUIRE(hl_buffer_length(buf) == (3 + 2 * n) * 8 + blob);
    Unpacked u;
    u.features = fields[2];
    u.counts.assign(fields + 3, fields + 3 + n);
    u.first.assign(fields + 3 + n, fields + 3 + 2 * n);
    const char* text = reinterpret_cast<const char*>(fields + 3 + 2 * n);
    std::string word;
    for (uint64_t i = 0; i < blob; ++i) {
        if (text[i] == '\n') {
            u.words.push_back(word);
            word.clear();
        } else {
            word += text[i];
        }
    }
    if (n) u.words.push_back(word);
    REQUIRE(u.words.size() == n);
    hl_buffer_free(buf);
    return u;
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

TEST_CASE("hl_word_count: packed result", "[capi][text]") {
    const std::string text = "b a B\xe2\x80\x83" "a \xc3\x89t\xc3\xa9 Z";
    hl_buffer* out = nullptr;
    REQUIRE(hl_word_count(text.data(), text.size(), HL_TEXT_LOWER_ASCII, &out, nullptr) == HL_OK);
    const Unpacked u = unpack(out);
    CHECK(u.words == std::vector<std::string>{"b", "a", "\xc3\x89t\xc3\xa9", "z"});
    CHECK(u.counts == std::vector<uint64_t>{2, 2, 1, 1});
    CHECK(u.first == std::vector<uint64_t>{0, 2, 10, 16});

    REQUIRE(hl_word_count(text.data(), text.size(), 0, &out, nullptr) == HL_OK);
    CHECK(unpack(out).words.size() == 5);  // "B" and "Z" kept as written

    REQUIRE(hl_word_count(nullptr, 0, 0, &out, nullptr) == HL_OK);
    CHECK(unpack(out).words.empty());
    REQUIRE(hl_word_count(" \n", 2, 0, &out, nullptr) == HL_OK);
    CHECK(unpack(out).words.empty());
}

TEST_CASE("hl_word_count: NULLs, flags and encoding errors", "[capi][text]") {
    hl_buffer* out = reinterpret_cast<hl_buffer*>(&out);
    CHECK(hl_word_count(nullptr, 3, 0, &out, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(out == nullptr);  // cleared on failure
    CHECK(std::string(hl_last_error_message()).find("text") != std::string::npos);
    CHECK(hl_word_count("a", 1, 0, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_word_count("a", 1, 64, &out, nullptr) == HL_ERR_INVALID_ARGUMENT);

    CHECK(hl_word_count("abc \xed\xa0\x80", 7, 0, &out, nullptr) == HL_ERR_ENCODING);
    CHECK(std::string(hl_last_error_message()).find("byte offset 4 ") != std::string::npos);
    CHECK(out == nullptr);
    REQUIRE(hl_word_count("abc \xed\xa0\x80", 7, HL_TEXT_ALLOW_SURROGATES, &out, nullptr) ==
            HL_OK);
    CHECK(unpack(out).words.size() == 2);
    CHECK(hl_word_count("\xe2\x82", 2, 0, &out, nullptr) == HL_ERR_ENCODING);
    CHECK(std::string(hl_last_error_message()).find("unexpected end of data") !=
          std::string::npos);
}

TEST_CASE("hl_word_count: PyPy's whitespace flags", "[capi][text]") {
    const std::string text = "a\x1c" "b c\xe1\xa0\x8e" "d";
    hl_buffer* out = nullptr;
    REQUIRE(hl_word_count(text.data(), text.size(), 0, &out, nullptr) == HL_OK);
    CHECK(unpack(out).words == std::vector<std::string>{"a", "b", "c\xe1\xa0\x8e" "d"});
    const int pypy = HL_TEXT_KEEP_INFO_SEPARATORS | HL_TEXT_SPLIT_MONGOLIAN_VOWEL_SEPARATOR;
    REQUIRE(hl_word_count(text.data(), text.size(), pypy, &out, nullptr) == HL_OK);
    const Unpacked u = unpack(out);
    CHECK(u.words == std::vector<std::string>{"a\x1c" "b", "c", "d"});
    CHECK(u.features == 0);  // not asked for

    struct Case {
        std::string text;
        uint64_t features;
    };
    for (const Case& c : std::vector<Case>{
             {"", 0},
             {"plain words", 0},
             {"a\x1f" "b", HL_TEXT_SAW_INFO_SEPARATOR},
             {"caf\xc3\xa9", HL_TEXT_SAW_NON_ASCII},
             {"x\xe1\xa0\x8e" "y\x1c", HL_TEXT_SAW_NON_ASCII | HL_TEXT_SAW_INFO_SEPARATOR |
                                              HL_TEXT_SAW_MONGOLIAN_VOWEL_SEPARATOR},
             {std::string(3 << 20, 'a') + "\xe1\xa0\x8e",
              HL_TEXT_SAW_NON_ASCII | HL_TEXT_SAW_MONGOLIAN_VOWEL_SEPARATOR}}) {
        REQUIRE(hl_word_count(c.text.data(), c.text.size(), HL_TEXT_REPORT_FEATURES, &out,
                              nullptr) == HL_OK);
        CHECK(unpack(out).features == c.features);
    }
}

TEST_CASE("hl_word_count: cancellation", "[capi][text]") {
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    const std::string text(4 << 20, 'x');
    hl_buffer* out = nullptr;
    CHECK(hl_word_count(text.data(), text.size(), 0, &out, ctl) == HL_ERR_CANCELLED);
    CHECK(out == nullptr);
    hl_control_destroy(ctl);
}

TEST_CASE("hl_word_count_file: files and OS errors", "[capi][text]") {
    const std::string path = temp_file("\xef\xbb\xbfone two\ttwo");
    hl_buffer* out = nullptr;
    REQUIRE(hl_word_count_file(path.c_str(), HL_TEXT_SKIP_BOM, &out, nullptr) == HL_OK);
    const Unpacked u = unpack(out);
    CHECK(u.words == std::vector<std::string>{"one", "two"});
    CHECK(u.first == std::vector<uint64_t>{3, 7});

    CHECK(hl_word_count_file(nullptr, 0, &out, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_word_count_file(path.c_str(), 0, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);

    CHECK(hl_word_count_file("/nonexistent/hotloop.txt", 0, &out, nullptr) == HL_ERR_IO);
    CHECK(hl_last_error_errno() == ENOENT);
    CHECK(std::string(hl_last_error_message()).find("/nonexistent/hotloop.txt") !=
          std::string::npos);
    CHECK(out == nullptr);
    CHECK(hl_word_count_file("/tmp", 0, &out, nullptr) == HL_ERR_IO);
    CHECK(hl_last_error_errno() == EISDIR);
    // A later success clears the errno.
    REQUIRE(hl_word_count_file(path.c_str(), 0, &out, nullptr) == HL_OK);
    CHECK(hl_last_error_errno() == 0);
    hl_buffer_free(out);

    const std::string bad = temp_file("ok \xc3(");
    CHECK(hl_word_count_file(bad.c_str(), 0, &out, nullptr) == HL_ERR_ENCODING);
    CHECK(std::string(hl_last_error_message()).find("byte offset 3 ") != std::string::npos);
    std::remove(path.c_str());
    std::remove(bad.c_str());
}

TEST_CASE("hl_word_count_file: an unreadable file is HL_ERR_IO with EACCES", "[capi][text]") {
    // As root every file is readable: the child becomes nobody before trying.
    const std::string path = temp_file("secret");
    REQUIRE(chmod(path.c_str(), 0) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(2);
        hl_buffer* out = nullptr;
        const hl_status status = hl_word_count_file(path.c_str(), 0, &out, nullptr);
        _exit(status == HL_ERR_IO && hl_last_error_errno() == EACCES && out == nullptr ? 0 : 1);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    std::remove(path.c_str());
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
