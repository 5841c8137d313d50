#include "hotloop/reduce.hpp"

#include <cstdint>
#include <type_traits>
#include <vector>

#include "compensated.hpp"
#include "float64_kernels.hpp"
#include "simd.hpp"

namespace hotloop {

HL_CLONES CompensatedSum block_sum_float64(const double* p, std::size_t n) {
    return compensated_sum_lanes(p, n);
}

namespace {

// Fixed block sizes: partial results never depend on the thread count.
constexpr std::size_t kIntBlock = std::size_t(1) << 16;
constexpr std::size_t kFloatBlock = std::size_t(1) << 15;

// 64-bit elements are split into a high and a low 32-bit half, each summed in 64 bits: over a
// block of 2^16 elements neither half-sum can overflow, and the loop vectorises.
HL_CLONES int128_t block_sum_int64(const int64_t* p, std::size_t n) {
    int64_t hi = 0;
    uint64_t lo = 0;
    for (std::size_t i = 0; i < n; ++i) {
        hi += p[i] >> 32;
        lo += static_cast<uint64_t>(p[i]) & 0xffffffffu;
    }
    return static_cast<int128_t>(hi) * (int128_t(1) << 32) + static_cast<int128_t>(lo);
}

HL_CLONES int128_t block_sum_uint64(const uint64_t* p, std::size_t n) {
    uint64_t hi = 0, lo = 0;
    for (std::size_t i = 0; i < n; ++i) {
        hi += p[i] >> 32;
        lo += p[i] & 0xffffffffu;
    }
    return static_cast<int128_t>(hi) * (int128_t(1) << 32) + static_cast<int128_t>(lo);
}

// Narrower integers fit a 64-bit accumulator over a whole block.
template <class T>
HL_INLINE int128_t block_sum_narrow(const T* p, std::size_t n) {
    using Acc = std::conditional_t<std::is_signed<T>::value, int64_t, uint64_t>;
    Acc acc = 0;
    for (std::size_t i = 0; i < n; ++i) acc += static_cast<Acc>(p[i]);
    return static_cast<int128_t>(acc);
}

HL_CLONES int128_t block_sum_bool(const uint8_t* p, std::size_t n) {
    uint64_t acc = 0;
    for (std::size_t i = 0; i < n; ++i) acc += p[i] != 0;
    return static_cast<int128_t>(acc);
}
HL_CLONES int128_t block_sum_int32(const int32_t* p, std::size_t n) { return block_sum_narrow(p, n); }
HL_CLONES int128_t block_sum_uint32(const uint32_t* p, std::size_t n) { return block_sum_narrow(p, n); }
HL_CLONES int128_t block_sum_int16(const int16_t* p, std::size_t n) { return block_sum_narrow(p, n); }
HL_CLONES int128_t block_sum_uint16(const uint16_t* p, std::size_t n) { return block_sum_narrow(p, n); }
HL_CLONES int128_t block_sum_int8(const int8_t* p, std::size_t n) { return block_sum_narrow(p, n); }
HL_CLONES int128_t block_sum_uint8(const uint8_t* p, std::size_t n) { return block_sum_narrow(p, n); }

int128_t block_sum(const int64_t* p, std::size_t n) { return block_sum_int64(p, n); }
int128_t block_sum(const uint64_t* p, std::size_t n) { return block_sum_uint64(p, n); }
int128_t block_sum(const int32_t* p, std::size_t n) { return block_sum_int32(p, n); }
int128_t block_sum(const uint32_t* p, std::size_t n) { return block_sum_uint32(p, n); }
int128_t block_sum(const int16_t* p, std::size_t n) { return block_sum_int16(p, n); }
int128_t block_sum(const uint16_t* p, std::size_t n) { return block_sum_uint16(p, n); }
int128_t block_sum(const int8_t* p, std::size_t n) { return block_sum_int8(p, n); }
int128_t block_sum(const uint8_t* p, std::size_t n) { return block_sum_uint8(p, n); }
int128_t block_sum(const BoolByte* p, std::size_t n) {
    return block_sum_bool(reinterpret_cast<const uint8_t*>(p), n);
}

HL_CLONES CompensatedSum block_sum_float32(const float* p, std::size_t n) {
    return compensated_sum_lanes(p, n);
}
CompensatedSum block_sum(const double* p, std::size_t n) { return block_sum_float64(p, n); }
CompensatedSum block_sum(const float* p, std::size_t n) { return block_sum_float32(p, n); }

// Runs block_sum over fixed blocks in parallel and hands the partials, in block order, to combine.
template <class T, class Partial, class Combine>
void sum_blocks(const T* p, std::size_t n, std::size_t block, Control* ctl, Combine combine) {
    reduce_blocks<Partial>(
        n, block, [&](std::size_t begin, std::size_t len) { return block_sum(p + begin, len); },
        [&](const Partial& partial, std::size_t) { combine(partial); }, ctl);
}

}  // namespace

int128_t sum_int(const void* data, std::size_t n, DType dtype, Control* ctl) {
    if (!is_integer(dtype))
        fail(ErrorKind::Type, std::string("sum_int: expected an integer dtype, got ") +
                                  dtype_name(dtype));
    check_array(data, n, dtype_size(dtype), "sum_int");
    int128_t total = 0;
    dispatch_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_integral<T>::value || std::is_same<T, BoolByte>::value) {
            sum_blocks<T, int128_t>(static_cast<const T*>(data), n, kIntBlock, ctl,
                                    [&](int128_t partial) { total += partial; });
        }
    });
    return total;
}

double sum_float(const void* data, std::size_t n, DType dtype, Control* ctl) {
    if (!is_float(dtype))
        fail(ErrorKind::Type, std::string("sum_float: expected a float dtype, got ") +
                                  dtype_name(dtype));
    check_array(data, n, dtype_size(dtype), "sum_float");
    CompensatedSum total;
    auto combine = [&](const CompensatedSum& partial) { total.add(partial); };
    if (dtype == DType::Float64)
        sum_blocks<double, CompensatedSum>(static_cast<const double*>(data), n, kFloatBlock, ctl,
                                           combine);
    else
        sum_blocks<float, CompensatedSum>(static_cast<const float*>(data), n, kFloatBlock, ctl,
                                          combine);
    return total.value();
}

double sum_doubles_serial(const double* data, std::size_t n, Control* ctl) {
    CompensatedSum total;
    for (std::size_t begin = 0; begin < n; begin += kFloatBlock) {
        if (ctl) ctl->check();  // a huge chunk is one serial loop: stay cancellable
        total.add(block_sum_float64(data + begin, std::min(kFloatBlock, n - begin)));
    }
    return total.value();
}

}  // namespace hotloop
