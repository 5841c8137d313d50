// Word counting: hl_word_count and hl_word_count_file, and the packed result layout.
#include <cstring>

#include "boundary.hpp"
#include "hotloop/text.hpp"

using namespace hotloop;
using namespace hotloop::capi;

namespace {

TextOptions options_of(int flags) {
    constexpr int known = HL_TEXT_ALLOW_SURROGATES | HL_TEXT_SKIP_BOM | HL_TEXT_LOWER_ASCII |
                          HL_TEXT_KEEP_INFO_SEPARATORS | HL_TEXT_SPLIT_MONGOLIAN_VOWEL_SEPARATOR |
                          HL_TEXT_REPORT_FEATURES;
    if (flags & ~known)
        fail(ErrorKind::InvalidArgument, "unknown text flags " + std::to_string(flags));
    TextOptions options;
    options.allow_surrogates = (flags & HL_TEXT_ALLOW_SURROGATES) != 0;
    options.skip_bom = (flags & HL_TEXT_SKIP_BOM) != 0;
    options.lower_ascii = (flags & HL_TEXT_LOWER_ASCII) != 0;
    options.info_separators_split = (flags & HL_TEXT_KEEP_INFO_SEPARATORS) == 0;
    options.mongolian_vowel_separator_splits =
        (flags & HL_TEXT_SPLIT_MONGOLIAN_VOWEL_SEPARATOR) != 0;
    options.report_features = (flags & HL_TEXT_REPORT_FEATURES) != 0;
    return options;
}

static_assert(kSawNonAscii == HL_TEXT_SAW_NON_ASCII && kSawInfoSeparator == HL_TEXT_SAW_INFO_SEPARATOR &&
                  kSawMongolianVowelSeparator == HL_TEXT_SAW_MONGOLIAN_VOWEL_SEPARATOR,
              "the engine's feature bits are the C API's");

// n, blob_size, features, counts[n], first_offsets[n], blob: see hotloop.h.
hl_buffer* pack(const WordCounts& words) {
    const std::size_t n = words.size();
    const std::size_t blob = words.bytes.size() + (n ? n - 1 : 0);
    const std::size_t header = (3 + 2 * n) * sizeof(uint64_t);
    Buffer buffer(DType::UInt8, header + blob);
    auto* fields = buffer.as<uint64_t>();
    fields[0] = n;
    fields[1] = blob;
    fields[2] = words.features;
    if (n) {
        std::memcpy(fields + 3, words.counts.data(), n * sizeof(uint64_t));
        std::memcpy(fields + 3 + n, words.first.data(), n * sizeof(uint64_t));
    }
    char* out = buffer.as<char>() + header;
    for (std::size_t i = 0; i < n; ++i) {
        if (i) *out++ = '\n';
        std::memcpy(out, words.bytes.data() + words.starts[i], words.lengths[i]);
        out += words.lengths[i];
    }
    return release(std::move(buffer));
}

}  // namespace

extern "C" {

HL_API hl_status hl_word_count(const char* text, size_t n, int flags, hl_buffer** out,
                               hl_control* ctl) {
    return guard(ctl, [&] {
        require(out, "out");
        *out = nullptr;
        if (n > 0) require(text, "text");
        *out = pack(count_words(text, n, options_of(flags), control_of(ctl)));
    });
}

HL_API hl_status hl_word_count_file(const char* path, int flags, hl_buffer** out,
                                    hl_control* ctl) {
    return guard(ctl, [&] {
        require(out, "out");
        *out = nullptr;
        require(path, "path");
        *out = pack(count_words_in_file(path, options_of(flags), control_of(ctl)));
    });
}

}  // extern "C"
