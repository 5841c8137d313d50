// C API tests of the DataProcessor handle: lifecycle, errors, all-or-nothing (cancellation
// included), concurrency, bytes and partials.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "hotloop.h"

namespace {

std::string message() { return hl_last_error_message(); }

struct Flat {
    int64_t n;
    hl_view view;
    Flat(const void* data, int64_t count, hl_dtype dtype)
        : n(count), view{const_cast<void*>(data), dtype, 1, &n, nullptr} {}
    Flat(const Flat&) = delete;
};

std::vector<uint8_t> bytes_of(const hl_processor* p) {
    hl_buffer* out = nullptr;
    REQUIRE(hl_processor_to_bytes(p, &out) == HL_OK);
    const auto* data = static_cast<const uint8_t*>(hl_buffer_data(out));
    std::vector<uint8_t> bytes(data, data + hl_buffer_length(out));
    hl_buffer_free(out);
    return bytes;
}

}  // namespace

TEST_CASE("processor handles: lifecycle, errors and all-or-nothing") {
    hl_processor* p = nullptr;
    CHECK(hl_processor_create(0, &p) == HL_ERR_INVALID_ARGUMENT);
    CHECK(p == nullptr);
    CHECK(message() == "chunk_size must be at least 1");
    REQUIRE(hl_processor_create(2, &p) == HL_OK);
    const double values[5] = {1, 2, 3, 4, 5};
    Flat five(values, 5, HL_DTYPE_FLOAT64);
    REQUIRE(hl_processor_add(p, &five.view, nullptr) == HL_OK);
    Flat null_data(nullptr, 5, HL_DTYPE_FLOAT64);
    CHECK(hl_processor_add(p, &null_data.view, nullptr) == HL_ERR_INVALID_ARGUMENT);
    Flat too_big(values, INT64_MAX / 2, HL_DTYPE_FLOAT64);
    CHECK(hl_processor_add(p, &too_big.view, nullptr) == HL_ERR_SHAPE);
    Flat absurd(values, int64_t(1) << 59, HL_DTYPE_FLOAT64);
    CHECK(hl_processor_add(p, &absurd.view, nullptr) == HL_ERR_NO_MEMORY);
    Flat bad_dtype(values, 1, 42);
    CHECK(hl_processor_add(p, &bad_dtype.view, nullptr) == HL_ERR_TYPE);
    CHECK(hl_processor_add(p, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
    uint64_t n = 0;
    REQUIRE(hl_processor_length(p, &n) == HL_OK);
    CHECK(n == 5);
    uint64_t count;
    double mean, std_dev;
    REQUIRE(hl_processor_statistics(p, &count, &mean, &std_dev, nullptr) == HL_OK);
    CHECK(count == 5);
    CHECK(mean == 3.0);
    CHECK(std_dev == std::sqrt(2.0));
    hl_buffer* means = nullptr;
    REQUIRE(hl_processor_process_chunks(p, &means, nullptr) == HL_OK);
    REQUIRE(hl_buffer_length(means) == 2);
    CHECK(static_cast<double*>(hl_buffer_data(means))[1] == 3.5);
    hl_buffer_free(means);
    REQUIRE(hl_processor_chunk_size(p, &n) == HL_OK);
    CHECK(n == 2);
    CHECK(hl_processor_process_chunks(p, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
    means = reinterpret_cast<hl_buffer*>(&means);  // garbage: NULL after the failure
    CHECK(hl_processor_process_chunks(nullptr, &means, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(means == nullptr);
    CHECK(hl_processor_statistics(nullptr, &count, &mean, &std_dev, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_processor_clear(p) == HL_OK);
    REQUIRE(hl_processor_length(p, &n) == HL_OK);
    CHECK(n == 0);
    hl_processor_destroy(p);
    hl_processor_destroy(nullptr);
}

TEST_CASE("a cancelled processor call changes nothing and returns no buffer") {
    hl_processor* proc = nullptr;
    REQUIRE(hl_processor_create(2, &proc) == HL_OK);
    const double values[] = {1, 2, 3, 4, 5};
    Flat five(values, 5, HL_DTYPE_FLOAT64);
    REQUIRE(hl_processor_add(proc, &five.view, nullptr) == HL_OK);
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    CHECK(hl_processor_add(proc, &five.view, ctl) == HL_ERR_CANCELLED);
    hl_buffer* out = reinterpret_cast<hl_buffer*>(&out);  // garbage, must be overwritten
    CHECK(hl_processor_process_chunks(proc, &out, ctl) == HL_ERR_CANCELLED);
    CHECK(out == nullptr);
    uint64_t count = 0, length = 0;
    double mean = 0, std = 0;
    CHECK(hl_processor_statistics(proc, &count, &mean, &std, ctl) == HL_ERR_CANCELLED);
    Flat empty(values, 0, HL_DTYPE_FLOAT64);
    hl_buffer* partial = reinterpret_cast<hl_buffer*>(&partial);
    CHECK(hl_processor_partial(&empty.view, 2, 5, &partial, ctl) == HL_ERR_CANCELLED);
    CHECK(partial == nullptr);
    REQUIRE(hl_processor_length(proc, &length) == HL_OK);
    CHECK(length == 5);
    REQUIRE(hl_processor_statistics(proc, &count, &mean, &std, nullptr) == HL_OK);
    CHECK(count == 5);
    CHECK(mean == 3.0);
    hl_control_destroy(ctl);
    hl_processor_destroy(proc);
}

TEST_CASE("processor is safe under concurrent adds") {
    hl_processor* p = nullptr;
    REQUIRE(hl_processor_create(10, &p) == HL_OK);
    std::vector<double> chunk(1000, 1.0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            Flat view(chunk.data(), 1000, HL_DTYPE_FLOAT64);
            for (int i = 0; i < 50; ++i) hl_processor_add(p, &view.view, nullptr);
        });
    for (auto& t : threads) t.join();
    uint64_t n = 0;
    REQUIRE(hl_processor_length(p, &n) == HL_OK);
    CHECK(n == 4 * 50 * 1000);
    hl_processor_destroy(p);
}

TEST_CASE("processor bytes and partials") {
    std::vector<double> v(5000);
    for (std::size_t k = 0; k < v.size(); ++k) v[k] = 1e9 + static_cast<double>(k % 13) / 7;
    hl_processor* whole = nullptr;
    REQUIRE(hl_processor_create(7, &whole) == HL_OK);
    Flat all(v.data(), 5000, HL_DTYPE_FLOAT64);
    REQUIRE(hl_processor_add(whole, &all.view, nullptr) == HL_OK);
    const std::vector<uint8_t> state = bytes_of(whole);
    hl_processor* copy = nullptr;
    REQUIRE(hl_processor_from_bytes(state.data(), state.size(), &copy) == HL_OK);
    CHECK(bytes_of(copy) == state);
    hl_processor_destroy(copy);
    copy = reinterpret_cast<hl_processor*>(&copy);
    CHECK(hl_processor_from_bytes(state.data(), 7, &copy) == HL_ERR_INVALID_ARGUMENT);
    CHECK(copy == nullptr);

    hl_buffer* parts[2] = {nullptr, nullptr};
    Flat head(v.data(), 1234, HL_DTYPE_FLOAT64), tail(v.data() + 1234, 5000 - 1234, HL_DTYPE_FLOAT64);
    REQUIRE(hl_processor_partial(&head.view, 7, 0, &parts[0], nullptr) == HL_OK);
    REQUIRE(hl_processor_partial(&tail.view, 7, 1234, &parts[1], nullptr) == HL_OK);
    CHECK(hl_buffer_dtype(parts[0]) == HL_DTYPE_UINT8);
    const uint8_t* ptrs[2] = {static_cast<const uint8_t*>(hl_buffer_data(parts[0])),
                              static_cast<const uint8_t*>(hl_buffer_data(parts[1]))};
    const size_t sizes[2] = {hl_buffer_length(parts[0]), hl_buffer_length(parts[1])};
    hl_processor* merged = nullptr;
    REQUIRE(hl_processor_create(7, &merged) == HL_OK);
    const uint8_t* swapped[2] = {ptrs[1], ptrs[0]};
    const size_t swapped_sizes[2] = {sizes[1], sizes[0]};
    CHECK(hl_processor_add_partials(merged, swapped, swapped_sizes, 2, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_processor_add_partials(merged, ptrs, sizes, 2, nullptr) == HL_OK);
    CHECK(bytes_of(merged) == state);
    CHECK(hl_processor_add_partials(merged, nullptr, sizes, 2, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_processor_add_partials(merged, nullptr, nullptr, 0, nullptr) == HL_OK);
    // A NULL pointer is named as one, as by the other *_from_bytes, not called corrupt bytes.
    const uint8_t* with_null[2] = {ptrs[0], nullptr};
    CHECK(hl_processor_add_partials(merged, with_null, sizes, 2, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(message() == "add_partials: partials[1] is NULL");
    copy = reinterpret_cast<hl_processor*>(&copy);
    CHECK(hl_processor_from_bytes(nullptr, state.size(), &copy) == HL_ERR_INVALID_ARGUMENT);
    CHECK(copy == nullptr);
    CHECK(message() == "data is NULL");
    hl_buffer_free(parts[0]);
    hl_buffer_free(parts[1]);
    hl_processor_destroy(merged);
    hl_processor_destroy(whole);
}
