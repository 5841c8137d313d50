// Element types of the buffers the engine reads, and a dispatcher from a runtime dtype to a
// compile-time element type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "hotloop/error.hpp"

namespace hotloop {

// The numeric values are the C API's HL_DTYPE_* values.
enum class DType : int32_t {
    Bool = 1,
    Int8 = 2,
    Int16 = 3,
    Int32 = 4,
    Int64 = 5,
    UInt8 = 6,
    UInt16 = 7,
    UInt32 = 8,
    UInt64 = 9,
    Float32 = 10,
    Float64 = 11,
};

std::size_t dtype_size(DType dtype) noexcept;  // 0 for a value outside the enum
const char* dtype_name(DType dtype) noexcept;  // "int64", ...; "unknown" outside the enum
bool is_integer(DType dtype) noexcept;         // bool counts as an integer
bool is_float(DType dtype) noexcept;

// One element of a bool array as it lies in memory: a byte, true when it is not 0. NumPy
// (np.frombuffer(b"\xff", bool)) and PEP 3118 '?' buffers may hold any byte; reading such a
// byte as a C++ bool is undefined behaviour, so the engine never reads `bool` from user memory.
struct BoolByte {
    uint8_t byte;
    constexpr operator bool() const noexcept { return byte != 0; }  // NOLINT: implicit on purpose
};
static_assert(sizeof(BoolByte) == 1, "a bool element is one byte");

// Calls f(T{}) with T the element type of dtype (BoolByte for DType::Bool); throws
// ErrorKind::Type for an unknown dtype.
template <class F>
decltype(auto) dispatch_dtype(DType dtype, F&& f) {
    switch (dtype) {
        case DType::Bool: return f(BoolByte{});
        case DType::Int8: return f(int8_t{});
        case DType::Int16: return f(int16_t{});
        case DType::Int32: return f(int32_t{});
        case DType::Int64: return f(int64_t{});
        case DType::UInt8: return f(uint8_t{});
        case DType::UInt16: return f(uint16_t{});
        case DType::UInt32: return f(uint32_t{});
        case DType::UInt64: return f(uint64_t{});
        case DType::Float32: return f(float{});
        case DType::Float64: return f(double{});
    }
    fail(ErrorKind::Type, "unknown dtype code " + std::to_string(static_cast<int32_t>(dtype)));
}

// Rejects a null pointer with n > 0 and an n whose byte size overflows size_t.
void check_array(const void* data, std::size_t n, std::size_t element_size, const char* what);

}  // namespace hotloop
