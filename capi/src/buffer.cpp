// Buffers the library allocates for variable-size results: hl_buffer_*.
#include <utility>

#include "boundary.hpp"

using namespace hotloop;

namespace hotloop::capi {

hl_buffer* release(Buffer&& buffer) { return new hl_buffer_s{std::move(buffer)}; }

}  // namespace hotloop::capi

extern "C" {

HL_API void* hl_buffer_data(const hl_buffer* buf) {
    return buf ? const_cast<void*>(buf->buffer.data()) : nullptr;
}
HL_API size_t hl_buffer_length(const hl_buffer* buf) { return buf ? buf->buffer.length() : 0; }
HL_API hl_dtype hl_buffer_dtype(const hl_buffer* buf) {
    return buf ? static_cast<hl_dtype>(buf->buffer.dtype()) : 0;
}
HL_API void hl_buffer_free(hl_buffer* buf) { delete buf; }

}  // extern "C"
