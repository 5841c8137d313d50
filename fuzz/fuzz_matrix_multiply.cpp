// hl_matrix_multiply with fuzzed shapes, leading dimensions and layouts (row- or column-major,
// as transposes reach BLAS), each operand in a buffer of exactly the bytes its view spans, against
// a naive long double product; bad dimensions and dtypes must be refused.
//
// Input: bytes 0-2 = m, n, k (0-15), byte 3 = dtype index, byte 4 = flags (bit 0/1: a/b
// column-major; bits 2-4: extra leading-dimension elements; bit 5: a leading dimension one too
// small), the rest = the elements of a then b (zeros past the end).
#include <cmath>

#include "fuzz_util.hpp"

namespace {

// ---- adapter: today's hl_matrix_multiply ----
hl_status hotloop_matmul(std::size_t m, std::size_t n, std::size_t k, hl_dtype t, const void* a,
                         std::size_t lda, int a_cm, const void* b, std::size_t ldb, int b_cm,
                         void* out) {
    return hl_matrix_multiply(m, n, k, t, a, lda, a_cm, b, ldb, b_cm, out, nullptr);
}

struct Operand {
    std::size_t rows, cols, ld;
    bool column_major;
    std::vector<uint8_t> bytes;  // exactly the span of the view

    std::size_t inner() const { return column_major ? rows : cols; }
    std::size_t outer() const { return column_major ? cols : rows; }
    std::size_t span() const { return rows && cols ? (outer() - 1) * ld + inner() : 0; }
    double at(std::size_t i, std::size_t j, hl_dtype t) const {
        return fuzz::double_at(bytes.data(), t, column_major ? j * ld + i : i * ld + j);
    }
};

Operand operand(fuzz::Input& in, std::size_t rows, std::size_t cols, bool column_major,
                std::size_t extra_ld, hl_dtype t) {
    Operand o{rows, cols, 0, column_major, {}};
    o.ld = std::max<std::size_t>(1, o.inner()) + extra_ld;
    o.bytes.resize(o.span() * fuzz::size_of(t));
    const std::vector<uint8_t> fill = in.bytes(o.bytes.size());
    std::copy(fill.begin(), fill.end(), o.bytes.begin());
    return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::size_t m = in.take<uint8_t>() % 16, n = in.take<uint8_t>() % 16,
                      k = in.take<uint8_t>() % 16;
    const hl_dtype t = fuzz::kDtypes[in.take<uint8_t>() % fuzz::kDtypeCount];
    const auto flags = in.take<uint8_t>();
    const bool float_type = t == HL_DTYPE_FLOAT32 || t == HL_DTYPE_FLOAT64;
    const hl_dtype layout_type = float_type ? t : HL_DTYPE_FLOAT64;
    Operand a = operand(in, m, k, flags & 1, (flags >> 2) & 7, layout_type);
    Operand b = operand(in, k, n, flags & 2, (flags >> 2) & 7, layout_type);
    // A leading dimension one element short of a's inner size must be refused.
    const bool short_ld = (flags & 32) && ((flags >> 2) & 7) == 0 && a.inner() >= 2;
    const std::size_t lda = short_ld ? a.ld - 1 : a.ld;
    std::vector<uint8_t> out(m * n * fuzz::size_of(layout_type) + 1, 0xAB);

    const hl_status status =
        hotloop_matmul(m, n, k, t, a.bytes.empty() ? nullptr : a.bytes.data(), lda,
                       a.column_major, b.bytes.empty() ? nullptr : b.bytes.data(), b.ld,
                       b.column_major, out.data());
    if (!float_type) {
        FUZZ_CHECK(status == HL_ERR_TYPE);
        return 0;
    }
    if (short_ld) {
        FUZZ_CHECK(status == HL_ERR_INVALID_ARGUMENT);
        return 0;
    }
    FUZZ_CHECK(status == HL_OK);
    FUZZ_CHECK(out.back() == 0xAB);  // nothing written past m x n
    const double eps = t == HL_DTYPE_FLOAT32 ? 1.2e-7 : 2.3e-16;
    for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            long double sum = 0, magnitude = 0;
            bool finite = true;
            for (std::size_t p = 0; p < k; ++p) {
                const long double x = a.at(i, p, t), y = b.at(p, j, t);
                finite = finite && std::isfinite(static_cast<double>(x * y));
                sum += x * y;
                magnitude += std::fabs(x * y);
            }
            const double got = fuzz::double_at(out.data(), t, i * n + j);
            if (!finite || !std::isfinite(static_cast<double>(magnitude))) continue;  // inf/NaN
            if (t == HL_DTYPE_FLOAT32 && magnitude > 1e38L) continue;  // float32 overflow range
            // BLAS sums in its own order (and may use FMA): within k eps of sum |a_ip b_pj|,
            // plus what rounding near the smallest normal number (or flushing it) may lose.
            const double tiny = t == HL_DTYPE_FLOAT32 ? 1.1754944e-38 : 2.2250738585072014e-308;
            FUZZ_CHECK(std::fabs(got - static_cast<double>(sum)) <=
                       2.0 * double(k + 2) * eps * static_cast<double>(magnitude) + double(k + 1) * tiny);
        }
    }
    return 0;
}
