// hl_sum over arbitrary bytes of every dtype, in every layout (fuzz::make_array: flat, reversed,
// ndim 0, strided with gaps, negative and zero strides), against an exact __int128 sum and a
// correctly rounded float sum (Shewchuk), and for the same bits at 1 and 2 threads; and
// hl_exact_sum_of over two halves merged, which must give the same value.
//
// Input: byte 0 = dtype index, then an array (fuzz::make_array; big = 40000 elements).
#include <cmath>

#include "fuzz_util.hpp"

namespace {

// ---- adapter: today's hl_sum and hl_exact_sum_* ----
struct Sum {
    hl_status status;
    bool is_integer;
    fuzz::int128 integer;
    double value;
};
Sum hotloop_sum(const hl_view& v) {
    hl_sum_result r{};
    const hl_status s = hl_sum(&v, &r, nullptr);
    return {s, r.is_integer != 0,
            static_cast<fuzz::int128>(static_cast<unsigned __int128>(uint64_t(r.hi)) << 64 | r.lo),
            r.value};
}

// The sum of the two halves of a C-contiguous array merged as hl_exact_sum records: its kind,
// double value and integer bytes.
struct Merged {
    int32_t kind;
    double value;
    uint8_t integer[HL_EXACT_SUM_INTEGER_BYTES];
};
Merged hotloop_merged_halves(const fuzz::Array& a) {
    const std::size_t e = fuzz::size_of(a.dtype), n = a.count, half = n / 2;
    const int64_t shape_a[1] = {static_cast<int64_t>(half)}, shape_b[1] = {static_cast<int64_t>(n - half)};
    uint8_t* p = const_cast<uint8_t*>(a.elements.data());
    const hl_view va{half ? p : nullptr, a.dtype, 1, shape_a, nullptr};
    const hl_view vb{n - half ? p + half * e : nullptr, a.dtype, 1, shape_b, nullptr};
    hl_exact_sum x, y;
    FUZZ_CHECK(hl_exact_sum_of(&va, &x, nullptr) == HL_OK);
    FUZZ_CHECK(hl_exact_sum_of(&vb, &y, nullptr) == HL_OK);
    FUZZ_CHECK(hl_exact_sum_merge(&x, &y) == HL_OK);
    Merged m{};
    FUZZ_CHECK(hl_exact_sum_value(&x, &m.kind, &m.value, m.integer) == HL_OK);
    // The serialized record reads back as the same sum.
    uint8_t bytes[HL_EXACT_SUM_BYTES], again[HL_EXACT_SUM_BYTES];
    hl_exact_sum z;
    FUZZ_CHECK(hl_exact_sum_to_bytes(&x, bytes) == HL_OK);
    FUZZ_CHECK(hl_exact_sum_from_bytes(bytes, sizeof bytes, &z) == HL_OK);
    FUZZ_CHECK(hl_exact_sum_to_bytes(&z, again) == HL_OK);
    FUZZ_CHECK(std::memcmp(bytes, again, sizeof bytes) == 0);
    return m;
}

// The IEEE result of summing values that include an infinity or a NaN.
double special_sum(const std::vector<double>& x) {
    bool pos = false, neg = false;
    for (double v : x) {
        if (std::isnan(v)) return NAN;
        pos = pos || v == INFINITY;
        neg = neg || v == -INFINITY;
    }
    return pos && neg ? NAN : pos ? INFINITY : -INFINITY;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const hl_dtype t = fuzz::kDtypes[in.take<uint8_t>() % fuzz::kDtypeCount];
    fuzz::Array a = fuzz::make_array(in, t, 40000);
    const hl_view v = a.view();
    const std::size_t n = a.count;
    const uint8_t* x8 = a.elements.data();

    if (fuzz::size_of(t) == 0) {  // an unknown dtype
        FUZZ_CHECK(hotloop_sum(v).status == HL_ERR_TYPE);
        return 0;
    }
    fuzz::threads(1);
    const Sum one = hotloop_sum(v);
    fuzz::threads(2);
    const Sum two = hotloop_sum(v);
    FUZZ_CHECK(one.status == HL_OK && two.status == HL_OK);
    FUZZ_CHECK(one.is_integer == !fuzz::is_float(t) && two.is_integer == one.is_integer);
    const Merged merged = hotloop_merged_halves(a);
    if (!fuzz::is_float(t)) {
        fuzz::int128 want = 0;
        for (std::size_t i = 0; i < n; ++i) want += fuzz::int_at(x8, t, i);
        FUZZ_CHECK(one.integer == want && two.integer == want);
        FUZZ_CHECK(merged.kind == (n ? HL_EXACT_SUM_INTEGER : HL_EXACT_SUM_EMPTY) ||
                   (n == 0 && merged.kind == HL_EXACT_SUM_INTEGER));
        // integer bytes: little-endian two's complement, sign-extended
        for (std::size_t k = 0; k < HL_EXACT_SUM_INTEGER_BYTES; ++k) {
            const uint8_t byte = k < 16 ? static_cast<uint8_t>(static_cast<unsigned __int128>(want) >> (8 * k))
                                        : (want < 0 ? 0xFF : 0x00);
            FUZZ_CHECK(merged.integer[k] == byte);
        }
        return 0;
    }
    FUZZ_CHECK(merged.kind == HL_EXACT_SUM_FLOAT);
    FUZZ_CHECK(fuzz::same_bits(one.value, two.value));
    std::vector<double> x(n);
    double magnitude = 0;  // sum of |x|
    bool finite = true;
    for (std::size_t i = 0; i < n; ++i) {
        x[i] = fuzz::double_at(x8, t, i);
        finite = finite && std::isfinite(x[i]);
        magnitude += std::fabs(x[i]);
    }
    const double got = one.value;
    if (!finite) {
        const double want = special_sum(x);
        FUZZ_CHECK(std::isnan(want) ? std::isnan(got) : got == want);
        FUZZ_CHECK(std::isnan(want) ? std::isnan(merged.value) : merged.value == want);
        return 0;
    }
    // math.fsum: the exact sum correctly rounded, +0.0 for an exact zero. Where an intermediate
    // overflows, hl_sum is Python's sum() in C order and the merged record rounds the exact sum.
    double want = 0;
    if (!fuzz::exact_sum(x.data(), n, want)) {
        double plain = 0;
        for (double v : x) plain += v;
        FUZZ_CHECK(fuzz::same_bits(got, plain) || (std::isnan(got) && std::isnan(plain)));
        return 0;
    }
    FUZZ_CHECK(fuzz::same_bits(got, want == 0 ? 0.0 : want));
    FUZZ_CHECK(fuzz::same_bits(merged.value, got));
    return 0;
}
