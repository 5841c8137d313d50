// Word counting: the hl_word_table handle and its functions (contract: hotloop.h).
#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "boundary.hpp"
#include "hotloop/text.hpp"

// The handle: an immutable engine table.
struct hl_word_table_s {
    hotloop::WordTable table;
};

using namespace hotloop;
using namespace hotloop::capi;

namespace {

static_assert(kSawNonAscii == HL_TEXT_SAW_NON_ASCII && kSawInfoSeparator == HL_TEXT_SAW_INFO_SEPARATOR &&
                  kSawMongolianVowelSeparator == HL_TEXT_SAW_MONGOLIAN_VOWEL_SEPARATOR,
              "the engine's feature bits are the C API's");

// The first byte >= 0x80 of [p, end), or end.
const char* find_non_ascii(const char* p, const char* end) noexcept {
    for (; end - p >= 32; p += 32) {
        uint64_t x[4];
        std::memcpy(x, p, sizeof x);
        if ((x[0] | x[1] | x[2] | x[3]) & 0x8080808080808080u) break;
    }
    for (; p < end; ++p)
        if (static_cast<unsigned char>(*p) >= 0x80) return p;
    return end;
}

bool is_ascii(std::string_view word) noexcept {
    return find_non_ascii(word.data(), word.data() + word.size()) == word.data() + word.size();
}

// The words of the table holding a byte >= 0x80, ascending: its joined words are scanned, and
// each hit is mapped to its word by a galloping search of the words' starts from the previous
// hit's word. A binary search of all the starts cost ~20 cache misses a hit: with a non-ASCII
// word in every 4 (asc1m) export took 14x as long as for ASCII words (77 against 5.6 ms); the
// gallop reads the few entries between two hits, in order.
std::vector<std::size_t> non_ascii_words(const WordTable& t) {
    std::vector<std::size_t> found;
    const std::string_view all = t.words_joined();
    const char* p = all.data();
    while ((p = find_non_ascii(p, all.data() + all.size())) != all.data() + all.size()) {
        const auto at = static_cast<uint64_t>(p - all.data());
        std::size_t lo = found.empty() ? 0 : found.back() + 1;  // at(lo) <= at
        std::size_t step = 1;
        while (lo + step < t.size() && t.entry(lo + step).at <= at) {
            lo += step;
            step *= 2;
        }
        std::size_t hi = std::min(t.size(), lo + step);  // at(hi) > at, or hi == size
        while (hi - lo > 1) {
            const std::size_t mid = lo + (hi - lo) / 2;
            (t.entry(mid).at <= at ? lo : hi) = mid;
        }
        found.push_back(lo);
        p = all.data() + t.entry(lo).at + t.entry(lo).length;
    }
    return found;
}

// hl_word_table_export_grouped's four buffers. Two groups because Python turns one all-ASCII
// blob into words faster than a blob holding one non-ASCII character: decoding it takes a
// second pass, into the wider str kind that every word split from it must then narrow.
struct Grouped {
    Buffer ascii, others, others_at, counts;

    // The whole table, in order: the runs of ASCII words are copied whole.
    explicit Grouped(const WordTable& t) {
        const std::vector<std::size_t> found = non_ascii_words(t);
        std::size_t found_bytes = 0;
        for (std::size_t k : found) found_bytes += t.word(k).size();
        const std::string_view all = t.words_joined();
        allocate(t.size(), all.empty() ? 0 : all.size() - 1 - found_bytes, found_bytes, found.size());
        char* a = ascii.as<char>();
        char* o = others.as<char>();
        std::size_t from = 0;
        for (std::size_t k : found) {
            const WordTable::Entry& e = t.entry(k);
            a = copy(a, all.substr(from, e.at - from));
            o = append(o, t.word(k));
            from = e.at + e.length;
        }
        if (!all.empty()) copy(a, all.substr(from, all.size() - 1 - from));
        std::copy(found.begin(), found.end(), others_at.as<uint64_t>());
        auto* c = counts.as<uint64_t>();
        for (std::size_t i = 0; i < t.size(); ++i) c[i] = t.entry(i).count;
    }

    // The words `order` lists (few: a top k), word by word.
    Grouped(const WordTable& t, const std::vector<std::size_t>& order) {
        const std::size_t n = order.size();
        std::size_t all_bytes = 0, found_bytes = 0, n_found = 0;
        for (std::size_t i : order) {
            const std::string_view w = t.word(i);
            all_bytes += w.size();
            if (!is_ascii(w)) found_bytes += w.size(), ++n_found;
        }
        allocate(n, all_bytes - found_bytes + (n ? n - 1 : 0), found_bytes, n_found);
        char* a = ascii.as<char>();
        char* o = others.as<char>();
        auto* at = others_at.as<uint64_t>();
        auto* c = counts.as<uint64_t>();
        for (std::size_t k = 0; k < n; ++k) {
            const std::string_view w = t.word(order[k]);
            c[k] = t.entry(order[k]).count;
            if (k) *a++ = '\n';
            if (is_ascii(w)) {
                a = copy(a, w);
            } else {
                o = append(o, w);
                *at++ = k;
            }
        }
    }

private:
    void allocate(std::size_t n, std::size_t ascii_bytes, std::size_t found_bytes,
                  std::size_t n_found) {
        ascii = Buffer(DType::UInt8, ascii_bytes);
        others = Buffer(DType::UInt8, found_bytes + (n_found ? n_found - 1 : 0));
        others_at = Buffer(DType::UInt64, n_found);
        counts = Buffer(DType::UInt64, n);
    }
    static char* copy(char* to, std::string_view bytes) {
        if (!bytes.empty()) std::memcpy(to, bytes.data(), bytes.size());
        return to + bytes.size();
    }
    // Copies a word into others, after a '\n' unless it is the first.
    char* append(char* to, std::string_view word) {
        if (to != others.as<char>()) *to++ = '\n';
        return copy(to, word);
    }
};

// Hands engine buffers to the caller's out-parameters, all or none: if one cannot be made,
// those already made are freed (and the out-parameters stay NULL).
void release_all(std::initializer_list<std::pair<hl_buffer**, Buffer*>> outs) {
    std::vector<std::unique_ptr<hl_buffer, void (*)(hl_buffer*)>> held;
    held.reserve(outs.size());
    for (const auto& out : outs) held.emplace_back(release(std::move(*out.second)), hl_buffer_free);
    std::size_t i = 0;
    for (const auto& out : outs) *out.first = held[i++].release();
}

TextOptions options_of(int flags, const char* casing) {
    constexpr int known = HL_TEXT_ALLOW_SURROGATES | HL_TEXT_SKIP_BOM |
                          HL_TEXT_KEEP_INFO_SEPARATORS | HL_TEXT_SPLIT_MONGOLIAN_VOWEL_SEPARATOR |
                          HL_TEXT_REPORT_FEATURES | HL_TEXT_ERRORS_REPLACE | HL_TEXT_ERRORS_IGNORE;
    if (flags & ~known)
        fail(ErrorKind::InvalidArgument, "unknown text flags " + std::to_string(flags));
    if ((flags & HL_TEXT_ERRORS_REPLACE) && (flags & HL_TEXT_ERRORS_IGNORE))
        fail(ErrorKind::InvalidArgument, "HL_TEXT_ERRORS_REPLACE and HL_TEXT_ERRORS_IGNORE together");
    TextOptions options;
    options.allow_surrogates = (flags & HL_TEXT_ALLOW_SURROGATES) != 0;
    options.skip_bom = (flags & HL_TEXT_SKIP_BOM) != 0;
    options.info_separators_split = (flags & HL_TEXT_KEEP_INFO_SEPARATORS) == 0;
    options.mongolian_vowel_separator_splits =
        (flags & HL_TEXT_SPLIT_MONGOLIAN_VOWEL_SEPARATOR) != 0;
    options.report_features = (flags & HL_TEXT_REPORT_FEATURES) != 0;
    options.errors = (flags & HL_TEXT_ERRORS_REPLACE)  ? DecodeErrors::Replace
                     : (flags & HL_TEXT_ERRORS_IGNORE) ? DecodeErrors::Ignore
                                                       : DecodeErrors::Strict;
    if (casing != nullptr && casing[0] != '\0') {
        options.casing = find_case_table(casing);
        if (options.casing == nullptr)
            fail(ErrorKind::InvalidArgument,
                 std::string("no case table for Unicode version '") + casing + "'");
    }
    return options;
}

TextEncoding encoding_of(int encoding) {
    switch (encoding) {
        case HL_TEXT_UTF8: return TextEncoding::Utf8;
        case HL_TEXT_LATIN1: return TextEncoding::Latin1;
        case HL_TEXT_UCS2: return TextEncoding::Ucs2;
        case HL_TEXT_UCS4: return TextEncoding::Ucs4;
        default: fail(ErrorKind::InvalidArgument, "unknown text encoding " + std::to_string(encoding));
    }
}

hl_word_table* handle(WordTable&& table) {
    return new hl_word_table_s{std::move(table)};
}

const WordTable& table_of(const hl_word_table* t) { return require(t, "table")->table; }

// The body of hl_word_table_count and hl_word_table_count_at (each runs it in guard(ctl, ...)).
void count_at(const void* text, size_t n_units, int encoding, int flags, const char* casing,
              uint64_t part, uint64_t offset, hl_word_table** out, hl_control* ctl) {
    require(out, "out");
    if (n_units > 0) require(text, "text");
    const TextOptions options = options_of(flags, casing);
    *out = handle(count_words_at(text, n_units, encoding_of(encoding), options, part, offset,
                                 control_of(ctl)));
}

}  // namespace

extern "C" {

HL_API hl_status hl_text_casing_available(const char* unicode_version, int* out) {
    return guard([&] {
        require(out, "out");
        *out = find_case_table(require(unicode_version, "unicode_version")) != nullptr;
    });
}

HL_API hl_status hl_text_whitespace(int flags, uint32_t* out, size_t capacity, size_t* n) {
    return guard([&] {
        require(n, "n");
        if (capacity > 0) require(out, "out");
        std::size_t count = 0;
        for (char32_t c : splitting_whitespace(options_of(flags, nullptr))) {
            if (count < capacity) out[count] = c;
            ++count;
        }
        *n = count;
    });
}

HL_API hl_status hl_text_long_words(const void* text, size_t n_units, int encoding, int flags,
                                    const char* casing, size_t max_words, uint64_t* out,
                                    size_t capacity, size_t* n) {
    return guard([&] {
        require(n, "n");
        if (n_units > 0) require(text, "text");
        if (capacity > 0) require(out, "out");
        const TextEncoding e = encoding_of(encoding);
        if (e == TextEncoding::Utf8)
            fail(ErrorKind::InvalidArgument,
                 "hl_text_long_words reads a str's code units, not UTF-8");
        const std::size_t unit = e == TextEncoding::Ucs2 ? 2 : e == TextEncoding::Ucs4 ? 4 : 1;
        if (n_units > SIZE_MAX / unit) fail(ErrorKind::InvalidArgument, "text larger than memory");
        const TextOptions options = options_of(flags, casing);
        if (options.casing == nullptr)
            fail(ErrorKind::InvalidArgument, "hl_text_long_words needs a casing");
        std::vector<LongWord> words;
        if (!long_words(text, n_units, e, options, max_words, words)) {
            *n = SIZE_MAX;
            return;
        }
        if (words.size() > capacity)
            fail(ErrorKind::InvalidArgument, "out has room for " + std::to_string(capacity) +
                                                 " words, the text has " +
                                                 std::to_string(words.size()));
        for (std::size_t i = 0; i < words.size(); ++i) {
            out[4 * i] = words[i].begin;
            out[4 * i + 1] = words[i].end;
            out[4 * i + 2] = words[i].count;
            out[4 * i + 3] = words[i].lowers_to_itself ? 1 : 0;
        }
        *n = words.size();
    });
}

HL_API hl_status hl_text_lower_ascii(const void* text, size_t n, void* out) {
    return guard([&] {
        if (n == 0) return;
        lower_ascii(static_cast<const uint8_t*>(require(text, "text")), n,
                    static_cast<uint8_t*>(require(out, "out")));
    });
}

HL_API hl_status hl_word_table_count(const void* text, size_t n_units, int encoding, int flags,
                                     const char* casing, uint64_t part, hl_word_table** out,
                                     hl_control* ctl) {
    clear_outputs(out);
    return guard(ctl, [&] { count_at(text, n_units, encoding, flags, casing, part, 0, out, ctl); });
}

HL_API hl_status hl_word_table_count_at(const void* text, size_t n_units, int encoding, int flags,
                                        const char* casing, uint64_t part, uint64_t offset,
                                        hl_word_table** out, hl_control* ctl) {
    clear_outputs(out);
    return guard(ctl, [&] {
        count_at(text, n_units, encoding, flags, casing, part, offset, out, ctl);
    });
}

HL_API hl_status hl_word_table_count_file(const char* path, uint64_t start, uint64_t end,
                                          int flags, const char* casing, uint64_t part,
                                          hl_word_table** out, hl_control* ctl) {
    clear_outputs(out);
    return guard(ctl, [&] {
        require(out, "out");
        require(path, "path");
        const TextOptions options = options_of(flags, casing);
        *out = handle(count_words_in_file(path, start, end, options, part, control_of(ctl)));
    });
}

HL_API hl_status hl_word_table_merge(const hl_word_table* a, const hl_word_table* b,
                                     hl_word_table** out, hl_control* ctl) {
    clear_outputs(out);
    return guard(ctl, [&] {
        require(out, "out");
        *out = handle(WordTable::merge(table_of(a), table_of(b), control_of(ctl)));
    });
}

HL_API hl_status hl_word_table_to_bytes(const hl_word_table* table, hl_buffer** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        const std::string bytes = table_of(table).to_bytes();
        Buffer buffer(DType::UInt8, bytes.size());
        if (!bytes.empty()) std::memcpy(buffer.as<char>(), bytes.data(), bytes.size());
        *out = release(std::move(buffer));
    });
}

HL_API hl_status hl_word_table_from_bytes(const void* data, size_t n, hl_word_table** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        *out = handle(WordTable::from_bytes(data, n));
    });
}

HL_API hl_status hl_word_table_size(const hl_word_table* table, size_t* out) {
    return guard([&] { *require(out, "out") = table_of(table).size(); });
}

HL_API hl_status hl_word_table_features(const hl_word_table* table, int* out) {
    return guard([&] { *require(out, "out") = static_cast<int>(table_of(table).features()); });
}

HL_API hl_status hl_word_table_spans(const hl_word_table* table, uint64_t* out, size_t capacity,
                                     size_t* n) {
    return guard([&] {
        const WordTable& t = table_of(table);
        require(n, "n");
        if (capacity > 0) require(out, "out");
        const std::size_t count = t.spans().size();
        for (std::size_t i = 0; i < std::min(capacity, count); ++i) {
            const WordTable::Span& s = t.spans()[i];
            out[3 * i] = s.part;
            out[3 * i + 1] = s.begin;
            out[3 * i + 2] = s.end;
        }
        *n = count;
    });
}

HL_API hl_status hl_word_table_entry(const hl_word_table* table, size_t i, const char** word,
                                     size_t* length, uint64_t* count, uint64_t* part,
                                     uint64_t* offset) {
    return guard([&] {
        const WordTable& t = table_of(table);
        require(word, "word");
        if (i >= t.size())
            fail(ErrorKind::InvalidArgument, "word index " + std::to_string(i) +
                                                 " out of range (the table has " +
                                                 std::to_string(t.size()) + " words)");
        const WordTable::Entry& e = t.entry(i);
        *word = t.word(i).data();
        if (length) *length = static_cast<size_t>(e.length);
        if (count) *count = e.count;
        if (part) *part = e.part;
        if (offset) *offset = e.offset;
    });
}

HL_API hl_status hl_word_table_export(const hl_word_table* table, int64_t top, hl_buffer** words,
                                      hl_buffer** counts, hl_control* ctl) {
    clear_outputs(words, counts);  // both NULL after any failure, as the header says
    return guard(ctl, [&] {
        require(words, "words");
        require(counts, "counts");
        const WordTable& t = table_of(table);
        if (ctl) ctl->control.check();  // a cancel is sticky: refused before any work
        if (top < 0) {  // all words, in order: the table's own layout
            const std::string_view joined = t.words_joined();
            Buffer blob(DType::UInt8, joined.empty() ? 0 : joined.size() - 1);
            Buffer numbers(DType::UInt64, t.size());
            if (blob.length()) std::memcpy(blob.as<char>(), joined.data(), blob.length());
            auto* c = numbers.as<uint64_t>();
            for (std::size_t i = 0; i < t.size(); ++i) c[i] = t.entry(i).count;
            release_all({{words, &blob}, {counts, &numbers}});
            return;
        }
        const std::vector<std::size_t> order =
            t.most_common(static_cast<std::size_t>(top), control_of(ctl));
        if (ctl) ctl->control.check();
        std::size_t total = order.empty() ? 0 : order.size() - 1;
        for (std::size_t i : order) total += static_cast<std::size_t>(t.entry(i).length);
        Buffer blob(DType::UInt8, total);
        Buffer numbers(DType::UInt64, order.size());
        char* w = blob.as<char>();
        auto* c = numbers.as<uint64_t>();
        for (std::size_t k = 0; k < order.size(); ++k) {
            const WordTable::Entry& e = t.entry(order[k]);
            if (k) *w++ = '\n';
            std::memcpy(w, t.word(order[k]).data(), static_cast<std::size_t>(e.length));
            w += e.length;
            c[k] = e.count;
        }
        release_all({{words, &blob}, {counts, &numbers}});
    });
}

HL_API hl_status hl_word_table_export_grouped(const hl_word_table* table, int64_t top,
                                              hl_buffer** words, hl_buffer** others,
                                              hl_buffer** others_at, hl_buffer** counts,
                                              hl_control* ctl) {
    clear_outputs(words, others, others_at, counts);  // all NULL after any failure
    return guard(ctl, [&] {
        require(words, "words");
        require(others, "others");
        require(others_at, "others_at");
        require(counts, "counts");
        const WordTable& t = table_of(table);
        if (ctl) ctl->control.check();  // a cancel is sticky: refused before any work
        Grouped g = top < 0 ? Grouped(t)
                            : Grouped(t, t.most_common(static_cast<std::size_t>(top),
                                                       control_of(ctl)));
        release_all({{words, &g.ascii}, {others, &g.others}, {others_at, &g.others_at},
                     {counts, &g.counts}});
    });
}

HL_API void hl_word_table_destroy(hl_word_table* table) { delete table; }

}  // extern "C"
