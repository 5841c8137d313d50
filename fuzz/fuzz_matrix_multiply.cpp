// hl_matrix_multiply with fuzzed shapes, leading dimensions and layouts (row- or column-major,
// as transposes reach BLAS; reversed or overlapping rows, which are copied), each operand in a
// buffer of exactly the bytes its view spans, against a naive long double product; dtypes other
// than float32/float64 must be refused.
//
// Input: bytes 0-2 = m, n, k (0-15), byte 3 = dtype index, byte 4 = flags (bit 0/1: a/b
// column-major; bits 2-4: extra leading-dimension elements; bit 5: a's leading dimension one
// element short of its inner size, so that its outer lines overlap; bit 6: out column-major;
// bit 7: a's outer dimension reversed), the rest = the elements of a then b (zeros past the end).
#include <cmath>

#include "fuzz_util.hpp"

namespace {

struct Operand {
    std::size_t rows, cols, ld;
    bool column_major, reversed;  // reversed: the outer dimension runs backwards in memory
    std::vector<uint8_t> bytes;   // exactly the span of the view

    std::size_t inner() const { return column_major ? rows : cols; }
    std::size_t outer() const { return column_major ? cols : rows; }
    std::size_t span() const { return rows && cols ? (outer() - 1) * ld + inner() : 0; }
    std::size_t index(std::size_t i, std::size_t j) const {
        std::size_t o = column_major ? j : i;
        if (reversed) o = outer() - 1 - o;
        return o * ld + (column_major ? i : j);
    }
    double at(std::size_t i, std::size_t j, hl_dtype t) const {
        return fuzz::double_at(bytes.data(), t, index(i, j));
    }
};

// ---- adapter: today's hl_matrix_multiply (an Operand as an hl_view; out m x n, row- or
// column-major) ----
hl_view view_of(const Operand& o, hl_dtype t, int64_t shape[2], int64_t strides[2]) {
    const auto item = static_cast<int64_t>(fuzz::size_of(t));
    const int64_t outer = (o.reversed ? -1 : 1) * static_cast<int64_t>(o.ld) * item;
    shape[0] = static_cast<int64_t>(o.rows);
    shape[1] = static_cast<int64_t>(o.cols);
    strides[0] = o.column_major ? item : outer;
    strides[1] = o.column_major ? outer : item;
    void* data = o.bytes.empty() ? nullptr : const_cast<uint8_t*>(o.bytes.data()) + o.index(0, 0) * item;
    return hl_view{data, t, 2, shape, strides};
}

hl_status hotloop_matmul(const Operand& a, const Operand& b, hl_dtype t, void* out,
                         bool out_column_major) {
    int64_t a_shape[2], a_strides[2], b_shape[2], b_strides[2];
    const hl_view va = view_of(a, t, a_shape, a_strides), vb = view_of(b, t, b_shape, b_strides);
    const auto item = static_cast<int64_t>(fuzz::size_of(t));
    const int64_t m = static_cast<int64_t>(a.rows), n = static_cast<int64_t>(b.cols);
    const int64_t out_shape[2] = {m, n};
    const int64_t out_strides[2] = {out_column_major ? item : n * item,
                                    out_column_major ? m * item : item};
    const hl_view vout{out, t, 2, out_shape, out_strides};
    return hl_matrix_multiply(&va, &vb, &vout, nullptr);
}

Operand operand(fuzz::Input& in, std::size_t rows, std::size_t cols, bool column_major,
                std::size_t extra_ld, bool short_ld, bool reversed, hl_dtype t) {
    Operand o{rows, cols, 0, column_major, reversed, {}};
    o.ld = std::max<std::size_t>(1, o.inner()) + extra_ld - (short_ld ? 1 : 0);
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
    const bool a_column_major = flags & 1;
    // A leading dimension one element short of a's inner size: its lines overlap (read only).
    const bool short_ld = (flags & 32) && ((flags >> 2) & 7) == 0 &&
                          (a_column_major ? m : k) >= 2;
    const bool out_column_major = flags & 64;
    Operand a = operand(in, m, k, a_column_major, (flags >> 2) & 7, short_ld, flags & 128,
                        layout_type);
    Operand b = operand(in, k, n, flags & 2, (flags >> 2) & 7, false, false, layout_type);
    std::vector<uint8_t> out(m * n * fuzz::size_of(layout_type) + 1, 0xAB);

    const hl_status status = hotloop_matmul(a, b, t, out.data(), out_column_major);
    if (!float_type) {
        FUZZ_CHECK(status == HL_ERR_TYPE);
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
            const double got =
                fuzz::double_at(out.data(), t, out_column_major ? j * m + i : i * n + j);
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
