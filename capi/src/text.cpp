// Word counting: the hl_word_table handle and its functions (contract: hotloop.h).
#include <algorithm>
#include <cstring>
#include <memory>

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

HL_API hl_status hl_word_table_count(const void* text, size_t n_units, int encoding, int flags,
                                     const char* casing, uint64_t part, hl_word_table** out,
                                     hl_control* ctl) {
    return hl_word_table_count_at(text, n_units, encoding, flags, casing, part, 0, out, ctl);
}

HL_API hl_status hl_word_table_count_at(const void* text, size_t n_units, int encoding, int flags,
                                        const char* casing, uint64_t part, uint64_t offset,
                                        hl_word_table** out, hl_control* ctl) {
    return guard(ctl, [&] {
        require(out, "out");
        *out = nullptr;
        if (n_units > 0) require(text, "text");
        const TextOptions options = options_of(flags, casing);
        *out = handle(count_words_at(text, n_units, encoding_of(encoding), options, part, offset,
                                     control_of(ctl)));
    });
}

HL_API hl_status hl_word_table_count_file(const char* path, uint64_t start, uint64_t end,
                                          int flags, const char* casing, uint64_t part,
                                          hl_word_table** out, hl_control* ctl) {
    return guard(ctl, [&] {
        require(out, "out");
        *out = nullptr;
        require(path, "path");
        const TextOptions options = options_of(flags, casing);
        *out = handle(count_words_in_file(path, start, end, options, part, control_of(ctl)));
    });
}

HL_API hl_status hl_word_table_merge(const hl_word_table* a, const hl_word_table* b,
                                     hl_word_table** out, hl_control* ctl) {
    return guard(ctl, [&] {
        require(out, "out");
        *out = nullptr;
        *out = handle(WordTable::merge(table_of(a), table_of(b), control_of(ctl)));
    });
}

HL_API hl_status hl_word_table_serialize(const hl_word_table* table, hl_buffer** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        const std::string bytes = table_of(table).serialize();
        Buffer buffer(DType::UInt8, bytes.size());
        if (!bytes.empty()) std::memcpy(buffer.as<char>(), bytes.data(), bytes.size());
        *out = release(std::move(buffer));
    });
}

HL_API hl_status hl_word_table_deserialize(const void* data, size_t n, hl_word_table** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        *out = handle(WordTable::deserialize(data, n));
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
    return guard(ctl, [&] {
        if (words) *words = nullptr;  // both NULL after any failure, as the header says
        if (counts) *counts = nullptr;
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
            std::unique_ptr<hl_buffer, void (*)(hl_buffer*)> held(release(std::move(blob)),
                                                                  hl_buffer_free);
            *counts = release(std::move(numbers));
            *words = held.release();
            return;
        }
        const std::vector<std::size_t> order = t.most_common(static_cast<std::size_t>(top));
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
        std::unique_ptr<hl_buffer, void (*)(hl_buffer*)> held(release(std::move(blob)),
                                                              hl_buffer_free);
        *counts = release(std::move(numbers));
        *words = held.release();
    });
}

HL_API void hl_word_table_destroy(hl_word_table* table) { delete table; }

}  // extern "C"
