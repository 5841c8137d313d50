// hl_word_table_count on arbitrary code units of every encoding (UTF-8, Latin-1, UCS-2, UCS-4)
// under every flag combination, against a plain reference: a code-point decoder written from
// Python's rules (strict, "replace" with one U+FFFD per maximal invalid subpart, "ignore"),
// str.split()'s whitespace, ASCII lowercasing and a first-occurrence word table. Each table is
// also read back through hl_word_table_export (every word, and the most common few),
// serialized and deserialized to the same bytes, and (UTF-8) counted from a file in two byte
// ranges (hl_word_table_count_file) that merge (hl_word_table_merge) into the same table.
//
// Input: byte 0 = mode (bits 0-1: encoding; bit 2: repeat the text past the engine's 1 MiB
// block so that block cuts fall inside it; bit 3: count the file ranges), byte 1 = flags (the
// HL_TEXT_* bits as they are: bit 2 is unknown and must be refused, as must REPLACE with IGNORE),
// byte 2 = where the file is cut and how far past 1 MiB the repeated text ends, byte 3 = top,
// the rest = the text's code units.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <unordered_map>

#include "fuzz_text_reference.hpp"
#include "fuzz_util.hpp"

namespace {

struct Word {
    std::string text;
    uint64_t count = 0;
    uint64_t offset = 0;
    bool operator==(const Word& o) const {
        return text == o.text && count == o.count && offset == o.offset;
    }
};

struct Counts {
    hl_status status = HL_OK;
    std::size_t error_offset = 0;  // with HL_ERR_ENCODING
    std::vector<Word> words;
    int features = 0;
};

constexpr int kEncodings[4] = {HL_TEXT_UTF8, HL_TEXT_LATIN1, HL_TEXT_UCS2, HL_TEXT_UCS4};
std::size_t unit_size(int encoding) { return encoding == HL_TEXT_UCS4 ? 4 : encoding == HL_TEXT_UCS2 ? 2 : 1; }

// ---- adapter: today's hl_word_table_* ----
struct Table {
    hl_word_table* handle = nullptr;
    ~Table() { hl_word_table_destroy(handle); }
};

std::vector<Word> entries(const hl_word_table* t) {
    std::size_t n = 0;
    FUZZ_CHECK(hl_word_table_size(t, &n) == HL_OK);
    std::vector<Word> out;
    for (std::size_t i = 0; i < n; ++i) {
        const char* word = nullptr;
        std::size_t length = 0;
        uint64_t count = 0, part = 99, offset = 0;
        FUZZ_CHECK(hl_word_table_entry(t, i, &word, &length, &count, &part, &offset) == HL_OK);
        FUZZ_CHECK(part == 0);
        out.push_back(Word{std::string(word, length), count, offset});
    }
    FUZZ_CHECK(hl_word_table_entry(t, n, nullptr, nullptr, nullptr, nullptr, nullptr) ==
               HL_ERR_INVALID_ARGUMENT);
    return out;
}

std::vector<uint8_t> serialized(const hl_word_table* t) {
    hl_buffer* buf = nullptr;
    FUZZ_CHECK(hl_word_table_to_bytes(t, &buf) == HL_OK);
    FUZZ_CHECK(hl_buffer_dtype(buf) == HL_DTYPE_UINT8);
    const auto* p = static_cast<const uint8_t*>(hl_buffer_data(buf));
    std::vector<uint8_t> out(p, p + hl_buffer_length(buf));
    hl_buffer_free(buf);
    return out;
}

Counts hotloop_counts(const std::vector<uint8_t>& units, int encoding, int flags, Table& table) {
    Counts out;
    const std::size_t n = units.size() / unit_size(encoding);
    table.handle = reinterpret_cast<hl_word_table*>(&out);  // garbage: must be overwritten
    out.status = hl_word_table_count(n ? units.data() : nullptr, n, encoding, flags, nullptr, 0,
                                     &table.handle, nullptr);
    if (out.status != HL_OK) {
        FUZZ_CHECK(table.handle == nullptr);
        if (out.status == HL_ERR_ENCODING) {
            const std::string message = hl_last_error_message();
            const std::size_t at = message.find("byte offset ");
            FUZZ_CHECK(at != std::string::npos);
            out.error_offset = std::stoull(message.substr(at + 12));
        }
        return out;
    }
    out.words = entries(table.handle);
    FUZZ_CHECK(hl_word_table_features(table.handle, &out.features) == HL_OK);
    return out;
}

// The '\n'-separated pieces of a UINT8 buffer (n of them; none when n is 0); frees it.
std::vector<std::string> lines(hl_buffer* blob, std::size_t n) {
    FUZZ_CHECK(hl_buffer_dtype(blob) == HL_DTYPE_UINT8);
    const auto* b = static_cast<const char*>(hl_buffer_data(blob));
    std::vector<std::string> out;
    std::string line;
    for (std::size_t i = 0; i < hl_buffer_length(blob); ++i) {
        if (b[i] != '\n') {
            line += b[i];
            continue;
        }
        out.push_back(line);
        line.clear();
    }
    if (n) out.push_back(line);
    FUZZ_CHECK(out.size() == n);
    hl_buffer_free(blob);
    return out;
}

// hl_word_table_export_grouped's words put back in their places and joined, and its counts:
// what hl_word_table_export gives, if the groups are right (the ASCII words, and the others
// with their positions).
std::pair<std::string, std::vector<uint64_t>> grouped(const hl_word_table* t, int64_t top) {
    hl_buffer *words = nullptr, *others = nullptr, *others_at = nullptr, *counts = nullptr;
    FUZZ_CHECK(hl_word_table_export_grouped(t, top, &words, &others, &others_at, &counts,
                                            nullptr) == HL_OK);
    FUZZ_CHECK(hl_buffer_dtype(others_at) == HL_DTYPE_UINT64 && hl_buffer_dtype(counts) == HL_DTYPE_UINT64);
    const auto* at = static_cast<const uint64_t*>(hl_buffer_data(others_at));
    const std::size_t n_others = hl_buffer_length(others_at);
    const auto* c = static_cast<const uint64_t*>(hl_buffer_data(counts));
    std::pair<std::string, std::vector<uint64_t>> out{std::string(), std::vector<uint64_t>(c, c + hl_buffer_length(counts))};
    std::vector<std::string> all = lines(words, out.second.size());
    const std::vector<std::string> apart = lines(others, n_others);
    for (std::size_t k = 0; k < n_others; ++k) {
        FUZZ_CHECK(at[k] < all.size() && all[at[k]].empty() && (k == 0 || at[k] > at[k - 1]));
        all[at[k]] = apart[k];
    }
    for (std::size_t k = 0; k < all.size(); ++k) {
        bool ascii = true;
        for (char ch : all[k]) ascii = ascii && static_cast<unsigned char>(ch) < 0x80;
        FUZZ_CHECK(ascii == (std::find(at, at + n_others, k) == at + n_others));
        out.first += (k ? "\n" : "") + all[k];
    }
    hl_buffer_free(others_at);
    hl_buffer_free(counts);
    return out;
}

// The words and counts hl_word_table_export gives for `top`.
std::pair<std::string, std::vector<uint64_t>> exported(const hl_word_table* t, int64_t top) {
    hl_buffer *words = nullptr, *counts = nullptr;
    FUZZ_CHECK(hl_word_table_export(t, top, &words, &counts, nullptr) == HL_OK);
    FUZZ_CHECK(hl_buffer_dtype(words) == HL_DTYPE_UINT8 && hl_buffer_dtype(counts) == HL_DTYPE_UINT64);
    const auto* w = static_cast<const char*>(hl_buffer_data(words));
    const auto* c = static_cast<const uint64_t*>(hl_buffer_data(counts));
    std::pair<std::string, std::vector<uint64_t>> out{std::string(w, w + hl_buffer_length(words)),
                                                      std::vector<uint64_t>(c, c + hl_buffer_length(counts))};
    hl_buffer_free(words);
    hl_buffer_free(counts);
    FUZZ_CHECK(grouped(t, top) == out);
    return out;
}

// ---- reference ----

using fuzz::splits;
using fuzz::utf8;

// Decodes the UTF-8 sequence at t[i]: its length (code point in cp), or 0 if it is malformed,
// with `subpart` = the length of its maximal invalid subpart (what Python replaces by one
// U+FFFD and reports at its first byte).
std::size_t decode(const std::vector<uint8_t>& t, std::size_t i, bool surrogates, uint32_t& cp,
                   std::size_t& subpart) {
    const uint8_t b = t[i];
    subpart = 1;
    if (b < 0x80) {
        cp = b;
        return 1;
    }
    std::size_t len;
    uint8_t lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
        len = 2, cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3, cp = b & 0x0F;
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED && !surrogates) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4, cp = b & 0x07;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
    } else {
        return 0;  // invalid start byte
    }
    for (std::size_t k = 1; k < len; ++k) {
        const bool ok = i + k < t.size() && (k == 1 ? t[i + k] >= lo && t[i + k] <= hi
                                                    : (t[i + k] & 0xC0) == 0x80);
        if (!ok) {
            subpart = k;
            return 0;
        }
        cp = cp << 6 | (t[i + k] & 0x3F);
    }
    return len;
}

// A decoded character: code point and byte offset of its first unit in the part's UTF-8.
struct Char {
    uint32_t cp;
    uint64_t offset;
};

Counts reference_counts(const std::vector<uint8_t>& units, int encoding, int flags) {
    Counts out;
    constexpr int known = HL_TEXT_ALLOW_SURROGATES | HL_TEXT_SKIP_BOM | HL_TEXT_KEEP_INFO_SEPARATORS |
                          HL_TEXT_SPLIT_MONGOLIAN_VOWEL_SEPARATOR | HL_TEXT_REPORT_FEATURES |
                          HL_TEXT_ERRORS_REPLACE | HL_TEXT_ERRORS_IGNORE;
    if ((flags & ~known) ||
        ((flags & HL_TEXT_ERRORS_REPLACE) && (flags & HL_TEXT_ERRORS_IGNORE))) {
        out.status = HL_ERR_INVALID_ARGUMENT;
        return out;
    }
    std::vector<Char> chars;
    if (encoding == HL_TEXT_UTF8) {
        std::size_t i = 0;
        const bool bom = (flags & HL_TEXT_SKIP_BOM) && units.size() >= 3 && units[0] == 0xEF &&
                         units[1] == 0xBB && units[2] == 0xBF;
        if (bom) i = 3;
        for (std::size_t k = i; k < units.size(); ++k) {
            const uint8_t b = units[k];
            if (b >= 0x1C && b <= 0x1F) out.features |= HL_TEXT_SAW_INFO_SEPARATOR;
            if (b == 0xE1 && k + 2 < units.size() && units[k + 1] == 0xA0 && units[k + 2] == 0x8E)
                out.features |= HL_TEXT_SAW_MONGOLIAN_VOWEL_SEPARATOR;
        }
        while (i < units.size()) {
            uint32_t cp = 0;
            std::size_t subpart = 1;
            const std::size_t len = decode(units, i, (flags & HL_TEXT_ALLOW_SURROGATES) != 0, cp, subpart);
            if (len) {
                chars.push_back(Char{cp, i});
                i += len;
                continue;
            }
            if (flags & HL_TEXT_ERRORS_REPLACE) {
                chars.push_back(Char{0xFFFD, i});
            } else if (!(flags & HL_TEXT_ERRORS_IGNORE)) {
                out.status = HL_ERR_ENCODING;
                out.error_offset = i;
                return out;
            }
            i += subpart;
        }
        // Non-ASCII is a property of the decoded text: errors=ignore may drop every byte >= 0x80.
        for (const Char& c : chars)
            if (c.cp >= 0x80) out.features |= HL_TEXT_SAW_NON_ASCII;
    } else {
        const std::size_t size = unit_size(encoding), n = units.size() / size;
        uint64_t offset = 0;
        for (std::size_t i = 0; i < n; ++i) {
            uint32_t cp = 0;
            std::memcpy(&cp, units.data() + i * size, size);
            if (cp > 0x10FFFF) {
                out.status = HL_ERR_INVALID_ARGUMENT;
                return out;
            }
            chars.push_back(Char{cp, offset});
            offset += utf8(cp).size();
            if (cp >= 0x80) out.features |= HL_TEXT_SAW_NON_ASCII;
            if (cp >= 0x1C && cp <= 0x1F) out.features |= HL_TEXT_SAW_INFO_SEPARATOR;
            if (cp == 0x180E) out.features |= HL_TEXT_SAW_MONGOLIAN_VOWEL_SEPARATOR;
        }
    }
    if (!(flags & HL_TEXT_REPORT_FEATURES)) out.features = 0;
    std::unordered_map<std::string, std::size_t> index;
    std::string word;
    uint64_t start = 0;
    bool ascii = true;
    auto end_word = [&] {
        if (ascii)
            for (char& c : word)
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        auto found = index.emplace(word, out.words.size());
        if (found.second) out.words.push_back(Word{word, 0, start});
        ++out.words[found.first->second].count;
        word.clear();
        ascii = true;
    };
    for (const Char& c : chars) {
        if (splits(c.cp, flags)) {
            if (!word.empty()) end_word();
            continue;
        }
        if (word.empty()) start = c.offset;
        word += utf8(c.cp);
        ascii = ascii && c.cp < 0x80;
    }
    if (!word.empty()) end_word();
    return out;
}

// Counter.most_common(top) of the reference: count descending, ties in first-occurrence order.
std::vector<Word> most_common(std::vector<Word> words, std::size_t top) {
    std::stable_sort(words.begin(), words.end(),
                     [](const Word& a, const Word& b) { return a.count > b.count; });
    if (words.size() > top) words.resize(top);
    return words;
}

void check_export(const hl_word_table* t, const std::vector<Word>& words, int64_t top) {
    const std::vector<Word> want = top < 0 ? words : most_common(words, static_cast<std::size_t>(top));
    const auto got = exported(t, top);
    std::string joined;
    std::vector<uint64_t> counts;
    for (const Word& w : want) {
        if (!counts.empty()) joined += '\n';
        joined += w.text;
        counts.push_back(w.count);
    }
    FUZZ_CHECK(got.first == joined);
    FUZZ_CHECK(got.second == counts);
}

// The table of the file holding `units`, counted as the ranges [0, cut) and [cut, end) merged.
void check_file_ranges(const std::vector<uint8_t>& units, int flags, std::size_t cut,
                       const std::vector<uint8_t>& whole) {
    static const std::string path = "/tmp/hotloop-fuzz-word-count-" + std::to_string(getpid());
    FILE* f = std::fopen(path.c_str(), "wb");
    FUZZ_CHECK(f != nullptr);
    FUZZ_CHECK(std::fwrite(units.data(), 1, units.size(), f) == units.size());
    FUZZ_CHECK(std::fclose(f) == 0);
    Table a, b, merged, all;
    FUZZ_CHECK(hl_word_table_count_file(path.c_str(), 0, UINT64_MAX, flags, nullptr, 0, &all.handle, nullptr) == HL_OK);
    // A file that only starts a BOM (EF, EF BB) is empty text under HL_TEXT_SKIP_BOM, as
    // open(path, encoding="utf-8-sig").read() gives "" (the bytes' count decodes it as bytes).
    const bool bom_start = (flags & HL_TEXT_SKIP_BOM) && !units.empty() && units.size() < 3 &&
                           units[0] == 0xEF && (units.size() == 1 || units[1] == 0xBB);
    if (bom_start)
        FUZZ_CHECK(entries(all.handle).empty());
    else
        FUZZ_CHECK(serialized(all.handle) == whole);
    FUZZ_CHECK(hl_word_table_count_file(path.c_str(), 0, cut, flags, nullptr, 0, &a.handle, nullptr) == HL_OK);
    FUZZ_CHECK(hl_word_table_count_file(path.c_str(), cut, UINT64_MAX, flags, nullptr, 0, &b.handle, nullptr) == HL_OK);
    FUZZ_CHECK(hl_word_table_merge(b.handle, a.handle, &merged.handle, nullptr) == HL_OK);
    FUZZ_CHECK(entries(merged.handle) == entries(all.handle));
    std::remove(path.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const auto mode = in.take<uint8_t>();
    const int flags = in.take<uint8_t>();
    const auto extra = in.take<uint8_t>();
    const auto top_byte = in.take<uint8_t>();
    const int encoding = kEncodings[mode % 4];
    std::vector<uint8_t> units = in.bytes();
    units.resize(units.size() / unit_size(encoding) * unit_size(encoding));
    if ((mode & 4) && extra % 8 == 0 && !units.empty()) {  // 1 in 16 of these: slow
        const std::size_t target = (std::size_t(1) << 20) + std::size_t(extra) * 13 * unit_size(encoding);
        std::vector<uint8_t> repeated;
        repeated.reserve(target + units.size());
        while (repeated.size() < target) repeated.insert(repeated.end(), units.begin(), units.end());
        units.swap(repeated);
    }
    Table table;
    const Counts got = hotloop_counts(units, encoding, flags, table);
    const Counts want = reference_counts(units, encoding, flags);
    FUZZ_CHECK(got.status == want.status);
    if (want.status == HL_ERR_ENCODING) FUZZ_CHECK(got.error_offset == want.error_offset);
    if (got.status != HL_OK) return 0;
    FUZZ_CHECK(got.words == want.words);
    FUZZ_CHECK(got.features == want.features);

    check_export(table.handle, want.words, -1);
    check_export(table.handle, want.words, top_byte % 8);
    const std::vector<uint8_t> bytes = serialized(table.handle);
    Table copy;
    FUZZ_CHECK(hl_word_table_from_bytes(bytes.data(), bytes.size(), &copy.handle) == HL_OK);
    FUZZ_CHECK(serialized(copy.handle) == bytes);
    if (encoding == HL_TEXT_UTF8 && (mode & 8) && units.size() < 4096)
        check_file_ranges(units, flags, units.empty() ? 0 : extra % (units.size() + 1), bytes);
    return 0;
}
