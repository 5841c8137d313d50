// hl_moments_from_bytes on untrusted bytes: arbitrary ones, and records of real moments that
// are then damaged (fuzz::damage). Any bytes give HL_OK or HL_ERR_INVALID_ARGUMENT (*out
// unchanged then), never a crash or UB; a record of real moments reads back to the same bytes
// and finishes to the same statistics; an accepted record is usable: to_bytes(from_bytes()) is a
// fixed point, finishing it (ddof 0 and 1), merging it with itself and with real moments answer
// with a clean status, and a merge keeps the count (count + count, or an error).
//
// Input: byte 0 = mode (0: the rest is the record; 1: moments of the rest's elements,
// serialized, then damaged; 2: the same, not damaged), byte 1 = dtype index, byte 2 =
// nan_policy, then (modes 1-2) the damage and the elements.
#include <cmath>

#include "fuzz_util.hpp"

namespace {

using Record = std::vector<uint8_t>;

// ---- adapter: today's hl_moments_* ----
Record to_bytes(const hl_moments& m) {
    Record out(HL_MOMENTS_BYTES);
    FUZZ_CHECK(hl_moments_to_bytes(&m, out.data()) == HL_OK);
    return out;
}

hl_moments moments_of(hl_dtype t, int32_t policy, const std::vector<uint8_t>& bytes) {
    const std::size_t e = fuzz::size_of(t), n = bytes.size() / e;
    const int64_t shape[1] = {static_cast<int64_t>(n)};
    const hl_view v{n ? const_cast<uint8_t*>(bytes.data()) : nullptr, t, 1, shape, nullptr};
    hl_moments m;
    const hl_status s = hl_moments_of(&v, policy, &m, nullptr);
    if (s != HL_OK) {  // HL_NAN_RAISE with a NaN: the moments of nothing instead
        FUZZ_CHECK(s == HL_ERR_INVALID_ARGUMENT && policy == HL_NAN_RAISE);
        const hl_view empty{nullptr, t, 1, shape, nullptr};
        const int64_t zero[1] = {0};
        hl_view none = empty;
        none.shape = zero;
        FUZZ_CHECK(hl_moments_of(&none, policy, &m, nullptr) == HL_OK);
    }
    return m;
}

bool same_stats(const hl_stats& a, const hl_stats& b) {
    return a.count == b.count && fuzz::same_bits(a.mean, b.mean) && fuzz::same_bits(a.std, b.std) &&
           a.dtype == b.dtype && std::memcmp(a.min, b.min, 8) == 0 && std::memcmp(a.max, b.max, 8) == 0;
}

uint64_t count_of(const hl_moments& m) {
    hl_stats s{};
    const hl_status status = hl_moments_finish(&m, 0, &s);
    FUZZ_CHECK(fuzz::clean_status(status));
    return status == HL_OK ? s.count : 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const auto mode = in.take<uint8_t>() % 3;
    const hl_dtype t = fuzz::kDtypes[in.take<uint8_t>() % (fuzz::kDtypeCount - 1)];
    const int32_t policy = in.take<uint8_t>() % 3;
    Record record;
    hl_moments real;
    if (mode == 0) {
        record = in.bytes();
        real = moments_of(t, policy, {});
    } else {
        fuzz::Input damage_bytes = in;
        if (mode == 1) in.bytes(16);  // the damage reads from these 16 bytes (and what follows)
        real = moments_of(t, policy, in.bytes(8 * 64));
        record = to_bytes(real);
        if (mode == 1) fuzz::damage(damage_bytes, record);
    }
    hl_moments m, before;
    std::memset(&m, 0x5A, sizeof m);
    before = m;
    const hl_status status = hl_moments_from_bytes(record.empty() ? nullptr : record.data(),
                                                   record.size(), &m);
    // HL_ERR_OVERFLOW: a well-formed record whose sum is beyond an hl_exact_sum's range.
    FUZZ_CHECK(fuzz::clean_status(status) || status == HL_ERR_OVERFLOW);
    if (status != HL_OK) {
        FUZZ_CHECK(std::memcmp(&m, &before, sizeof m) == 0);
        return 0;
    }
    if (mode == 2) {  // a real record: the same bytes and statistics
        FUZZ_CHECK(to_bytes(m) == record);
        for (int32_t ddof = 0; ddof < 2; ++ddof) {
            hl_stats x{}, y{};
            const hl_status sx = hl_moments_finish(&m, ddof, &x), sy = hl_moments_finish(&real, ddof, &y);
            FUZZ_CHECK(sx == sy);
            if (sx == HL_OK) FUZZ_CHECK(same_stats(x, y) || (std::isnan(x.mean) && std::isnan(y.mean)));
        }
    }
    const Record canonical = to_bytes(m);
    hl_moments again;
    FUZZ_CHECK(hl_moments_from_bytes(canonical.data(), canonical.size(), &again) == HL_OK);
    FUZZ_CHECK(to_bytes(again) == canonical);
    const uint64_t count = count_of(m);
    for (int32_t ddof = 0; ddof < 3; ++ddof) {
        hl_stats st{};
        FUZZ_CHECK(fuzz::clean_status(hl_moments_finish(&m, ddof, &st)));
    }
    hl_moments twice = m;
    const hl_status merged = hl_moments_merge(&twice, &m);
    FUZZ_CHECK(fuzz::clean_status(merged) || merged == HL_ERR_OVERFLOW);
    if (merged == HL_OK && count_of(m) == count) FUZZ_CHECK(count_of(twice) == 2 * count || count > UINT64_MAX / 2);
    if (merged != HL_OK) FUZZ_CHECK(to_bytes(twice) == canonical);
    hl_moments with_real = real;
    const hl_status merged_real = hl_moments_merge(&with_real, &m);
    FUZZ_CHECK(fuzz::clean_status(merged_real) || merged_real == HL_ERR_OVERFLOW);
    if (merged_real == HL_OK) count_of(with_real);
    return 0;
}
