// The engine's View: layout predicates, the C-order run iterator, and check_view's refusals.
#include <catch2/catch.hpp>

#include <cstdint>
#include <numeric>
#include <vector>

#include "hotloop/error.hpp"
#include "hotloop/view.hpp"

using namespace hotloop;

namespace {

View view3(int32_t* data, std::vector<std::size_t> shape, std::vector<std::ptrdiff_t> strides) {
    View v;
    v.data = data;
    v.dtype = DType::Int32;
    v.shape = std::move(shape);
    v.strides = std::move(strides);
    return v;
}

// The elements of v in C order, read through for_each_run over [begin, end).
std::vector<int32_t> read(const View& v, std::size_t begin, std::size_t end) {
    std::vector<int32_t> out;
    for_each_run(v, begin, end, [&](const char* first, std::size_t count, std::ptrdiff_t step) {
        for (std::size_t j = 0; j < count; ++j)
            out.push_back(*reinterpret_cast<const int32_t*>(first + std::ptrdiff_t(j) * step));
    });
    return out;
}

}  // namespace

TEST_CASE("a C-order view is contiguous and dense, and its runs are the elements in order") {
    std::vector<int32_t> a(24);
    std::iota(a.begin(), a.end(), 0);
    const View v = view3(a.data(), {2, 3, 4}, {48, 16, 4});
    CHECK(v.size() == 24);
    CHECK(v.c_contiguous());
    CHECK(v.dense());
    CHECK(v.lowest() == a.data());
    CHECK(read(v, 0, 24) == a);
    // Any sub-range, starting and ending mid-row.
    CHECK(read(v, 5, 19) == std::vector<int32_t>(a.begin() + 5, a.begin() + 19));
}

TEST_CASE("a transposed view is dense but not C-contiguous; runs follow the view's C order") {
    std::vector<int32_t> a(6);
    std::iota(a.begin(), a.end(), 0);          // a 2 x 3 matrix
    const View t = view3(a.data(), {3, 2}, {4, 12});  // its transpose
    CHECK_FALSE(t.c_contiguous());
    CHECK(t.dense());
    CHECK(read(t, 0, 6) == std::vector<int32_t>{0, 3, 1, 4, 2, 5});
}

TEST_CASE("a reversed view starts at its last element's address; a strided one is not dense") {
    std::vector<int32_t> a(8);
    std::iota(a.begin(), a.end(), 0);
    const View r = view3(a.data() + 7, {8}, {-4});
    CHECK(r.dense());
    CHECK_FALSE(r.c_contiguous());
    CHECK(r.lowest() == a.data());
    CHECK(read(r, 0, 8) == std::vector<int32_t>{7, 6, 5, 4, 3, 2, 1, 0});
    const View every_other = view3(a.data(), {4}, {8});
    CHECK_FALSE(every_other.dense());
    CHECK(read(every_other, 0, 4) == std::vector<int32_t>{0, 2, 4, 6});
    const View broadcast = view3(a.data(), {3, 2}, {0, 4});
    CHECK(read(broadcast, 0, 6) == std::vector<int32_t>{0, 1, 0, 1, 0, 1});
}

TEST_CASE("check_view refuses views that cannot be read") {
    int32_t x = 0;
    CHECK_NOTHROW(check_view(view3(&x, {}, {}), "v"));  // 0-d: one element
    CHECK_NOTHROW(check_view(view3(nullptr, {0, 5}, {20, 4}), "v"));  // empty may be NULL
    CHECK_THROWS_AS(check_view(view3(nullptr, {1}, {4}), "v"), Error);
    const std::ptrdiff_t huge = PTRDIFF_MAX / 2;
    CHECK_THROWS_AS(check_view(view3(&x, {4}, {huge}), "v"), Error);
    CHECK_THROWS_AS(check_view(view3(&x, {3}, {PTRDIFF_MIN}), "v"), Error);
    View bad = view3(&x, {1}, {4});
    bad.dtype = static_cast<DType>(99);
    CHECK_THROWS_AS(check_view(bad, "v"), Error);
    View deep = view3(&x, std::vector<std::size_t>(kMaxViewDims + 1, 1),
                      std::vector<std::ptrdiff_t>(kMaxViewDims + 1, 4));
    CHECK_THROWS_AS(check_view(deep, "v"), Error);
}

TEST_CASE("check_view: offsets and spans at the ptrdiff_t and address-space boundaries") {
    int32_t x = 0;
    // The span from the lowest byte to one past the highest must be a ptrdiff_t: the element's
    // own 4 bytes count (a stride of PTRDIFF_MAX on a side of 2 used to pass).
    CHECK_NOTHROW(check_view(view3(&x, {2}, {PTRDIFF_MAX - 4}), "v"));
    CHECK_THROWS_AS(check_view(view3(&x, {2}, {PTRDIFF_MAX - 3}), "v"), Error);
    CHECK_THROWS_AS(check_view(view3(&x, {2}, {PTRDIFF_MAX}), "v"), Error);
    CHECK_THROWS_AS(check_view(view3(&x, {2}, {PTRDIFF_MIN}), "v"), Error);
    CHECK_THROWS_AS(check_view(view3(&x, {2, 2}, {PTRDIFF_MAX / 2, -(PTRDIFF_MAX / 2)}), "v"),
                    Error);
    // Addresses must not wrap around: below 0, or past the top of the address space.
    auto* low = reinterpret_cast<int32_t*>(std::uintptr_t(64));
    CHECK_NOTHROW(check_view(view3(low, {17}, {-4}), "v"));  // down to address 0
    CHECK_THROWS_AS(check_view(view3(low, {18}, {-4}), "v"), Error);
    auto* top = reinterpret_cast<int32_t*>(~std::uintptr_t(0) - 11);
    CHECK_NOTHROW(check_view(view3(top, {2}, {4}), "v"));  // ends 4 bytes below the top
    CHECK_THROWS_AS(check_view(view3(top, {3}, {4}), "v"), Error);
    // An empty view touches nothing: any strides, and lowest() is its data.
    const View empty = view3(&x, {0, 3}, {PTRDIFF_MIN, PTRDIFF_MIN});
    CHECK_NOTHROW(check_view(empty, "v"));
    CHECK(empty.lowest() == &x);
}
