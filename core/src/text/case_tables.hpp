// Lowercasing exactly as a Python interpreter's str.lower() does, from tables generated out of
// that interpreter (scripts/gen_case_tables.py; one per Unicode version, core/src/text/case_tables/).
// Internal to the engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hotloop/text.hpp"

namespace hotloop {

struct CaseTable {
    const char* unicode_version;
    const uint32_t* runs;  // first, last, step, delta: single code point mappings
    std::size_t n_runs;
    const uint32_t* multi;  // code point, length, 3 code points: multi code point mappings
    std::size_t n_multi;
    const uint32_t* ignorable;  // first, last: case-ignorable ranges
    std::size_t n_ignorable;
    const uint32_t* cased;  // first, last: cased (and not case-ignorable) ranges
    std::size_t n_cased;
};

bool case_ignorable(const CaseTable& table, char32_t c) noexcept;
bool cased(const CaseTable& table, char32_t c) noexcept;

// Whether str.lower() leaves each of the n code units (a str's 1-, 2- or 4-byte kind) as it is,
// so that it returns a word made of them unchanged. Runs of ASCII and CJK are accepted 64 units
// at a time; the others are looked up one by one.
bool lowers_to_itself(const CaseTable& table, const uint8_t* units, std::size_t n) noexcept;
bool lowers_to_itself(const CaseTable& table, const uint16_t* units, std::size_t n) noexcept;
bool lowers_to_itself(const CaseTable& table, const uint32_t* units, std::size_t n) noexcept;

// What lies beyond one end of a word, for the final-sigma rule: whether the scan that skips
// case-ignorable characters finds a cased one there. Usually nothing (the word ends at
// whitespace, which is neither cased nor case-ignorable, or at the end of the text).
enum class Beyond { Uncased, Cased };

// Appends str.lower() of the UTF-8 word (valid, surrogates allowed) to out, as UTF-8. A capital
// sigma's context is the word itself plus `before` / `after` beyond its ends.
// The same for the characters that start in bytes [from, to) of the word (character
// boundaries), with the whole word as their context: a long word's pieces lower apart.
void lower_utf8(const CaseTable& table, const uint8_t* word, std::size_t length, std::size_t from,
                std::size_t to, Beyond before, Beyond after, detail::PodArray<uint8_t>& out);
inline void lower_utf8(const CaseTable& table, const uint8_t* word, std::size_t length,
                       Beyond before, Beyond after, detail::PodArray<uint8_t>& out) {
    lower_utf8(table, word, length, 0, length, before, after, out);
}

}  // namespace hotloop
