// C API tests of hl_view's promises that hold for every function: a view whose data or strides
// are not multiples of its element size (NumPy's frombuffer at an odd offset, a field of a
// packed record) is an ordinary view. The kernels read elements through typed pointers, so such
// a view used to be undefined behaviour (UBSan: "load of misaligned address") in the filter,
// the element-wise product and the image filters; each must give exactly the aligned result.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "hotloop.h"

namespace {

constexpr hl_dtype kDtypes[] = {HL_DTYPE_INT16, HL_DTYPE_UINT16, HL_DTYPE_INT32, HL_DTYPE_UINT32,
                                HL_DTYPE_INT64, HL_DTYPE_FLOAT32, HL_DTYPE_FLOAT64};

// Bytes holding n elements twice: aligned at aligned(), and the same bytes one byte further
// on at unaligned() (the storage itself is 8-byte aligned, so that one is never aligned).
struct TwinBytes {
    explicit TwinBytes(std::size_t bytes) : storage((bytes + 16) / 8 + 1), size(bytes) {}
    std::vector<uint64_t> storage;
    std::vector<uint64_t> aligned_storage = storage;
    std::size_t size;
    char* aligned() { return reinterpret_cast<char*>(aligned_storage.data()); }
    char* unaligned() { return reinterpret_cast<char*>(storage.data()) + 1; }
    // Elements (i * 7 + seed) % 13 of dtype (small: no product overflows), at both places.
    void fill(hl_dtype dtype, unsigned seed) {
        const std::size_t item = hl_dtype_size(dtype);
        for (std::size_t i = 0; i < size / item; ++i) {
            const unsigned v = (static_cast<unsigned>(i) * 7 + seed) % 13;
            put(aligned() + i * item, dtype, v);
        }
        std::memcpy(unaligned(), aligned(), size);
    }
    template <class T>
    static void put_as(char* at, unsigned v) {
        const T x = static_cast<T>(v);
        std::memcpy(at, &x, sizeof x);
    }
    static void put(char* at, hl_dtype dtype, unsigned v) {
        switch (dtype) {
            case HL_DTYPE_INT16: return put_as<int16_t>(at, v);
            case HL_DTYPE_UINT16: return put_as<uint16_t>(at, v);
            case HL_DTYPE_INT32: return put_as<int32_t>(at, v);
            case HL_DTYPE_UINT32: return put_as<uint32_t>(at, v);
            case HL_DTYPE_INT64: return put_as<int64_t>(at, v);
            case HL_DTYPE_FLOAT32: return put_as<float>(at, v);
            default: return put_as<double>(at, v);
        }
    }
};

}  // namespace

TEST_CASE("hl_filter_double: an unaligned view gives the aligned view's result", "[capi][view]") {
    for (const hl_dtype dtype : kDtypes) {
        CAPTURE(dtype);
        const int64_t n = 5000;
        TwinBytes in(static_cast<std::size_t>(n) * hl_dtype_size(dtype));
        in.fill(dtype, 1);
        hl_view aligned{in.aligned(), dtype, 1, &n, nullptr};
        hl_view unaligned{in.unaligned(), dtype, 1, &n, nullptr};
        hl_buffer *want = nullptr, *got = nullptr;
        REQUIRE(hl_filter_double(&aligned, dtype, 4, 4, 4.0, &want, nullptr) == HL_OK);
        REQUIRE(hl_filter_double(&unaligned, dtype, 4, 4, 4.0, &got, nullptr) == HL_OK);
        REQUIRE(hl_buffer_length(got) == hl_buffer_length(want));
        CHECK(hl_buffer_length(got) > 0);
        CHECK(std::memcmp(hl_buffer_data(got), hl_buffer_data(want),
                          hl_buffer_length(want) * hl_dtype_size(dtype)) == 0);
        hl_buffer_free(want);
        hl_buffer_free(got);
    }
}

TEST_CASE("hl_array_multiply: unaligned inputs and output give the aligned product",
          "[capi][view]") {
    for (const hl_dtype dtype :
         {HL_DTYPE_INT32, HL_DTYPE_INT64, HL_DTYPE_FLOAT32, HL_DTYPE_FLOAT64}) {
        CAPTURE(dtype);
        const int64_t shape[2] = {70, 90};
        const std::size_t bytes = 70 * 90 * hl_dtype_size(dtype);
        TwinBytes a(bytes), b(bytes), out(bytes);
        a.fill(dtype, 2);
        b.fill(dtype, 3);
        hl_view va{a.aligned(), dtype, 2, shape, nullptr};
        hl_view vb{b.aligned(), dtype, 2, shape, nullptr};
        hl_view vo{out.aligned(), dtype, 2, shape, nullptr};
        hl_view ua{a.unaligned(), dtype, 2, shape, nullptr};
        hl_view ub{b.unaligned(), dtype, 2, shape, nullptr};
        hl_view uo{out.unaligned(), dtype, 2, shape, nullptr};
        REQUIRE(hl_array_multiply(&va, &vb, &vo, nullptr, nullptr) == HL_OK);
        REQUIRE(hl_array_multiply(&ua, &ub, &uo, nullptr, nullptr) == HL_OK);
        CHECK(std::memcmp(out.unaligned(), out.aligned(), bytes) == 0);
        REQUIRE(hl_array_multiply(&ua, &vb, &vo, nullptr, nullptr) == HL_OK);  // mixed
        CHECK(std::memcmp(out.unaligned(), out.aligned(), bytes) == 0);
    }
}

TEST_CASE("image filters: unaligned source and destination give the aligned result",
          "[capi][view]") {
    for (const hl_dtype dtype : {HL_DTYPE_UINT16, HL_DTYPE_FLOAT32, HL_DTYPE_FLOAT64}) {
        const int64_t shape[3] = {40, 50, 3}, gray_shape[2] = {40, 50};
        const std::size_t bytes = 40 * 50 * 3 * hl_dtype_size(dtype);
        TwinBytes src(bytes), dst(bytes);
        src.fill(dtype, 5);
        hl_view vs{src.aligned(), dtype, 3, shape, nullptr};
        hl_view us{src.unaligned(), dtype, 3, shape, nullptr};
        hl_view vd{dst.aligned(), dtype, 3, shape, nullptr};
        hl_view ud{dst.unaligned(), dtype, 3, shape, nullptr};
        hl_view vg{dst.aligned(), dtype, 2, gray_shape, nullptr};
        hl_view ug{dst.unaligned(), dtype, 2, gray_shape, nullptr};
        for (int filter = 0; filter < 5; ++filter) {
            CAPTURE(dtype, filter);
            auto run = [&](const hl_view* s, const hl_view* d, const hl_view* g) {
                switch (filter) {
                    case 0: return hl_image_gaussian_blur(s, d, 1.5, nullptr);
                    case 1: return hl_image_box_blur(s, d, 2, nullptr);
                    case 2: return hl_image_sharpen(s, d, 1.0, 0.5, nullptr);
                    case 3: return hl_image_sobel_edges(s, d, nullptr);
                    default: return hl_image_grayscale(s, g, nullptr);
                }
            };
            const std::size_t written = filter == 4 ? bytes / 3 : bytes;
            REQUIRE(run(&vs, &vd, &vg) == HL_OK);
            REQUIRE(run(&us, &ud, &ug) == HL_OK);
            CHECK(std::memcmp(dst.unaligned(), dst.aligned(), written) == 0);
            std::memset(dst.unaligned(), 0, written);
            REQUIRE(run(&us, &vd, &vg) == HL_OK);  // only the source unaligned
            REQUIRE(run(&vs, &ud, &ug) == HL_OK);  // only the destination
            CHECK(std::memcmp(dst.unaligned(), dst.aligned(), written) == 0);
        }
    }
}

// Text is a `const void *` of code units: UTF-16 or UTF-32 at an odd offset of a byte buffer is
// valid input. The kernels read uint16_t / uint32_t units, which was undefined behaviour
// (UBSan: "load of misaligned address") for such text.
TEST_CASE("hl_word_table_count: UCS-2 and UCS-4 text at an odd address gives the same table",
          "[capi][view]") {
    // Every code point in the BMP, so that the UCS-2 and UCS-4 texts are the same text.
    const char32_t text[] = U"The quick \u00e9t\u00e9 fox THE \u03a3\u03b1\u03c3 quick\u2003x the";
    const std::size_t n = sizeof text / sizeof text[0] - 1;
    for (const int encoding : {HL_TEXT_UCS2, HL_TEXT_UCS4}) {
        CAPTURE(encoding);
        const std::size_t unit = encoding == HL_TEXT_UCS2 ? 2 : 4;
        TwinBytes units(n * unit);
        for (std::size_t i = 0; i < n; ++i) {
            const auto c = static_cast<unsigned>(text[i]);
            if (unit == 2) TwinBytes::put_as<uint16_t>(units.aligned() + i * 2, c);
            else TwinBytes::put_as<uint32_t>(units.aligned() + i * 4, c);
        }
        std::memcpy(units.unaligned(), units.aligned(), n * unit);
        std::vector<std::vector<uint8_t>> serialized;
        for (const char* at : {units.aligned(), units.unaligned()}) {
            hl_word_table* table = nullptr;
            REQUIRE(hl_word_table_count(at, n, encoding, 0, "14.0.0", 0, &table, nullptr) ==
                    HL_OK);
            hl_buffer* bytes = nullptr;
            REQUIRE(hl_word_table_to_bytes(table, &bytes) == HL_OK);
            const auto* data = static_cast<const uint8_t*>(hl_buffer_data(bytes));
            serialized.emplace_back(data, data + hl_buffer_length(bytes));
            hl_buffer_free(bytes);
            hl_word_table_destroy(table);
        }
        CHECK(serialized[0] == serialized[1]);
    }
}

// A stride of INT64_MAX on a side of 2 used to pass the validation (its offset fits in int64,
// but not with the element's own bytes after it): hl_sum then read 2^63 bytes past data. Every
// offset and the span are now computed without overflow, at the int64 and uint64 boundaries.
TEST_CASE("hl_view: strides and products past int64 are HL_ERR_SHAPE; empty views take any",
          "[capi][view]") {
    double x[2] = {1.0, 2.0};
    hl_sum_result r;
    struct Bad {
        std::vector<int64_t> shape, strides;
    };
    const int64_t half = INT64_MAX / 2 + 1;  // 2^62
    const Bad bad[] = {
        {{2}, {INT64_MAX}},                       // the span passes int64 by the element's bytes
        {{2}, {INT64_MIN}},                       // |INT64_MIN| is no int64
        {{2}, {INT64_MAX - 6}},                   // span INT64_MAX + 2
        {{3}, {half}},                            // 2 * 2^62 overflows int64
        {{3}, {-half - 1}},                       // -2^63 - 2 ... below int64
        {{(int64_t(1) << 32) + 1}, {int64_t(1) << 32}},  // 2^64: overflows uint64 too
        {{2, 2}, {half, half}},                   // each fits, their sum does not
        {{2, 2}, {INT64_MAX / 2, -(INT64_MAX / 2)}},  // highest - lowest overflows
        {{1, 2, 3}, {8, 8, INT64_MAX}},
    };
    for (const Bad& b : bad) {
        const hl_view v{x, HL_DTYPE_FLOAT64, static_cast<int32_t>(b.shape.size()), b.shape.data(),
                        b.strides.data()};
        INFO("stride " << b.strides.back() << ", side " << b.shape.back());
        CHECK(hl_sum(&v, &r, nullptr) == HL_ERR_SHAPE);
        CHECK(std::string(hl_last_error_message()).find("spans more than the address space") !=
              std::string::npos);
    }
    // A side of 0 touches no memory: any strides (and NULL data) are fine.
    const Bad empty[] = {{{0}, {INT64_MAX}}, {{0}, {INT64_MIN}}, {{0, 2}, {8, INT64_MIN}},
                         {{3, 0}, {INT64_MAX, INT64_MIN}}, {{2, 0, 5}, {INT64_MIN, 8, INT64_MAX}}};
    for (const Bad& e : empty) {
        for (void* data : {static_cast<void*>(x), static_cast<void*>(nullptr)}) {
            const hl_view v{data, HL_DTYPE_FLOAT64, static_cast<int32_t>(e.shape.size()),
                            e.shape.data(), e.strides.data()};
            INFO("empty view, last stride " << e.strides.back());
            REQUIRE(hl_sum(&v, &r, nullptr) == HL_OK);
            CHECK(r.value == 0.0);
        }
    }
    // Sides of 1 ignore their strides; a reversed view that fits is read as before.
    const int64_t one_shape[] = {1, 2}, one_strides[] = {INT64_MIN, -8};
    const hl_view ones{x + 1, HL_DTYPE_FLOAT64, 2, one_shape, one_strides};
    REQUIRE(hl_sum(&ones, &r, nullptr) == HL_OK);
    CHECK(r.value == 3.0);
}
