// Word counting over UTF-8 text: the words are the maximal runs of characters that are not
// whitespace, with whitespace exactly as Python's str.split() defines it. Words are counted as
// they stand, or with only their ASCII-only words lowercased: the Python layer lowers each
// distinct word once, which gives the running interpreter's own Unicode semantics (see
// docs/api/text.md for why that is exact).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hotloop/parallel.hpp"

namespace hotloop {

struct TextOptions {
    // Accept UTF-8-encoded surrogates U+D800..U+DFFF, as Python's 'surrogatepass' writes them
    // (every Python str encodes that way). Strict UTF-8, as bytes.decode('utf-8'), rejects them.
    bool allow_surrogates = false;
    // Ignore one leading byte order mark EF BB BF (Python's 'utf-8-sig').
    bool skip_bom = false;
    // Count words made only of ASCII characters lowercased (A-Z -> a-z), which is what
    // str.lower() does to them; other words are counted as written.
    bool lower_ascii = false;
    // Which whitespace splits words. The defaults are CPython's str.split(); PyPy 3.9's does not
    // split on U+001C..U+001F and does split on U+180E.
    bool info_separators_split = true;
    bool mongolian_vowel_separator_splits = false;
    // Fill WordCounts::features (one more pass over the bytes, in the same parallel blocks).
    bool report_features = false;
};

// WordCounts::features: what the text holds that interpreters split differently.
constexpr uint32_t kSawNonAscii = 1;                 // a byte >= 0x80
constexpr uint32_t kSawInfoSeparator = 2;            // U+001C..U+001F
constexpr uint32_t kSawMongolianVowelSeparator = 4;  // U+180E

// The distinct words of a text with their counts, in order of first occurrence.
struct WordCounts {
    std::string bytes;                 // the words' UTF-8 bytes, one after the other
    std::vector<std::size_t> starts;   // word i is bytes[starts[i], starts[i] + lengths[i])
    std::vector<std::size_t> lengths;
    std::vector<uint64_t> counts;      // occurrences of word i
    std::vector<uint64_t> first;       // byte offset of word i's first occurrence in the input
    uint32_t features = 0;             // kSaw* bits, when TextOptions::report_features is set

    std::size_t size() const noexcept { return counts.size(); }
    std::string_view word(std::size_t i) const { return {bytes.data() + starts[i], lengths[i]}; }
};

// True for the code points that Python's str.split() and str.isspace() treat as whitespace.
bool is_python_whitespace(char32_t c) noexcept;
// True for the code points that split words under `options`.
bool splits_words(char32_t c, const TextOptions& options) noexcept;

// Counts the words of n bytes of UTF-8 (text may be null when n == 0), in parallel.
// Invalid UTF-8 (by Python's rules: no overlongs, nothing above U+10FFFF, surrogates only with
// allow_surrogates) throws Error(Encoding) naming the byte offset of the first invalid sequence,
// the offset Python's UnicodeDecodeError.start gives.
WordCounts count_words(const char* text, std::size_t n, const TextOptions& options = {},
                       Control* ctl = nullptr);

// The same over a file: regular files are memory-mapped, anything else (pipes, /proc) is read.
// OS failures throw Error(Io) carrying errno (ENOENT, EACCES, EISDIR, ...).
WordCounts count_words_in_file(const std::string& path, const TextOptions& options = {},
                               Control* ctl = nullptr);

}  // namespace hotloop
