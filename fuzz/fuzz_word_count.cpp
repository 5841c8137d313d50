// hl_word_count on arbitrary bytes under every flag combination, against a plain reference:
// a code-point UTF-8 decoder written from Python's rules, str.split()'s whitespace, and a
// first-occurrence word table.
//
// Input: byte 0 = flags (bits 0-5: HL_TEXT_* flags; bit 6: add an unknown flag, which must be
// refused; bit 7: repeat the text past the engine's 1 MiB block so that block cuts fall inside
// it), byte 1 = where past 1 MiB the repeated text ends, the rest = the text.
#include <string>
#include <unordered_map>

#include "fuzz_util.hpp"

namespace {

struct Word {
    std::string text;
    uint64_t count = 0;
    uint64_t first = 0;
    bool operator==(const Word& o) const {
        return text == o.text && count == o.count && first == o.first;
    }
};

struct Counts {
    hl_status status = HL_OK;
    std::size_t error_offset = 0;  // with HL_ERR_ENCODING
    std::vector<Word> words;
    uint64_t features = 0;
};

// ---- adapter: today's hl_word_count, which returns a packed hl_buffer (see hotloop.h) ----
// The one place that knows the result layout; adapt it when the API changes.
Counts hotloop_counts(const std::string& text, int flags) {
    Counts out;
    hl_buffer* buf = reinterpret_cast<hl_buffer*>(&out);  // garbage: must be overwritten
    out.status = hl_word_count(text.empty() ? nullptr : text.data(), text.size(), flags, &buf,
                               nullptr);
    if (out.status != HL_OK) {
        FUZZ_CHECK(buf == nullptr);
        if (out.status == HL_ERR_ENCODING) {
            const std::string message = hl_last_error_message();
            const std::size_t at = message.find("byte offset ");
            FUZZ_CHECK(at != std::string::npos);
            out.error_offset = std::stoull(message.substr(at + 12));
        }
        return out;
    }
    FUZZ_CHECK(buf != nullptr);
    FUZZ_CHECK(hl_buffer_dtype(buf) == HL_DTYPE_UINT8);
    const std::size_t length = hl_buffer_length(buf);
    FUZZ_CHECK(length >= 3 * sizeof(uint64_t));
    const auto* fields = static_cast<const uint64_t*>(hl_buffer_data(buf));
    const uint64_t n = fields[0], blob = fields[1];
    out.features = fields[2];
    FUZZ_CHECK(length == (3 + 2 * n) * sizeof(uint64_t) + blob);
    const char* p = reinterpret_cast<const char*>(fields + 3 + 2 * n);
    const char* end = p + blob;
    for (uint64_t i = 0; i < n; ++i) {
        const char* stop = p;
        while (stop < end && *stop != '\n') ++stop;
        out.words.push_back(Word{std::string(p, stop), fields[3 + i], fields[3 + n + i]});
        p = stop + (stop < end);
    }
    FUZZ_CHECK(p == end);
    hl_buffer_free(buf);
    return out;
}

// ---- reference ----

bool splits(uint32_t c, int flags) {
    if (c >= 0x1C && c <= 0x1F) return !(flags & HL_TEXT_KEEP_INFO_SEPARATORS);
    if (c == 0x180E) return (flags & HL_TEXT_SPLIT_MONGOLIAN_VOWEL_SEPARATOR) != 0;
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

// Decodes the character at t[i]: its code point and length, or length 0 if the sequence that
// starts there is malformed (Python reports every malformation at its first byte).
std::size_t decode(const std::string& t, std::size_t i, bool surrogates, uint32_t& cp) {
    const auto byte = [&](std::size_t k) { return static_cast<uint8_t>(t[k]); };
    const uint8_t b = byte(i);
    std::size_t len;
    uint32_t min;
    if (b < 0x80) {
        cp = b;
        return 1;
    } else if (b >= 0xC0 && b < 0xE0) {
        len = 2, min = 0x80, cp = b & 0x1F;
    } else if (b >= 0xE0 && b < 0xF0) {
        len = 3, min = 0x800, cp = b & 0x0F;
    } else if (b >= 0xF0 && b < 0xF8) {
        len = 4, min = 0x10000, cp = b & 0x07;
    } else {
        return 0;
    }
    if (i + len > t.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (byte(i + k) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF) return 0;
    if (cp >= 0xD800 && cp <= 0xDFFF && !surrogates) return 0;
    return len;
}

Counts reference_counts(const std::string& t, int flags) {
    Counts out;
    if (flags & ~63) {
        out.status = HL_ERR_INVALID_ARGUMENT;
        return out;
    }
    std::size_t i = 0;
    if ((flags & HL_TEXT_SKIP_BOM) && t.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;
    const std::size_t begin = i;
    std::unordered_map<std::string, std::size_t> index;
    std::size_t word_start = 0;
    bool in_word = false;
    auto end_word = [&](std::size_t end) {
        std::string w = t.substr(word_start, end - word_start);
        bool ascii = true;
        for (char c : w) ascii = ascii && static_cast<uint8_t>(c) < 0x80;
        if ((flags & HL_TEXT_LOWER_ASCII) && ascii)
            for (char& c : w)
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        auto found = index.emplace(w, out.words.size());
        if (found.second) out.words.push_back(Word{w, 0, word_start});
        ++out.words[found.first->second].count;
        in_word = false;
    };
    while (i < t.size()) {
        uint32_t cp = 0;
        const std::size_t len = decode(t, i, (flags & HL_TEXT_ALLOW_SURROGATES) != 0, cp);
        if (len == 0) {
            out.status = HL_ERR_ENCODING;
            out.error_offset = i;
            out.words.clear();
            return out;
        }
        if (splits(cp, flags)) {
            if (in_word) end_word(i);
        } else if (!in_word) {
            in_word = true;
            word_start = i;
        }
        i += len;
    }
    if (in_word) end_word(t.size());
    if (flags & HL_TEXT_REPORT_FEATURES) {
        for (std::size_t k = begin; k < t.size(); ++k) {
            const auto b = static_cast<uint8_t>(t[k]);
            if (b >= 0x80) out.features |= HL_TEXT_SAW_NON_ASCII;
            if (b >= 0x1C && b <= 0x1F) out.features |= HL_TEXT_SAW_INFO_SEPARATOR;
            if (t.compare(k, 3, "\xE1\xA0\x8E") == 0)
                out.features |= HL_TEXT_SAW_MONGOLIAN_VOWEL_SEPARATOR;
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const auto mode = in.take<uint8_t>();
    const auto extra = in.take<uint8_t>();
    const std::vector<uint8_t> bytes = in.bytes();
    std::string text(bytes.begin(), bytes.end());
    int flags = mode & 63;
    if (mode & 64) flags |= 64 << (extra % 26);  // a flag the library does not know
    if ((mode & 128) && extra % 8 == 0 && !text.empty()) {  // 1 in 16: slow
        const std::size_t target = (std::size_t(1) << 20) + std::size_t(extra) * 13;
        std::string repeated;
        repeated.reserve(target + text.size());
        while (repeated.size() < target) repeated += text;
        text.swap(repeated);
    }
    const Counts got = hotloop_counts(text, flags);
    const Counts want = reference_counts(text, flags);
    FUZZ_CHECK(got.status == want.status);
    if (want.status == HL_ERR_ENCODING) FUZZ_CHECK(got.error_offset == want.error_offset);
    FUZZ_CHECK(got.words == want.words);
    FUZZ_CHECK(got.features == want.features);
    return 0;
}
