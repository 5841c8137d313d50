// DataProcessor handles.
#include <memory>

#include "boundary.hpp"

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

HL_API hl_status hl_processor_add(hl_processor* proc, const double* values, size_t n,
                                  hl_control* ctl) {
    return guard(ctl, [&] {
        require(proc, "proc")->processor.add(values, n, DType::Float64, control_of(ctl));
    });
}

HL_API hl_status hl_processor_add_typed(hl_processor* proc, const void* values, size_t n,
                                        hl_dtype dtype, hl_control* ctl) {
    return guard(ctl, [&] {
        require(proc, "proc")->processor.add(values, n, to_dtype(dtype), control_of(ctl));
    });
}

HL_API hl_status hl_processor_process_chunks(hl_processor* proc, hl_buffer** out,
                                             hl_control* ctl) {
    return guard(ctl, [&] {
        require(proc, "proc");
        require(out, "out");
        *out = nullptr;
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
        const Moments m = proc->processor.statistics(control_of(ctl));
        *count = m.count;
        *mean = m.mean;
        *std = m.population_std();
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

}  // extern "C"
