// hl_processor_* driven by a byte-coded sequence of operations, against a model queue (a deque of
// doubles): lengths and chunk means after every step, statistics, values added as hl_views of any
// dtype and layout or as partials (hl_processor_partial + hl_processor_add_partials, with any
// offset), to_bytes / from_bytes round trips, and failures (cancelled controls, NULL or bad
// views, unknown dtypes, damaged partials) that must leave the processor as it was. Chunk sizes
// and partial offsets near 2^63 and 2^64 are reachable, and adds long enough to complete a
// 32768-value block: the two crashes of a trial (DataProcessor(2**64 - 1) completing a block:
// SIGFPE; partial(chunk_size=2**63, offset=2**63 - 1): SIGSEGV) were out of reach of 1..64.
//
// Input: bytes 0-1 = chunk size code (0 must be refused; 0xF000 and up: a far chunk size, see
// chunk_of; else 1 + code % 64), then operations: one opcode byte each, followed by that
// operation's own bytes (see the switch below). Opcodes below 242 are operations 0-10 (op % 11,
// the layout older seeds were written for); 242 and up alternate a long add (11) and a partial
// at a far offset (12).
#include <cmath>
#include <deque>

#include "fuzz_util.hpp"

namespace {

// ---- adapter: today's hl_processor_* ----
hl_view flat(const void* data, hl_dtype t, const int64_t* shape) {
    return hl_view{const_cast<void*>(data), t, 1, shape, nullptr};
}

std::vector<uint8_t> bytes_of(hl_buffer* buf) {
    FUZZ_CHECK(hl_buffer_dtype(buf) == HL_DTYPE_UINT8);
    const auto* p = static_cast<const uint8_t*>(hl_buffer_data(buf));
    std::vector<uint8_t> out(p, p + hl_buffer_length(buf));
    hl_buffer_free(buf);
    return out;
}

struct Processor {
    hl_processor* handle = nullptr;
    ~Processor() { hl_processor_destroy(handle); }
    uint64_t length() const {
        uint64_t n = 0;
        FUZZ_CHECK(hl_processor_length(handle, &n) == HL_OK);
        return n;
    }
    hl_status add(const double* v, std::size_t n, hl_control* ctl) {
        const int64_t shape[1] = {static_cast<int64_t>(n)};
        const hl_view view = flat(v, HL_DTYPE_FLOAT64, shape);
        return hl_processor_add(handle, &view, ctl);
    }
    hl_status add_typed(const void* v, std::size_t n, hl_dtype t, hl_control* ctl) {
        const int64_t shape[1] = {static_cast<int64_t>(n)};
        const hl_view view = flat(v, t, shape);
        return hl_processor_add(handle, &view, ctl);
    }
    hl_status add_strided(const void* first, std::size_t ndim, const int64_t* shape,
                          const int64_t* strides, hl_dtype t, hl_control* ctl) {
        const hl_view view{const_cast<void*>(first), t, static_cast<int32_t>(ndim), shape, strides};
        return hl_processor_add(handle, &view, ctl);
    }
    hl_status process(std::vector<double>& means, hl_control* ctl) {
        hl_buffer* buf = reinterpret_cast<hl_buffer*>(this);  // garbage: must be overwritten
        const hl_status s = hl_processor_process_chunks(handle, &buf, ctl);
        if (s != HL_OK) {
            FUZZ_CHECK(buf == nullptr);
            return s;
        }
        FUZZ_CHECK(hl_buffer_dtype(buf) == HL_DTYPE_FLOAT64);
        const auto* p = static_cast<const double*>(hl_buffer_data(buf));
        means.assign(p, p + hl_buffer_length(buf));
        hl_buffer_free(buf);
        return s;
    }
    hl_status statistics(uint64_t& count, double& mean, double& std, hl_control* ctl) {
        return hl_processor_statistics(handle, &count, &mean, &std, ctl);
    }
    std::vector<uint8_t> to_bytes() const {
        hl_buffer* buf = nullptr;
        FUZZ_CHECK(hl_processor_to_bytes(handle, &buf) == HL_OK);
        return bytes_of(buf);
    }
};

// The serialized partial of n doubles for a processor of `chunk` holding `offset` values.
std::vector<uint8_t> partial(const double* v, std::size_t n, std::size_t chunk, uint64_t offset) {
    const int64_t shape[1] = {static_cast<int64_t>(n)};
    const hl_view view = flat(n ? v : nullptr, HL_DTYPE_FLOAT64, shape);
    hl_buffer* buf = nullptr;
    FUZZ_CHECK(hl_processor_partial(&view, chunk, offset, &buf, nullptr) == HL_OK);
    return bytes_of(buf);
}

struct Control {
    hl_control* handle = nullptr;
    Control() {
        FUZZ_CHECK(hl_control_create(&handle) == HL_OK);
        FUZZ_CHECK(hl_control_cancel(handle) == HL_OK);
    }
    ~Control() { hl_control_destroy(handle); }
};

// Chunk size codes 0xF000..0xFFFF: near 2^64 - 1, 2^63, 2^64 - 32768 (where ceil(c / 32768)
// once wrapped), the 32768-value block, 2^32, 3 * 2^62, 2^16, 2^62; bits 0-8 move it.
uint64_t chunk_of(uint16_t code) {
    if (code < 0xF000) return 1 + code % 64;
    static constexpr uint64_t kBases[8] = {UINT64_MAX,           uint64_t(1) << 63,
                                           UINT64_MAX - 32767,   32768,
                                           uint64_t(1) << 32,    uint64_t(3) << 62,
                                           65536,                uint64_t(1) << 62};
    const uint64_t base = kBases[(code >> 9) & 7], move = code & 0x1ff;
    return base == UINT64_MAX ? base - move : base + move - 256;
}

// The block period: the offsets of partials are compared modulo it (hotloop.h).
uint64_t period_of(uint64_t chunk) { return chunk <= 32768 ? chunk * (32768 / chunk) : chunk; }

// The most values the model holds: long adds past it add nothing (the checks read them all).
constexpr std::size_t kMaxModel = std::size_t(1) << 18;

// ---- the model's checks ----

bool tame(const std::deque<double>& q, std::size_t from, std::size_t n) {
    for (std::size_t i = from; i < from + n; ++i)
        if (!std::isfinite(q[i]) || std::fabs(q[i]) > 1e150) return false;
    return true;
}

// A mean taken with a compensated sum: within 4u|mean| + O(n u^2) of the exact one. Values
// near DBL_MAX (or not finite) are the exact-float reductions' concern (issue 12 notes): only
// NaN-ness is checked for them.
void check_mean(double got, const std::deque<double>& q, std::size_t from, std::size_t n) {
    std::vector<double> x(q.begin() + from, q.begin() + from + n);
    bool nan = false;
    for (double v : x) nan = nan || std::isnan(v);
    if (nan) FUZZ_CHECK(std::isnan(got));
    if (!tame(q, from, n)) return;
    double sum = 0, magnitude = 0;
    FUZZ_CHECK(fuzz::exact_sum(x.data(), n, sum));
    for (double v : x) magnitude += std::fabs(v);
    const double want = sum / double(n), u = fuzz::kUnit;
    FUZZ_CHECK(std::fabs(got - want) <=
               4 * u * std::fabs(want) + 4 * double(n + 1) * u * u * magnitude / double(n) + 4.9e-324);
}

// A processor whose values are unknown: every query answers without a crash.
void check_any_state(Processor& p) {
    uint64_t count = 0;
    double mean = 0, std = 0;
    FUZZ_CHECK(p.statistics(count, mean, std, nullptr) == HL_OK);
    FUZZ_CHECK(count == p.length());
    std::vector<double> means;
    FUZZ_CHECK(p.process(means, nullptr) == HL_OK);
    const std::vector<uint8_t> bytes = p.to_bytes();
    Processor copy;
    FUZZ_CHECK(hl_processor_from_bytes(bytes.data(), bytes.size(), &copy.handle) == HL_OK);
    FUZZ_CHECK(copy.to_bytes() == bytes);
}

void check_statistics(Processor& p, const std::deque<double>& q) {
    uint64_t count = 0;
    double mean = -1, std = -1;
    FUZZ_CHECK(p.statistics(count, mean, std, nullptr) == HL_OK);
    FUZZ_CHECK(count == q.size());
    if (q.empty()) {
        FUZZ_CHECK(mean == 0.0 && std == 0.0);
        return;
    }
    check_mean(mean, q, 0, q.size());
    if (!tame(q, 0, q.size())) return;
    double sum = 0;
    std::vector<double> x(q.begin(), q.end());
    fuzz::exact_sum(x.data(), x.size(), sum);
    const double m = sum / double(x.size());
    long double ss = 0, squares = 0;
    for (double v : x) {
        ss += (static_cast<long double>(v) - m) * (static_cast<long double>(v) - m);
        squares += static_cast<long double>(v) * v;
    }
    const double n = double(x.size()), var = static_cast<double>(ss / x.size());
    // As in fuzz_compute_stats.cpp; the last term: means of merged parts that are off by an
    // ulp (a mean of equal values is not always exactly that value) add (u x)^2 per value.
    const double u = fuzz::kUnit;
    const double bound =
        16.0 * n * u * static_cast<double>((ss + std::sqrt(ss * squares)) / x.size()) +
        16.0 * n * u * u * static_cast<double>(squares / x.size()) + 1e-300;
    FUZZ_CHECK(std::fabs(std * std - var) <= bound);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const auto chunk_code = in.take<uint16_t>();
    Processor p;
    if (chunk_code == 0) {
        FUZZ_CHECK(hl_processor_create(0, &p.handle) == HL_ERR_INVALID_ARGUMENT);
        return 0;
    }
    const std::size_t chunk = chunk_of(chunk_code);
    const uint64_t period = period_of(chunk);
    FUZZ_CHECK(hl_processor_create(chunk, &p.handle) == HL_OK);
    uint64_t got_chunk = 0;
    FUZZ_CHECK(hl_processor_chunk_size(p.handle, &got_chunk) == HL_OK && got_chunk == chunk);
    std::deque<double> model;

    for (int step = 0; step < 64 && in.left() > 0; ++step) {
        const auto op = in.take<uint8_t>();
        switch (op < 242 ? op % 11 : 11 + (op - 242) % 2) {
            case 0: {  // add float64 values
                const std::size_t n = in.take<uint8_t>() % 80;
                std::vector<double> v(n);
                for (double& x : v) x = in.take<double>();
                FUZZ_CHECK(p.add(n ? v.data() : nullptr, n, nullptr) == HL_OK);
                model.insert(model.end(), v.begin(), v.end());
                break;
            }
            case 1: {  // add values of any dtype (an unknown one changes nothing)
                const hl_dtype t = fuzz::kDtypes[in.take<uint8_t>() % fuzz::kDtypeCount];
                const std::size_t n = in.take<uint8_t>() % 80;
                const std::size_t element = fuzz::size_of(t) ? fuzz::size_of(t) : 1;
                std::vector<uint8_t> bytes = in.bytes(n * element);
                bytes.resize(n * element);
                const hl_status s = p.add_typed(n ? bytes.data() : nullptr, n, t, nullptr);
                if (fuzz::size_of(t) == 0) {
                    FUZZ_CHECK(s == HL_ERR_TYPE);
                    break;
                }
                FUZZ_CHECK(s == HL_OK);
                for (std::size_t i = 0; i < n; ++i) model.push_back(fuzz::double_at(bytes.data(), t, i));
                break;
            }
            case 2: {  // add a strided view: up to 3 axes of up to 5, any sign, gaps, zeros
                const hl_dtype t = fuzz::kDtypes[in.take<uint8_t>() % (fuzz::kDtypeCount - 1)];
                const std::size_t ndim = in.take<uint8_t>() % 4;
                const int64_t element = static_cast<int64_t>(fuzz::size_of(t));
                int64_t shape[3];
                int64_t strides[3];
                int64_t step_bytes = element, low = 0, high = element;
                for (std::size_t k = ndim; k-- > 0;) {
                    const auto code = in.take<uint8_t>();
                    shape[k] = code % 6;
                    strides[k] = (code & 0x40) ? 0 : step_bytes + ((code & 0x10) ? element : 0);
                    if (code & 0x80) strides[k] = -strides[k];
                    step_bytes = std::max<int64_t>(step_bytes, std::llabs(strides[k]) * shape[k]);
                }
                std::size_t count = 1;
                for (std::size_t k = 0; k < ndim; ++k) {
                    count *= static_cast<std::size_t>(shape[k]);
                    if (shape[k] == 0) continue;
                    const int64_t span = (shape[k] - 1) * strides[k];
                    (span < 0 ? low : high) += span;
                }
                std::vector<uint8_t> buffer(static_cast<std::size_t>(high - low));
                const std::vector<uint8_t> fill = in.bytes(buffer.size());
                std::copy(fill.begin(), fill.end(), buffer.begin());
                const uint8_t* first = buffer.data() - low;
                FUZZ_CHECK(p.add_strided(first, ndim, shape, strides, t, nullptr) == HL_OK);
                if (count == 0) break;
                int64_t index[3] = {0, 0, 0};
                for (std::size_t e = 0; e < count; ++e) {
                    int64_t offset = 0;
                    for (std::size_t k = 0; k < ndim; ++k) offset += index[k] * strides[k];
                    model.push_back(fuzz::double_at(first + offset, t, 0));
                    for (std::size_t k = ndim; k-- > 0;) {  // C order: the last axis fastest
                        if (++index[k] < shape[k]) break;
                        index[k] = 0;
                    }
                }
                break;
            }
            case 3: {  // process the full chunks
                std::vector<double> means;
                FUZZ_CHECK(p.process(means, nullptr) == HL_OK);
                FUZZ_CHECK(means.size() == model.size() / chunk);
                for (std::size_t c = 0; c < means.size(); ++c) check_mean(means[c], model, c * chunk, chunk);
                model.erase(model.begin(), model.begin() + means.size() * chunk);
                break;
            }
            case 4:
                check_statistics(p, model);
                break;
            case 5:
                FUZZ_CHECK(hl_processor_clear(p.handle) == HL_OK);
                model.clear();
                break;
            case 6: {  // a cancelled control: every operation fails and changes nothing
                Control cancelled;
                const double v[3] = {1, 2, 3};
                std::vector<double> means;
                uint64_t count;
                double mean, std;
                const int64_t shape[1] = {3};
                const int64_t strides[1] = {8};
                FUZZ_CHECK(p.add(v, 3, cancelled.handle) == HL_ERR_CANCELLED);
                FUZZ_CHECK(p.add_typed(v, 3, HL_DTYPE_FLOAT64, cancelled.handle) == HL_ERR_CANCELLED);
                FUZZ_CHECK(p.add_strided(v, 1, shape, strides, HL_DTYPE_FLOAT64, cancelled.handle) ==
                           HL_ERR_CANCELLED);
                if (model.size() >= chunk) FUZZ_CHECK(p.process(means, cancelled.handle) == HL_ERR_CANCELLED);
                FUZZ_CHECK(p.statistics(count, mean, std, cancelled.handle) == HL_ERR_CANCELLED);
                break;
            }
            case 7: {  // refused arguments change nothing
                const double v[1] = {1};
                FUZZ_CHECK(p.add(nullptr, 1 + in.take<uint8_t>(), nullptr) == HL_ERR_INVALID_ARGUMENT);
                FUZZ_CHECK(p.add_typed(v, 1, 999, nullptr) == HL_ERR_TYPE);
                FUZZ_CHECK(hl_processor_add(p.handle, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
                const int64_t shape[1] = {1}, negative[1] = {-1};
                const int64_t strides[1] = {8};
                FUZZ_CHECK(p.add_strided(v, 65, shape, strides, HL_DTYPE_FLOAT64, nullptr) != HL_OK);
                FUZZ_CHECK(p.add_strided(v, 1, nullptr, strides, HL_DTYPE_FLOAT64, nullptr) != HL_OK);
                FUZZ_CHECK(p.add_strided(v, 1, negative, strides, HL_DTYPE_FLOAT64, nullptr) != HL_OK);
                const int64_t huge[2] = {int64_t(1) << 40, int64_t(1) << 40};
                FUZZ_CHECK(p.add_strided(v, 2, huge, nullptr, HL_DTYPE_FLOAT64, nullptr) == HL_ERR_SHAPE);
                FUZZ_CHECK(hl_processor_statistics(p.handle, nullptr, nullptr, nullptr, nullptr) ==
                           HL_ERR_INVALID_ARGUMENT);
                FUZZ_CHECK(hl_processor_process_chunks(p.handle, nullptr, nullptr) ==
                           HL_ERR_INVALID_ARGUMENT);
                break;
            }
            case 8: {  // to_bytes / from_bytes: the same bytes again; go on with the copy
                const std::vector<uint8_t> bytes = p.to_bytes();
                Processor copy;
                FUZZ_CHECK(hl_processor_from_bytes(bytes.data(), bytes.size(), &copy.handle) == HL_OK);
                FUZZ_CHECK(copy.to_bytes() == bytes);
                std::swap(p.handle, copy.handle);
                break;
            }
            case 9: {  // values added as 1-4 partials (hl_processor_partial + add_partials)
                const std::size_t n = in.take<uint16_t>() % 300;
                std::vector<double> v(n);
                for (double& x : v) x = in.take<double>();
                const std::size_t parts = 1 + in.take<uint8_t>() % 4;
                std::vector<std::vector<uint8_t>> records;
                uint64_t offset = model.size();
                std::size_t at = 0;
                for (std::size_t k = 0; k < parts; ++k) {
                    const std::size_t m = k + 1 == parts ? n - at : in.take<uint16_t>() % (n - at + 1);
                    records.push_back(partial(v.data() + at, m, chunk, offset));
                    at += m;
                    offset += m;
                }
                std::vector<const uint8_t*> pointers;
                std::vector<std::size_t> sizes;
                for (const auto& r : records) pointers.push_back(r.data()), sizes.push_back(r.size());
                FUZZ_CHECK(hl_processor_add_partials(p.handle, pointers.data(), sizes.data(), parts, nullptr) == HL_OK);
                model.insert(model.end(), v.begin(), v.end());
                break;
            }
            case 11: {  // a long add (up to 65535 values: past a block), direct or as 2 partials
                const std::size_t n = in.take<uint16_t>();
                const auto how = in.take<uint8_t>();
                double pattern[8];  // the values repeat a pattern of 1-8 of the input's doubles
                const std::size_t k = 1 + how % 8;
                for (std::size_t j = 0; j < k; ++j) pattern[j] = in.take<double>();
                if (model.size() + n > kMaxModel) break;
                std::vector<double> v(n);
                for (std::size_t i = 0; i < n; ++i) v[i] = pattern[i % k];
                if (how & 0x80) {
                    const std::size_t half = n / 2;
                    const std::vector<uint8_t> a = partial(v.data(), half, chunk, model.size());
                    const std::vector<uint8_t> b =
                        partial(v.data() + half, n - half, chunk, model.size() + half);
                    const uint8_t* pointers[2] = {a.data(), b.data()};
                    const std::size_t sizes[2] = {a.size(), b.size()};
                    FUZZ_CHECK(hl_processor_add_partials(p.handle, pointers, sizes, 2, nullptr) == HL_OK);
                } else {
                    FUZZ_CHECK(p.add(n ? v.data() : nullptr, n, nullptr) == HL_OK);
                }
                model.insert(model.end(), v.begin(), v.end());
                break;
            }
            case 12: {  // a partial made at a far offset: near 2^62, 2^63 or 2^64, or this
                        // processor's length plus a multiple of the period (the same phase);
                        // up to 65535 values (a block past the offset), as in case 11
                const std::size_t n = in.take<uint16_t>();
                const std::size_t k = 1 + in.take<uint8_t>() % 8;
                double pattern[8];
                for (std::size_t j = 0; j < k; ++j) pattern[j] = in.take<double>();
                const auto where = in.take<uint8_t>();
                const uint64_t move = in.take<uint16_t>() % 1024;
                if (model.size() + n > kMaxModel) break;
                std::vector<double> v(n);
                for (std::size_t i = 0; i < n; ++i) v[i] = pattern[i % k];
                uint64_t offset;
                switch (where % 4) {
                    case 0: offset = (uint64_t(1) << 63) - 1 - move; break;
                    case 1: offset = UINT64_MAX - move; break;
                    case 2: offset = (uint64_t(1) << 62) - 1 - move; break;
                    default: {  // the largest such offset below 2^64 - n, minus move periods
                        const uint64_t top = UINT64_MAX - n - model.size();
                        const uint64_t periods = top / period;
                        offset = model.size() + (periods - std::min(periods, move)) * period;
                    }
                }
                const int64_t shape[1] = {static_cast<int64_t>(n)};
                const hl_view view = flat(n ? v.data() : nullptr, HL_DTYPE_FLOAT64, shape);
                hl_buffer* buf = nullptr;
                const hl_status made = hl_processor_partial(&view, chunk, offset, &buf, nullptr);
                if (n > UINT64_MAX - offset) {  // its last value would be the 2^64th
                    FUZZ_CHECK(made == HL_ERR_INVALID_ARGUMENT && buf == nullptr);
                    break;
                }
                FUZZ_CHECK(made == HL_OK);
                const std::vector<uint8_t> record = bytes_of(buf);
                const std::vector<uint8_t> before = p.to_bytes();
                const uint8_t* pointer = record.data();
                const std::size_t record_size = record.size();
                const hl_status s = hl_processor_add_partials(p.handle, &pointer, &record_size, 1, nullptr);
                if (offset % period != model.size() % period) {  // does not follow on: refused
                    FUZZ_CHECK(s == HL_ERR_INVALID_ARGUMENT);
                    FUZZ_CHECK(p.to_bytes() == before);
                    break;
                }
                // A partial keeps its offset modulo the period only: the record at the length.
                FUZZ_CHECK(record == partial(v.data(), n, chunk, model.size()));
                FUZZ_CHECK(s == HL_OK);
                model.insert(model.end(), v.begin(), v.end());
                break;
            }
            default: {  // a damaged partial: HL_OK or a clean error that changes nothing
                const std::size_t n = in.take<uint16_t>() % 200;
                std::vector<double> v(n);
                for (double& x : v) x = in.take<double>();
                std::vector<uint8_t> record = partial(v.data(), n, chunk, model.size());
                const std::size_t flips = 1 + in.take<uint8_t>() % 4;
                for (std::size_t k = 0; k < flips; ++k) {
                    const auto where = in.take<uint16_t>();
                    const auto what = in.take<uint8_t>();
                    if (where & 0x8000) record.resize(where % (record.size() + 9));
                    else if (!record.empty()) record[where % record.size()] ^= what ? what : 1;
                }
                const std::vector<uint8_t> before = p.to_bytes();
                Processor copy;
                FUZZ_CHECK(hl_processor_from_bytes(before.data(), before.size(), &copy.handle) == HL_OK);
                const uint8_t* pointer = record.data();
                const std::size_t record_size = record.size();
                const hl_status s = hl_processor_add_partials(copy.handle, &pointer, &record_size, 1, nullptr);
                FUZZ_CHECK(s == HL_OK || s == HL_ERR_INVALID_ARGUMENT || s == HL_ERR_NO_MEMORY);
                if (s != HL_OK) FUZZ_CHECK(copy.to_bytes() == before);
                else check_any_state(copy);
                break;
            }
        }
        FUZZ_CHECK(p.length() == model.size());
    }
    check_statistics(p, model);
    return 0;
}
