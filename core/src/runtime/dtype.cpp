#include "hotloop/dtype.hpp"

#include <limits>

namespace hotloop {

std::size_t dtype_size(DType dtype) noexcept {
    switch (dtype) {
        case DType::Bool:
        case DType::Int8:
        case DType::UInt8: return 1;
        case DType::Int16:
        case DType::UInt16: return 2;
        case DType::Int32:
        case DType::UInt32:
        case DType::Float32: return 4;
        case DType::Int64:
        case DType::UInt64:
        case DType::Float64: return 8;
    }
    return 0;
}

const char* dtype_name(DType dtype) noexcept {
    switch (dtype) {
        case DType::Bool: return "bool";
        case DType::Int8: return "int8";
        case DType::Int16: return "int16";
        case DType::Int32: return "int32";
        case DType::Int64: return "int64";
        case DType::UInt8: return "uint8";
        case DType::UInt16: return "uint16";
        case DType::UInt32: return "uint32";
        case DType::UInt64: return "uint64";
        case DType::Float32: return "float32";
        case DType::Float64: return "float64";
    }
    return "unknown";
}

bool is_float(DType dtype) noexcept { return dtype == DType::Float32 || dtype == DType::Float64; }

bool is_integer(DType dtype) noexcept { return dtype_size(dtype) != 0 && !is_float(dtype); }

void check_array(const void* data, std::size_t n, std::size_t element_size, const char* what) {
    if (element_size != 0 && n > std::numeric_limits<std::size_t>::max() / element_size)
        fail(ErrorKind::InvalidArgument,
             std::string(what) + ": " + std::to_string(n) + " elements do not fit in memory");
    if (data == nullptr && n != 0)
        fail(ErrorKind::InvalidArgument, std::string(what) + ": NULL data with a non-zero length");
}

}  // namespace hotloop
