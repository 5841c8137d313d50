// hl_text_long_words and hl_text_lower_ascii on arbitrary code units, against plain references:
// the words are split on str.split()'s whitespace (the flags' variants) and told apart by their
// units, in order of first occurrence; whether a word lowers to itself is asked of
// hl_word_table_count (the engine's lowering of that word alone, through the same case table),
// and hl_text_lower_ascii is A-Z -> a-z of every byte. A text of more than max_words words must
// give SIZE_MAX and write nothing; too small an out must be refused; the UTF-8 encoding and an
// unknown casing are refused.
//
// Input: byte 0 = mode (bits 0-1: encoding, 3 = UTF-8, refused; bit 2: the text repeated to
// about 4K units, so that words cross the engine's 64-unit chunks; bit 3: the text one byte
// off its unit's alignment; bit 4: casing 13.0.0 instead of 14.0.0; bit 5: casing "0.0"),
// byte 1 = flags (the HL_TEXT_* bits as they are), byte 2 = max_words, byte 3 = capacity's
// shortfall below the distinct words, the rest = the text's code units (UCS-4 units above
// U+10FFFF are taken modulo 0x110000: a str holds none).
#include <string>
#include <vector>

#include "fuzz_text_reference.hpp"
#include "fuzz_util.hpp"

namespace {

struct Word {
    std::size_t begin, end;
    uint64_t count;
    bool same;
};

constexpr int kEncodings[4] = {HL_TEXT_LATIN1, HL_TEXT_UCS2, HL_TEXT_UCS4, HL_TEXT_UTF8};

using fuzz::splits;
using fuzz::utf8;

// Whether the engine's word table keeps the word [begin, end) as its own UTF-8: lower()
// leaves it unchanged.
// The word is counted in its own encoding, from the text's own units.
bool lowers_to_itself(const std::vector<uint32_t>& cps, const uint8_t* units, int encoding,
                      std::size_t unit, std::size_t begin, std::size_t end, int flags,
                      const char* casing) {
    std::string text;
    for (std::size_t i = begin; i < end; ++i) text += utf8(cps[i]);
    hl_word_table* t = nullptr;
    FUZZ_CHECK(hl_word_table_count(units + begin * unit, end - begin, encoding, flags, casing, 0,
                                   &t, nullptr) == HL_OK);
    std::size_t n = 0;
    FUZZ_CHECK(hl_word_table_size(t, &n) == HL_OK && n == 1);
    const char* lowered = nullptr;
    std::size_t length = 0;
    uint64_t count = 0, part = 0, offset = 0;
    FUZZ_CHECK(hl_word_table_entry(t, 0, &lowered, &length, &count, &part, &offset) == HL_OK);
    const bool same = std::string(lowered, length) == text;
    hl_word_table_destroy(t);
    return same;
}

std::vector<Word> reference(const std::vector<uint32_t>& cps, const uint8_t* units, int encoding,
                            std::size_t unit, int flags, const char* casing) {
    std::vector<Word> out;
    std::size_t i = 0;
    while (i < cps.size()) {
        if (splits(cps[i], flags)) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < cps.size() && !splits(cps[end], flags)) ++end;
        bool seen = false;
        for (Word& w : out)
            if (w.end - w.begin == end - i &&
                std::equal(cps.begin() + i, cps.begin() + end, cps.begin() + w.begin)) {
                ++w.count;
                seen = true;
                break;
            }
        if (!seen) out.push_back(Word{i, end, 1, lowers_to_itself(cps, units, encoding, unit, i, end, flags,
                                                                 casing)});
        i = end;
    }
    return out;
}

std::size_t words_in(const std::vector<Word>& words) {
    std::size_t n = 0;
    for (const Word& w : words) n += w.count;
    return n;
}

void check_lower_ascii(const std::vector<uint8_t>& bytes) {
    std::vector<uint8_t> want(bytes), got(bytes.size(), 0xAA), same(bytes);
    for (uint8_t& b : want)
        if (b >= 'A' && b <= 'Z') b = static_cast<uint8_t>(b + 32);
    FUZZ_CHECK(hl_text_lower_ascii(bytes.empty() ? nullptr : bytes.data(), bytes.size(),
                                   got.empty() ? nullptr : got.data()) == HL_OK);
    FUZZ_CHECK(got == want);
    if (!same.empty()) {  // in place
        FUZZ_CHECK(hl_text_lower_ascii(same.data(), same.size(), same.data()) == HL_OK);
        FUZZ_CHECK(same == want);
        FUZZ_CHECK(hl_text_lower_ascii(nullptr, same.size(), same.data()) == HL_ERR_INVALID_ARGUMENT);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const auto mode = in.take<uint8_t>();
    const int flags = in.take<uint8_t>();
    const std::size_t max_words = in.take<uint8_t>();
    const std::size_t shortfall = in.take<uint8_t>() % 4;
    const std::vector<uint8_t> raw = in.bytes();
    check_lower_ascii(raw);

    const int encoding = kEncodings[mode % 4];
    const std::size_t unit = encoding == HL_TEXT_UCS4 ? 4 : encoding == HL_TEXT_UCS2 ? 2 : 1;
    std::vector<uint32_t> cps;
    for (std::size_t i = 0; i + unit <= raw.size(); i += unit) {
        uint32_t c = 0;
        std::memcpy(&c, raw.data() + i, unit);
        cps.push_back(c % 0x110000);
    }
    if ((mode & 4) && !cps.empty()) {
        const std::vector<uint32_t> once(cps);
        while (cps.size() < 4096) cps.insert(cps.end(), once.begin(), once.end());
    }
    // The units as the encoding lays them out, one byte off their alignment if asked.
    const std::size_t skew = (mode & 8) ? 1 : 0;
    std::vector<uint8_t> buffer(skew + cps.size() * unit + 1);
    for (std::size_t i = 0; i < cps.size(); ++i) std::memcpy(&buffer[skew + i * unit], &cps[i], unit);
    const void* text = cps.empty() ? nullptr : buffer.data() + skew;
    const char* casing = (mode & 32) ? "0.0" : (mode & 16) ? "13.0.0" : "14.0.0";

    std::vector<uint64_t> out(4 * 300 + 4, 7);
    std::size_t n = 12345;
    const hl_status status = hl_text_long_words(text, cps.size(), encoding, flags, casing,
                                                max_words, out.data(), 300, &n);
    constexpr int known = HL_TEXT_ALLOW_SURROGATES | HL_TEXT_SKIP_BOM | HL_TEXT_KEEP_INFO_SEPARATORS |
                          HL_TEXT_SPLIT_MONGOLIAN_VOWEL_SEPARATOR | HL_TEXT_REPORT_FEATURES |
                          HL_TEXT_ERRORS_REPLACE | HL_TEXT_ERRORS_IGNORE;
    const bool bad_flags = (flags & ~known) ||
                           ((flags & HL_TEXT_ERRORS_REPLACE) && (flags & HL_TEXT_ERRORS_IGNORE));
    if (encoding == HL_TEXT_UTF8 || (mode & 32) || bad_flags) {
        FUZZ_CHECK(status == HL_ERR_INVALID_ARGUMENT);
        return 0;
    }
    FUZZ_CHECK(status == HL_OK);
    const std::vector<Word> want = reference(cps, buffer.data() + skew, encoding, unit, flags, casing);
    if (words_in(want) > max_words) {
        FUZZ_CHECK(n == SIZE_MAX);
        FUZZ_CHECK(out[0] == 7);
        return 0;
    }
    FUZZ_CHECK(n == want.size());
    for (std::size_t k = 0; k < n; ++k) {
        FUZZ_CHECK(out[4 * k] == want[k].begin && out[4 * k + 1] == want[k].end);
        FUZZ_CHECK(out[4 * k + 2] == want[k].count && out[4 * k + 3] == (want[k].same ? 1u : 0u));
    }
    FUZZ_CHECK(out[4 * n] == 7);  // nothing past the words
    if (shortfall > 0 && want.size() >= shortfall) {  // out too small: refused
        std::size_t m = 0;
        FUZZ_CHECK(hl_text_long_words(text, cps.size(), encoding, flags, casing, max_words,
                                      out.data(), want.size() - shortfall, &m) ==
                   HL_ERR_INVALID_ARGUMENT);
    }
    return 0;
}
