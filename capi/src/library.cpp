// Library-wide entry points: version, errors, dtypes, threads (buffers: buffer.cpp).
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "boundary.hpp"
#include "hotloop/dtype.hpp"

using namespace hotloop;
using namespace hotloop::capi;

namespace {

thread_local std::string t_message;
thread_local int t_errno = 0;

#define HL_STR2(x) #x
#define HL_STR(x) HL_STR2(x)
constexpr const char kVersion[] =
    HL_STR(HL_VERSION_MAJOR) "." HL_STR(HL_VERSION_MINOR) "." HL_STR(HL_VERSION_PATCH);

}  // namespace

namespace hotloop::capi {

void set_error(const char* message, int os_errno) noexcept {
    try {
        t_message = message;
    } catch (...) {
        t_message.clear();  // keeps the status; the message is lost only if memory is exhausted
    }
    t_errno = os_errno;
}

void clear_error() noexcept {
    t_message.clear();
    t_errno = 0;
}

const char* last_message() noexcept { return t_message.c_str(); }

hl_status status_of(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::InvalidArgument: return HL_ERR_INVALID_ARGUMENT;
        case ErrorKind::Type: return HL_ERR_TYPE;
        case ErrorKind::Shape: return HL_ERR_SHAPE;
        case ErrorKind::Overflow: return HL_ERR_OVERFLOW;
        case ErrorKind::DivisionByZero: return HL_ERR_DIVISION_BY_ZERO;
        case ErrorKind::Closed: return HL_ERR_CLOSED;
        case ErrorKind::Cancelled: return HL_ERR_CANCELLED;
        case ErrorKind::Encoding: return HL_ERR_ENCODING;
        case ErrorKind::Io: return HL_ERR_IO;
        case ErrorKind::Timeout: return HL_ERR_TIMEOUT;
        case ErrorKind::Internal: return HL_ERR_INTERNAL;
    }
    return HL_ERR_INTERNAL;
}

DType to_dtype(hl_dtype code) {
    const auto dtype = static_cast<DType>(code);
    if (dtype_size(dtype) == 0)
        fail(ErrorKind::Type, "unknown dtype code " + std::to_string(code));
    return dtype;
}

View view_of(const hl_view* view, const char* name) {
    require(view, name);
    if (view->ndim < 0 || static_cast<std::size_t>(view->ndim) > kMaxViewDims)
        fail(ErrorKind::Shape, std::string(name) + ": ndim " + std::to_string(view->ndim) +
                                   " is outside 0.." + std::to_string(kMaxViewDims));
    View v;
    v.data = view->data;
    v.dtype = to_dtype(view->dtype);
    const std::size_t nd = static_cast<std::size_t>(view->ndim);
    if (nd) require(view->shape, "shape");
    v.shape.resize(nd);
    v.strides.resize(nd);
    for (std::size_t d = 0; d < nd; ++d) {
        if (view->shape[d] < 0)
            fail(ErrorKind::Shape, std::string(name) + ": negative size " +
                                       std::to_string(view->shape[d]));
        v.shape[d] = static_cast<std::size_t>(view->shape[d]);
    }
    if (view->strides) {
        for (std::size_t d = 0; d < nd; ++d)
            v.strides[d] = static_cast<std::ptrdiff_t>(view->strides[d]);
    } else {  // C-contiguous
        std::ptrdiff_t step = static_cast<std::ptrdiff_t>(v.item_size());
        for (std::size_t d = nd; d-- > 0;) {
            v.strides[d] = step;
            const auto side = static_cast<std::ptrdiff_t>(v.shape[d] ? v.shape[d] : 1);
            if (__builtin_mul_overflow(step, side, &step))
                fail(ErrorKind::Shape, std::string(name) + ": the view spans more than memory");
        }
    }
    check_view(v, name);
    if (v.size() == 0) {
        // An empty view's strides are never used to address anything, and check_view accepts
        // any: C-contiguous ones (which fit, as the element count does) keep every later offset
        // computation of the kernels free of overflow.
        std::ptrdiff_t step = static_cast<std::ptrdiff_t>(v.item_size());
        for (std::size_t d = nd; d-- > 0;) {
            v.strides[d] = step;
            step *= static_cast<std::ptrdiff_t>(v.shape[d] ? v.shape[d] : 1);
        }
    }
    return v;
}

}  // namespace hotloop::capi

extern "C" {

HL_API const char* hl_version(void) { return kVersion; }
HL_API int hl_abi_version(void) { return HL_ABI_VERSION; }
HL_API const char* hl_last_error_message(void) { return t_message.c_str(); }
HL_API int hl_last_error_errno(void) { return t_errno; }

HL_API const char* hl_status_name(hl_status status) {
    switch (status) {
        case HL_OK: return "HL_OK";
        case HL_ERR_INVALID_ARGUMENT: return "HL_ERR_INVALID_ARGUMENT";
        case HL_ERR_TYPE: return "HL_ERR_TYPE";
        case HL_ERR_SHAPE: return "HL_ERR_SHAPE";
        case HL_ERR_OVERFLOW: return "HL_ERR_OVERFLOW";
        case HL_ERR_NO_MEMORY: return "HL_ERR_NO_MEMORY";
        case HL_ERR_DIVISION_BY_ZERO: return "HL_ERR_DIVISION_BY_ZERO";
        case HL_ERR_CLOSED: return "HL_ERR_CLOSED";
        case HL_ERR_CANCELLED: return "HL_ERR_CANCELLED";
        case HL_ERR_INTERNAL: return "HL_ERR_INTERNAL";
        case HL_ERR_ENCODING: return "HL_ERR_ENCODING";
        case HL_ERR_IO: return "HL_ERR_IO";
        case HL_ERR_TIMEOUT: return "HL_ERR_TIMEOUT";
        default: return "HL_ERR_UNKNOWN";
    }
}

HL_API size_t hl_dtype_size(hl_dtype dtype) { return dtype_size(static_cast<DType>(dtype)); }

HL_API hl_status hl_set_num_threads(int n) {
    return guard([&] { set_num_threads(n); });
}

HL_API int hl_get_num_threads(void) {
    // Not through guard(): a function that returns its value directly leaves the last error
    // message as it was (docs/c_api.md), as hl_version and hl_status_name do.
    try {
        return get_num_threads();
    } catch (...) {
        return 1;
    }
}

HL_API hl_status hl_debug_throw(int what) {
    return guard([&] {
        switch (what) {
            case HL_DEBUG_THROW_BAD_ALLOC: throw std::bad_alloc();
            case HL_DEBUG_THROW_STD_EXCEPTION: throw std::logic_error("a std::logic_error");
            case HL_DEBUG_THROW_NON_STD: throw 42;
            default: break;
        }
        static const ErrorKind kinds[] = {
            ErrorKind::InvalidArgument, ErrorKind::Type,     ErrorKind::Shape,
            ErrorKind::Overflow,        ErrorKind::Internal, ErrorKind::DivisionByZero,
            ErrorKind::Closed,          ErrorKind::Cancelled, ErrorKind::Internal,
            ErrorKind::Encoding,        ErrorKind::Io,       ErrorKind::Timeout};
        if (what < HL_ERR_INVALID_ARGUMENT || what > HL_ERR_TIMEOUT || what == HL_ERR_NO_MEMORY)
            fail(ErrorKind::InvalidArgument, "hl_debug_throw: no such case " + std::to_string(what));
        throw Error(kinds[what - 1], std::string("hl_debug_throw(") + hl_status_name(what) + ")",
                    what == HL_ERR_IO ? 2 : 0);
    });
}

}  // extern "C"
