// Parallel word counting: Counter(text.lower().split()) over UTF-8 bytes, CPython's 1/2/4-byte
// str layouts, and byte ranges of files.
//
// The input is cut into fixed-size blocks (the cuts depend only on its size); each cut is moved
// forward to a unit boundary as Python's decoder segments the bytes (utf8.hpp). A block sees a
// *window* of UTF-8: its own bytes plus some bytes before (to know whether a word runs into it)
// and after (to finish its last word). A block counts the words that START in it, reading on to
// finish its last word; a word that started in an earlier block is skipped. In-memory UTF-8 is
// its own window (no copy); files are read into per-thread windows with pread() (never mmap: a
// file truncated meanwhile must not raise SIGBUS); str layouts of 1, 2 or 4 bytes per code
// point are transcoded to UTF-8 block by block, in place of a whole encode() copy.
//
// Scanning: 64-byte chunks are classified by a vector kernel (text_kernels.hpp); chunks whose
// ASCII whitespace bits alone mark every word edge (ASCII and valid 2-byte characters) list
// their words from the bit masks, and the words are added in prefetched batches; other chunks are
// decoded unit by unit.
//
// Counting: words go to one set of hash tables per worker thread, keyed by their bytes as
// written, except that ASCII words are lowercased at once (A-Z -> a-z is all str.lower() does to
// them). A count is a sum and a first occurrence a minimum, so the merged tables do not depend on
// which thread saw what. The tables are partitioned by hash, so that the threads' tables merge
// partition by partition in parallel; the merged words are then sorted by first occurrence, and
// the others lowercased once per distinct word with the interpreter's case table
// (case_tables.hpp); words that lowercase alike merge. Lowering word by word equals lowering the text, because the one
// context-dependent mapping (final sigma) only looks across case-ignorable characters, and
// whitespace is not case-ignorable - except U+180E, which PyPy 3.9 splits on: a word next to one
// is lowered at once, in its context.
//
// Invalid UTF-8 (strict): every unit before the first malformed one q is valid, so every block
// before q scans exactly what a serial scan would; the smallest reported position is q.
#include "hotloop/text.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include <tbb/enumerable_thread_specific.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "case_tables.hpp"
#include "file_bytes.hpp"
#include "hotloop/dtype.hpp"
#include "hotloop/error.hpp"
#include "simd.hpp"
#include "text_kernels.hpp"
#include "utf8.hpp"
#include "word_table.hpp"

namespace hotloop {
namespace {

constexpr std::size_t kBlockBytes = std::size_t(1) << 20;  // UTF-8 and file blocks
constexpr std::size_t kBlockUnits = std::size_t(1) << 18;  // str blocks (<= 1 MiB of UTF-8)
constexpr std::size_t kLookbehind = 64;    // file windows: bytes read before a block
constexpr std::size_t kLookahead = 1024;   // file windows: bytes read after a block, at first
constexpr std::size_t kContextUnits = 16;  // str windows: code points kept around a block
constexpr uint64_t kNoError = ~uint64_t(0);

// Where a count's text sits in its part: its words' offsets are `offset` + their offsets in the
// text, its span [offset, offset + UTF-8 size). Only the finished table is moved there, so the
// count's own keys (and their sorting) stay those of a text at 0.
struct Origin {
    uint64_t part, offset;
};

// A text of `size` UTF-8 bytes at origin.offset must end within uint64 offsets.
void check_fits(const Origin& origin, uint64_t size) {
    if (size > ~uint64_t(0) - origin.offset)
        fail(ErrorKind::InvalidArgument,
             "offset " + std::to_string(origin.offset) + " + the text's " + std::to_string(size) +
                 " UTF-8 bytes pass 2^64 - 1");
}

// An inline key on its way into a table: looked up a few words after its slot is prefetched.
template <unsigned K>
struct Pending {
    WordKey<K> key;
    uint64_t hash, offset;
};

constexpr std::size_t kChunksPerPass = 64;  // 4 KiB of text classified at a time
// Words are added in batches of kBatch or a little more: a batch is cut after a chunk, which
// adds at most 32 starts and ends.
constexpr std::size_t kBatch = 256;
constexpr std::size_t kTokensPerBatch = kBatch + 64;

// One worker thread's counts, and its scratch for the fast scan.
struct Tables {
    InlineWordTable<2> upto16;  // words of 1-16 bytes (without NUL)
    InlineWordTable<4> upto32;  // words of 17-32 bytes (without NUL)
    InlineWordTable<8> upto64;  // words of 33-64 bytes (without NUL)
    ArenaSet others;
    uint32_t starts[kTokensPerBatch], ends[kTokensPerBatch];
    Pending<2> pending16[kTokensPerBatch];
    Pending<4> pending32[kTokensPerBatch];
    Pending<8> pending64[kTokensPerBatch];
};

// Inline words wait in a small ring whose slots are prefetched on entry: the table lookups of
// several words then overlap their cache misses instead of paying them one by one.
template <unsigned K>
class Pipe {
public:
    explicit Pipe(InlineWordTable<K>& table) : table_(table) {}

    HL_INLINE void push(const WordKey<K>& key, uint64_t offset) {
        const uint64_t h = hash_key(key);
        InlineWordTable<K>::prefetch(table_.view(), h);
        Pending<K>& slot = items_[next_ % kSize];
        if (next_ >= kSize) table_.add(slot.key, slot.hash, slot.offset);
        slot = Pending<K>{key, h, offset};
        ++next_;
    }

    void flush() {
        const uint32_t held = next_ < kSize ? next_ : kSize;
        for (uint32_t k = 0; k < held; ++k) {
            const Pending<K>& p = items_[(next_ - held + k) % kSize];
            table_.add(p.key, p.hash, p.offset);
        }
        next_ = 0;
    }

private:
    static constexpr uint32_t kSize = 16;
    InlineWordTable<K>& table_;
    Pending<K> items_[kSize];
    uint32_t next_ = 0;  // words pushed so far (the ring holds the last kSize)
};

struct Malformation {
    uint64_t offset = kNoError;
    int code = 0;
    uint8_t byte = 0;
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

// kByteMasks[n]: 16 bytes, the first n 0xFF, the others 0.
struct ByteMasks {
    uint8_t m[17][16];
    constexpr ByteMasks() : m() {
        for (int n = 0; n <= 16; ++n)
            for (int i = 0; i < 16; ++i) m[n][i] = i < n ? 0xFF : 0;
    }
    constexpr const uint8_t* operator[](std::size_t n) const { return m[n]; }
};
constexpr ByteMasks kByteMasks;

inline bool is_ascii(const uint8_t* p, std::size_t n) noexcept {
    uint64_t any = 0;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) any |= load64(p + i);
    for (; i < n; ++i) any |= p[i];
    return (any & kHighBits) == 0;
}

// A-Z -> a-z of n ASCII bytes from p to out, 8 at a time.
inline void lower_ascii_copy(const uint8_t* p, std::size_t n, uint8_t* out) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const uint64_t x = lower_ascii(load64(p + i));
        std::memcpy(out + i, &x, 8);
    }
    for (; i < n; ++i)
        out[i] = static_cast<uint8_t>(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
}

// Whether the ASCII bytes [p, p + n) hold a capital A-Z (else they are lowercase already).
inline bool has_ascii_capital(const uint8_t* p, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        if (lower_ascii(load64(p + i)) != load64(p + i)) return true;
    for (; i < n; ++i)
        if (p[i] >= 'A' && p[i] <= 'Z') return true;
    return false;
}

// kSaw* bits of the bytes [p, p + n), for simd_run. Plain loops: each level vectorises them.
struct TextFeatures {
    HL_INLINE static uint32_t run(const uint8_t* p, std::size_t n) noexcept {
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
};
uint32_t text_features(const uint8_t* p, std::size_t n) noexcept {
    return simd_run<TextFeatures>(p, n);
}

// The features of the text that UTF-8 bytes decode to. errors="ignore" drops malformed units,
// so bytes >= 0x80 that are all malformed leave an ASCII-only text (which PyPy splits
// differently): then only a valid multi-byte character counts as non-ASCII.
uint32_t decoded_features(const uint8_t* p, std::size_t n, const utf8::Rules& rules,
                          DecodeErrors errors) noexcept {
    uint32_t f = text_features(p, n);
    if (errors != DecodeErrors::Ignore || !(f & kSawNonAscii)) return f;
    for (std::size_t at = 0; at < n;) {
        const utf8::Unit u = utf8::decode(p + at, p + n, rules);
        if (!u.malformed && u.length > 1) return f;
        at += static_cast<std::size_t>(u.length);
    }
    return f & ~kSawNonAscii;
}

// The UTF-8 a block scans: text[begin, end) are its own units; the window may hold more before
// (context) and after (the rest of its last word).
struct Block {
    const uint8_t* text;
    std::size_t size;        // bytes in the window
    std::size_t begin, end;  // the block's own units
    bool in_word;            // a word that an earlier block owns runs into `begin`
    bool at_input_end;       // the window ends where the input ends
    uint64_t key_base;       // the key (first-occurrence position) of text[begin]
};

// Makes a block's window longer when its last word runs past it (files). False when it cannot.
class Grower {
public:
    virtual bool grow(Block& block) = 0;

protected:
    ~Grower() = default;
};

// Whether a word runs into boundary `at`: the last unit before it that the decoder keeps is not
// whitespace. errors="ignore" drops malformed units, so it looks further back. `floor` is where
// the window's bytes start to count: reaching it means the text's start when floor_is_start,
// else that more bytes before are needed (Unknown).
enum class Before { Space, Word, Unknown };
Before unit_before_is(const uint8_t* text, std::size_t size, std::size_t at, std::size_t floor,
                      bool floor_is_start, const utf8::Rules& rules, DecodeErrors errors) {
    while (at > floor) {
        const std::size_t q = utf8::unit_before(text, size, at, rules);
        const utf8::Unit u = utf8::decode(text + q, text + size, rules);
        if (!u.malformed) return u.space ? Before::Space : Before::Word;
        if (errors != DecodeErrors::Ignore) return Before::Word;  // U+FFFD, or an error anyway
        at = q;
    }
    return floor_is_start ? Before::Space : Before::Unknown;
}

// Scans blocks and adds the words starting in them to one thread's tables.
class BlockScanner {
public:
    BlockScanner(const TextOptions& options, Tables& tables)
        : rules_(rules_of(options)),
          errors_(options.errors),
          casing_(options.casing),
          tables_(tables),
          context_rule_(rules_.mongolian_vowel_separator && casing_ != nullptr) {}

    Malformation scan(Block& b, Grower* grower) {
        b_ = &b;
        in_word_ = b.in_word;
        owned_ = false;
        dirty_ = false;
        careful_ = true;
        key_shift_ = b.key_base - b.begin;
        std::size_t pos = b.begin;
        const std::size_t stop = b.end;
        // Whole chunks of 64 bytes, classified kChunksPerPass at a time: the simple ones are
        // walked by their whitespace bits, the others decoded unit by unit.
        while (pos < stop && stop - pos >= 64) {
            const std::size_t n = std::min(kChunksPerPass, (stop - pos) / 64);
            simd_run<text::ClassifyChunks>(b.text, b.size, pos, n, rules_.info_separators,
                                           space_, simple_);
            const std::size_t base = pos;
            for (std::size_t k = 0; k < n;) {
                if (simple_[k]) {
                    pos = fast_run(base, k, n, pos);
                    continue;
                }
                careful_ = true;  // the word in progress, if any, runs through this chunk
                while (pos < base + 64 * k + 64)
                    if (!step(pos)) return error_;
                ++k;
            }
        }
        while (pos < stop)
            if (!step(pos)) return error_;
        // Finish the last word of the block, reading past its end if need be. After a chunk
        // that could not be skipped, the next try is past it.
        std::size_t skip_from = pos;
        while (in_word_ && owned_) {
            if (b.size - pos < 4 && !b.at_input_end && grower && grower->grow(b)) continue;
            if (pos >= b.size) break;
            if (pos >= skip_from) {
                if (skip_word_chunks(pos)) continue;
                skip_from = pos + 64;
            }
            const utf8::Unit u = utf8::decode(b.text + pos, b.text + b.size, rules_);
            if (u.malformed) {
                if (errors_ == DecodeErrors::Strict) return malformed(pos, u);
                dirty_ = true;
            } else if (u.space) {
                break;
            }
            pos += static_cast<std::size_t>(u.length);
        }
        if (in_word_) end_word(pos);
        pipe16_.flush();
        pipe32_.flush();
        pipe64_.flush();
        return Malformation{};
    }

private:
    // Moves pos over the whole chunks from pos on that lie inside the word in progress (simple
    // ones without whitespace); false if there is none. A word of megabytes is then read at
    // the speed of the classification, not decoded unit by unit. One chunk is classified
    // first: most words end in it.
    bool skip_word_chunks(std::size_t& pos) {
        const std::size_t from = pos;
        for (std::size_t want = 1;; want = kChunksPerPass) {
            const std::size_t n = std::min(want, (b_->size - pos) / 64);
            if (n == 0) break;
            simd_run<text::ClassifyChunks>(b_->text, b_->size, pos, n, rules_.info_separators,
                                           space_, simple_);
            const std::size_t base = pos;
            std::size_t k = 0;
            for (; k < n && simple_[k] && space_[k] == 0; ++k)
                pos = base + 64 * k + 64 + (b_->text[base + 64 * k + 63] >= 0xC0);  // cut character
            if (k < n) break;
        }
        return pos != from;
    }

    // A word starting at `at` in a chunk decoded unit by unit.
    HL_INLINE void start_word(std::size_t at) {
        in_word_ = true;
        owned_ = true;
        dirty_ = false;
        careful_ = true;
        start_ = at;
    }

    // Walks the simple chunks (ClassifyChunks) k, k + 1, ... of the pass at `base`, from pos
    // on, by their whitespace bits; returns the position after them and advances k. Bytes
    // before pos in the first chunk belong to a character decoded before (a word's, so the
    // word in progress carries over them). The starts and ends of words are listed as offsets
    // from `base` (the bits of the chunk, one after the other) and the words added in batches
    // (add_words). A word that lies in simple chunks only is ASCII or valid 2-byte characters
    // without NUL bytes.
    HL_INLINE std::size_t fast_run(std::size_t base, std::size_t& k, std::size_t n,
                                   std::size_t pos) {
        uint32_t* const starts = tables_.starts;
        uint32_t* const ends = tables_.ends;
        const uint8_t* const text = b_->text;
        uint32_t n_starts = 0, n_ends = 0;
        // The word in progress at entry (if any) ends at ends[0]: the others pair up after it.
        bool carried = in_word_;
        uint64_t carry = in_word_;  // whether the byte before the chunk is a word's
        for (; k < n && simple_[k]; ++k) {
            const uint32_t at = static_cast<uint32_t>(64 * k);
            const uint64_t space = space_[k], word = ~space;
            const uint64_t after_word = (word << 1) | carry;
            carry = word >> 63;
            for (uint64_t m = word & ~after_word; m != 0; m &= m - 1)
                starts[n_starts++] = at + static_cast<uint32_t>(__builtin_ctzll(m));
            for (uint64_t m = space & after_word; m != 0; m &= m - 1)
                ends[n_ends++] = at + static_cast<uint32_t>(__builtin_ctzll(m));
            pos = base + at + 64 + (text[base + at + 63] >= 0xC0);  // a character cut at 64
            if (n_starts >= kBatch) {
                pair_up(base, carried, n_starts, n_ends);
                carried = false;
            }
        }
        pair_up(base, carried, n_starts, n_ends);
        return pos;
    }

    // Adds the words whose starts and ends fast_run listed (the word in progress first, if
    // `carried`); keeps the start of an unfinished last word, as the word in progress.
    HL_INLINE void pair_up(std::size_t base, bool carried, uint32_t& n_starts,
                           uint32_t& n_ends) {
        const uint32_t* const starts = tables_.starts;
        const uint32_t* const ends = tables_.ends;
        uint32_t first_end = 0;
        if (carried && n_ends > 0) {
            // The word in progress: one that lay in simple chunks only is plain.
            if (owned_ && !careful_)
                add_words(&start_, base, ends, 0, 1, false);
            else
                end_word(base + ends[0]);
            first_end = 1;
        }
        const uint32_t complete = std::min(n_starts, n_ends - first_end);
        add_words(starts, base, ends + first_end, 0, complete, true);
        if (n_starts > complete) {  // an unfinished word: the new word in progress
            start_ = base + starts[n_starts - 1];
            in_word_ = owned_ = true;
            careful_ = dirty_ = false;
            tables_.starts[0] = starts[n_starts - 1];
            n_starts = 1;
        } else {
            n_starts = 0;
            if (n_ends > 0) in_word_ = false;  // else the carried word goes on
        }
        n_ends = 0;
    }

    // Adds words [from, to) of a list: word j is text[base + start_j, base + ends[j]), where
    // start_j is starts[j] (relative) or, when !relative, *starts itself (absolute). Inline keys
    // are loaded, lowered (ASCII ones), hashed and their slots prefetched, then looked up once
    // all are: the cache misses of a batch overlap.
    template <class Start>
    HL_INLINE void add_words(const Start* starts, std::size_t base, const uint32_t* ends,
                             uint32_t from, uint32_t to, bool relative) {
        const uint8_t* const text = b_->text;
        const std::size_t size = b_->size;
        const uint64_t key_shift = key_shift_;
        Batch<2> b16{tables_.upto16, tables_.pending16};
        Batch<4> b32{tables_.upto32, tables_.pending32};
        Batch<8> b64{tables_.upto64, tables_.pending64};
        for (uint32_t j = from; j < to; ++j) {
            const std::size_t start = relative ? base + starts[j] : starts[0];
            const std::size_t length = base + ends[j] - start;
            const uint8_t* word = text + start;
            const uint64_t key = key_shift + start;
            if (context_rule_ && needs_context(start, start + length))
                add_word(start, start + length, false);
            else if (length <= 16 && size - start >= 16)
                b16.push(inline_key<2>(word, length), key);
            else if (length <= 32 && size - start >= 32)
                b32.push(inline_key<4>(word, length), key);
            else if (length <= 64 && size - start >= 64)
                b64.push(inline_key<8>(word, length), key);
            else
                add(word, length, text + size, key);
        }
        b16.finish();
        b32.finish();
        b64.finish();
    }

    // Words of one key length on their way into a table: hashed and their slots prefetched as
    // they come, looked up all at once at the end.
    template <unsigned K>
    struct Batch {
        InlineWordTable<K>& table;
        Pending<K>* pending;
        typename InlineWordTable<K>::View view = table.view();
        uint32_t n = 0;

        HL_INLINE void push(const WordKey<K>& key, uint64_t offset) {
            const uint64_t h = hash_key(key);
            InlineWordTable<K>::prefetch(view, h);
            pending[n++] = Pending<K>{key, h, offset};
        }
        HL_INLINE void finish() {
            view = table.view();  // the fallbacks (add) may have grown the table
            for (uint32_t j = 0; j < n; ++j)
                table.add(view, pending[j].key, pending[j].hash, pending[j].offset);
        }
    };

    // The inline key of a word of 8 (K - 2) < length <= 8 K bytes at p (8 K bytes readable),
    // A-Z lowered if it is ASCII (other keys stay as written: lowered once per distinct word at
    // the end). 16-byte vector operations, which every x86-64 level has.
    template <unsigned K>
    HL_INLINE static WordKey<K> inline_key(const uint8_t* p, std::size_t length) {
        using V = simd::VecN<int8_t, 16>;
        constexpr unsigned kParts = K / 2;
        V v[kParts];
        V any = V{};
        for (unsigned i = 0; i < kParts; ++i) {
            const std::size_t in = length > 16 * i ? std::min<std::size_t>(16, length - 16 * i) : 0;
            v[i] = simd::load<V>(p + 16 * i) & simd::load<V>(kByteMasks[in]);
            any |= v[i];
        }
        if (text::bits(any) == 0) {  // ASCII
            for (V& x : v) {
                const V upper = (x > text::splat('A' - 1)) & (x < text::splat('Z' + 1));
                x += upper & text::splat(0x20);
            }
        }
        WordKey<K> key;
        std::memcpy(key.lane, v, sizeof key.lane);
        return key;
    }

    void end_word(std::size_t at) {
        in_word_ = false;
        if (owned_) add_word(start_, at, dirty_);
    }

    // Adds the word text[from, to) of the window; `dirty`: it holds malformed units.
    void add_word(std::size_t from, std::size_t to, bool dirty) {
        const uint64_t key = key_shift_ + from;
        const uint8_t* word = b_->text + from;
        std::size_t length = to - from;
        if (needs_context(from, to)) {  // dirty or not: malformed units are cleaned there
            lower_in_context(from, to, dirty);
            word = cleaned_.data();
            length = cleaned_.size();
            tables_.others.add(word, length, hash_word(word, length, word + length), key);
            return;
        }
        if (dirty) {
            clean(from, to);
            word = cleaned_.data();
            length = cleaned_.size();
        }
        add(word, length, dirty ? word + length : b_->text + b_->size, key);
    }

    HL_INLINE void add(const uint8_t* word, std::size_t length, const uint8_t* bound,
                       uint64_t key) {
        if (length <= 16   ? defer(word, length, bound, pipe16_, key)
            : length <= 32 ? defer(word, length, bound, pipe32_, key)
                           : length <= 64 && defer(word, length, bound, pipe64_, key))
            return;
        if (is_ascii(word, length) && has_ascii_capital(word, length)) {
            lowered_.resize(length);
            lower_ascii_copy(word, length, lowered_.data());
            word = lowered_.data();
            bound = word + length;
        }
        tables_.others.add(word, length, hash_word(word, length, bound), key);
    }

    // Queues an inline word; false if it holds a NUL byte (it then goes to tables_.others).
    template <unsigned K>
    HL_INLINE bool defer(const uint8_t* word, std::size_t length, const uint8_t* bound,
                         Pipe<K>& pipe, uint64_t key_value) {
        WordKey<K> key;
        if (!load_key(word, length, bound, key)) return false;
        uint64_t any = 0;
        for (unsigned i = 0; i < K; ++i) any |= key.lane[i];
        if ((any & kHighBits) == 0)
            for (unsigned i = 0; i < K; ++i) key.lane[i] = lower_ascii(key.lane[i]);
        pipe.push(key, key_value);
        return true;
    }

    // The word's units with malformed ones replaced by U+FFFD or dropped, into cleaned_.
    void clean(std::size_t from, std::size_t to) {
        cleaned_.clear();
        for (std::size_t p = from; p < to;) {
            const utf8::Unit u = utf8::decode(b_->text + p, b_->text + to, rules_);
            static const uint8_t kReplacement[] = {0xEF, 0xBF, 0xBD};  // U+FFFD
            if (!u.malformed)
                cleaned_.append(b_->text + p, static_cast<std::size_t>(u.length));
            else if (errors_ == DecodeErrors::Replace)
                cleaned_.append(kReplacement, sizeof kReplacement);
            p += static_cast<std::size_t>(u.length);
        }
    }

    // PyPy splits on U+180E, which its lower() treats as case-ignorable: a capital sigma next
    // to one sees past it, so such a word is lowered here, with its neighbours in view.
    bool needs_context(std::size_t from, std::size_t to) const {
        if (!rules_.mongolian_vowel_separator || casing_ == nullptr) return false;
        const uint8_t* t = b_->text;
        bool sigma = false;
        for (std::size_t p = from; p + 1 < to; ++p) sigma |= t[p] == 0xCE && t[p + 1] == 0xA3;
        if (!sigma) return false;
        // errors="ignore" drops malformed units: a U+180E beyond them is still adjacent.
        std::size_t before = from, after = to;
        while (errors_ == DecodeErrors::Ignore && before > 0) {
            const std::size_t q = utf8::unit_before(t, b_->size, before, rules_);
            if (!utf8::decode(t + q, t + b_->size, rules_).malformed) break;
            before = q;
        }
        while (errors_ == DecodeErrors::Ignore && after < b_->size) {
            const utf8::Unit u = utf8::decode(t + after, t + b_->size, rules_);
            if (!u.malformed) break;
            after += static_cast<std::size_t>(u.length);
        }
        const bool mvs_before = before >= 3 && t[before - 3] == 0xE1 && t[before - 2] == 0xA0 &&
                                t[before - 1] == 0x8E;
        const bool mvs_after = after + 3 <= b_->size && t[after] == 0xE1 &&
                               t[after + 1] == 0xA0 && t[after + 2] == 0x8E;
        return mvs_before || mvs_after;
    }

    // The word text[from, to) lowered as str.lower() lowers it inside the whole text, into
    // cleaned_. `dirty`: its malformed units are replaced or dropped first. Beyond the word, a
    // malformed unit is U+FFFD (errors="replace": neither cased nor case-ignorable, so the
    // context ends there) or nothing (errors="ignore": the scan goes on past it).
    void lower_in_context(std::size_t from, std::size_t to, bool dirty) {
        const uint8_t* t = b_->text;
        const utf8::Rules& any = rules_;  // malformed as the decoder sees it (surrogates too)
        const bool skip = errors_ == DecodeErrors::Ignore;
        Beyond before = Beyond::Uncased, after = Beyond::Uncased;
        for (std::size_t p = from; p > 0;) {  // the window's start counts as the text's
            const std::size_t q = utf8::unit_before(t, b_->size, p, any);
            const utf8::Unit u = utf8::decode(t + q, t + b_->size, any);
            if (u.malformed) {
                if (!skip) break;
                p = q;
                continue;
            }
            const char32_t c = utf8::code_point(t + q, u.length);
            if (!case_ignorable(*casing_, c)) {
                before = cased(*casing_, c) ? Beyond::Cased : Beyond::Uncased;
                break;
            }
            p = q;
        }
        for (std::size_t p = to; p < b_->size;) {
            const utf8::Unit u = utf8::decode(t + p, t + b_->size, any);
            if (u.malformed && !skip) break;
            if (!u.malformed) {
                const char32_t c = utf8::code_point(t + p, u.length);
                if (!case_ignorable(*casing_, c)) {
                    after = cased(*casing_, c) ? Beyond::Cased : Beyond::Uncased;
                    break;
                }
            }
            p += static_cast<std::size_t>(u.length);
        }
        const uint8_t* word = t + from;
        std::size_t length = to - from;
        if (dirty) {
            clean(from, to);
            word_ = cleaned_;
            word = word_.data();
            length = word_.size();
        }
        cleaned_.clear();
        lower_utf8(*casing_, word, length, before, after, cleaned_);
    }

    // One unit at pos; false (and error_ set) if it is malformed and errors are strict.
    HL_INLINE bool step(std::size_t& pos) {
        const utf8::Unit u = utf8::decode(b_->text + pos, b_->text + b_->size, rules_);
        if (u.malformed) {
            if (errors_ == DecodeErrors::Strict) {
                error_ = malformed(pos, u);
                return false;
            }
            // Replace: U+FFFD, a word character. Ignore: nothing, inside a word or not.
            if (!in_word_ && errors_ == DecodeErrors::Replace) start_word(pos);
            dirty_ |= in_word_;
        } else if (u.space) {
            if (in_word_) end_word(pos);
        } else if (!in_word_) {
            start_word(pos);
        }
        pos += static_cast<std::size_t>(u.length);
        return true;
    }

    Malformation malformed(std::size_t pos, const utf8::Unit& u) const {
        return Malformation{b_->key_base + (pos - b_->begin), u.malformed, b_->text[pos]};
    }

    utf8::Rules rules_;
    DecodeErrors errors_;
    const CaseTable* casing_;
    Tables& tables_;
    Block* b_ = nullptr;
    detail::PodArray<uint8_t> lowered_;  // a long ASCII word, lowercased
    // A word with malformed units replaced or dropped, or lowered; and a word cleaned of
    // malformed units, to be lowered in context.
    detail::PodArray<uint8_t> cleaned_, word_;
    Pipe<2> pipe16_{tables_.upto16};
    Pipe<4> pipe32_{tables_.upto32};
    Pipe<8> pipe64_{tables_.upto64};
    bool in_word_ = false;
    bool owned_ = false;  // the word in progress started in this block
    bool dirty_ = false;  // the word in progress holds malformed units (errors != strict)
    bool careful_ = true;  // the word in progress touched a chunk decoded unit by unit
    // PyPy: words next to U+180E are lowered in context (needs_context), so every word is
    // looked at by end_word.
    const bool context_rule_;
    std::size_t start_ = 0;
    uint64_t key_shift_ = 0;  // the key of text[i] is key_shift_ + i
    uint64_t space_[kChunksPerPass];
    uint8_t simple_[kChunksPerPass];
    Malformation error_;
};

[[noreturn]] void fail_malformed(const Malformation& m) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", m.byte);
    fail(ErrorKind::Encoding, "invalid UTF-8 at byte offset " + std::to_string(m.offset) +
                                  " (byte " + byte + "): " + utf8::reason(m.code));
}

// `base` is added to the offset in the message (a piece of a stream: its offset in the stream).
void check_errors(const std::vector<Malformation>& errors, uint64_t base = 0) {
    const auto first = std::min_element(
        errors.begin(), errors.end(),
        [](const Malformation& a, const Malformation& b) { return a.offset < b.offset; });
    if (first == errors.end() || first->offset == kNoError) return;
    Malformation m = *first;
    m.offset += base;
    fail_malformed(m);
}

// ---- from the thread tables to the WordTable ----
// In parallel: the threads' tables merge partition by partition (each partition's words are in
// one table per thread), the distinct words are sorted by first occurrence (bucketed by key,
// then each bucket sorted), and the table is filled. Words that are not ASCII are lowercased
// and merged on one thread, in order of first occurrence.
// With millions of distinct words these steps take seconds in all, so each checks for a cancel
// as the scan does: once per block of its parallel loops, every kCheckEvery steps of its serial
// ones (a few ms at most).
constexpr std::size_t kCheckEvery = std::size_t(1) << 16;

void check_cancel(const Control* ctl) {
    if (ctl) ctl->check();
}

// A distinct word of the merged tables: its key (first occurrence), count and bytes (in a
// thread's table, then in its partition's array: PartitionWords).
struct RawWord {
    uint64_t key;
    uint64_t count;
    const uint8_t* bytes;
    uint64_t length_ascii;  // length << 1 | whether the bytes are ASCII

    RawWord() = default;
    RawWord(uint64_t k, uint64_t c, const uint8_t* b, std::size_t length, bool ascii)
        : key(k), count(c), bytes(b), length_ascii(uint64_t(length) << 1 | ascii) {}
    std::size_t length() const noexcept { return static_cast<std::size_t>(length_ascii >> 1); }
    bool ascii() const noexcept { return length_ascii & 1; }
};

void merge_into(ArenaTable& into, const ArenaTable& from) {
    for (const auto& e : from.entries())
        into.add(from.bytes(e), e.length, e.hash, e.first, e.count);
}

// Writes the words of region p of a table at out (those with a count); returns how many.
template <unsigned K, class OffsetOf>
std::size_t emit_region(const InlineWordTable<K>& table, std::size_t p, OffsetOf& offset_of,
                        RawWord* out) {
    const auto* slots = table.region(p);
    std::size_t n = 0;
    for (std::size_t k = 0; k < table.region_slots(); ++k) {
        const auto& s = slots[k];
        if (s.key.lane[0] == 0 || s.count == 0) continue;  // empty, or counted in another table
        uint64_t any = 0;
        for (unsigned i = 0; i < K; ++i) any |= s.key.lane[i];
        out[n++] = RawWord(offset_of(s.first), s.count,
                           reinterpret_cast<const uint8_t*>(s.key.lane), s.key.length(),
                           (any & kHighBits) == 0);
    }
    return n;
}

// The threads' inline tables of one key length, the one holding most words first.
template <unsigned K>
std::vector<InlineWordTable<K>*> largest_first(const std::vector<Tables*>& all,
                                               InlineWordTable<K> Tables::*member) {
    std::vector<InlineWordTable<K>*> tables;
    for (Tables* t : all) tables.push_back(&(t->*member));
    std::stable_sort(tables.begin(), tables.end(),
                     [](const auto* a, const auto* b) { return a->size() > b->size(); });
    return tables;
}

// Region p of the threads' tables of one key length (largest first), merged as it is written
// out at `out` (distinct p on distinct threads at once); returns how many words. A word that an
// earlier table also holds adds its count and first offset to that table's slot, and its own
// slot is left out (its count set to 0: the tables are only read from then on). No merged table
// is made: with mostly new words (a large vocabulary) it would take as much memory as all the
// tables, and a pass of its own.
template <unsigned K, class OffsetOf>
std::size_t merge_region(const std::vector<InlineWordTable<K>*>& tables, std::size_t p,
                         OffsetOf& offset_of, RawWord* out) {
    for (std::size_t j = 1; j < tables.size(); ++j) {
        auto* from = tables[j]->region(p);
        for (std::size_t k = 0; k < tables[j]->region_slots(); ++k) {
            auto& f = from[k];
            if (f.key.lane[0] == 0) continue;
            const uint64_t h = hash_key(f.key);
            // The first table that holds the word holds its count: a later table's copy was
            // moved to the first one holding it.
            for (std::size_t i = 0; i < j; ++i) {
                if (auto* s = tables[i]->find(f.key, h)) {
                    s->count += f.count;
                    s->first = std::min(s->first, f.first);
                    f.count = 0;
                    break;
                }
            }
        }
    }
    std::size_t n = 0;
    for (const auto* t : tables) n += emit_region(*t, p, offset_of, out + n);
    return n;
}

// The distinct words of every partition, merged over the threads: partition p's are
// words[at[p], at[p] + n[p]), their bytes in bytes[p] (inline words) or others[p] (the others:
// the table they were merged into, kept whole rather than copied, as such words can be long).
struct PartitionWords {
    detail::PodArray<RawWord> words;
    std::size_t at[kPartitions], n[kPartitions];
    detail::PodArray<uint8_t> bytes[kPartitions];
    ArenaTable others[kPartitions];
};

// Copies the bytes of words [w, w + n) into `into`, and points the words there.
void keep_bytes(RawWord* w, std::size_t n, detail::PodArray<uint8_t>& into) {
    std::size_t total = 0;
    for (std::size_t i = 0; i < n; ++i) total += w[i].length();
    into.resize(total);
    uint8_t* at = into.data();
    for (std::size_t i = 0; i < n; ++i) {
        std::memcpy(at, w[i].bytes, w[i].length());
        w[i].bytes = at;
        at += w[i].length();
    }
}

// Regions of at least this many bytes are given back as their partition is merged. Smaller
// tables are not worth it: back in malloc, their pages serve the next count without being
// faulted in again (which emptying them would cost: copyright corpus 17% slower).
constexpr std::size_t kReleaseFrom = std::size_t(256) << 10;

template <unsigned K>
void release_region(InlineWordTable<K>& table, std::size_t p) {
    using Slot = typename InlineWordTable<K>::Slot;
    if (table.region_slots() * sizeof(Slot) >= kReleaseFrom) table.clear_region(p);
}

// Gives back partition p of a thread's tables (its large regions, its long words).
void release_partition(Tables& t, std::size_t p) {
    release_region(t.upto16, p);
    release_region(t.upto32, p);
    release_region(t.upto64, p);
    t.others.clear(p);
}

template <class OffsetOf>
void partition_words(const std::vector<Tables*>& all, OffsetOf& offset_of, PartitionWords& out,
                     const Control* ctl) {
    std::size_t total = 0;  // room for every thread's words: at least the merged ones
    for (std::size_t p = 0; p < kPartitions; ++p) {
        out.at[p] = total;
        for (Tables* t : all)
            total += t->upto16.region_size(p) + t->upto32.region_size(p) +
                     t->upto64.region_size(p) + t->others.part(p).size();
    }
    // Room for the table's entries (40 bytes each, RawWords 32) to take their place later
    // (fill_table): the pages faulted in for the words serve twice.
    out.words.reserve(total + total / 4 + 1);
    out.words.resize(total);
    const auto t16 = largest_first(all, &Tables::upto16);
    const auto t32 = largest_first(all, &Tables::upto32);
    const auto t64 = largest_first(all, &Tables::upto64);
    parallel_blocks(kPartitions, [&](std::size_t p) {
        check_cancel(ctl);
        RawWord* to = out.words.data() + out.at[p];
        std::size_t n = merge_region(t16, p, offset_of, to);
        n += merge_region(t32, p, offset_of, to + n);
        n += merge_region(t64, p, offset_of, to + n);
        // The inline words take their bytes along, and the partition's slots in the threads'
        // tables are given back at once: with a large vocabulary the tables (32 bytes a slot,
        // at most 3/4 full) would otherwise stay the largest memory of the call, beside the
        // words and their sorted copy (1M distinct words: 146 MB at the peak, now 92 MB).
        keep_bytes(to, n, out.bytes[p]);
        ArenaTable* others = &all[0]->others.part(p);
        for (Tables* t : all)
            if (t->others.part(p).size() > others->size()) others = &t->others.part(p);
        for (Tables* t : all)
            if (&t->others.part(p) != others) merge_into(*others, t->others.part(p));
        out.others[p] = std::move(*others);  // its bytes stay where they are
        for (const auto& e : out.others[p].entries()) {
            const uint8_t* bytes = out.others[p].bytes(e);
            to[n++] = RawWord(offset_of(e.first), e.count, bytes, e.length,
                              is_ascii(bytes, e.length));
        }
        out.n[p] = n;
        for (Tables* t : all) release_partition(*t, p);
    });
}

constexpr std::size_t kKeyBuckets = std::size_t(1) << 12;

// Turns the words' counts per partition and bucket (at[part * kKeyBuckets + bucket]) into their
// positions in the sorted order: bucket by bucket, partitions in order within a bucket. Returns
// where each bucket starts, and the total at the end.
std::vector<std::size_t> bucket_positions(std::vector<uint32_t>& at, std::size_t n_parts) {
    std::vector<std::size_t> bucket_begin(kKeyBuckets + 1, 0);
    std::size_t sum = 0;
    for (std::size_t b = 0; b < kKeyBuckets; ++b) {
        bucket_begin[b] = sum;
        for (std::size_t p = 0; p < n_parts; ++p) {
            const std::size_t c = at[p * kKeyBuckets + b];
            at[p * kKeyBuckets + b] = static_cast<uint32_t>(sum);
            sum += c;
        }
    }
    bucket_begin[kKeyBuckets] = sum;
    return bucket_begin;
}

// Sorts one bucket by key (distinct keys): insertion sort for the short ones.
void sort_bucket(RawWord* first, RawWord* last) {
    if (last - first < 2) return;  // also: no `first + 1` on an empty (null) array
    if (last - first <= 24) {
        for (RawWord* i = first + 1; i < last; ++i) {
            const RawWord w = *i;
            RawWord* j = i;
            for (; j > first && (j - 1)->key > w.key; --j) *j = *(j - 1);
            *j = w;
        }
    } else {
        std::sort(first, last, [](const RawWord& x, const RawWord& y) { return x.key < y.key; });
    }
}

// The words of all partitions in order of their keys (distinct), by rank: each key sets its bit
// in a bitmap of the keys' range, and a word's place is the number of bits set before its own
// (a running count per 64-bit word, plus one popcount). Linear, no comparisons; used when the
// bitmap is small next to the words (a key range of at most kRankSpanPerWord bytes of text per
// distinct word: real text with a large vocabulary, as the Python sources). False (and `sorted`
// untouched) otherwise.
constexpr uint64_t kRankSpanPerWord = 256;  // bitmap and counts: <= 48 bytes per word

template <class WordsOf>
bool sort_by_rank(WordsOf& words_of, std::size_t n, uint64_t lo, uint64_t hi,
                  detail::PodArray<RawWord>& sorted, const Control* ctl) {
    if (n == 0 || n >= UINT32_MAX || (hi - lo) / kRankSpanPerWord >= n) return false;
    const std::size_t n_lanes = static_cast<std::size_t>((hi - lo) / 64 + 1);
    std::vector<uint64_t> bits(n_lanes, 0);
    parallel_blocks(kPartitions, [&](std::size_t p) {
        check_cancel(ctl);
        for (auto [w, end] = words_of(p); w != end; ++w) {
            const uint64_t at = w->key - lo;
            __atomic_fetch_or(&bits[at >> 6], uint64_t(1) << (at & 63), __ATOMIC_RELAXED);
        }
    });
    std::vector<uint32_t> before(n_lanes);  // keys in the lanes before each lane
    uint64_t total = 0;
    for (std::size_t i = 0; i < n_lanes; ++i) {
        if (i % kCheckEvery == 0) check_cancel(ctl);
        before[i] = static_cast<uint32_t>(total);
        total += static_cast<uint64_t>(__builtin_popcountll(bits[i]));
    }
    if (total != n) return false;  // keys not distinct: cannot happen; the comparison sort copes
    sorted.resize(n);
    parallel_blocks(kPartitions, [&](std::size_t p) {
        check_cancel(ctl);
        for (auto [w, end] = words_of(p); w != end; ++w) {
            const uint64_t at = w->key - lo;
            const uint64_t below = bits[at >> 6] & ((uint64_t(1) << (at & 63)) - 1);
            sorted[before[at >> 6] + static_cast<std::size_t>(__builtin_popcountll(below))] = *w;
        }
    });
    return true;
}

// The words of all partitions in order of their keys (distinct): by rank (sort_by_rank) when the
// keys are dense enough, else bucketed by the keys' top bits (each partition counts its words per
// bucket, then places them), then each bucket sorted.
detail::PodArray<RawWord> sort_by_key(const PartitionWords& parts, const Control* ctl) {
    constexpr std::size_t kBuckets = kKeyBuckets;
    constexpr std::size_t n_parts = kPartitions;
    auto words_of = [&](std::size_t p) {
        const RawWord* first = parts.words.data() + parts.at[p];
        return std::make_pair(first, first + parts.n[p]);
    };
    uint64_t top = 0, lowest = ~uint64_t(0), highest = 0;
    std::size_t n = 0;
    for (std::size_t p = 0; p < n_parts; ++p) {
        check_cancel(ctl);
        n += parts.n[p];
        for (auto [w, end] = words_of(p); w != end; ++w) {
            top |= w->key;
            lowest = std::min(lowest, w->key);
            highest = std::max(highest, w->key);
        }
    }
    detail::PodArray<RawWord> sorted;
    if (sort_by_rank(words_of, n, lowest, highest, sorted, ctl)) return sorted;
    unsigned shift = 0;
    while ((top >> shift) >= kBuckets) ++shift;
    std::vector<uint32_t> at(n_parts * kBuckets);  // [part][bucket]: counts, then positions
    parallel_blocks(n_parts, [&](std::size_t p) {
        check_cancel(ctl);
        uint32_t* count = &at[p * kBuckets];
        std::fill(count, count + kBuckets, 0);
        for (auto [w, end] = words_of(p); w != end; ++w) ++count[w->key >> shift];
    });
    const std::vector<std::size_t> bucket_begin = bucket_positions(at, n_parts);
    sorted.resize(n);
    if (n >= UINT32_MAX) {  // positions are 32-bit: billions of distinct words, one by one
        std::size_t k = 0;
        for (std::size_t p = 0; p < n_parts; ++p)
            for (auto [w, end] = words_of(p); w != end; ++w) sorted[k++] = *w;
        std::sort(sorted.data(), sorted.data() + n,
                  [](const RawWord& x, const RawWord& y) { return x.key < y.key; });
        return sorted;
    }
    parallel_blocks(n_parts, [&](std::size_t p) {
        check_cancel(ctl);
        uint32_t* next = &at[p * kBuckets];
        for (auto [w, end] = words_of(p); w != end; ++w) sorted[next[w->key >> shift]++] = *w;
    });
    constexpr std::size_t kBucketsPerBlock = 128;
    parallel_blocks(kBuckets / kBucketsPerBlock, [&](std::size_t g) {
        check_cancel(ctl);
        for (std::size_t b = g * kBucketsPerBlock; b < (g + 1) * kBucketsPerBlock; ++b)
            sort_bucket(sorted.data() + bucket_begin[b], sorted.data() + bucket_begin[b + 1]);
    });
    return sorted;
}

// What word i of the table is, when it is not its RawWord's bytes and count: lowered bytes of
// its own, the counts of later words lowercased alike added to its own, or (length kMerged)
// lowercased alike an earlier word, which counts it.
struct Final {
    const uint8_t* bytes;
    std::size_t length;
    uint64_t count;
};
constexpr std::size_t kMerged = ~std::size_t(0);
struct Override {
    std::size_t index;  // of the word in `words`
    Final final;
};

constexpr std::size_t kFetchAhead = 16;

// The table of `words` (in order of first occurrence), each word as its RawWord says unless
// `overrides` (sorted by index; few: the non-ASCII words, lowered) say otherwise. Filled in
// parallel: slices of words count their bytes, then copy them in place.
WordTable fill_table(const detail::PodArray<RawWord>& words, const std::vector<Override>& overrides,
                     const Origin& origin, detail::PodArray<RawWord>& spare, const Control* ctl) {
    constexpr std::size_t kSlice = 8192;
    const std::size_t n_slices = block_count(words.size(), kSlice);
    // Calls f(i, final) for each word of slice k that is kept, in order.
    auto walk = [&](std::size_t k, auto&& f) {
        const std::size_t first = k * kSlice, stop = std::min(words.size(), first + kSlice);
        auto o = std::lower_bound(overrides.begin(), overrides.end(), first,
                                  [](const Override& x, std::size_t i) { return x.index < i; });
        for (std::size_t i = first; i < stop; ++i) {
            if (o != overrides.end() && o->index == i) {
                const Final g = (o++)->final;
                if (g.length != kMerged) f(i, g, stop);
                continue;
            }
            f(i, Final{words[i].bytes, words[i].length(), words[i].count}, stop);
        }
    };
    std::vector<std::size_t> slice_words(n_slices + 1, 0), slice_bytes(n_slices + 1, 0);
    parallel_blocks(n_slices, [&](std::size_t k) {
        check_cancel(ctl);
        std::size_t kept = 0, bytes = 0;
        walk(k, [&](std::size_t, const Final& f, std::size_t) {
            ++kept;
            bytes += f.length + 1;
        });
        slice_words[k + 1] = kept;
        slice_bytes[k + 1] = bytes;
    });
    for (std::size_t k = 0; k < n_slices; ++k) {
        slice_words[k + 1] += slice_words[k];
        slice_bytes[k + 1] += slice_bytes[k];
    }
    WordTable out;
    // The entries take the place of the merged words (read no more) when they fit there, and
    // the result does not hold more than twice the memory it needs: no fresh pages to fault in.
    const std::size_t need = slice_words[n_slices] * sizeof(WordTable::Entry);
    const std::size_t room = spare.capacity() * sizeof(RawWord);
    if (need > 0 && room >= need && room <= 2 * need)
        out.reuse_for_entries(detail::PodArray<WordTable::Entry>::reuse(std::move(spare)));
    out.resize_for_fill(slice_words[n_slices], slice_bytes[n_slices] - slice_words[n_slices]);
    WordTable::Entry* entries = out.entry_data();
    char* bytes = out.byte_data();
    parallel_blocks(n_slices, [&](std::size_t k) {
        check_cancel(ctl);
        std::size_t e = slice_words[k], at = slice_bytes[k];
        walk(k, [&](std::size_t i, const Final& f, std::size_t stop) {
            // The bytes are in their partitions' arrays, in no useful order: fetch them a few
            // words ahead, so that the copies' cache misses overlap.
            if (i + kFetchAhead < stop) __builtin_prefetch(words[i + kFetchAhead].bytes);
            entries[e++] =
                WordTable::Entry{f.count, origin.part, origin.offset + words[i].key, at, f.length};
            std::memcpy(bytes + at, f.bytes, f.length);
            bytes[at + f.length] = '\n';
            at += f.length + 1;
        });
    });
    return out;
}

// Appends the lowercase of a word that is not ASCII to out. A word of megabytes is lowered in
// pieces of 1 MiB on every thread (each character's context is still the whole word), 4 pieces
// at a time into the same 4 buffers, each round then appended: one word must not take one
// thread for the whole lowering, nor its memory twice (fresh pages cost more than the lowering).
void lower_word(const CaseTable& table, const RawWord& w, detail::PodArray<uint8_t>& out,
                const Control* ctl) {
    constexpr std::size_t kPiece = std::size_t(1) << 20, kRound = 4;
    const std::size_t n = w.length();
    if (n < 2 * kPiece) {
        lower_utf8(table, w.bytes, n, Beyond::Uncased, Beyond::Uncased, out);
        return;
    }
    auto start = [&](std::size_t k) {  // of piece k: the first character at or after k MiB
        std::size_t at = std::min(n, k * kPiece);
        while (at < n && utf8::is_continuation(w.bytes[at])) ++at;
        return at;
    };
    const std::size_t n_pieces = block_count(n, kPiece);
    std::vector<detail::PodArray<uint8_t>> pieces(std::min(n_pieces, kRound));
    out.reserve(std::max(out.size() + n, 2 * out.capacity()));  // amortized: a slice's words
    for (std::size_t first = 0; first < n_pieces; first += kRound) {
        const std::size_t round = std::min(kRound, n_pieces - first);
        parallel_blocks(round, [&](std::size_t j) {
            check_cancel(ctl);
            pieces[j].clear();
            lower_utf8(table, w.bytes, n, start(first + j), start(first + j + 1),
                       Beyond::Uncased, Beyond::Uncased, pieces[j]);
        });
        for (std::size_t j = 0; j < round; ++j) out.append(pieces[j].data(), pieces[j].size());
    }
}

// Where word non_ascii[j]'s lowered form is in its slice's buffer (at, length); kUnchanged when
// it lowers to itself (its lowered copy is then dropped: the word's own bytes serve).
constexpr std::size_t kUnchanged = ~std::size_t(0);
using LowAt = std::pair<std::size_t, std::size_t>;

// Gives back the pages of the words of megabytes that were lowered: from here on only their
// lowered forms are read (a word is otherwise held three times at the peak: as counted, lowered,
// and copied into the table). The words' bytes are the count's own scratch (its thread tables'
// arenas, which finish() discards), never a caller's. A word that lowers to itself keeps its
// bytes: they are its final form.
void release_lowered_originals(const detail::PodArray<RawWord>& words,
                               const std::vector<std::size_t>& lowered,
                               const std::vector<LowAt>& low) {
    constexpr std::size_t kReleaseFrom = std::size_t(2) << 20;  // lower_word's pieces start here
    for (std::size_t j = 0; j < lowered.size(); ++j) {
        const RawWord& w = words[lowered[j]];
        if (w.length() >= kReleaseFrom && low[j].first != kUnchanged)
            zero_releasing(const_cast<uint8_t*>(w.bytes), w.length());
    }
}

// A word that lowers to something else: its index in `words`, and where its lowered form is in
// its slice's buffer.
struct Changed {
    std::size_t index, at, length;
};

// Whether the n bytes at a and b are equal: a word's lowered form against its bytes. A call of
// memcmp per word was 6% of the count of 2M distinct CJK words (perf).
HL_INLINE bool same_bytes(const uint8_t* a, const uint8_t* b, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        if (load64(a + i) != load64(b + i)) return false;
    for (; i < n; ++i)
        if (a[i] != b[i]) return false;
    return true;
}

// Lowercases the words that are not ASCII (when there is a case table), merges those that lower
// alike, and builds the table. `words` are in order of first occurrence. The lowering runs in
// parallel, over slices of all the words (no serial pass lists the non-ASCII ones first); the
// merging of lowered words goes through them in order on one thread, and only when some word
// lowers to something else.
WordTable build_table(const detail::PodArray<RawWord>& words, const TextOptions& options,
                      const Origin& origin, detail::PodArray<RawWord>& spare,
                      const Control* ctl) {
    if (!options.casing) return fill_table(words, {}, origin, spare, ctl);
    // Lowered forms, slice by slice: lowered[k] holds those of slice k's words that change.
    constexpr std::size_t kSlice = 4096;
    const std::size_t n_slices = block_count(words.size(), kSlice);
    std::vector<detail::PodArray<uint8_t>> lowered(n_slices);
    std::vector<std::vector<Changed>> changed(n_slices);
    std::vector<uint8_t> lowers_to_ascii(n_slices, 0);
    parallel_blocks(n_slices, [&](std::size_t k) {
        check_cancel(ctl);
        detail::PodArray<uint8_t>& out = lowered[k];
        const std::size_t stop = std::min(words.size(), (k + 1) * kSlice);
        for (std::size_t i = k * kSlice; i < stop; ++i) {
            // The bytes are in their partitions' arrays, in no useful order: fetched ahead, as
            // in fill_table (count of cyr1m 1.08x, asc1m 1.04x: 6 runs, interleaved).
            if (i + kFetchAhead < stop && !words[i + kFetchAhead].ascii())
                __builtin_prefetch(words[i + kFetchAhead].bytes);
            const RawWord& w = words[i];
            if (w.ascii()) continue;
            const std::size_t at = out.size();
            lower_word(*options.casing, w, out, ctl);
            if (out.size() - at == w.length() && same_bytes(out.data() + at, w.bytes, w.length())) {
                out.resize(at);  // lowercase already (all of CJK, most words of most text)
                continue;
            }
            changed[k].push_back(Changed{i, at, out.size() - at});
            if (is_ascii(out.data() + at, out.size() - at)) lowers_to_ascii[k] = 1;
        }
    });
    // Words that all lower to themselves stay distinct: nothing to merge, no word overridden.
    // Skipping the serial index of every non-ASCII word (one cache miss or more each) made the
    // count of 2M distinct CJK words 1.7-1.8x faster, of 1M Cyrillic ones 1.26x (2 cores).
    if (std::all_of(changed.begin(), changed.end(), [](const auto& c) { return c.empty(); })) {
        WordTable out = fill_table(words, {}, origin, spare, ctl);
        out.set_casing(options.casing->unicode_version);
        return out;
    }
    // The non-ASCII words (indices), and where each one's lowered form is (low[j] for word
    // non_ascii[j], in lowered[non_ascii[j] / kSlice]).
    std::vector<std::size_t> non_ascii;
    std::vector<LowAt> low;
    std::vector<std::size_t> next(n_slices, 0);  // each slice's next changed word
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i % kCheckEvery == 0) check_cancel(ctl);
        if (words[i].ascii()) continue;
        const std::vector<Changed>& c = changed[i / kSlice];
        std::size_t& n = next[i / kSlice];
        non_ascii.push_back(i);
        if (n < c.size() && c[n].index == i) {
            low.push_back(LowAt{c[n].at, c[n].length});
            ++n;
        } else {
            low.push_back(LowAt{kUnchanged, 0});
        }
    }
    release_lowered_originals(words, non_ascii, low);
    auto lowered_of = [&](std::size_t j) {
        const RawWord& w = words[non_ascii[j]];
        if (low[j].first == kUnchanged)
            return std::string_view(reinterpret_cast<const char*>(w.bytes), w.length());
        const detail::PodArray<uint8_t>& slice = lowered[non_ascii[j] / kSlice];
        return std::string_view(reinterpret_cast<const char*>(slice.data()) + low[j].first,
                                low[j].second);
    };
    // Distinct ASCII words stay distinct (they are lowercased already), so a lowered word can
    // only meet another lowered word - or, if it lowers to ASCII (KELVIN SIGN -> k), an ASCII
    // word: then every word joins the index.
    const bool to_ascii = std::find(lowers_to_ascii.begin(), lowers_to_ascii.end(), 1) !=
                          lowers_to_ascii.end();
    std::vector<Override> overrides;
    if (!to_ascii) {  // one override per non-ASCII word, merged among themselves
        overrides.reserve(non_ascii.size());
        for (std::size_t j = 0; j < non_ascii.size(); ++j) {
            const std::string_view b = lowered_of(j);
            overrides.push_back(Override{
                non_ascii[j], Final{reinterpret_cast<const uint8_t*>(b.data()), b.size(),
                                    words[non_ascii[j]].count}});
        }
        WordIndex index(non_ascii.size());
        auto word_of = [&](uint64_t j) {
            const Final& f = overrides[static_cast<std::size_t>(j)].final;
            return std::string_view(reinterpret_cast<const char*>(f.bytes), f.length);
        };
        for (std::size_t j = 0; j < overrides.size(); ++j) {
            if (j % kCheckEvery == 0) check_cancel(ctl);
            const int64_t found = index.find_or_add(word_of(j), j, word_of);
            if (found >= 0) {
                overrides[static_cast<std::size_t>(found)].final.count += overrides[j].final.count;
                overrides[j].final.length = kMerged;
            }
        }
        WordTable out = fill_table(words, overrides, origin, spare, ctl);
        out.set_casing(options.casing->unicode_version);
        return out;
    }
    std::vector<uint64_t> counts(words.size());
    for (std::size_t i = 0; i < words.size(); ++i) counts[i] = words[i].count;
    std::vector<uint8_t> merged(words.size(), 0);
    std::vector<std::size_t> slot_of(words.size(), 0);  // non_ascii position + 1, or 0
    for (std::size_t j = 0; j < non_ascii.size(); ++j) slot_of[non_ascii[j]] = j + 1;
    auto final_bytes = [&](std::size_t i) {
        if (slot_of[i]) return lowered_of(slot_of[i] - 1);
        return std::string_view(reinterpret_cast<const char*>(words[i].bytes), words[i].length());
    };
    WordIndex index(words.size());
    auto word_of = [&](uint64_t i) { return final_bytes(static_cast<std::size_t>(i)); };
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i % kCheckEvery == 0) check_cancel(ctl);
        const int64_t found = index.find_or_add(final_bytes(i), i, word_of);
        if (found >= 0) {
            counts[static_cast<std::size_t>(found)] += counts[i];
            merged[i] = 1;
        }
    }
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (!slot_of[i] && !merged[i] && counts[i] == words[i].count) continue;
        const std::string_view b = final_bytes(i);
        overrides.push_back(Override{i, Final{reinterpret_cast<const uint8_t*>(b.data()),
                                              merged[i] ? kMerged : b.size(), counts[i]}});
    }
    WordTable out = fill_table(words, overrides, origin, spare, ctl);
    out.set_casing(options.casing->unicode_version);
    return out;
}

// The table from the thread tables; keys become offsets through `offset_of`.
template <class OffsetOf>
WordTable finish(tbb::enumerable_thread_specific<Tables>& tables, const TextOptions& options,
                 const Origin& origin, OffsetOf&& offset_of, Control* ctl) {
    if (ctl) ctl->check();
    std::vector<Tables*> all;
    for (Tables& t : tables) all.push_back(&t);
    detail::PodArray<RawWord> none;
    if (all.empty()) return build_table(none, options, origin, none, ctl);
    // The threads' tables are emptied as their words are merged out.
    PartitionWords parts;
    partition_words(all, offset_of, parts, ctl);
    const detail::PodArray<RawWord> words = sort_by_key(parts, ctl);
    return build_table(words, options, origin, parts.words, ctl);
}

// Progress units of the serial merge that follows the blocks (one per 4 blocks).
uint64_t finish_units(std::size_t n_blocks) noexcept { return n_blocks / 4 + 1; }

// ---- in-memory UTF-8 ----

// Malformed UTF-8 is reported at its offset in text, plus error_base.
WordTable count_utf8(const uint8_t* text, std::size_t n, const TextOptions& options,
                     const Origin& where, Control* ctl, uint64_t error_base = 0) {
    check_fits(where, n);
    const utf8::Rules rules = rules_of(options);
    std::size_t origin = 0;
    if (options.skip_bom && n >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF)
        origin = 3;
    const std::size_t n_blocks = block_count(n, kBlockBytes);
    if (ctl) ctl->add_total(finish_units(n_blocks));
    std::vector<std::size_t> cuts(n_blocks + 1);
    for (std::size_t b = 0; b <= n_blocks; ++b)
        cuts[b] = std::max(origin, utf8::boundary_at_or_after(text, n, std::min(b * kBlockBytes, n),
                                                              rules));
    std::vector<Malformation> errors(n_blocks);
    std::vector<uint32_t> features(n_blocks, 0);
    tbb::enumerable_thread_specific<Tables> tables;
    parallel_blocks(
        n_blocks,
        [&](std::size_t b) {
            if (cuts[b] >= cuts[b + 1]) return;
            if (options.report_features)
                features[b] = decoded_features(text + cuts[b], cuts[b + 1] - cuts[b], rules,
                                               options.errors);
            Block block{text, n, cuts[b], cuts[b + 1],
                        unit_before_is(text, n, cuts[b], origin, true, rules, options.errors) ==
                            Before::Word,
                        true, cuts[b]};
            BlockScanner scanner(options, tables.local());
            errors[b] = scanner.scan(block, nullptr);
        },
        ctl);
    check_errors(errors, error_base);
    WordTable out = finish(tables, options, where, [](uint64_t k) { return k; }, ctl);
    uint32_t f = 0;
    for (uint32_t x : features) f |= x;
    out.set_features(f);
    out.add_span({where.part, where.offset, where.offset + n});
    if (ctl) ctl->advance(finish_units(n_blocks));
    return out;
}

// ---- str layouts: Latin-1, UCS-2, UCS-4 code points ----

// If the 16 code units at u are ASCII, writes them to out as bytes and returns true.
template <class U>
HL_INLINE bool ascii16(const U* u, uint8_t* out) noexcept {
#if defined(__SSE2__)
    const __m128i* v = reinterpret_cast<const __m128i*>(u);
    if constexpr (sizeof(U) == 1) {
        const __m128i a = _mm_loadu_si128(v);
        if (_mm_movemask_epi8(a) != 0) return false;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), a);
        return true;
    } else if constexpr (sizeof(U) == 2) {
        const __m128i a = _mm_loadu_si128(v), b = _mm_loadu_si128(v + 1);
        const __m128i high = _mm_and_si128(_mm_or_si128(a, b), _mm_set1_epi16(int16_t(0xFF80)));
        if (_mm_movemask_epi8(_mm_cmpeq_epi16(high, _mm_setzero_si128())) != 0xFFFF) return false;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(a, b));
        return true;
    } else {
        const __m128i a = _mm_loadu_si128(v), b = _mm_loadu_si128(v + 1);
        const __m128i c = _mm_loadu_si128(v + 2), d = _mm_loadu_si128(v + 3);
        const __m128i any = _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d));
        const __m128i high = _mm_and_si128(any, _mm_set1_epi32(int32_t(0xFFFFFF80)));
        if (_mm_movemask_epi8(_mm_cmpeq_epi32(high, _mm_setzero_si128())) != 0xFFFF) return false;
        // Values < 0x80: the signed saturating packs keep them as they are.
        const __m128i lo = _mm_packs_epi32(a, b), hi = _mm_packs_epi32(c, d);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(lo, hi));
        return true;
    }
#else
    U any = 0;
    for (int k = 0; k < 16; ++k) any |= u[k];
    if (any >= 0x80) return false;
    for (int k = 0; k < 16; ++k) out[k] = static_cast<uint8_t>(u[k]);
    return true;
#endif
}

// Appends the UTF-8 of units [from, to) to out (surrogates as 'surrogatepass' writes them).
template <class U>
HL_INLINE void transcode(const U* units, std::size_t from, std::size_t to, ByteBuffer& out) {
    std::size_t at = out.size();
    out.resize(at + 4 * (to - from));
    uint8_t* o = out.data();
    std::size_t i = from;
    while (i < to) {
        if constexpr (sizeof(U) <= 2) {
            // ASCII, Latin, Greek, Cyrillic, ...: 16 units at a time (32 ASCII ones at AVX-512).
            const auto done = simd_run<text::TranscodeShort>(units + i, to - i, o + at);
            i += done.first;
            at += done.second;
            if (to - i < 16) {
                for (; i < to; ++i) at += static_cast<std::size_t>(utf8::encode(units[i], o + at));
                break;
            }
        } else if (to - i >= 16 && ascii16(units + i, o + at)) {
            at += 16;
            i += 16;
            continue;
        }
        // Otherwise encode the next 16 one by one before looking again.
        for (const std::size_t stop = std::min(to, i + 16); i < stop; ++i) {
            const uint32_t c = units[i];
            if (c < 0x80) {
                o[at++] = static_cast<uint8_t>(c);
                continue;
            }
            if (c > 0x10FFFF)
                fail(ErrorKind::InvalidArgument,
                     "code point " + std::to_string(c) + " is above U+10FFFF");
            at += static_cast<std::size_t>(utf8::encode(c, o + at));
        }
    }
    out.resize(at);
}

template <class U>
WordTable count_units(const U* units, std::size_t n, TextOptions options, const Origin& origin,
                      Control* ctl) {
    options.allow_surrogates = true;  // a str may hold lone surrogates
    options.errors = DecodeErrors::Strict;
    const utf8::Rules rules = rules_of(options);
    const std::size_t n_blocks = block_count(n, kBlockUnits);
    if (ctl) ctl->add_total(finish_units(n_blocks));
    std::vector<uint64_t> own_bytes(n_blocks, 0);
    std::vector<uint32_t> features(n_blocks, 0);
    std::vector<Malformation> errors(n_blocks);
    tbb::enumerable_thread_specific<Tables> tables;
    tbb::enumerable_thread_specific<ByteBuffer> windows;
    parallel_blocks(
        n_blocks,
        [&](std::size_t b) {
            const std::size_t cut = b * kBlockUnits, next = std::min(n, cut + kBlockUnits);
            ByteBuffer& w = windows.local();
            w.clear();
            if (utf8::inside_one_word(units, cut, next, rules)) {
                // No word starts here: only the block's UTF-8 size (and features) count.
                // Reading on to the end of the word, as a block that starts one must, would
                // cost every such block the rest of the word: quadratic in a long word's
                // length (a line of CJK or other text without spaces).
                transcode(units, cut, next, w);
                own_bytes[b] = w.size();
                if (options.report_features) features[b] = text_features(w.data(), w.size());
                return;
            }
            transcode(units, cut - std::min(cut, kContextUnits), cut, w);
            const std::size_t begin = w.size();
            transcode(units, cut, next, w);
            const std::size_t end = w.size();
            // The rest of the last word, then some context.
            const std::size_t k = utf8::find_split(units, next, n, rules);
            const std::size_t stop = std::min(n, k + kContextUnits);
            transcode(units, next, stop, w);
            own_bytes[b] = end - begin;
            if (options.report_features)
                features[b] = text_features(w.data() + begin, end - begin);
            Block block{w.data(), w.size(), begin, end, cut > 0 && !rules.splits(units[cut - 1]),
                        stop == n, uint64_t(b) << 32};
            BlockScanner scanner(options, tables.local());
            errors[b] = scanner.scan(block, nullptr);
        },
        ctl);
    check_errors(errors);  // only a code point above U+10FFFF can fail, and it throws above
    windows.clear();  // the finish needs them no more (a word of megabytes: as large as it)
    std::vector<uint64_t> base(n_blocks + 1, 0);
    for (std::size_t b = 0; b < n_blocks; ++b) base[b + 1] = base[b] + own_bytes[b];
    check_fits(origin, base[n_blocks]);
    WordTable out = finish(
        tables, options, origin,
        [&](uint64_t key) { return base[key >> 32] + (key & 0xFFFFFFFFu); }, ctl);
    uint32_t f = 0;
    for (uint32_t x : features) f |= x;
    out.set_features(f);
    out.add_span({origin.part, origin.offset, origin.offset + base[n_blocks]});
    if (ctl) ctl->advance(finish_units(n_blocks));
    return out;
}

// ---- files ----

// A block's window of a file: bytes [lo, hi) read into a thread's buffer.
class FileWindow final : public Grower {
public:
    FileWindow(const FileReader& file, ByteBuffer& buffer)
        : file_(file), buffer_(buffer) {}

    void read(uint64_t lo, uint64_t hi) {
        lo_ = lo;
        hi_ = std::min(hi, file_.size());
        file_.read(lo_, static_cast<std::size_t>(hi_ - lo_), buffer_);
    }
    bool grow(Block& block) override {
        if (hi_ >= file_.size()) return false;
        read(lo_, hi_ + std::max<uint64_t>(kLookahead, 2 * (hi_ - lo_)));
        block.text = buffer_.data();
        block.size = buffer_.size();
        block.at_input_end = hi_ == file_.size();
        return true;
    }
    uint64_t lo() const noexcept { return lo_; }
    uint64_t hi() const noexcept { return hi_; }
    const uint8_t* data() const noexcept { return buffer_.data(); }
    std::size_t size() const noexcept { return buffer_.size(); }

private:
    const FileReader& file_;
    ByteBuffer& buffer_;
    uint64_t lo_ = 0, hi_ = 0;
};

// The bytes a 'utf-8-sig' read skips at the start of a file whose first `n` bytes (or all, if
// `whole`) are `data`: its BOM, or the whole file when it is only the start of one (EF, EF BB).
// open(path, encoding="utf-8-sig").read() gives "" for those: its incremental decoder holds
// them back as a BOM still to come, and drops them at the end of the file. (bytes.decode
// raises instead, which is count_utf8's reference: only files follow open().)
std::size_t file_bom_bytes(const uint8_t* data, std::size_t n, bool whole) noexcept {
    static constexpr uint8_t kBom[3] = {0xEF, 0xBB, 0xBF};
    if (n >= 3) return std::memcmp(data, kBom, 3) == 0 ? 3 : 0;
    return whole && n > 0 && std::memcmp(data, kBom, n) == 0 ? n : 0;
}

WordTable count_file_range(const FileReader& file, uint64_t start, uint64_t end,
                           const TextOptions& options, uint64_t part, Control* ctl) {
    const utf8::Rules rules = rules_of(options);
    const uint64_t size = file.size();
    end = std::min(end, size);
    start = std::min(start, end);
    const std::size_t n_blocks = block_count(static_cast<std::size_t>(end - start), kBlockBytes);
    if (ctl) ctl->add_total(finish_units(n_blocks));
    std::vector<Malformation> errors(n_blocks);
    std::vector<uint32_t> features(n_blocks, 0);
    tbb::enumerable_thread_specific<Tables> tables;
    tbb::enumerable_thread_specific<ByteBuffer> buffers;
    parallel_blocks(
        n_blocks,
        [&](std::size_t b) {
            const uint64_t cut = start + b * kBlockBytes;
            const uint64_t next = std::min(end, cut + kBlockBytes);
            FileWindow w(file, buffers.local());
            std::size_t behind = kLookbehind;
            Before before;
            std::size_t begin = 0;
            for (;;) {  // widened only when errors="ignore" meets a long malformed run
                w.read(cut - std::min<uint64_t>(cut, behind), next + kLookahead);
                const bool at_start = w.lo() == 0;
                const std::size_t origin =
                    at_start && options.skip_bom
                        ? file_bom_bytes(w.data(), w.size(), w.hi() == size)
                        : 0;
                begin = std::max(origin, utf8::boundary_at_or_after(
                                             w.data(), w.size(),
                                             static_cast<std::size_t>(cut - w.lo()), rules));
                before = unit_before_is(w.data(), w.size(), begin, origin, at_start, rules,
                                        options.errors);
                if (before != Before::Unknown) break;
                behind *= 4;
            }
            const std::size_t stop =
                next >= size ? w.size()
                             : utf8::boundary_at_or_after(w.data(), w.size(),
                                                          static_cast<std::size_t>(next - w.lo()),
                                                          rules);
            if (begin >= stop) return;
            if (options.report_features)
                features[b] = decoded_features(w.data() + begin, stop - begin, rules,
                                               options.errors);
            Block block{w.data(), w.size(), begin, stop, before == Before::Word,
                        w.hi() == size, w.lo() + begin};
            BlockScanner scanner(options, tables.local());
            errors[b] = scanner.scan(block, &w);
        },
        ctl);
    check_errors(errors);
    WordTable out = finish(tables, options, Origin{part, 0}, [](uint64_t k) { return k; }, ctl);
    uint32_t f = 0;
    for (uint32_t x : features) f |= x;
    out.set_features(f);
    out.add_span({part, start, end});
    if (ctl) ctl->advance(finish_units(n_blocks));
    return out;
}


// ---- streams: pipes, devices, /proc files ----
// Read once, in order, and counted in pieces of about kStreamPiece bytes, each cut just after
// its last ASCII whitespace byte (the rest starts the next piece): neither a word, nor a
// multi-byte character, nor the context of a final sigma crosses such a cut (none of these
// bytes is case-ignorable), so the pieces' tables, merged, are exactly the whole stream's. The
// memory held is the table, one piece and the word being read: an endless stream of words
// (`yes`) stays small. A word, or any run of bytes without ASCII whitespace, is held whole
// until it ends, up to kStreamWordMax bytes: a longer one is refused, so that /dev/zero (one
// endless word of NUL bytes) fails once that much is read instead of growing until memory
// runs out, as open(path).read() would.

constexpr std::size_t kStreamRead = std::size_t(1) << 20;
constexpr std::size_t kStreamWordMax = std::size_t(256) << 20;
constexpr std::size_t kStreamPiece = std::size_t(8) << 20;

// Tables merged as they come, as a binary counter carries: a table of 2^k pieces is merged
// with the next one of 2^k, so n pieces cost O(words log n) merge work, not O(words n).
class MergeStack {
public:
    explicit MergeStack(Control* ctl) : ctl_(ctl) {}
    bool empty() const noexcept { return tables_.empty(); }
    void push(WordTable table) {
        tables_.emplace_back(std::move(table), 1);
        while (tables_.size() > 1 && tables_[tables_.size() - 2].second <= tables_.back().second)
            merge_last_two();
    }
    WordTable result() {
        while (tables_.size() > 1) merge_last_two();
        return std::move(tables_.back().first);
    }

private:
    void merge_last_two() {
        auto& [a, m] = tables_[tables_.size() - 2];
        // The older table first: its spans come first, which spares the merge its sort.
        a = WordTable::merge(a, tables_.back().first, ctl_);
        m += tables_.back().second;
        tables_.pop_back();
    }
    Control* ctl_;
    std::vector<std::pair<WordTable, uint64_t>> tables_;  // (table, pieces), pieces decreasing
};

// The bytes that split words under every interpreter's rules (U+001C..U+001F do not under
// PyPy's for ASCII-only text): a cut after one is a word boundary whatever the Rules.
bool is_ascii_space(uint8_t c) noexcept { return c == ' ' || (c >= '\t' && c <= '\r'); }

// The run of bytes without ASCII whitespace that ends a stream's bytes read so far, after
// `fresh` (got bytes) is read: `run` long before it, starting at stream offset `start`. Throws
// InvalidArgument once the run is longer than kStreamWordMax.
std::size_t run_after(const FileReader& file, const uint8_t* fresh, std::size_t got,
                      std::size_t run, uint64_t start) {
    std::size_t first = 0;
    while (first < got && !is_ascii_space(fresh[first])) ++first;
    if (run + first > kStreamWordMax)
        fail(ErrorKind::InvalidArgument,
             "'" + file.path() + "' is a pipe, device or other stream holding a word of more " +
                 "than " + std::to_string(kStreamWordMax >> 20) + " MiB (a run without ASCII " +
                 "whitespace, from byte " + std::to_string(start) + "): a stream is counted " +
                 "in pieces cut at whitespace, and one word may hold at most " +
                 std::to_string(kStreamWordMax >> 20) + " MiB (is it text? /dev/zero never " +
                 "ends)");
    for (std::size_t i = got; i > first; --i)
        if (is_ascii_space(fresh[i - 1])) return got - i;
    return run + got;  // no whitespace read
}

// A stream read whole into memory and held by `file` (for a byte range of it: the ranges of a
// /proc or sysfs file), its words no longer than kStreamWordMax as count_stream's.
void read_whole_stream(FileReader& file, const Control* ctl) {
    ByteBuffer all;
    std::size_t n = 0, run = 0;
    for (;;) {
        all.resize(n + kStreamRead);
        const std::size_t got = file.read_some(all.data() + n, kStreamRead, ctl);
        if (got == 0) break;
        run = run_after(file, all.data() + n, got, run, n - run);
        n += got;
    }
    all.resize(n);
    file.hold(std::move(all));
}

WordTable count_stream(FileReader& file, const TextOptions& options, uint64_t part,
                       Control* ctl) {
    ByteBuffer held;       // read and not counted yet
    std::size_t n = 0;     // bytes held
    std::size_t cut = 0;   // one past the last ASCII whitespace byte held, or 0
    uint64_t offset = 0;   // the stream offset of held[0]
    MergeStack tables(ctl);
    // Room for a piece, then, once a word outgrows that, for the longest word at once: no
    // buffer doubling, whose copies of hundreds of MB would delay a cancel, and no more
    // resident memory than the bytes held (pages never written are never resident).
    held.reserve(kStreamPiece + kStreamRead);
    for (bool end = false; !end;) {
        if (n + kStreamRead > held.capacity()) held.reserve(kStreamWordMax + kStreamRead);
        held.resize(n + kStreamRead);
        const std::size_t got = file.read_some(held.data() + n, kStreamRead, ctl);
        end = got == 0;
        const std::size_t run = n - cut;
        const std::size_t after = run_after(file, held.data() + n, got, run, offset + cut);
        if (after != run + got) cut = n + got - after;  // whitespace was read
        n += got;
        if (end) cut = n;  // the last piece: all of it
        if ((!end && n < kStreamPiece) || cut == 0) {
            if (!(end && tables.empty())) continue;  // else: the empty stream's table
        }
        TextOptions o = options;
        o.skip_bom = options.skip_bom && offset == 0;
        // A whole stream that only starts a BOM (EF, EF BB) is empty text, as for a file.
        if (o.skip_bom && end && cut > 0 && file_bom_bytes(held.data(), cut, true) == cut) {
            WordTable t;
            if (options.casing) t.set_casing(options.casing->unicode_version);
            t.add_span({part, 0, cut});
            return t;
        }
        tables.push(count_utf8(held.data(), cut, o, Origin{part, offset}, ctl, offset));
        std::memmove(held.data(), held.data() + cut, n - cut);
        n -= cut;
        offset += cut;
        cut = 0;
    }
    return tables.result();
}
}  // namespace

bool is_python_whitespace(char32_t c) noexcept { return utf8::Rules{}.splits(c); }

std::vector<char32_t> splitting_whitespace(const TextOptions& options) {
    const utf8::Rules rules = rules_of(options);
    std::vector<char32_t> out;
    for (char32_t c : utf8::kPythonWhitespace)
        if (rules.splits(c)) out.push_back(c);
    if (rules.splits(utf8::kMongolianVowelSeparator)) out.push_back(utf8::kMongolianVowelSeparator);
    std::sort(out.begin(), out.end());
    return out;
}

WordTable count_words(const void* text, std::size_t n_units, TextEncoding encoding,
                      const TextOptions& options, uint64_t part, Control* ctl) {
    return count_words_at(text, n_units, encoding, options, part, 0, ctl);
}

WordTable count_words_at(const void* text, std::size_t n_units, TextEncoding encoding,
                         const TextOptions& options, uint64_t part, uint64_t offset,
                         Control* ctl) {
    const Origin origin{part, offset};
    if (n_units > 0 && text == nullptr) fail(ErrorKind::InvalidArgument, "text is NULL");
    // n_units of 2 or 4 bytes that span more than the address space are a caller's error, not
    // a block table too large to allocate (HL_ERR_NO_MEMORY, or an ASan abort).
    const std::size_t unit = encoding == TextEncoding::Ucs2   ? 2
                             : encoding == TextEncoding::Ucs4 ? 4
                                                               : 1;
    check_array(text, n_units, unit, "text");
    // The kernels read UCS-2 and UCS-4 code units through typed pointers: text that is not
    // aligned to its unit (UTF-16 at an odd offset of a byte buffer, from C) is read through one
    // aligned copy, as an unaligned hl_view is.
    Buffer aligned;
    if (n_units > 0 && reinterpret_cast<std::uintptr_t>(text) % unit != 0) {
        aligned = Buffer(unit == 2 ? DType::UInt16 : DType::UInt32, n_units);
        std::memcpy(aligned.data(), text, n_units * unit);
        text = aligned.data();
    }
    switch (encoding) {
        case TextEncoding::Utf8:
            return count_utf8(static_cast<const uint8_t*>(text), n_units, options, origin, ctl);
        case TextEncoding::Latin1:
            return count_units(static_cast<const uint8_t*>(text), n_units, options, origin, ctl);
        case TextEncoding::Ucs2:
            return count_units(static_cast<const uint16_t*>(text), n_units, options, origin, ctl);
        case TextEncoding::Ucs4:
            return count_units(static_cast<const uint32_t*>(text), n_units, options, origin, ctl);
    }
    fail(ErrorKind::InvalidArgument, "unknown text encoding");
}

WordTable count_words_in_file(const std::string& path, uint64_t start, uint64_t end,
                              const TextOptions& options, uint64_t part, Control* ctl) {
    if (start > end) fail(ErrorKind::InvalidArgument, "start > end");
    // A file that shrinks while it is read is counted again from its new size; it is only
    // given up on (as an OSError) if it keeps changing. One that reads short of a size it
    // still claims (sysfs, and other file systems whose sizes are not their contents) is read
    // whole instead, as open().read() reads it.
    bool whole = false;
    for (int attempt = 0;; ++attempt) {
        FileReader file(path, whole);
        if (file.stream()) {
            if (start == 0 && end == ~uint64_t(0)) return count_stream(file, options, part, ctl);
            read_whole_stream(file, ctl);  // a range of it: from memory
        }
        try {
            return count_file_range(file, start, end, options, part, ctl);
        } catch (const FileChanged& changed) {
            if (changed.size_lies && !whole) {
                whole = true;
                continue;
            }
            if (attempt == 2)
                throw Error(ErrorKind::Io, "file '" + path +
                                               "' kept shrinking while it was read (3 attempts)");
        }
    }
}

}  // namespace hotloop
