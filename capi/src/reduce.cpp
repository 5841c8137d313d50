// Exact sums: hl_sum and the mergeable hl_exact_sum records.
#include <cstring>
#include <type_traits>

#include "boundary.hpp"
#include "hotloop/reduce.hpp"

using namespace hotloop;
using namespace hotloop::capi;

namespace {

// An hl_exact_sum holds a tag (so that records no function wrote are refused) and the ExactSum.
constexpr uint64_t kTag = 0x484c45584143540aull;  // "HLEXACT\n"
struct Record {
    uint64_t tag;
    ExactSum sum;
};
static_assert(sizeof(Record) <= sizeof(hl_exact_sum), "HL_EXACT_SUM_WORDS is too small");
static_assert(std::is_trivially_copyable<Record>::value, "records are copied with memcpy");
static_assert(ExactSum::kBytes == HL_EXACT_SUM_BYTES, "HL_EXACT_SUM_BYTES");
static_assert(ExactSum::kIntegerBytes == HL_EXACT_SUM_INTEGER_BYTES, "HL_EXACT_SUM_INTEGER_BYTES");

ExactSum read(const hl_exact_sum* s, const char* name) {
    Record r;
    std::memcpy(static_cast<void*>(&r), require(s, name), sizeof r);
    if (r.tag != kTag)
        fail(ErrorKind::InvalidArgument,
             std::string(name) + " is not an hl_exact_sum written by an hl_exact_sum_* function");
    return r.sum;
}

void write(hl_exact_sum* out, const ExactSum& sum) {
    Record r{kTag, sum};
    std::memset(out, 0, sizeof *out);
    std::memcpy(out, static_cast<const void*>(&r), sizeof r);
}

}  // namespace

extern "C" {

HL_API hl_status hl_sum(const hl_view* data, hl_sum_result* out, hl_control* ctl) {
    return guard(ctl, [&] {
        require(out, "out");
        const View v = view_of(data, "data");
        hl_sum_result r{};
        if (is_integer(v.dtype)) {
            const int128_t total = sum_int(v, control_of(ctl));
            r.is_integer = 1;
            r.hi = static_cast<int64_t>(total >> 64);
            r.lo = static_cast<uint64_t>(total);
        } else {
            r.value = sum_float(v, control_of(ctl));
        }
        *out = r;
    });
}

HL_API hl_status hl_exact_sum_of(const hl_view* data, hl_exact_sum* out, hl_control* ctl) {
    return guard(ctl, [&] {
        require(out, "out");
        const ExactSum s = exact_sum(view_of(data, "data"), control_of(ctl));
        write(out, s);
    });
}

HL_API hl_status hl_exact_sum_merge(hl_exact_sum* a, const hl_exact_sum* b) {
    return guard([&] {
        ExactSum sum = read(a, "a");
        sum.add(read(b, "b"));
        write(a, sum);
    });
}

HL_API hl_status hl_exact_sum_value(const hl_exact_sum* s, int32_t* kind, double* value,
                                    uint8_t* integer_bytes) {
    return guard([&] {
        require(kind, "kind");
        require(value, "value");
        const ExactSum sum = read(s, "s");
        if (sum.kind() != ExactSum::Kind::Float && integer_bytes)
            sum.integer_bytes(integer_bytes);
        *value = sum.value();
        *kind = static_cast<int32_t>(sum.kind());
    });
}

HL_API hl_status hl_exact_sum_to_bytes(const hl_exact_sum* s, uint8_t* out) {
    return guard([&] {
        require(out, "out");
        read(s, "s").to_bytes(out);
    });
}

HL_API hl_status hl_exact_sum_from_bytes(const uint8_t* data, size_t size, hl_exact_sum* out) {
    return guard([&] {
        require(out, "out");
        write(out, ExactSum::from_bytes(require(data, "data"), size));
    });
}

}  // extern "C"
