// Word counting: Counter(text.lower().split()) in C++, as mergeable word tables.
//
// A WordTable holds the distinct lowercased words of some input, each with its count and its
// first occurrence (part, offset): `part` numbers the inputs (texts, files) a caller combines,
// `offset` is the byte offset of the word in the input's UTF-8 (a file's bytes, or the UTF-8
// encoding of a str). Words are kept in order of first occurrence, which is the insertion order
// of dict(Counter(...)) over the inputs in part order.
//
// Words are maximal runs of characters that are not Python whitespace (utf8.hpp holds the one
// definition of that set), lowercased exactly as the interpreter's str.lower() (generated case
// tables per Unicode version, case_tables.hpp) when TextOptions::casing is set.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hotloop/buffer.hpp"
#include "hotloop/parallel.hpp"

namespace hotloop {

struct CaseTable;
// The case table generated for a Unicode version ("14.0.0"), or null if there is none.
const CaseTable* find_case_table(const std::string& unicode_version) noexcept;

enum class TextEncoding {
    Utf8,    // bytes, decoded as bytes.decode("utf-8", errors)
    Latin1,  // one byte per code point U+0000..U+00FF (CPython's 1-byte str layout)
    Ucs2,    // uint16 code points, no surrogate pairs (CPython's 2-byte str layout)
    Ucs4,    // uint32 code points (CPython's 4-byte str layout; wchar_t on Linux)
};

// errors= of bytes.decode: what malformed UTF-8 becomes.
enum class DecodeErrors { Strict, Replace, Ignore };

struct TextOptions {
    // UTF-8 input: accept encoded surrogates ED A0..BF xx, as Python's 'surrogatepass' writes them.
    bool allow_surrogates = false;
    // Ignore one leading byte order mark EF BB BF at offset 0 ('utf-8-sig').
    bool skip_bom = false;
    DecodeErrors errors = DecodeErrors::Strict;
    // Lowercase every word with these tables. Null: only words made of ASCII are lowercased
    // (A-Z -> a-z), others are kept as written (the caller lowers them).
    const CaseTable* casing = nullptr;
    // Which whitespace splits words. The defaults are CPython's str.split(); PyPy 3.9's does not
    // split an ASCII-only text on U+001C..U+001F and splits others on U+180E.
    bool info_separators_split = true;
    bool mongolian_vowel_separator_splits = false;
    // Fill WordTable::features() (one more pass over the bytes, in the same parallel blocks).
    bool report_features = false;
};

// WordTable::features(): what the input held that interpreters split differently.
constexpr uint32_t kSawNonAscii = 1;                 // a character >= U+0080
constexpr uint32_t kSawInfoSeparator = 2;            // U+001C..U+001F
constexpr uint32_t kSawMongolianVowelSeparator = 4;  // U+180E

// True for the code points that Python's str.split() and str.isspace() treat as whitespace.
bool is_python_whitespace(char32_t c) noexcept;
// The code points that split words under `options`, ascending.
std::vector<char32_t> splitting_whitespace(const TextOptions& options);

namespace detail {

// A growable array of trivially copyable T whose new elements are left uninitialised, so that a
// table's entries and bytes can be sized once and filled in parallel. Its memory is a Buffer's
// (allocate_aligned: fresh pages for a large block, which is why reuse() hands a buffer that is
// no longer needed to the next array of a call).
template <class T>
class PodArray {
public:
    PodArray() = default;
    PodArray(const PodArray& o) { append(o.data(), o.size()); }
    PodArray& operator=(const PodArray& o) {
        if (this != &o) {
            size_ = 0;
            append(o.data(), o.size());
        }
        return *this;
    }
    PodArray(PodArray&&) noexcept = default;
    PodArray& operator=(PodArray&&) noexcept = default;

    std::size_t size() const noexcept { return size_; }
    std::size_t capacity() const noexcept { return capacity_; }
    T* data() noexcept { return static_cast<T*>(buffer_.data()); }
    const T* data() const noexcept { return static_cast<const T*>(buffer_.data()); }
    T& operator[](std::size_t i) noexcept { return data()[i]; }
    const T& operator[](std::size_t i) const noexcept { return data()[i]; }
    const T* begin() const noexcept { return data(); }
    const T* end() const noexcept { return data() + size_; }

    void reserve(std::size_t n) {
        if (n <= capacity_) return;
        Buffer more(DType::UInt8, n * sizeof(T));
        if (size_) std::memcpy(more.data(), buffer_.data(), size_ * sizeof(T));
        buffer_ = std::move(more);
        capacity_ = n;
    }
    void clear() noexcept { size_ = 0; }
    // New elements (if any) are uninitialised.
    void resize(std::size_t n) {
        if (n > capacity_) reserve(std::max(n, 2 * capacity_));
        size_ = n;
    }
    void push_back(const T& x) {
        if (size_ == capacity_) reserve(capacity_ ? 2 * capacity_ : 16);
        data()[size_++] = x;
    }
    void append(const T* p, std::size_t n) {
        if (n == 0) return;
        resize(size_ + n);
        std::memcpy(static_cast<void*>(data() + size_ - n), p, n * sizeof(T));
    }

    // An empty array of T in the memory of `from` (left empty), with room for as many T as fit:
    // a buffer that is no longer needed holds the next array without faulting in fresh pages.
    template <class U>
    static PodArray reuse(PodArray<U>&& from) noexcept {
        PodArray out;
        out.capacity_ = from.capacity_ * sizeof(U) / sizeof(T);
        out.buffer_ = std::move(from.buffer_);
        from.size_ = from.capacity_ = 0;
        return out;
    }

private:
    template <class>
    friend class PodArray;
    Buffer buffer_;
    std::size_t size_ = 0, capacity_ = 0;
};

}  // namespace detail

class WordTable {
public:
    struct Entry {
        uint64_t count;
        uint64_t part;    // first occurrence: part index and byte offset in it
        uint64_t offset;
        uint64_t at;      // the word's UTF-8 is bytes()[at, at + length)
        uint64_t length;
    };
    // Bytes [begin, end) of part `part` were counted into this table.
    struct Span {
        uint64_t part, begin, end;
    };

    std::size_t size() const noexcept { return entries_.size(); }
    const Entry& entry(std::size_t i) const { return entries_[i]; }
    std::string_view word(std::size_t i) const {
        return {bytes_.data() + entries_[i].at, static_cast<std::size_t>(entries_[i].length)};
    }
    // All words in order, each followed by '\n' (never part of a word: it is whitespace).
    std::string_view words_joined() const noexcept { return {bytes_.data(), bytes_.size()}; }
    // The total bytes of the words (without the '\n's).
    std::size_t word_bytes() const noexcept { return bytes_.size() - entries_.size(); }
    const std::vector<Span>& spans() const noexcept { return spans_; }
    uint32_t features() const noexcept { return features_; }
    // The Unicode version the words were lowercased with ("" when only ASCII words were).
    const std::string& casing() const noexcept { return casing_; }

    // Indices of the k most common words (all for k >= size()) in Counter.most_common order:
    // count descending, ties in order of first occurrence. Checks ctl every 2^20 comparisons.
    std::vector<std::size_t> most_common(std::size_t k, const Control* ctl = nullptr) const;

    // A new table holding both: counts add up, a word's first occurrence is the earlier (part,
    // offset). InvalidArgument if the tables were lowered differently or cover overlapping bytes
    // of the same part (the same text counted twice).
    static WordTable merge(const WordTable& a, const WordTable& b, Control* ctl = nullptr);

    // Versioned little-endian bytes (format in word_table.cpp); from_bytes validates everything
    // and throws InvalidArgument for anything else.
    std::string to_bytes() const;
    static WordTable from_bytes(const void* data, std::size_t n);

    // Building (text.cpp): words must be distinct and appended in order of first occurrence.
    void append(std::string_view word, uint64_t count, uint64_t part, uint64_t offset);
    void add_span(const Span& s) { spans_.push_back(s); }
    void set_features(uint32_t f) noexcept { features_ = f; }
    void set_casing(std::string c) { casing_ = std::move(c); }
    void reserve(std::size_t words, std::size_t bytes);
    // Sizes the table for `words` entries and `bytes` bytes of words ('\n's not counted), left
    // uninitialised: the caller fills entry_data() and byte_data() (each word followed by '\n'
    // at its `at`) as append() would have, possibly from several threads.
    void resize_for_fill(std::size_t words, std::size_t bytes) {
        entries_.resize(words);
        bytes_.resize(bytes + words);
    }
    // Before resize_for_fill: the entries go in `spare`'s memory (a buffer the builder no longer
    // needs, holding room for at least as many entries as will be filled).
    void reuse_for_entries(detail::PodArray<Entry>&& spare) noexcept { entries_ = std::move(spare); }
    Entry* entry_data() noexcept { return entries_.data(); }
    char* byte_data() noexcept { return bytes_.data(); }

private:
    // The table's words in order of first occurrence (for a merge whose b does not follow a).
    // Checks ctl (if any) every few milliseconds.
    static WordTable in_order(const WordTable& t, const Control* ctl = nullptr);

    detail::PodArray<char> bytes_;  // the words, each followed by '\n'
    detail::PodArray<Entry> entries_;
    std::vector<Span> spans_;
    uint32_t features_ = 0;
    std::string casing_;
};

// Counts the words of n_units code units of text (bytes for Utf8 and Latin1), as
// Counter(text.lower().split()) (with options.casing) into a table of one part. text may be null
// when n_units == 0. Invalid UTF-8 with DecodeErrors::Strict throws Error(Encoding) whose message
// starts "invalid UTF-8 at byte offset N (byte 0xXX): <Python's reason>" for the first malformed
// sequence (N is UnicodeDecodeError.start).
WordTable count_words(const void* text, std::size_t n_units, TextEncoding encoding,
                      const TextOptions& options, uint64_t part = 0, Control* ctl = nullptr);
// The same count of a text that is part `part`'s UTF-8 from byte `offset` on (one of the
// consecutive pieces a caller counts a long text in): every word's offset is `offset` + its offset
// in this text, and the table's span is [offset, offset + the text's UTF-8 size). Tables of
// pieces that tile a text merge into exactly the table of the whole text counted at once (when
// no word crosses from one piece to the next). InvalidArgument if that span's end would pass
// 2^64 - 1. count_words is count_words_at at offset 0.
WordTable count_words_at(const void* text, std::size_t n_units, TextEncoding encoding,
                         const TextOptions& options, uint64_t part, uint64_t offset,
                         Control* ctl = nullptr);

// Words of megabytes: the distinct words of a str's code units (Latin1 for both 1-byte kinds,
// Ucs2, Ucs4) when it has at most max_words words, else nothing (false, having read only up to
// word max_words + 1). The count's tables and their copies cost several passes over such words;
// the caller builds its keys from the text itself instead (a slice, or the text when one word is
// all of it), lowered only when `lowers_to_itself` is false. Words are as count_words splits
// them (options' whitespace); options.casing must be set. In order of first occurrence; words
// that are equal as written share an entry (words that lower alike are the caller's to merge).
struct LongWord {
    uint64_t begin, end;    // code units [begin, end) of the first occurrence
    uint64_t count;         // occurrences as written
    bool lowers_to_itself;  // str.lower() of the word is the word
};
bool long_words(const void* text, std::size_t n_units, TextEncoding encoding,
                const TextOptions& options, std::size_t max_words, std::vector<LongWord>& out);

// A-Z -> a-z of n bytes from text to out (other bytes as they are): str.lower() of an ASCII
// word, for a caller that has made the str to hold it.
void lower_ascii(const uint8_t* text, std::size_t n, uint8_t* out) noexcept;

// The words of bytes [start, end) of a file (end clipped to its size; UINT64_MAX: to its end)
// that START in that range, as UTF-8: a word that starts before `start` belongs to the range
// that holds its start, one that runs past `end` is read to its end. Ranges that tile a file
// merge into exactly the table of the whole file. Reads with pread() in blocks (never mmap):
// only the range and a bounded lookahead are read, so files larger than memory work, and a file
// that shrinks meanwhile is counted again (up to 3 times) or gives Error(Io), never a crash.
// OS failures throw Error(Io) carrying errno (ENOENT, EACCES, EISDIR, ...). Pipes and other
// non-regular files are read sequentially.
WordTable count_words_in_file(const std::string& path, uint64_t start, uint64_t end,
                              const TextOptions& options, uint64_t part = 0,
                              Control* ctl = nullptr);

}  // namespace hotloop
