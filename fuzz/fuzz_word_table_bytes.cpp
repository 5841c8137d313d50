// hl_word_table_from_bytes on untrusted bytes: arbitrary ones, and the bytes of a real table
// that are then damaged (fuzz::damage). Any bytes give HL_OK or HL_ERR_INVALID_ARGUMENT (*out
// NULL then), never a crash or UB; a real table reads back to the same bytes; an accepted table
// is usable: its entries, features and exports answer (export agrees with the entries), its
// bytes are a fixed point of to_bytes(from_bytes()), and merging it with itself and with a
// real table answers with a clean status (counts adding up when it succeeds).
//
// Input: byte 0 = mode (0: the rest is the record; 1: a real table of the rest's text, damaged;
// 2: the same, not damaged), byte 1 = part of the real table, byte 2 = top, then the damage
// and the text (UTF-8, malformed bytes replaced).
#include <string>

#include "fuzz_util.hpp"

namespace {

using Bytes = std::vector<uint8_t>;

// ---- adapter: today's hl_word_table_* ----
struct Table {
    hl_word_table* handle = nullptr;
    ~Table() { hl_word_table_destroy(handle); }
};

Bytes serialized(const hl_word_table* t) {
    hl_buffer* buf = nullptr;
    FUZZ_CHECK(hl_word_table_to_bytes(t, &buf) == HL_OK);
    FUZZ_CHECK(hl_buffer_dtype(buf) == HL_DTYPE_UINT8);
    const auto* p = static_cast<const uint8_t*>(hl_buffer_data(buf));
    Bytes out(p, p + hl_buffer_length(buf));
    hl_buffer_free(buf);
    return out;
}

struct Entry {
    std::string word;
    uint64_t count, part, offset;
};

std::vector<Entry> entries(const hl_word_table* t) {
    std::size_t n = 0;
    FUZZ_CHECK(hl_word_table_size(t, &n) == HL_OK);
    std::vector<Entry> out;
    for (std::size_t i = 0; i < n; ++i) {
        const char* word = nullptr;
        std::size_t length = 0;
        Entry e{};
        FUZZ_CHECK(hl_word_table_entry(t, i, &word, &length, &e.count, &e.part, &e.offset) == HL_OK);
        FUZZ_CHECK(length == 0 || word != nullptr);
        e.word.assign(word, length);
        out.push_back(e);
    }
    return out;
}

// Every word in first-occurrence order, as hl_word_table_export(top = -1) gives them.
void check_export(const hl_word_table* t, const std::vector<Entry>& es, int64_t top) {
    hl_buffer *words = nullptr, *counts = nullptr;
    FUZZ_CHECK(hl_word_table_export(t, top, &words, &counts, nullptr) == HL_OK);
    const std::size_t n = hl_buffer_length(counts);
    FUZZ_CHECK(n == (top < 0 || std::size_t(top) > es.size() ? es.size() : std::size_t(top)));
    if (top < 0) {
        std::string joined;
        for (std::size_t i = 0; i < es.size(); ++i) joined += (i ? "\n" : "") + es[i].word;
        const auto* w = static_cast<const char*>(hl_buffer_data(words));
        FUZZ_CHECK(std::string(w, w + hl_buffer_length(words)) == joined);
        const auto* c = static_cast<const uint64_t*>(hl_buffer_data(counts));
        for (std::size_t i = 0; i < n; ++i) FUZZ_CHECK(c[i] == es[i].count);
    }
    hl_buffer_free(words);
    hl_buffer_free(counts);
}

// a merged with b: a clean status, and on HL_OK every word's count is the sum of its counts.
void check_merge(const hl_word_table* a, const hl_word_table* b) {
    Table m;
    const hl_status s = hl_word_table_merge(a, b, &m.handle, nullptr);
    FUZZ_CHECK(fuzz::clean_status(s) || s == HL_ERR_OVERFLOW);
    if (s != HL_OK) {
        FUZZ_CHECK(m.handle == nullptr);
        return;
    }
    const std::vector<Entry> ea = entries(a), eb = entries(b), em = entries(m.handle);
    uint64_t total_in = 0, total_out = 0;
    bool wrapped = false;
    for (const Entry& e : ea) wrapped |= __builtin_add_overflow(total_in, e.count, &total_in);
    for (const Entry& e : eb) wrapped |= __builtin_add_overflow(total_in, e.count, &total_in);
    for (const Entry& e : em) wrapped |= __builtin_add_overflow(total_out, e.count, &total_out);
    if (!wrapped) FUZZ_CHECK(total_in == total_out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const auto mode = in.take<uint8_t>() % 3;
    const uint64_t part = in.take<uint8_t>();
    const int64_t top = in.take<uint8_t>() % 6;
    fuzz::Input damage_bytes = in;
    if (mode == 1) in.bytes(16);  // the damage reads from these 16 bytes (and what follows)

    // A real table of the text.
    const Bytes text = mode == 0 ? Bytes{} : in.bytes(4096);
    Table real;
    FUZZ_CHECK(hl_word_table_count(text.empty() ? nullptr : text.data(), text.size(), HL_TEXT_UTF8,
                                   HL_TEXT_ERRORS_REPLACE | HL_TEXT_REPORT_FEATURES, nullptr, part,
                                   &real.handle, nullptr) == HL_OK);
    Bytes record = mode == 0 ? in.bytes() : serialized(real.handle);
    if (mode == 1) fuzz::damage(damage_bytes, record);

    Table t;
    t.handle = reinterpret_cast<hl_word_table*>(&record);  // garbage: must be overwritten
    const hl_status s = hl_word_table_from_bytes(record.empty() ? nullptr : record.data(),
                                                  record.size(), &t.handle);
    FUZZ_CHECK(fuzz::clean_status(s));
    if (mode == 2) FUZZ_CHECK(s == HL_OK);
    if (s != HL_OK) {
        FUZZ_CHECK(t.handle == nullptr);
        return 0;
    }
    const std::vector<Entry> es = entries(t.handle);
    if (mode == 2) FUZZ_CHECK(serialized(t.handle) == record);
    int features = -1;
    FUZZ_CHECK(hl_word_table_features(t.handle, &features) == HL_OK);
    check_export(t.handle, es, -1);
    check_export(t.handle, es, top);
    const Bytes canonical = serialized(t.handle);
    Table again;
    FUZZ_CHECK(hl_word_table_from_bytes(canonical.data(), canonical.size(), &again.handle) == HL_OK);
    FUZZ_CHECK(serialized(again.handle) == canonical);
    check_merge(t.handle, t.handle);
    check_merge(t.handle, real.handle);
    check_merge(real.handle, t.handle);
    return 0;
}
