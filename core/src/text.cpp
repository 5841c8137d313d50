// Parallel word counting over UTF-8.
//
// The text is cut into fixed-size blocks (the cut points depend only on its size); each cut is
// moved forward to a character boundary. A block validates and scans its own bytes and counts
// the words that START in it, finishing a word that runs past its end by reading on; a word that
// started in an earlier block is skipped. Counts go to one hash table per worker thread (a
// word's count is a sum and its first offset a minimum, so the merged result does not depend on
// which thread saw what), and the merged words are sorted by first occurrence.
//
// Invalid UTF-8: every byte before the first malformed sequence q is valid, so every cut before
// q is a true character boundary and every block before q scans exactly what a serial scan
// would. The block holding q therefore reports q, blocks after it report positions beyond q, and
// the smallest reported position is q.
#include "hotloop/text.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>

#include <tbb/enumerable_thread_specific.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "file_bytes.hpp"
#include "simd.hpp"
#include "hotloop/error.hpp"
#include "utf8.hpp"
#include "word_table.hpp"

namespace hotloop {
namespace {

constexpr std::size_t kBlockBytes = std::size_t(1) << 20;
constexpr std::size_t kNoError = std::size_t(-1);

// One worker thread's counts.
struct Tables {
    InlineWordTable<2> upto16;  // words of 1-16 bytes (without NUL)
    InlineWordTable<4> upto32;  // words of 17-32 bytes (without NUL)
    WordTable others;
};

// Inline words wait in a small ring whose slots are prefetched on entry: the table lookups of
// several words then overlap their cache misses instead of paying them one by one.
template <unsigned K>
class Ring {
public:
    HL_INLINE void push(InlineWordTable<K>& table, const WordKey<K>& key, uint64_t offset) {
        const uint64_t h = hash_key(key);
        table.prefetch(h);
        Pending& slot = items_[next_ % kSize];
        if (next_ >= kSize) table.add(slot.key, slot.hash, slot.offset);
        slot = Pending{key, h, offset};
        ++next_;
    }

    void flush(InlineWordTable<K>& table) {
        const std::size_t held = next_ < kSize ? next_ : kSize;
        for (std::size_t k = 0; k < held; ++k) {
            const Pending& p = items_[(next_ - held + k) % kSize];
            table.add(p.key, p.hash, p.offset);
        }
        next_ = 0;
    }

private:
    static constexpr std::size_t kSize = 16;
    struct Pending {
        WordKey<K> key;
        uint64_t hash, offset;
    };
    Pending items_[kSize];
    std::size_t next_ = 0;  // words pushed so far (the ring holds the last kSize)
};

struct Malformation {
    std::size_t offset = kNoError;
    int code = 0;
};

utf8::Rules rules_of(const TextOptions& options) noexcept {
    utf8::Rules rules;
    rules.surrogates = options.allow_surrogates;
    rules.info_separators = options.info_separators_split;
    rules.mongolian_vowel_separator = options.mongolian_vowel_separator_splits;
    return rules;
}

constexpr uint64_t kHighBits = 0x8080808080808080ull;

// A-Z -> a-z in 8 ASCII bytes (all < 0x80, so no sum below carries into the next byte).
HL_INLINE uint64_t lower_ascii(uint64_t x) noexcept {
    const uint64_t at_least_A = x + 0x3F3F3F3F3F3F3F3Full;  // high bit set where x >= 'A'
    const uint64_t above_Z = x + 0x2525252525252525ull;     // high bit set where x > 'Z'
    return x | ((at_least_A & ~above_Z & kHighBits) >> 2);
}

inline bool is_ascii(const uint8_t* p, std::size_t n) noexcept {
    uint8_t any = 0;
    for (std::size_t i = 0; i < n; ++i) any |= p[i];
    return any < 0x80;
}

// kSaw* bits of the bytes [p, p + n), which hold whole characters. Plain loops: the clones
// vectorise them.
HL_CLONES uint32_t text_features(const uint8_t* p, std::size_t n) noexcept {
    uint8_t high = 0, info = 0, mvs = 0;
    for (std::size_t i = 0; i < n; ++i) {
        high |= p[i];
        info |= (p[i] >= 0x1C) & (p[i] <= 0x1F);
    }
    for (std::size_t i = 0; i + 2 < n; ++i)
        mvs |= (p[i] == 0xE1) & (p[i + 1] == 0xA0) & (p[i + 2] == 0x8E);
    return (high >= 0x80 ? kSawNonAscii : 0) | (info ? kSawInfoSeparator : 0) |
           (mvs ? kSawMongolianVowelSeparator : 0);
}

#if defined(__SSE2__)
// Bit i of *space is set when p[i] is ASCII whitespace; bit i of the result when p[i] >= 0x80.
// 1C..1F count as whitespace when info_separators is set.
HL_INLINE uint64_t classify64(const uint8_t* p, bool info_separators, uint64_t* space) noexcept {
    const __m128i blank = _mm_set1_epi8(0x20);
    const __m128i tab_lo = _mm_set1_epi8(0x08), tab_hi = _mm_set1_epi8(0x0E);  // 09..0D
    // 1C..1F, or an empty range (x > 0x7F never holds for a signed byte).
    const __m128i sep_lo = _mm_set1_epi8(info_separators ? 0x1B : 0x7F);
    const __m128i sep_hi = _mm_set1_epi8(0x20);
    uint64_t ws = 0, high = 0;
    for (int k = 0; k < 4; ++k) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
        // Signed compares: bytes >= 0x80 are negative and fall outside both ranges.
        const __m128i w = _mm_or_si128(
            _mm_cmpeq_epi8(v, blank),
            _mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(v, tab_lo), _mm_cmplt_epi8(v, tab_hi)),
                         _mm_and_si128(_mm_cmpgt_epi8(v, sep_lo), _mm_cmplt_epi8(v, sep_hi))));
        ws |= uint64_t(uint16_t(_mm_movemask_epi8(w))) << (16 * k);
        high |= uint64_t(uint16_t(_mm_movemask_epi8(v))) << (16 * k);
    }
    *space = ws;
    return high;
}
#endif

// Scans one block [begin, stop) of text[0, n) and adds the words starting in it to `table`.
class BlockScanner {
public:
    // text[origin] is where the text starts (after a skipped byte order mark).
    BlockScanner(const uint8_t* text, std::size_t n, std::size_t origin,
                 const TextOptions& options, Tables& tables)
        : text_(text),
          n_(n),
          origin_(origin),
          rules_(rules_of(options)),
          lower_ascii_(options.lower_ascii),
          tables_(tables) {}

    Malformation scan(std::size_t begin, std::size_t stop) {
        // A word in progress at `begin` started in an earlier block, which counts it.
        in_word_ = begin > origin_ && !utf8::space_before(text_, begin, rules_);
        owned_ = false;
        std::size_t pos = begin;
        while (pos < stop) {
#if defined(__SSE2__)
            if (stop - pos >= 64) {
                uint64_t space;
                if (classify64(text_ + pos, rules_.info_separators, &space) == 0) {
                    ascii_chunk(pos, space);
                    pos += 64;
                    continue;
                }
                // Not all ASCII: decode these 64 bytes one character at a time.
                const std::size_t chunk_end = pos + 64;
                while (pos < chunk_end)
                    if (!step(pos)) return error_;
                continue;
            }
#endif
            if (!step(pos)) return error_;
        }
        // Finish the last word of the block, reading into the next block if need be.
        while (in_word_ && owned_ && pos < n_) {
            bool space;
            const int len = utf8::decode(text_ + pos, text_ + n_, rules_, space);
            if (len < 0) return Malformation{pos, len};
            if (space) break;
            pos += static_cast<std::size_t>(len);
        }
        if (in_word_) end_word(pos);
        ring16_.flush(tables_.upto16);
        ring32_.flush(tables_.upto32);
        return Malformation{};
    }

private:
    HL_INLINE void start_word(std::size_t at) {
        in_word_ = true;
        owned_ = true;
        start_ = at;
    }

    HL_INLINE void end_word(std::size_t at) {
        in_word_ = false;
        if (!owned_) return;
        const uint8_t* word = text_ + start_;
        const std::size_t length = at - start_;
        if (length <= 16 ? defer(word, length, tables_.upto16, ring16_)
                         : length <= 32 && defer(word, length, tables_.upto32, ring32_))
            return;
        if (lower_ascii_ && is_ascii(word, length)) {
            lowered_.assign(reinterpret_cast<const char*>(word), length);
            for (char& c : lowered_)
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
            word = reinterpret_cast<const uint8_t*>(lowered_.data());
            tables_.others.add(word, length, hash_word(word, length, word + length), start_);
            return;
        }
        tables_.others.add(word, length, hash_word(word, length, text_ + n_), start_);
    }

    // Queues an inline word; false if it holds a NUL byte (it then goes to tables_.others).
    template <unsigned K>
    HL_INLINE bool defer(const uint8_t* word, std::size_t length, InlineWordTable<K>& table,
                         Ring<K>& ring) {
        WordKey<K> key;
        if (!load_key(word, length, text_ + n_, key)) return false;
        if (lower_ascii_) {
            uint64_t any = 0;
            for (unsigned i = 0; i < K; ++i) any |= key.lane[i];
            if ((any & kHighBits) == 0)
                for (unsigned i = 0; i < K; ++i) key.lane[i] = lower_ascii(key.lane[i]);
        }
        ring.push(table, key, start_);
        return true;
    }

    // 64 ASCII bytes at pos, `space` marking the whitespace: visits each word edge in turn.
    HL_INLINE void ascii_chunk(std::size_t pos, uint64_t space) {
        unsigned i = 0;
        for (;;) {
            const uint64_t rest = (in_word_ ? space : ~space) >> i;
            if (rest == 0) return;
            i += static_cast<unsigned>(__builtin_ctzll(rest));
            if (in_word_)
                end_word(pos + i);
            else
                start_word(pos + i);
        }
    }

    // One character at pos; false (and error_ set) if it is malformed.
    HL_INLINE bool step(std::size_t& pos) {
        bool space;
        const int len = utf8::decode(text_ + pos, text_ + n_, rules_, space);
        if (len < 0) {
            error_ = Malformation{pos, len};
            return false;
        }
        if (space) {
            if (in_word_) end_word(pos);
        } else if (!in_word_) {
            start_word(pos);
        }
        pos += static_cast<std::size_t>(len);
        return true;
    }

    const uint8_t* text_;
    std::size_t n_;
    std::size_t origin_;
    utf8::Rules rules_;
    bool lower_ascii_;
    Tables& tables_;
    std::string lowered_;  // a long ASCII word, lowercased
    Ring<2> ring16_;
    Ring<4> ring32_;
    bool in_word_ = false;
    bool owned_ = false;  // the word in progress started in this block
    std::size_t start_ = 0;
    Malformation error_;
};

[[noreturn]] void fail_malformed(const uint8_t* text, const Malformation& m) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", text[m.offset]);
    fail(ErrorKind::Encoding, "invalid UTF-8 at byte offset " + std::to_string(m.offset) +
                                  " (byte " + byte + "): " + utf8::reason(m.code));
}

// Merges the per-thread tables and orders the words by first occurrence. A word belongs to the
// same kind of table in every thread, so each kind merges separately.
template <unsigned K>
void merge_into(InlineWordTable<K>& into, const InlineWordTable<K>& from) {
    for (const auto& s : from.slots())
        if (s.key.lane[0] != 0) into.add(s.key, hash_key(s.key), s.first, s.count);
}

WordCounts collect(tbb::enumerable_thread_specific<Tables>& all) {
    Tables* merged = nullptr;
    for (Tables& t : all) {
        if (merged == nullptr) {
            merged = &t;
            continue;
        }
        merge_into(merged->upto16, t.upto16);
        merge_into(merged->upto32, t.upto32);
        for (const auto& e : t.others.entries())
            merged->others.add(t.others.bytes(e), e.length, e.hash, e.first, e.count);
    }
    WordCounts out;
    if (merged == nullptr) return out;

    struct Word {
        uint64_t first;
        uint64_t count;
        const char* bytes;
        std::size_t length;
    };
    std::vector<Word> words;
    words.reserve(merged->upto16.size() + merged->upto32.size() + merged->others.size());
    auto add_inline = [&](const auto& table) {
        for (const auto& s : table.slots())
            if (s.key.lane[0] != 0)
                words.push_back(Word{s.first, s.count, reinterpret_cast<const char*>(s.key.lane),
                                     s.key.length()});
    };
    add_inline(merged->upto16);
    add_inline(merged->upto32);
    for (const auto& e : merged->others.entries())
        words.push_back(Word{e.first, e.count,
                             reinterpret_cast<const char*>(merged->others.bytes(e)), e.length});
    std::sort(words.begin(), words.end(),
              [](const Word& x, const Word& y) { return x.first < y.first; });

    std::size_t total = 0;
    for (const Word& w : words) total += w.length;
    out.bytes.reserve(total);
    out.starts.reserve(words.size());
    out.lengths.reserve(words.size());
    out.counts.reserve(words.size());
    out.first.reserve(words.size());
    for (const Word& w : words) {
        out.starts.push_back(out.bytes.size());
        out.bytes.append(w.bytes, w.length);
        out.lengths.push_back(w.length);
        out.counts.push_back(w.count);
        out.first.push_back(w.first);
    }
    return out;
}

}  // namespace

bool is_python_whitespace(char32_t c) noexcept {
    if (c < 0x80) return utf8::ascii_space(static_cast<uint8_t>(c));
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool splits_words(char32_t c, const TextOptions& options) noexcept {
    if (c >= 0x1C && c <= 0x1F) return options.info_separators_split;
    if (c == 0x180E) return options.mongolian_vowel_separator_splits;
    return is_python_whitespace(c);
}

WordCounts count_words(const char* chars, std::size_t n, const TextOptions& options,
                       Control* ctl) {
    if (n == 0) return WordCounts{};
    if (chars == nullptr) fail(ErrorKind::InvalidArgument, "text is NULL");
    const auto* text = reinterpret_cast<const uint8_t*>(chars);
    std::size_t begin = 0;
    if (options.skip_bom && n >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF)
        begin = 3;

    const std::size_t n_blocks = block_count(n, kBlockBytes);
    std::vector<std::size_t> cuts(n_blocks + 1);
    for (std::size_t b = 0; b <= n_blocks; ++b)
        cuts[b] = std::max(begin,
                           utf8::boundary_at_or_after(text, n, std::min(b * kBlockBytes, n)));
    std::vector<Malformation> errors(n_blocks);
    std::vector<uint32_t> features(n_blocks, 0);
    tbb::enumerable_thread_specific<Tables> tables;
    parallel_blocks(
        n_blocks,
        [&](std::size_t b) {
            if (cuts[b] >= cuts[b + 1]) return;
            if (options.report_features)
                features[b] = text_features(text + cuts[b], cuts[b + 1] - cuts[b]);
            BlockScanner scanner(text, n, begin, options, tables.local());
            errors[b] = scanner.scan(cuts[b], cuts[b + 1]);
        },
        ctl);
    const auto first_error = std::min_element(
        errors.begin(), errors.end(),
        [](const Malformation& a, const Malformation& b) { return a.offset < b.offset; });
    if (first_error->offset != kNoError) fail_malformed(text, *first_error);
    WordCounts out = collect(tables);
    for (uint32_t f : features) out.features |= f;
    return out;
}

WordCounts count_words_in_file(const std::string& path, const TextOptions& options,
                               Control* ctl) {
    const FileBytes file(path, ctl);
    return count_words(file.data(), file.size(), options, ctl);
}

}  // namespace hotloop
