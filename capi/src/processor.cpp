// DataProcessor handles.
#include <memory>

#include "boundary.hpp"
#include "hotloop/processor.hpp"

// The handle: the engine's DataProcessor (its own mutex serializes calls on it).
struct hl_processor_s {
    explicit hl_processor_s(std::size_t chunk_size) : processor(chunk_size) {}
    explicit hl_processor_s(const hotloop::DataProcessor& state) : processor(state) {}
    hotloop::DataProcessor processor;
};

using namespace hotloop;
using namespace hotloop::capi;

extern "C" {

HL_API hl_status hl_processor_create(size_t chunk_size, hl_processor** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        *out = new hl_processor_s(chunk_size);
    });
}

HL_API void hl_processor_destroy(hl_processor* proc) { delete proc; }

HL_API hl_status hl_processor_add(hl_processor* proc, const hl_view* values, hl_control* ctl) {
    return guard(ctl, [&] {
        require(proc, "proc")->processor.add(view_of(values, "values"), control_of(ctl));
    });
}

HL_API hl_status hl_processor_process_chunks(hl_processor* proc, hl_buffer** out,
                                             hl_control* ctl) {
    clear_outputs(out);  // NULL after any failure, as the header says
    return guard(ctl, [&] {
        require(out, "out");
        require(proc, "proc");
        // The handle is allocated before the queue changes, so a failure loses no value.
        std::unique_ptr<hl_buffer_s> result(new hl_buffer_s{});
        result->buffer = proc->processor.process_chunks(control_of(ctl));
        *out = result.release();
    });
}

HL_API hl_status hl_processor_statistics(const hl_processor* proc, uint64_t* count,
                                         double* mean, double* std, hl_control* ctl) {
    return guard(ctl, [&] {
        require(proc, "proc");
        require(count, "count");
        require(mean, "mean");
        require(std, "std");
        const Statistics s = proc->processor.statistics(control_of(ctl));
        *count = s.count;
        *mean = s.mean;
        *std = s.std;
    });
}

HL_API hl_status hl_processor_clear(hl_processor* proc) {
    return guard([&] { require(proc, "proc")->processor.clear(); });
}

HL_API hl_status hl_processor_length(const hl_processor* proc, uint64_t* out) {
    return guard([&] { *require(out, "out") = require(proc, "proc")->processor.size(); });
}

HL_API hl_status hl_processor_chunk_size(const hl_processor* proc, uint64_t* out) {
    return guard([&] { *require(out, "out") = require(proc, "proc")->processor.chunk_size(); });
}

HL_API hl_status hl_processor_to_bytes(const hl_processor* proc, hl_buffer** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        *out = release(require(proc, "proc")->processor.to_bytes());
    });
}

HL_API hl_status hl_processor_from_bytes(const uint8_t* data, size_t size, hl_processor** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        require(data, "data");  // as the other *_from_bytes: a NULL pointer is not corrupt bytes
        const std::unique_ptr<DataProcessor> state = DataProcessor::from_bytes(data, size);
        *out = new hl_processor_s(*state);
    });
}

HL_API hl_status hl_processor_partial(const hl_view* values, uint64_t chunk_size,
                                      uint64_t offset, hl_buffer** out, hl_control* ctl) {
    clear_outputs(out);
    return guard(ctl, [&] {
        require(out, "out");
        if (chunk_size > SIZE_MAX) fail(ErrorKind::InvalidArgument, "chunk_size is too large");
        *out = release(DataProcessor::partial(view_of(values, "values"),
                                              static_cast<std::size_t>(chunk_size), offset,
                                              control_of(ctl)));
    });
}

HL_API hl_status hl_processor_add_partials(hl_processor* proc, const uint8_t* const* partials,
                                           const size_t* sizes, size_t n, hl_control* ctl) {
    return guard(ctl, [&] {
        require(proc, "proc")->processor.add_partials(partials, sizes, n, control_of(ctl));
    });
}

}  // extern "C"
