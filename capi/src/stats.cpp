// Statistics: hl_compute_stats and the mergeable hl_moments records.
#include <cstring>
#include <type_traits>

#include "boundary.hpp"
#include "hotloop/stats.hpp"

using namespace hotloop;
using namespace hotloop::capi;

namespace {

constexpr uint64_t kTag = 0x484c4d4f4d454e54ull;  // "HLMOMENT"
struct Record {
    uint64_t tag;
    Moments moments;
};
static_assert(sizeof(Record) <= sizeof(hl_moments), "HL_MOMENTS_WORDS is too small");
static_assert(std::is_trivially_copyable<Record>::value, "records are copied with memcpy");
static_assert(Moments::kBytes == HL_MOMENTS_BYTES, "HL_MOMENTS_BYTES");
static_assert(HL_NAN_PROPAGATE == int(NanPolicy::Propagate) && HL_NAN_OMIT == int(NanPolicy::Omit) &&
                  HL_NAN_RAISE == int(NanPolicy::Raise),
              "nan_policy codes");

Moments read(const hl_moments* m, const char* name) {
    Record r;
    std::memcpy(static_cast<void*>(&r), require(m, name), sizeof r);
    if (r.tag != kTag)
        fail(ErrorKind::InvalidArgument,
             std::string(name) + " is not an hl_moments written by an hl_moments_* function");
    return r.moments;
}

void write(hl_moments* out, const Moments& m) {
    Record r{kTag, m};
    std::memset(out, 0, sizeof *out);
    std::memcpy(out, static_cast<const void*>(&r), sizeof r);
}

NanPolicy policy_of(int32_t code) {
    if (code < HL_NAN_PROPAGATE || code > HL_NAN_RAISE)
        fail(ErrorKind::InvalidArgument, "unknown nan_policy code " + std::to_string(code));
    return static_cast<NanPolicy>(code);
}

void export_stats(const Statistics& s, hl_stats* out) {
    hl_stats r{};
    r.count = s.count;
    r.mean = s.mean;
    r.std = s.std;
    r.dtype = static_cast<hl_dtype>(s.dtype);
    std::memcpy(r.min, s.min, 8);
    std::memcpy(r.max, s.max, 8);
    *out = r;
}

}  // namespace

extern "C" {

HL_API hl_status hl_compute_stats(const hl_view* data, int32_t nan_policy, hl_stats* out,
                                  hl_control* ctl) {
    return guard(ctl, [&] {
        require(out, "out");
        export_stats(compute_stats(view_of(data, "data"), policy_of(nan_policy), control_of(ctl)),
                     out);
    });
}

HL_API hl_status hl_moments_of(const hl_view* data, int32_t nan_policy, hl_moments* out,
                               hl_control* ctl) {
    return guard(ctl, [&] {
        require(out, "out");
        write(out, Moments::of(view_of(data, "data"), policy_of(nan_policy), control_of(ctl)));
    });
}

HL_API hl_status hl_moments_merge(hl_moments* a, const hl_moments* b) {
    return guard([&] {
        Moments m = read(a, "a");
        m.merge(read(b, "b"));
        write(a, m);
    });
}

HL_API hl_status hl_moments_finish(const hl_moments* m, int32_t ddof, hl_stats* out) {
    return guard([&] {
        require(out, "out");
        if (ddof < 0) fail(ErrorKind::InvalidArgument, "ddof must be >= 0");
        export_stats(read(m, "m").finish(ddof), out);
    });
}

HL_API hl_status hl_moments_to_bytes(const hl_moments* m, uint8_t* out) {
    return guard([&] {
        require(out, "out");
        read(m, "m").to_bytes(out);
    });
}

HL_API hl_status hl_moments_from_bytes(const uint8_t* data, size_t size, hl_moments* out) {
    return guard([&] {
        require(out, "out");
        write(out, Moments::from_bytes(require(data, "data"), size));
    });
}

}  // extern "C"
