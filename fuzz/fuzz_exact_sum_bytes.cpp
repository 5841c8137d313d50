// hl_exact_sum_from_bytes on untrusted bytes: arbitrary ones, and records of real sums that are
// then damaged (fuzz::damage). Any bytes give HL_OK or HL_ERR_INVALID_ARGUMENT (*out unchanged
// then), never a crash or UB; a record of a real sum reads back to the same bytes; an accepted
// record behaves as a sum: its bytes are a fixed point of to_bytes(from_bytes()), and merged
// with itself it is twice its value (the integer bytes exactly, the double where no rounding
// to the subnormal range or overflow intervenes).
//
// Input: byte 0 = mode (0: the rest is the record; 1: a sum of the rest's elements, serialized,
// then damaged; 2: the same, not damaged), byte 1 = dtype index, then (modes 1-2) the damage
// and the elements.
#include <cmath>

#include "fuzz_util.hpp"

namespace {

using Record = std::vector<uint8_t>;

// ---- adapter: today's hl_exact_sum_* ----
struct Value {
    int32_t kind = -1;
    double value = 0;
    uint8_t integer[HL_EXACT_SUM_INTEGER_BYTES] = {};
};

Value value_of(const hl_exact_sum& s) {
    Value v;
    FUZZ_CHECK(hl_exact_sum_value(&s, &v.kind, &v.value, v.integer) == HL_OK);
    FUZZ_CHECK(v.kind == HL_EXACT_SUM_EMPTY || v.kind == HL_EXACT_SUM_INTEGER || v.kind == HL_EXACT_SUM_FLOAT);
    return v;
}

Record to_bytes(const hl_exact_sum& s) {
    Record out(HL_EXACT_SUM_BYTES);
    FUZZ_CHECK(hl_exact_sum_to_bytes(&s, out.data()) == HL_OK);
    return out;
}

// A real record: the exact sum of the elements of dtype t.
Record record_of(hl_dtype t, const std::vector<uint8_t>& bytes) {
    const std::size_t e = fuzz::size_of(t), n = bytes.size() / e;
    const int64_t shape[1] = {static_cast<int64_t>(n)};
    const hl_view v{n ? const_cast<uint8_t*>(bytes.data()) : nullptr, t, 1, shape, nullptr};
    hl_exact_sum s;
    FUZZ_CHECK(hl_exact_sum_of(&v, &s, nullptr) == HL_OK);
    return to_bytes(s);
}

// a + a of little-endian two's complement numbers of HL_EXACT_SUM_INTEGER_BYTES bytes.
void doubled(const uint8_t* a, uint8_t* out) {
    unsigned carry = 0;
    for (std::size_t k = 0; k < HL_EXACT_SUM_INTEGER_BYTES; ++k) {
        const unsigned v = 2u * a[k] + carry;
        out[k] = static_cast<uint8_t>(v);
        carry = v >> 8;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const auto mode = in.take<uint8_t>() % 3;
    const hl_dtype t = fuzz::kDtypes[in.take<uint8_t>() % (fuzz::kDtypeCount - 1)];
    Record record;
    if (mode == 0) {
        record = in.bytes();
    } else {
        fuzz::Input damage_bytes = in;
        if (mode == 1) in.bytes(16);  // the damage reads from these 16 bytes (and what follows)
        const std::vector<uint8_t> elements = in.bytes(8 * 64);
        record = record_of(t, elements);
        if (mode == 1) fuzz::damage(damage_bytes, record);
    }
    hl_exact_sum s, before;
    std::memset(&s, 0x5A, sizeof s);
    before = s;
    const hl_status status = hl_exact_sum_from_bytes(record.empty() ? nullptr : record.data(),
                                                     record.size(), &s);
    // HL_ERR_OVERFLOW: a well-formed record of a sum of magnitude 2^1151 or more.
    FUZZ_CHECK(fuzz::clean_status(status) || status == HL_ERR_OVERFLOW);
    if (mode == 2) FUZZ_CHECK(status == HL_OK && to_bytes(s) == record);
    if (status != HL_OK) {
        FUZZ_CHECK(std::memcmp(&s, &before, sizeof s) == 0);
        return 0;
    }
    // A fixed point: the canonical bytes read back to themselves.
    const Record canonical = to_bytes(s);
    hl_exact_sum again;
    FUZZ_CHECK(hl_exact_sum_from_bytes(canonical.data(), canonical.size(), &again) == HL_OK);
    FUZZ_CHECK(to_bytes(again) == canonical);
    // s + s: twice the value.
    const Value one = value_of(s);
    hl_exact_sum twice = s;
    const hl_status merged = hl_exact_sum_merge(&twice, &s);
    // 2 s is out of range (HL_ERR_OVERFLOW, twice unchanged) when s >= 2^1150 or s < -2^1150:
    // for an integer, when the top two bits of its 1152 differ (a record of kind integer whose
    // sum has a fraction writes no integer: the bits are then 0).
    if (one.kind != HL_EXACT_SUM_FLOAT) {
        const uint8_t top = one.integer[HL_EXACT_SUM_INTEGER_BYTES - 1];
        if ((top ^ (top << 1)) & 0x80) FUZZ_CHECK(merged == HL_ERR_OVERFLOW);
    }
    if (merged == HL_ERR_OVERFLOW) {
        FUZZ_CHECK(!std::isfinite(one.value) && to_bytes(twice) == canonical);
        return 0;
    }
    FUZZ_CHECK(merged == HL_OK);
    const Value two = value_of(twice);
    FUZZ_CHECK(two.kind == one.kind);
    if (one.kind != HL_EXACT_SUM_FLOAT) {
        uint8_t want[HL_EXACT_SUM_INTEGER_BYTES];
        doubled(one.integer, want);
        FUZZ_CHECK(std::memcmp(two.integer, want, sizeof want) == 0);
    }
    if (std::isnan(one.value)) {
        FUZZ_CHECK(std::isnan(two.value));
    } else if (std::isfinite(2 * one.value) && std::fabs(one.value) >= 2.2250738585072014e-308) {
        FUZZ_CHECK(two.value == 2 * one.value);
    }
    return 0;
}
