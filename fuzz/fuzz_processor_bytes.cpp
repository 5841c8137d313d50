// The processor's deserializers on untrusted bytes: hl_processor_from_bytes (arbitrary bytes, and
// the bytes of a real processor, damaged by fuzz::damage) and hl_processor_add_partials (junk
// partials, and real partials damaged, given to a real processor). Any bytes give HL_OK or
// HL_ERR_INVALID_ARGUMENT, never a crash or UB; a failure changes nothing (*out NULL, the
// processor's bytes as before); a real processor reads back to the same bytes; an accepted
// state is usable: statistics, more values, process_chunks and a byte round trip all answer.
//
// Input: byte 0 = mode (0: from_bytes of the rest; 1: from_bytes of a real processor's bytes,
// damaged; 2: the same, not damaged; 3: add_partials of the rest as one partial; 4: add_partials
// of real partials, one of them damaged), byte 1 = chunk size - 1, byte 2 = values held, byte 3
// = values in the partials, then the damage and the values (doubles).
#include <cmath>
#include <memory>

#include "fuzz_util.hpp"

namespace {

using Bytes = std::vector<uint8_t>;

// ---- adapter: today's hl_processor_* ----
struct Processor {
    hl_processor* handle = nullptr;
    ~Processor() { hl_processor_destroy(handle); }
};

Bytes bytes_of(hl_buffer* buf) {
    FUZZ_CHECK(hl_buffer_dtype(buf) == HL_DTYPE_UINT8);
    const auto* p = static_cast<const uint8_t*>(hl_buffer_data(buf));
    Bytes out(p, p + hl_buffer_length(buf));
    hl_buffer_free(buf);
    return out;
}

Bytes to_bytes(const hl_processor* p) {
    hl_buffer* buf = nullptr;
    FUZZ_CHECK(hl_processor_to_bytes(p, &buf) == HL_OK);
    return bytes_of(buf);
}

hl_view values_view(const std::vector<double>& v, int64_t* shape) {
    shape[0] = static_cast<int64_t>(v.size());
    return hl_view{v.empty() ? nullptr : const_cast<double*>(v.data()), HL_DTYPE_FLOAT64, 1, shape, nullptr};
}

Bytes partial_of(const std::vector<double>& v, uint64_t chunk, uint64_t offset) {
    int64_t shape[1];
    const hl_view view = values_view(v, shape);
    hl_buffer* buf = nullptr;
    FUZZ_CHECK(hl_processor_partial(&view, chunk, offset, &buf, nullptr) == HL_OK);
    return bytes_of(buf);
}

std::vector<double> doubles(fuzz::Input& in, std::size_t n) {
    std::vector<double> v(n);
    for (double& x : v) x = in.take<double>();
    return v;
}

// Every query on a processor of unknown state answers with a clean status, and its bytes are a
// fixed point of from_bytes / to_bytes.
void exercise(hl_processor* p) {
    uint64_t length = 0, chunk = 0, count = 0;
    double mean, std;
    FUZZ_CHECK(hl_processor_length(p, &length) == HL_OK);
    FUZZ_CHECK(hl_processor_chunk_size(p, &chunk) == HL_OK && chunk >= 1);
    FUZZ_CHECK(hl_processor_statistics(p, &count, &mean, &std, nullptr) == HL_OK);
    FUZZ_CHECK(count == length);
    const Bytes bytes = to_bytes(p);
    Processor copy;
    FUZZ_CHECK(hl_processor_from_bytes(bytes.data(), bytes.size(), &copy.handle) == HL_OK);
    FUZZ_CHECK(to_bytes(copy.handle) == bytes);
    const std::vector<double> more = {1.0, -2.5, 3.0};
    int64_t shape[1];
    const hl_view view = values_view(more, shape);
    const hl_status added = hl_processor_add(p, &view, nullptr);
    FUZZ_CHECK(fuzz::clean_status(added));
    uint64_t after = 0;
    FUZZ_CHECK(hl_processor_length(p, &after) == HL_OK);
    FUZZ_CHECK(after == (added == HL_OK ? length + 3 : length));
    hl_buffer* means = nullptr;
    FUZZ_CHECK(hl_processor_process_chunks(p, &means, nullptr) == HL_OK);
    FUZZ_CHECK(hl_buffer_length(means) == after / chunk);
    hl_buffer_free(means);
    FUZZ_CHECK(hl_processor_statistics(p, &count, &mean, &std, nullptr) == HL_OK);
    to_bytes(p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const auto mode = in.take<uint8_t>() % 5;
    const uint64_t chunk = 1 + in.take<uint8_t>();
    const std::size_t held = in.take<uint8_t>(), in_partials = in.take<uint8_t>() * 3;
    fuzz::Input damage_bytes = in;
    if (mode == 1 || mode == 4) in.bytes(16);  // the damage reads from these 16 bytes (and on)

    // A real processor holding `held` values, some of its chunks processed.
    Processor real;
    FUZZ_CHECK(hl_processor_create(chunk, &real.handle) == HL_OK);
    if (mode != 0 && mode != 3) {
        const std::vector<double> v = doubles(in, held);
        int64_t shape[1];
        const hl_view view = values_view(v, shape);
        FUZZ_CHECK(hl_processor_add(real.handle, &view, nullptr) == HL_OK);
        if (held & 1) {
            hl_buffer* means = nullptr;
            FUZZ_CHECK(hl_processor_process_chunks(real.handle, &means, nullptr) == HL_OK);
            hl_buffer_free(means);
        }
    }
    const Bytes real_bytes = to_bytes(real.handle);

    if (mode <= 2) {
        Bytes record = mode == 0 ? in.bytes() : real_bytes;
        if (mode == 1) fuzz::damage(damage_bytes, record);
        Processor p;
        p.handle = reinterpret_cast<hl_processor*>(&record);  // garbage: must be overwritten
        const hl_status s = hl_processor_from_bytes(record.empty() ? nullptr : record.data(),
                                                    record.size(), &p.handle);
        FUZZ_CHECK(fuzz::clean_status(s));
        if (mode == 2) FUZZ_CHECK(s == HL_OK);
        if (s != HL_OK) {
            FUZZ_CHECK(p.handle == nullptr);
            return 0;
        }
        if (mode == 2) FUZZ_CHECK(to_bytes(p.handle) == record);
        exercise(p.handle);
        return 0;
    }

    // add_partials: junk (mode 3) or real partials that follow on from `real`, one damaged.
    std::vector<Bytes> partials;
    uint64_t length = 0;
    FUZZ_CHECK(hl_processor_length(real.handle, &length) == HL_OK);
    if (mode == 3) {
        partials.push_back(in.bytes());
    } else {
        const std::vector<double> v = doubles(in, in_partials);
        const std::size_t cut = in_partials / 3;
        partials.push_back(partial_of(std::vector<double>(v.begin(), v.begin() + cut), chunk, length));
        partials.push_back(partial_of(std::vector<double>(v.begin() + cut, v.end()), chunk, length + cut));
        fuzz::damage(damage_bytes, partials[in_partials & 1]);
    }
    std::vector<const uint8_t*> pointers;
    std::vector<std::size_t> sizes;
    for (const Bytes& b : partials) pointers.push_back(b.empty() ? nullptr : b.data()), sizes.push_back(b.size());
    const hl_status s = hl_processor_add_partials(real.handle, pointers.data(), sizes.data(),
                                                  partials.size(), nullptr);
    FUZZ_CHECK(fuzz::clean_status(s));
    if (s != HL_OK) {
        FUZZ_CHECK(to_bytes(real.handle) == real_bytes);  // all or nothing
        return 0;
    }
    exercise(real.handle);
    return 0;
}
