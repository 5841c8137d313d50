// hotloop::WordTable: the mergeable result of a word count (building, most_common, merge, the
// serialized format).
//
// Serialized format, version 1 (all integers little-endian):
//   offset 0   "HLWT"                  magic
//          4   uint32 format version   1; any other value is refused with a message naming it
//          8   uint64 n_words
//         16   uint64 n_spans
//         24   uint64 words_size       total bytes of the words
//         32   uint32 features         kSaw* bits
//         36   uint32 casing_size      bytes of the Unicode version string that follows
//         40   casing, then zero padding to a multiple of 8
//              n_spans x (uint64 part, begin, end)
//              n_words x (uint64 count, part, offset, length), in order of first occurrence
//              the words' UTF-8, one after the other (words_size bytes)
// A change to the layout gets a new version number; readers refuse versions they do not know.
#include <algorithm>
#include <cstring>

#include "hotloop/error.hpp"
#include "hotloop/text.hpp"
#include "utf8.hpp"
#include "word_table.hpp"

namespace hotloop {
namespace {

constexpr char kMagic[4] = {'H', 'L', 'W', 'T'};
constexpr uint32_t kFormatVersion = 1;

bool key_less(const WordTable::Entry& a, const WordTable::Entry& b) noexcept {
    return a.part != b.part ? a.part < b.part : a.offset < b.offset;
}

void check_spans_disjoint(std::vector<WordTable::Span> spans) {
    std::sort(spans.begin(), spans.end(), [](const auto& x, const auto& y) {
        return x.part != y.part ? x.part < y.part : x.begin < y.begin;
    });
    for (std::size_t i = 1; i < spans.size(); ++i) {
        const auto& p = spans[i - 1];
        const auto& q = spans[i];
        if (p.part == q.part && q.begin < p.end && q.begin < q.end && p.begin < p.end)
            fail(ErrorKind::InvalidArgument,
                 "the word tables both hold bytes " + std::to_string(q.begin) + ".." +
                     std::to_string(std::min(p.end, q.end)) + " of part " +
                     std::to_string(q.part) +
                     ": give each text or file its own part number (part=...), and merge each "
                     "table once");
    }
}

// Joins adjacent spans of one part (and empty ones at the edge of or inside another: an empty
// text counted nothing), so that a table merged from many ranges stays small and pieces that
// tile a text get the whole text's one span, in whatever order they were merged. The spans
// are disjoint (check_spans_disjoint).
std::vector<WordTable::Span> coalesce(std::vector<WordTable::Span> spans) {
    std::sort(spans.begin(), spans.end(), [](const auto& x, const auto& y) {
        return x.part != y.part ? x.part < y.part : x.begin != y.begin ? x.begin < y.begin
                                                                        : x.end < y.end;
    });
    std::vector<WordTable::Span> out;
    for (const auto& s : spans) {
        if (!out.empty() && out.back().part == s.part && s.begin <= out.back().end)
            out.back().end = std::max(out.back().end, s.end);
        else
            out.push_back(s);
    }
    return out;
}

// Progress of a serial loop over entries: a cancel is seen, and progress advanced, every kStep
// entries (a merge of millions of words takes seconds; each entry of a table far larger than
// the caches costs a few cache misses, ~0.1-0.3 us, so 2^12 of them take about 1 ms, where
// 2^16 took 10-20 ms, and several times that on a loaded machine); finish() advances the rest.
class Steps {
public:
    static constexpr uint64_t kStep = uint64_t(1) << 12;
    explicit Steps(Control* ctl) : ctl_(ctl) {}
    void operator()() {
        if (ctl_ && ++done_ % kStep == 0) {
            ctl_->check();
            ctl_->advance(kStep);
        }
    }
    void finish() {
        if (ctl_) ctl_->advance(done_ % kStep);
    }

private:
    Control* ctl_;
    uint64_t done_ = 0;
};

constexpr uint64_t kNoMatch = ~uint64_t(0);

// Calls f(first, stop) over [0, n) in chunks of kChunk items, ctl (if any) checked before each:
// a merge's bulk steps (filling, copying, checking the order of millions of entries) take tens
// of milliseconds each, more than a cancel may wait in all.
template <class F>
void in_chunks(std::size_t n, const Control* ctl, F&& f) {
    constexpr std::size_t kChunk = std::size_t(1) << 18;
    for (std::size_t first = 0; first < n; first += kChunk) {
        if (ctl) ctl->check();
        f(first, std::min(n, first + kChunk));
    }
}

// Calls f(i, hash of word i) for the words [first, stop) of t, each word's index slot
// prefetched kAhead words before f probes it: the index of millions of words is far larger than
// the caches.
template <class F>
void with_hashes(const WordTable& t, const WordIndex& index, std::size_t first, std::size_t stop,
                 F&& f) {
    constexpr std::size_t kAhead = 8;
    uint64_t ahead[kAhead];
    const auto hash_ahead = [&](std::size_t k) {
        ahead[k % kAhead] = WordIndex::hash_of(t.word(k));
        index.prefetch(ahead[k % kAhead]);
    };
    for (std::size_t i = first; i < std::min(first + kAhead, stop); ++i) hash_ahead(i);
    for (std::size_t i = first; i < stop; ++i) {
        const uint64_t h = ahead[i % kAhead];
        if (i + kAhead < stop) hash_ahead(i + kAhead);
        f(i, h);
    }
}

// For each word j of b, the index of the same word in a (matches()[j]), or kNoMatch. The
// smaller table is indexed, on this thread; the other's words are then looked up in slices, in
// parallel (the index is only read): the index is as small as it can be, so that fewer of its
// probes miss the caches, and the lookups - most of the work - share the cores. Advances ctl
// by a.size() + b.size().
detail::PodArray<uint64_t> matches(const WordTable& a, const WordTable& b, Control* ctl) {
    detail::PodArray<uint64_t> match;  // huge pages, as the index: see WordIndex
    match.reserve(b.size());
    in_chunks(b.size(), ctl, [&](std::size_t first, std::size_t stop) {
        match.resize(stop);
        std::fill(&match[first], &match[first] + (stop - first), kNoMatch);
    });
    const bool index_a = a.size() < b.size();
    const WordTable& small = index_a ? a : b;
    const WordTable& large = index_a ? b : a;
    WordIndex index(small.size(), ctl);
    auto word_of = [&](uint64_t i) { return small.word(static_cast<std::size_t>(i)); };
    Steps step{ctl};
    with_hashes(small, index, 0, small.size(), [&](std::size_t i, uint64_t h) {
        index.find_or_add(small.word(i), h, i, word_of);  // distinct words: always added
        step();
    });
    step.finish();
    constexpr std::size_t kSlice = std::size_t(1) << 12;  // ~1 ms of lookups: as kStep
    parallel_blocks(block_count(large.size(), kSlice), [&](std::size_t s) {
        if (ctl) ctl->check();
        const std::size_t first = s * kSlice, stop = std::min(large.size(), first + kSlice);
        with_hashes(large, index, first, stop, [&](std::size_t i, uint64_t h) {
            const int64_t found = index.find(large.word(i), h, word_of);
            if (found < 0) return;
            // Words are distinct within a table: each element is written at most once.
            if (index_a)
                match[i] = static_cast<uint64_t>(found);
            else
                match[static_cast<std::size_t>(found)] = i;
        });
        if (ctl) ctl->advance(stop - first);
    });
    return match;
}

// Little-endian reader over untrusted bytes.
class Reader {
public:
    Reader(const uint8_t* p, std::size_t n) : p_(p), n_(n) {}
    uint64_t u64() { return get(8); }
    uint32_t u32() { return static_cast<uint32_t>(get(4)); }
    const uint8_t* take(uint64_t n) {
        need(n);
        const uint8_t* at = p_ + pos_;
        pos_ += static_cast<std::size_t>(n);
        return at;
    }
    std::size_t left() const noexcept { return n_ - pos_; }

private:
    void need(uint64_t n) const {
        if (n > n_ - pos_) fail(ErrorKind::InvalidArgument, "word table bytes are truncated");
    }
    uint64_t get(int bytes) {
        uint64_t v = 0;
        std::memcpy(&v, take(bytes), bytes);  // little-endian, as the host (word_table.hpp)
        return v;
    }
    const uint8_t* p_;
    std::size_t n_;
    std::size_t pos_ = 0;
};

void put(std::string& out, uint64_t v, int bytes) {
    out.append(reinterpret_cast<const char*>(&v), bytes);  // little-endian, as the host
}

[[noreturn]] void bad_table(const std::string& why) {
    fail(ErrorKind::InvalidArgument, "not a valid serialized word table: " + why);
}

}  // namespace

void WordTable::append(std::string_view word, uint64_t count, uint64_t part, uint64_t offset) {
    entries_.push_back(Entry{count, part, offset, bytes_.size(), word.size()});
    bytes_.append(word.data(), word.size());
    bytes_.push_back('\n');
}

void WordTable::reserve(std::size_t words, std::size_t bytes) {
    entries_.reserve(words);
    bytes_.reserve(bytes + words);
}

std::vector<std::size_t> WordTable::most_common(std::size_t k, const Control* ctl) const {
    std::vector<std::size_t> order(entries_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    // Entries are in order of first occurrence, so the index breaks ties.
    auto before = [this](std::size_t x, std::size_t y) {
        const uint64_t cx = entries_[x].count, cy = entries_[y].count;
        return cx != cy ? cx > cy : x < y;
    };
    // With a control, a cancel is checked every 2^20 comparisons (one sort of millions of words
    // takes seconds): the sort then stops by the exception, and `order` is dropped. The count is
    // shared by the copies of the comparison that std::sort and std::partial_sort make.
    std::size_t left = std::size_t(1) << 20;
    auto checked = [&before, ctl, &left](std::size_t x, std::size_t y) {
        if (--left == 0) {
            left = std::size_t(1) << 20;
            ctl->check();
        }
        return before(x, y);
    };
    auto sort = [&](auto less) {
        if (k >= order.size()) {
            std::sort(order.begin(), order.end(), less);
        } else {
            std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k),
                              order.end(), less);
            order.resize(k);
        }
    };
    if (ctl)
        sort(checked);
    else
        sort(before);
    return order;
}

WordTable WordTable::merge(const WordTable& a, const WordTable& b, Control* ctl) {
    if (a.casing_ != b.casing_)
        fail(ErrorKind::InvalidArgument,
             "the word tables were lowercased with different Unicode versions ('" + a.casing_ +
                 "' and '" + b.casing_ + "')");
    std::vector<Span> spans = a.spans_;
    spans.insert(spans.end(), b.spans_.begin(), b.spans_.end());
    check_spans_disjoint(spans);
    // Progress in entries: both tables' words matched (matches), then the result built (both
    // sizes again: a's words copied at once, b's one by one).
    if (ctl) {
        ctl->add_total(2 * (uint64_t(a.size()) + b.size()));
        ctl->check();
    }
    const detail::PodArray<uint64_t> match = matches(a, b, ctl);

    // Every word of a, then b's new words; counts add, the first occurrence is the smaller key.
    WordTable out;
    out.reserve(a.size() + b.size(), a.word_bytes() + b.word_bytes());
    in_chunks(a.size(), ctl, [&](std::size_t first, std::size_t stop) {
        out.entries_.append(a.entries_.data() + first, stop - first);
    });
    in_chunks(a.bytes_.size(), ctl, [&](std::size_t first, std::size_t stop) {
        out.bytes_.append(a.bytes_.data() + first, stop - first);
    });
    if (ctl) {
        ctl->check();
        ctl->advance(a.size());
    }
    Steps step{ctl};
    for (std::size_t j = 0; j < b.size(); ++j) {
        step();
        const Entry& e = b.entries_[j];
        if (match[j] == kNoMatch) {
            out.append(b.word(j), e.count, e.part, e.offset);
            continue;
        }
        Entry& mine = out.entries_[static_cast<std::size_t>(match[j])];
        // Counts beyond 2^64 - 1 (only forged tables hold such counts) must not wrap.
        if (__builtin_add_overflow(mine.count, e.count, &mine.count))
            fail(ErrorKind::Overflow,
                 "the merged word table would count a word more than 2^64 - 1 times");
        if (key_less(e, mine)) {
            mine.part = e.part;
            mine.offset = e.offset;
        }
    }
    if (ctl) ctl->check();
    // Already in order when b's parts or byte ranges all follow a's (tables merged in input
    // order): a's words, then b's new ones, each in order. Else the words are put in order.
    bool sorted = true;
    in_chunks(out.size(), ctl, [&](std::size_t first, std::size_t stop) {
        const Entry* e = out.entries_.begin();
        sorted = sorted && std::is_sorted(e + (first ? first - 1 : 0), e + stop, key_less);
    });
    if (!sorted) out = in_order(out, ctl);
    step.finish();
    out.spans_ = coalesce(std::move(spans));
    out.features_ = a.features_ | b.features_;
    out.casing_ = a.casing_;
    return out;
}

WordTable WordTable::in_order(const WordTable& t, const Control* ctl) {
    // Uninitialised, in huge pages (a std::vector's zero fill of 160 MB for 20M words ran
    // unchecked, and its 4 KiB pages took tens of ms to free when a cancel unwound).
    detail::PodArray<std::size_t> order;
    order.resize(t.size());
    in_chunks(order.size(), ctl, [&](std::size_t first, std::size_t stop) {
        for (std::size_t i = first; i < stop; ++i) order[i] = i;
    });
    // A cancel is checked every 2^18 comparisons (sorting millions of words takes seconds): the
    // sort then stops by the exception, and `order` is dropped. The count is shared by the
    // copies of the comparison that std::stable_sort makes.
    std::size_t left = std::size_t(1) << 18;
    std::stable_sort(order.data(), order.data() + order.size(), [&](std::size_t x, std::size_t y) {
        if (ctl && --left == 0) {
            left = std::size_t(1) << 18;
            ctl->check();
        }
        return key_less(t.entries_[x], t.entries_[y]);
    });
    WordTable out;
    out.reserve(t.size(), t.word_bytes());
    in_chunks(order.size(), ctl, [&](std::size_t first, std::size_t stop) {
        for (std::size_t k = first; k < stop; ++k) {
            const Entry& e = t.entries_[order[k]];
            out.append(t.word(order[k]), e.count, e.part, e.offset);
        }
    });
    return out;
}

std::string WordTable::to_bytes() const {
    std::string out(kMagic, 4);
    put(out, kFormatVersion, 4);
    put(out, entries_.size(), 8);
    put(out, spans_.size(), 8);
    put(out, word_bytes(), 8);
    put(out, features_, 4);
    put(out, casing_.size(), 4);
    out += casing_;
    out.append((8 - casing_.size() % 8) % 8, '\0');
    for (const Span& s : spans_) {
        put(out, s.part, 8);
        put(out, s.begin, 8);
        put(out, s.end, 8);
    }
    out.reserve(out.size() + 32 * entries_.size() + word_bytes());
    for (const Entry& e : entries_) {
        put(out, e.count, 8);
        put(out, e.part, 8);
        put(out, e.offset, 8);
        put(out, e.length, 8);
    }
    for (const Entry& e : entries_) out.append(bytes_.data() + e.at, e.length);
    return out;
}

WordTable WordTable::from_bytes(const void* data, std::size_t n) {
    if (data == nullptr && n > 0) fail(ErrorKind::InvalidArgument, "data is NULL");
    Reader r(static_cast<const uint8_t*>(data), n);
    if (n < 4 || std::memcmp(data, kMagic, 4) != 0)
        bad_table("it does not start with the magic bytes 'HLWT'");
    r.take(4);
    const uint32_t version = r.u32();
    if (version != kFormatVersion)
        fail(ErrorKind::InvalidArgument,
             "word table format version " + std::to_string(version) +
                 " is not supported: this hotloop reads version " +
                 std::to_string(kFormatVersion) + " (was it written by another hotloop version?)");
    const uint64_t n_words = r.u64(), n_spans = r.u64(), words_size = r.u64();
    WordTable t;
    t.features_ = r.u32();
    const uint32_t casing_size = r.u32();
    if (casing_size > 64) bad_table("its Unicode version string is too long");
    const uint8_t* casing = r.take(casing_size);
    t.casing_.assign(reinterpret_cast<const char*>(casing), casing_size);
    r.take((8 - casing_size % 8) % 8);
    if (n_spans > r.left() / 24) bad_table("it is truncated");
    for (uint64_t i = 0; i < n_spans; ++i) {
        Span s{r.u64(), r.u64(), r.u64()};
        if (s.begin > s.end) bad_table("a span ends before it begins");
        t.spans_.push_back(s);
    }
    check_spans_disjoint(t.spans_);
    if (n_words > r.left() / 32 || words_size != r.left() - 32 * n_words)
        bad_table("its sizes do not match its length");
    const uint8_t* meta = r.take(32 * n_words);
    const uint8_t* words = r.take(words_size);
    t.reserve(static_cast<std::size_t>(n_words), static_cast<std::size_t>(words_size));
    Reader m(meta, 32 * n_words);
    uint64_t at = 0;
    // A word holds no whitespace: a '\n' would also shift every later word of an export.
    // U+001C..U+001F may (PyPy keeps them inside ASCII-only words), and U+180E (CPython).
    utf8::Rules rules;
    rules.surrogates = true;
    rules.info_separators = false;
    for (uint64_t i = 0; i < n_words; ++i) {
        const uint64_t count = m.u64(), part = m.u64(), offset = m.u64(), length = m.u64();
        if (length == 0 || length > words_size - at) bad_table("a word's length is out of range");
        if (count == 0) bad_table("a word has count 0");
        const uint8_t* w = words + at;
        for (uint64_t k = 0; k < length;) {
            const utf8::Unit u = utf8::decode(w + k, w + length, rules);
            if (u.malformed) bad_table("a word is not valid UTF-8");
            if (u.space) bad_table("a word holds whitespace");
            k += static_cast<uint64_t>(u.length);
        }
        t.append(std::string_view(reinterpret_cast<const char*>(w), length), count, part, offset);
        if (i > 0 && !key_less(t.entries_[i - 1], t.entries_[i]))
            bad_table("its words are not in order of first occurrence");
        at += length;
    }
    if (at != words_size) bad_table("its word bytes do not add up");
    WordIndex index(t.size());
    auto word_of = [&](uint64_t i) { return t.word(i); };
    for (std::size_t i = 0; i < t.size(); ++i)
        if (index.find_or_add(t.word(i), i, word_of) >= 0) bad_table("a word appears twice");
    return t;
}

}  // namespace hotloop
