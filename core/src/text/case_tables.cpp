// The generated case tables and the lowering they drive: CPython's lower() with its final-sigma
// rule (Objects/unicodeobject.c, handle_capital_sigma), which PyPy follows too.
#include "case_tables.hpp"

#include <algorithm>
#include <cstring>

#include "hotloop/text.hpp"
#include "utf8.hpp"

namespace hotloop {
namespace {

#include "case_tables/all.inc"  // namespaces unicode_X_Y_Z, each with its `table`

const CaseTable* const kTables[] = {HL_ALL_CASE_TABLES};

// Whether c lies in one of the n sorted [first, last] pairs.
bool in_ranges(const uint32_t* pairs, std::size_t n, char32_t c) noexcept {
    std::size_t lo = 0, hi = n;  // first pair whose `first` is > c
    while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (pairs[2 * mid] <= c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && c <= pairs[2 * (lo - 1) + 1];
}

// The single code point lowercase of c (c itself when unmapped).
char32_t lower_single(const CaseTable& t, char32_t c) noexcept {
    std::size_t lo = 0, hi = t.n_runs;
    while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (t.runs[4 * mid] <= c)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0) return c;
    const uint32_t* r = t.runs + 4 * (lo - 1);
    if (c > r[1] || (c - r[0]) % r[2] != 0) return c;
    return static_cast<char32_t>(static_cast<int64_t>(c) + static_cast<int32_t>(r[3]));
}

const uint32_t* lower_multi(const CaseTable& t, char32_t c) noexcept {
    for (std::size_t i = 0; i < t.n_multi; ++i)
        if (t.multi[5 * i] == c) return t.multi + 5 * i;
    return nullptr;
}

}  // namespace

bool case_ignorable(const CaseTable& table, char32_t c) noexcept {
    return in_ranges(table.ignorable, table.n_ignorable, c);
}

bool cased(const CaseTable& table, char32_t c) noexcept {
    return in_ranges(table.cased, table.n_cased, c);
}

const CaseTable* find_case_table(const std::string& unicode_version) noexcept {
    for (const CaseTable* t : kTables)
        if (unicode_version == t->unicode_version) return t;
    return nullptr;
}

namespace {

// The lowercase of the code points below U+0800 (1- and 2-byte UTF-8) when it is one code point
// below U+0800 and not context-dependent: a word made of those is lowered by lookups alone.
// kSlow marks the others (capital sigma, multi code point mappings, lowercase above U+07FF).
// The general path looks the same code points up there, and their final-sigma classes.
// Beside them, the 3-byte code points (U+0800..U+FFFF) that lower to themselves: CJK, kana,
// Hangul, most punctuation and symbols. They are copied as they are; without this, each was
// looked up in the list of multi code point mappings and the runs (that lowering was 41% of
// the count of Chinese text).
constexpr uint16_t kSlow = 0xFFFF;
constexpr uint8_t kIgnorable = 1, kCased = 2;
struct ShortLower {
    uint16_t of[0x800];
    uint8_t kind[0x800];  // kIgnorable, kCased or 0
    uint64_t same[0x10000 / 64];  // bit c: c in U+0800..U+FFFF lowers to itself

    bool lowers_to_itself(char32_t c) const noexcept { return same[c >> 6] >> (c & 63) & 1; }
};

ShortLower make_short_lower(const CaseTable& t) {
    ShortLower m;
    for (char32_t c = 0; c < 0x800; ++c) {
        const char32_t low = lower_single(t, c);
        m.of[c] = c == 0x3A3 || lower_multi(t, c) != nullptr || low >= 0x800
                      ? kSlow
                      : static_cast<uint16_t>(low);
        m.kind[c] = case_ignorable(t, c) ? kIgnorable : cased(t, c) ? kCased : 0;
    }
    // Every code point of U+0800..U+FFFF, but those a mapping moves (any run, any multi).
    std::fill(std::begin(m.same), std::end(m.same), ~uint64_t(0));
    std::fill(m.same, m.same + 0x800 / 64, uint64_t(0));
    auto moved = [&](char32_t c) {
        if (c < 0x10000) m.same[c >> 6] &= ~(uint64_t(1) << (c & 63));
    };
    for (std::size_t i = 0; i < t.n_runs; ++i) {
        const uint32_t* r = t.runs + 4 * i;  // first, last, step, delta
        for (char32_t c = r[0]; c <= r[1] && c < 0x10000; c += std::max<uint32_t>(r[2], 1))
            moved(c);
    }
    for (std::size_t i = 0; i < t.n_multi; ++i) moved(t.multi[5 * i]);
    return m;
}

const ShortLower& short_lower(const CaseTable& t) {
    static const std::vector<ShortLower> all = [] {
        std::vector<ShortLower> v;
        for (const CaseTable* table : kTables) v.push_back(make_short_lower(*table));
        return v;
    }();
    std::size_t i = 0;
    while (kTables[i] != &t) ++i;
    return all[i];
}

// Code points that no case table maps (checked against every table by the tests): below 'A',
// '['..U+00BF, and U+3040..U+A63F (kana, CJK, Hangul compatibility jamo, Yi, Lisu, Vai).
// Branchless, so that the loop over a chunk vectorizes.
// In the units' own width (a 1-byte unit is never in the CJK range), so that 16 or 8 units go
// through each vector operation rather than 4.
template <class U>
constexpr bool surely_unmapped(U c) noexcept {
    bool low = (c < U(0x41)) | (U(c - U(0x5B)) < U(0xC0 - 0x5B));
    if constexpr (sizeof(U) > 1) low |= U(c - U(0x3040)) < U(0xA640 - 0x3040);
    return low;
}

bool unit_lowers_to_itself(const CaseTable& t, const ShortLower& m, char32_t c) noexcept {
    if (c < 0x800) return m.of[c] == c;  // kSlow (capital sigma, multi mappings) is not c
    if (c < 0x10000) return m.lowers_to_itself(c);
    return lower_single(t, c) == c && lower_multi(t, c) == nullptr;
}

template <class U>
bool units_lower_to_themselves(const CaseTable& t, const U* units, std::size_t n) noexcept {
    const ShortLower& m = short_lower(t);
    constexpr std::size_t kChunk = 64;
    for (std::size_t i = 0; i < n; i += kChunk) {
        const std::size_t end = n - i < kChunk ? n : i + kChunk;
        U outside = 0;  // nonzero if a unit may be mapped (bitwise: the loop vectorizes)
        for (std::size_t k = i; k < end; ++k) outside |= U(!surely_unmapped(units[k]));
        if (!outside) continue;
        for (std::size_t k = i; k < end; ++k)
            if (!unit_lowers_to_itself(t, m, units[k])) return false;
    }
    return true;
}

// Appends the lowercase of the word's longest prefix of characters below U+0800 that short_lower
// maps to characters of the same UTF-8 length, and of 3-byte ones that lower to themselves
// (written in place: no per-character append), and returns that prefix's length in bytes; the
// general path goes on from there.
std::size_t lower_short(const ShortLower& m, const uint8_t* word, std::size_t length,
                        detail::PodArray<uint8_t>& out) {
    const std::size_t at = out.size();
    out.resize(at + length);  // each character lowers to one of the same UTF-8 length
    uint8_t* o = out.data() + at;
    std::size_t i = 0;
    while (i < length) {
        const uint8_t b = word[i];
        if (b < 0x80) {
            o[i] = static_cast<uint8_t>(b >= 'A' && b <= 'Z' ? b + 32 : b);
            ++i;
            continue;
        }
        if ((b & 0xF0) == 0xE0 && i + 2 < length) {  // 3 bytes: copied if it lowers to itself
            if (!m.lowers_to_itself(utf8::code_point(word + i, 3))) break;
            std::memcpy(o + i, word + i, 3);
            i += 3;
            continue;
        }
        if ((b & 0xE0) != 0xC0 || i + 1 >= length) break;
        const uint16_t low = m.of[char32_t(b & 0x1F) << 6 | (word[i + 1] & 0x3F)];
        if (low == kSlow || low < 0x80) break;  // an ASCII lowercase would change the length
        o[i] = static_cast<uint8_t>(0xC0 | (low >> 6));
        o[i + 1] = static_cast<uint8_t>(0x80 | (low & 0x3F));
        i += 2;
    }
    out.resize(at + i);
    return i;
}

// Appends code points to an array as UTF-8 through a buffer of its own: one append per few KiB.
// Appending each character of a word of megabytes on its own (a memcpy call each) was a third
// of its lowering.
class Utf8Sink {
public:
    explicit Utf8Sink(detail::PodArray<uint8_t>& out) : out_(out) {}
    void put(char32_t c) {
        if (n_ > sizeof(buffer_) - 4) flush();
        n_ += static_cast<std::size_t>(utf8::encode(c, buffer_ + n_));
    }
    void flush() {
        out_.append(buffer_, n_);
        n_ = 0;
    }

private:
    detail::PodArray<uint8_t>& out_;
    uint8_t buffer_[4096];
    std::size_t n_ = 0;
};

// The code points of a valid UTF-8 word (surrogates allowed), read in place: the lowering of
// a word of megabytes needs no array of its code points.
struct CodePoints {
    const uint8_t* p;
    std::size_t n;
    utf8::Rules rules;

    CodePoints(const uint8_t* word, std::size_t length) : p(word), n(length) {
        rules.surrogates = true;
    }
    // The code point at byte i, and its length in bytes. The word is valid: a byte below 0x80
    // is a character, and a lead byte 110xxxxx is followed by its one continuation byte.
    char32_t at(std::size_t i, int& length) const noexcept {
        if (p[i] < 0x80) {
            length = 1;
            return p[i];
        }
        if ((p[i] & 0xE0) == 0xC0) {
            length = 2;
            return utf8::code_point(p + i, 2);
        }
        if ((p[i] & 0xF0) == 0xE0) {  // followed by its two continuation bytes
            length = 3;
            return utf8::code_point(p + i, 3);
        }
        length = utf8::decode(p + i, p + n, rules).length;
        return utf8::code_point(p + i, length);
    }
    // The start of the character that ends at byte i (0 < i).
    std::size_t before(std::size_t i) const noexcept {
        if (p[i - 1] < 0x80) return i - 1;
        if (i >= 2 && (p[i - 2] & 0xE0) == 0xC0) return i - 2;
        return utf8::unit_before(p, n, i, rules);
    }
};

// Whether the capital sigma at byte i (2 bytes) is final (CPython's handle_capital_sigma).
bool final_sigma(const CaseTable& t, const ShortLower& m, const CodePoints& w, std::size_t i,
                 Beyond before, Beyond after) noexcept {
    auto kind = [&](char32_t c) {
        if (c < 0x800) return m.kind[c];
        return case_ignorable(t, c) ? kIgnorable : cased(t, c) ? kCased : uint8_t(0);
    };
    int length;
    uint8_t k = kIgnorable;  // of the nearest character before that is not case-ignorable
    std::size_t j = i;
    while (j > 0 && k == kIgnorable) {
        j = w.before(j);
        k = kind(w.at(j, length));
    }
    if (k == kIgnorable ? before != Beyond::Cased : k != kCased) return false;
    k = kIgnorable;  // the same after
    for (j = i + 2; j < w.n && k == kIgnorable; j += static_cast<std::size_t>(length))
        k = kind(w.at(j, length));
    return k == kIgnorable ? after != Beyond::Cased : k != kCased;
}

}  // namespace

void lower_utf8(const CaseTable& table, const uint8_t* word, std::size_t length, std::size_t from,
                std::size_t to, Beyond before, Beyond after, detail::PodArray<uint8_t>& out) {
    const ShortLower& m = short_lower(table);
    std::size_t i = from + lower_short(m, word + from, to - from, out);
    if (i == to) return;
    // No out.reserve here: PodArray reserves exactly, and a slice of words lowered one after
    // another would be copied whole at each. lower_short's resize left room for the usual size.
    const CodePoints w(word, length);
    Utf8Sink sink(out);
    int n;
    for (; i < to; i += static_cast<std::size_t>(n)) {
        const char32_t c = w.at(i, n);
        if (c < 0x80) {
            sink.put(c >= 'A' && c <= 'Z' ? c + 32 : c);
        } else if (c < 0x800 ? m.of[c] != kSlow : c < 0x10000 && m.lowers_to_itself(c)) {
            sink.put(c < 0x800 ? m.of[c] : c);
        } else if (c == 0x3A3) {
            sink.put(final_sigma(table, m, w, i, before, after) ? 0x3C2 : 0x3C3);
        } else if (const uint32_t* multi = lower_multi(table, c)) {
            for (uint32_t k = 0; k < multi[1]; ++k) sink.put(multi[2 + k]);
        } else {
            sink.put(lower_single(table, c));
        }
    }
    sink.flush();
}

bool lowers_to_itself(const CaseTable& table, const uint8_t* units, std::size_t n) noexcept {
    return units_lower_to_themselves(table, units, n);
}
bool lowers_to_itself(const CaseTable& table, const uint16_t* units, std::size_t n) noexcept {
    return units_lower_to_themselves(table, units, n);
}
bool lowers_to_itself(const CaseTable& table, const uint32_t* units, std::size_t n) noexcept {
    return units_lower_to_themselves(table, units, n);
}

}  // namespace hotloop
