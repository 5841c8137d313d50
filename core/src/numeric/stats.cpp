#include "hotloop/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "exact_kernels.hpp"
#include "simd.hpp"

namespace hotloop {
namespace {

// ---- the finite-values pass of one block ----

// Adds (x - centre)^2 of eight values, scaled: x * scale - cs is split error-free into dh + dl,
// dh into A (at most 26 significant bits: A * A is exact) and B = dh - A + dl; d^2 = A^2 +
// (2A + B) B. A^2 goes to a compensated sum (P, C), the small rest to S.
template <std::size_t B>
HL_INLINE void deviations(const D8<B>& x, const D8<B>& scale, const D8<B>& cs, const D8<B>& ncs,
                          const D8<B>& sd, D8<B>& P, D8<B>& C, D8<B>& S) {
    const D8<B> xs = x * scale;
    const D8<B> dh = xs - cs;
    const D8<B> z = dh - xs;
    const D8<B> dl = (xs - (dh - z)) + (ncs - z);
    const D8<B> a = (sd + dh) - sd;
    const D8<B> b = (dh - a) + dl;
    const D8<B> a2 = a * a;
    S += (a + a + b) * b;
    const D8<B> t = P + a2;
    const D8<B> w = t - P;
    C += (P - (t - w)) + (a2 - w);
    P = t;
}

// Scalar form of the same, for the tail.
inline void deviation1(double x, double scale, double cs, double sd, double& P, double& C,
                       double& S) {
    const double xs = x * scale;
    double dh, dl;
    two_sum(xs, -cs, dh, dl);
    const double a = (sd + dh) - sd;
    const double b = (dh - a) + dl;
    S += (a + a + b) * b;
    double t, e;
    two_sum(P, a * a, t, e);
    C += e;
    P = t;
}

// The sums of one pass: the exact-sum levels and the squared deviations.
struct PassSums {
    LevelSums levels;
    double p = 0, c = 0, s = 0;  // sum of squared deviations = p + c + s (scaled)
};

inline void add_lane(double& P, double& C, double p, double c) {
    double t, e;
    two_sum(P, p, t, e);
    P = t;
    C += e + c;
}

// One read of the block: both extraction levels of the sum and the squared deviations. `next`
// (or null) is the block this thread most likely reads next: it is prefetched meanwhile, so that
// the next block's first read (its extremes) does not wait for memory.
template <std::size_t B, class T>
HL_INLINE PassSums fused_pass(const T* p, std::size_t m, const Sigmas& sig, double scale,
                              double cs, double sd, const char* next) {
    const D8<B> s1 = D8<B>::splat(sig.s1), s2 = D8<B>::splat(sig.s2), vs = D8<B>::splat(scale);
    const D8<B> vc = D8<B>::splat(cs), vnc = D8<B>::splat(-cs), vsd = D8<B>::splat(sd);
    D8<B> a1 = {}, b1 = {}, a2 = {}, b2 = {};
    L8<B> nz = {};
    D8<B> P0 = {}, P1 = {}, C0 = {}, C1 = {}, S0 = {}, S1 = {};
    std::size_t i = 0;
    for (; i + 16 <= m; i += 16) {
        const D8<B> x = load_doubles<B>(p + i), y = load_doubles<B>(p + i + 8);
        if (next) {
            __builtin_prefetch(next + i * sizeof(T), 0, 3);
            if (sizeof(T) == 8) __builtin_prefetch(next + i * sizeof(T) + 64, 0, 3);
        }
        extract(x, s1, s2, a1, a2, nz);
        extract(y, s1, s2, b1, b2, nz);
        deviations(x, vs, vc, vnc, vsd, P0, C0, S0);
        deviations(y, vs, vc, vnc, vsd, P1, C1, S1);
    }
    PassSums r;
    r.levels.t1 = horizontal_sum(a1, b1);
    r.levels.t2 = horizontal_sum(a2, b2);
    r.levels.remainder = any_bits(nz);
    for (int j = 0; j < 8; ++j) {  // lanes in a fixed order: the bits do not depend on the clone
        add_lane(r.p, r.c, P0[j], C0[j]);
        add_lane(r.p, r.c, P1[j], C1[j]);
        r.s += S0[j] + S1[j];
    }
    for (; i < m; ++i) {
        const double x = get(p, i);
        const double q1 = (sig.s1 + x) - sig.s1, r1 = x - q1, q2 = (sig.s2 + r1) - sig.s2;
        r.levels.t1 += q1;
        r.levels.t2 += q2;
        r.levels.remainder |= (r1 - q2) != 0;
        deviation1(x, scale, cs, sd, r.p, r.c, r.s);
    }
    return r;
}

// The pass and the extremes of one block, for simd_run.
struct FusedPass {
    template <std::size_t Bytes, class T>
    HL_INLINE static PassSums run_width(const T* p, std::size_t m, Sigmas sig, double scale,
                                        double cs, double sd, const char* next) {
        return fused_pass<Bytes>(p, m, sig, scale, cs, sd, next);
    }
};
template <class T>
PassSums fused_of(const T* p, std::size_t m, const Sigmas& sig, double scale, double cs, double sd,
                  const char* next) {
    return simd_run<FusedPass>(p, m, sig, scale, cs, sd, next);
}
struct MinMaxPass {
    template <std::size_t Bytes, class T>
    HL_INLINE static MinMax run_width(const T* p, std::size_t m) {
        return min_max<Bytes>(p, m);
    }
};
template <class T>
MinMax min_max_of(const T* p, std::size_t m) {
    return simd_run<MinMaxPass>(p, m);
}

// The exact sum of one chunk of a block (extraction levels with the block's sigmas: exact for
// any subset of the block's values).
struct ChunkLevels {
    double t1 = 0, t2 = 0;
    bool remainder = false;
};

// fused_pass for a block of whole chunks (the DataProcessor's canonical blocks): the same
// deviations, for the whole block, and the extraction levels per chunk, so that the chunks'
// exact sums (their means) and the block's come from the one read.
template <std::size_t B>
HL_INLINE PassSums fused_pass_chunked(const double* p, std::size_t m, std::size_t chunk,
                                      const Sigmas& sig, double scale, double cs, double sd,
                                      const char* next, ChunkLevels* chunks) {
    const D8<B> s1 = D8<B>::splat(sig.s1), s2 = D8<B>::splat(sig.s2), vs = D8<B>::splat(scale);
    const D8<B> vc = D8<B>::splat(cs), vnc = D8<B>::splat(-cs), vsd = D8<B>::splat(sd);
    D8<B> P0 = {}, P1 = {}, C0 = {}, C1 = {}, S0 = {}, S1 = {};
    double tp = 0, tc = 0, ts = 0;  // the chunks' scalar tails
    for (std::size_t begin = 0, c = 0; begin < m; begin += chunk, ++c) {
        const double* q = p + begin;
        const std::size_t len = std::min(chunk, m - begin);
        D8<B> a1 = {}, b1 = {}, a2 = {}, b2 = {};
        L8<B> nz = {};
        std::size_t i = 0;
        for (; i + 16 <= len; i += 16) {
            if (next) {
                __builtin_prefetch(next + (begin + i) * 8, 0, 3);
                __builtin_prefetch(next + (begin + i) * 8 + 64, 0, 3);
            }
            const D8<B> x = load_doubles<B>(q + i), y = load_doubles<B>(q + i + 8);
            extract(x, s1, s2, a1, a2, nz);
            extract(y, s1, s2, b1, b2, nz);
            deviations(x, vs, vc, vnc, vsd, P0, C0, S0);
            deviations(y, vs, vc, vnc, vsd, P1, C1, S1);
        }
        ChunkLevels& out = chunks[c];
        out.t1 = horizontal_sum(a1, b1);
        out.t2 = horizontal_sum(a2, b2);
        out.remainder = any_bits(nz);
        for (; i < len; ++i) {
            const double x = get(q, i);
            const double q1 = (sig.s1 + x) - sig.s1, r1 = x - q1, q2 = (sig.s2 + r1) - sig.s2;
            out.t1 += q1;
            out.t2 += q2;
            out.remainder |= (r1 - q2) != 0;
            deviation1(x, scale, cs, sd, tp, tc, ts);
        }
    }
    PassSums r;
    for (int j = 0; j < 8; ++j) {  // lanes in a fixed order, then the tails
        add_lane(r.p, r.c, P0[j], C0[j]);
        add_lane(r.p, r.c, P1[j], C1[j]);
        r.s += S0[j] + S1[j];
    }
    add_lane(r.p, r.c, tp, tc);
    r.s += ts;
    return r;
}

struct FusedPassChunked {
    template <std::size_t Bytes>
    HL_INLINE static PassSums run_width(const double* p, std::size_t m, std::size_t chunk,
                                        Sigmas sig, double scale, double cs, double sd,
                                        const char* next, ChunkLevels* chunks) {
        return fused_pass_chunked<Bytes>(p, m, chunk, sig, scale, cs, sd, next, chunks);
    }
};

[[noreturn]] void refuse_nan() {
    fail(ErrorKind::InvalidArgument,
         "compute_stats: the input contains NaN (nan_policy='raise'; 'omit' leaves NaN out)");
}

// m2 of a block from its pass: the scaled squared deviations about cs, minus the correction
// (scaled sum - m cs)^2 / m (the centre's offset from the mean), computed from the exact
// `scaled` sum; back to the data's scale (2^-2k).
void finish_m2(const PassSums& r, std::size_t m, int k, double cs, ExactSum& scaled, Moments& out) {
    double pp, pe;
    two_product(static_cast<double>(m), cs, pp, pe);
    scaled.add_finite(-pp);
    scaled.add_finite(-pe);
    const quad d = scaled.to_quad();
    quad m2 = static_cast<quad>(r.p) + static_cast<quad>(r.c) + static_cast<quad>(r.s) -
              d * d / static_cast<quad>(m);
    if (m2 < 0) m2 = 0;
    out.count = m;
    out.m2 = m2 * pow2_quad(-2 * k);
}

// The scale, centre and splitting constant of a block's deviation pass, from its extremes.
struct Centre {
    int k;
    double scale, cs, sd;
};
Centre centre_of(double lo, double hi) {
    const double top = std::max(-lo, hi);
    int ex;
    std::frexp(top, &ex);  // top < 2^ex
    Centre c;
    c.k = std::min(-ex, 1023);
    c.scale = std::ldexp(1.0, c.k);
    c.cs = (lo * 0.5 + hi * 0.5) * c.scale;
    const double reach = std::max(hi * c.scale - c.cs, c.cs - lo * c.scale) * (1 + 0x1p-40);
    int er;
    std::frexp(reach, &er);  // every |x * scale - cs| < 2^er
    c.sd = std::ldexp(1.0, er + 28);
    return c;
}

// Moments of m values of T, all equal and finite: no spread at all, the sum m * the value.
// Returns false when a NaN turned up.
template <class T>
bool constant_block(const T* p, std::size_t m, const Sigmas& sig, Moments& out) {
    ExactSum& sum = out.sum;
    if (sig.ok) {
        const LevelSums ls = level_sums<16>(p, m, sig);  // baseline code: xmm width
        if (std::isnan(ls.t1)) return false;
        sum.add_finite(ls.t1);
        sum.add_finite(ls.t2);
        if (ls.remainder) add_remainders(p, m, sig, sum);
    } else {
        for (std::size_t i = 0; i < m; ++i) {
            const double x = get(p, i);
            if (std::isnan(x)) return false;
            sum.add_finite(x);
        }
    }
    out.count = m;
    out.m2 = 0;
    return true;
}

// Adds the second-level remainders of values [begin, end) to sum, and scaled to scaled.
template <class T>
void add_level_remainders(const T* p, std::size_t begin, std::size_t end, const Sigmas& sig,
                          double scale, ExactSum& sum, ExactSum& scaled) {
    for (std::size_t i = begin; i < end; ++i) {
        const double x = get(p, i);
        const double q1 = (sig.s1 + x) - sig.s1, r1 = x - q1, q2 = (sig.s2 + r1) - sig.s2;
        const double r2 = r1 - q2;
        if (r2 != 0) {
            sum.add_finite(r2);
            scaled.add_finite(r2 * scale);
        }
    }
}

// Moments of m finite values of T (m <= kMomentsBlock) whose extremes are lo < hi or lo == hi.
// Returns false when a NaN turned up (the caller then separates the finite values).
template <class T>
bool finite_block(const T* p, std::size_t m, double lo, double hi, Moments& out,
                  const char* next = nullptr) {
    const Sigmas sig = sigmas_for(std::max(-lo, hi), m);
    if (lo == hi) return constant_block(p, m, sig, out);
    const Centre ctr = centre_of(lo, hi);
    const PassSums r = fused_of(p, m, sig.ok ? sig : Sigmas{}, ctr.scale, ctr.cs, ctr.sd, next);
    if (std::isnan(r.p)) return false;  // a NaN value (the scaled deviations cannot overflow)
    ExactSum& sum = out.sum;
    ExactSum scaled;  // the block sum scaled, minus m * cs: the centre's offset from the mean
    if (sig.ok) {
        sum.add_finite(r.levels.t1);
        sum.add_finite(r.levels.t2);
        scaled.add_finite(r.levels.t1 * ctr.scale);
        scaled.add_finite(r.levels.t2 * ctr.scale);
        if (r.levels.remainder) add_level_remainders(p, 0, m, sig, ctr.scale, sum, scaled);
    } else {  // magnitudes near the top of the range: exact one by one
        for (std::size_t i = 0; i < m; ++i) {
            const double x = get(p, i);
            sum.add_finite(x);
            scaled.add_finite(x * ctr.scale);
        }
    }
    finish_m2(r, m, ctr.k, ctr.cs, scaled, out);
    return true;
}

// finite_block for a canonical DataProcessor block of whole chunks (chunk >= 16, lo < hi, every
// value finite and below the sigmas' limit): the moments and, from the same read, the means of
// its complete chunks; those whose exact sum needs more than the two levels go to `pending`.
bool chunked_block(const double* p, std::size_t m, std::size_t chunk, double lo, double hi,
                   Moments& out, const char* next, double* means,
                   std::vector<std::size_t>* pending) {
    const Sigmas sig = sigmas_for(std::max(-lo, hi), m);
    if (!sig.ok) return false;
    const Centre ctr = centre_of(lo, hi);
    std::vector<ChunkLevels> chunks((m + chunk - 1) / chunk);
    const PassSums r = simd_run<FusedPassChunked>(p, m, chunk, sig, ctr.scale, ctr.cs, ctr.sd,
                                                  next, chunks.data());
    if (std::isnan(r.p)) return false;
    ExactSum scaled;
    for (std::size_t c = 0; c < chunks.size(); ++c) {
        const ChunkLevels& cl = chunks[c];
        out.sum.add_finite(cl.t1);
        out.sum.add_finite(cl.t2);
        scaled.add_finite(cl.t1 * ctr.scale);
        scaled.add_finite(cl.t2 * ctr.scale);
        const std::size_t begin = c * chunk, len = std::min(chunk, m - begin);
        bool done = false;
        if (cl.remainder) {
            add_level_remainders(p, begin, begin + len, sig, ctr.scale, out.sum, scaled);
        } else if (means && len == chunk) {
            double h, l;
            two_sum(cl.t1, cl.t2, h, l);
            means[c] = divide_exact_pair(h, l, chunk, done);
        }
        if (means && len == chunk && !done) pending->push_back(c);
    }
    finish_m2(r, m, ctr.k, ctr.cs, scaled, out);
    return true;
}

template <class T>
void set_extremes(Moments& out, const T* p, std::size_t m, MinMax mm) {
    if (mm.lo > mm.hi) return;  // every value NaN
    signed_zero_extremes(p, m, mm);
    out.has_extremes = true;
    out.lo = mm.lo;
    out.hi = mm.hi;
}

// Moments of one block of T (not 64-bit integers).
template <class T>
Moments block_moments(const T* p, std::size_t m, NanPolicy policy, const char* next = nullptr,
                      const MinMax* known = nullptr) {
    Moments out;
    if (std::is_floating_point<T>::value) out.sum.mark_float();
    const MinMax mm = known ? *known : min_max_of(p, m);
    set_extremes(out, p, m, mm);
    if (std::isfinite(mm.lo) && std::isfinite(mm.hi) &&
        finite_block(p, m, mm.lo, mm.hi, out, next))
        return out;
    // NaN or infinities: the finite values apart, the others counted.
    std::vector<double> finite;
    finite.reserve(m);
    out = Moments{};
    if (std::is_floating_point<T>::value) out.sum.mark_float();
    set_extremes(out, p, m, mm);
    for (std::size_t i = 0; i < m; ++i) {
        const double x = get(p, i);
        if (std::isfinite(x)) {
            finite.push_back(x);
        } else {
            if (std::isnan(x) && policy == NanPolicy::Raise) refuse_nan();
            out.sum.add(x);
        }
    }
    if (!finite.empty()) {
        const MinMax fm = min_max_of(finite.data(), finite.size());
        finite_block(finite.data(), finite.size(), fm.lo, fm.hi, out);
    }
    return out;
}

// 64-bit integers: exact integer sum and deviations (they may not fit a double).
template <class T>
Moments block_moments_int64(const T* p, std::size_t m) {
    Moments out;
    T lo = std::numeric_limits<T>::max(), hi = std::numeric_limits<T>::min();
    int128_t total = 0;
    for (std::size_t i = 0; i < m; ++i) {
        T v;
        std::memcpy(&v, p + i, sizeof v);
        lo = v < lo ? v : lo;
        hi = hi < v ? v : hi;
        total += v;
    }
    out.has_extremes = true;
    out.ilo = lo;
    out.ihi = hi;
    out.count = m;
    out.sum.add_integer(total);
    if (lo == hi) return out;
    const int128_t centre = (static_cast<int128_t>(lo) + static_cast<int128_t>(hi)) / 2;
    int er;
    std::frexp(static_cast<double>(static_cast<int128_t>(hi) - lo) * (1 + 0x1p-40), &er);
    const double sd = std::ldexp(1.0, er + 28);
    double P = 0, C = 0, S = 0;
    const auto add = [&](double dh, double dl) HL_INLINE_LAMBDA {
        const double a = (sd + dh) - sd;
        const double b = (dh - a) + dl;
        S += (a + a + b) * b;
        double t, e;
        two_sum(P, a * a, t, e);
        C += e;
        P = t;
    };
    if (static_cast<uint64_t>(static_cast<int128_t>(hi) - lo) < (uint64_t(1) << 53)) {
        // Every |d| < 2^53: d is exact as a 64-bit difference and as a double (dl = 0), so the
        // same operations run without 128-bit arithmetic (whose conversions to double are
        // library calls: 5x slower).
        const uint64_t c = static_cast<uint64_t>(centre);
        for (std::size_t i = 0; i < m; ++i) {
            T v;
            std::memcpy(&v, p + i, sizeof v);
            add(static_cast<double>(static_cast<int64_t>(static_cast<uint64_t>(v) - c)), 0.0);
        }
    } else {
        for (std::size_t i = 0; i < m; ++i) {
            T v;
            std::memcpy(&v, p + i, sizeof v);
            const int128_t d = static_cast<int128_t>(v) - centre;  // |d| < 2^64
            const double dh = static_cast<double>(d);
            add(dh, static_cast<double>(d - static_cast<int128_t>(dh)));
        }
    }
    const quad d = static_cast<quad>(total - centre * static_cast<int128_t>(m));
    quad m2 = static_cast<quad>(P) + static_cast<quad>(C) + static_cast<quad>(S) -
              d * d / static_cast<quad>(m);
    out.m2 = m2 < 0 ? 0 : m2;
    return out;
}

Moments block_of_dtype(const View& v, std::size_t begin, std::size_t len, NanPolicy policy) {
    return dispatch_dtype(v.dtype, [&](auto tag) {
        // Bool elements are read as bytes through the bool kernels, whatever tag the dispatcher
        // gives them.
        using T = std::conditional_t<is_bool_element<decltype(tag)>, bool, decltype(tag)>;
        const bool gather = needs_gather(v, true);
        std::unique_ptr<T[]> scratch(gather ? new T[len] : nullptr);
        const T* p = block_of<T>(v, true, begin, len, scratch.get());
        // In place, the next block follows this one in memory.
        const bool last = begin + len >= v.size();
        const char* next = gather || last ? nullptr : reinterpret_cast<const char*>(p + len);
        Moments m;
        if constexpr (std::is_same<T, int64_t>::value || std::is_same<T, uint64_t>::value)
            m = block_moments_int64(p, len);
        else
            m = block_moments(p, len, policy, next);
        m.dtype = v.dtype;
        m.nan_policy = policy;
        return m;
    });
}

// ---- serialization helpers ----
void put64(unsigned char*& out, uint64_t v) {
    for (int i = 0; i < 8; ++i) *out++ = static_cast<unsigned char>(v >> (8 * i));
}
uint64_t get64(const unsigned char*& in) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | in[i];
    in += 8;
    return v;
}
void put128(unsigned char*& out, uint128_t v) {
    put64(out, static_cast<uint64_t>(v));
    put64(out, static_cast<uint64_t>(v >> 64));
}
uint128_t get128(const unsigned char*& in) {
    const uint64_t lo = get64(in);
    return (static_cast<uint128_t>(get64(in)) << 64) | lo;
}
uint64_t bits_of(double x) {
    uint64_t b;
    std::memcpy(&b, &x, sizeof b);
    return b;
}
double double_of(uint64_t b) {
    double x;
    std::memcpy(&x, &b, sizeof x);
    return x;
}
constexpr unsigned char kMomentsMagic[4] = {'H', 'L', 'M', 'O'};
constexpr unsigned char kMomentsVersion = 1;

template <class T>
void store(unsigned char* out, T v) {
    std::memcpy(out, &v, sizeof v);
}

}  // namespace

Moments Moments::of(const View& data, NanPolicy policy, Control* ctl) {
    check_view(data, "compute_stats");
    if (static_cast<int32_t>(policy) < 0 || static_cast<int32_t>(policy) > 2)
        fail(ErrorKind::InvalidArgument, "compute_stats: unknown nan_policy code " +
                                             std::to_string(static_cast<int32_t>(policy)));
    Moments total;
    total.dtype = data.dtype;
    total.nan_policy = policy;
    if (is_float(data.dtype)) total.sum.mark_float();
    reduce_blocks<Moments>(
        data.size(), kMomentsBlock,
        [&](std::size_t begin, std::size_t len) { return block_of_dtype(data, begin, len, policy); },
        [&](const Moments& block, std::size_t) { total.merge(block); }, ctl);
    if (policy == NanPolicy::Raise && total.nan_count()) refuse_nan();
    return total;
}

Moments Moments::of_chunks(const double* values, std::size_t n, std::size_t chunk, double* means,
                           std::vector<std::size_t>* pending, const void* next) {
    Moments out;
    out.sum.mark_float();
    const MinMax mm = min_max_of(values, n);
    set_extremes(out, values, n, mm);
    const bool finite = std::isfinite(mm.lo) && std::isfinite(mm.hi);
    if (chunk >= 16 && finite && mm.lo < mm.hi &&
        chunked_block(values, n, chunk, mm.lo, mm.hi, out, static_cast<const char*>(next), means,
                      pending))
        return out;
    // Constant, NaN, infinities, magnitudes near the top of the range, short chunks: the plain
    // block; constant chunks' means are their value, the others are the caller's.
    const double extremes[2] = {mm.lo, mm.hi};
    out = of_block(values, n, next, extremes);
    // min_max_of ignores NaN (a NaN is never an extreme), so lo == hi does not make a block
    // constant: one whose sums counted a NaN is not, and its chunks' means are the caller's
    // (NaN where a chunk holds one). They were lo: 1.0 for chunks of NaN and 1.0.
    const bool constant = finite && mm.lo == mm.hi && out.sum.nan_count() == 0;
    const std::size_t whole = n / chunk;
    for (std::size_t c = 0; means && c < whole; ++c) {
        if (constant)
            means[c] = mm.lo;
        else
            pending->push_back(c);
    }
    return out;
}

Moments Moments::of_block(const double* values, std::size_t n, const void* next,
                          const double* extremes) {
    MinMax known{0, 0};
    if (extremes) known = MinMax{extremes[0], extremes[1]};
    Moments m = block_moments(values, n, NanPolicy::Propagate, static_cast<const char*>(next),
                              extremes ? &known : nullptr);
    m.dtype = DType::Float64;
    return m;
}

void Moments::merge(const Moments& later) {
    // The counts (finite, NaN, +-inf) stay exact: a merge past 2^64 - 1 values is refused, not
    // wrapped (ExactSum alone saturates its special counts, which only decide inf/NaN there).
    if (values() > UINT64_MAX - later.values())
        fail(ErrorKind::Overflow, "Moments: the merged moments would hold more than 2^64 - 1 values");
    // The sum first, aside: a sum out of range (forged records only) is refused before anything
    // changes, and the weighted difference below still needs the old sum.
    ExactSum merged = sum;
    merged.add(later.sum);  // keeps the kind
    if (later.values() == 0 && !later.has_extremes) {
        sum = merged;
        return;
    }
    if (values() == 0 && !has_extremes) {
        *this = later;
        sum = merged;
        return;
    }
    if (dtype != later.dtype)
        fail(ErrorKind::InvalidArgument, std::string("Moments: cannot merge moments of ") +
                                             dtype_name(dtype) + " and " + dtype_name(later.dtype));
    if (nan_policy != later.nan_policy)
        fail(ErrorKind::InvalidArgument, "Moments: cannot merge moments of different nan_policy");
    if (later.count != 0) {
        if (count == 0) {
            m2 = later.m2;
        } else {
            const uint64_t na = count, nb = later.count;
            const quad d = ExactSum::weighted_difference(sum, nb, later.sum, na);
            const quad n = static_cast<quad>(na) + static_cast<quad>(nb);
            m2 = m2 + later.m2 + d * d / (static_cast<quad>(na) * static_cast<quad>(nb) * n);
        }
        count += later.count;
    }
    sum = merged;
    if (later.has_extremes) {
        if (!has_extremes) {
            has_extremes = true;
            lo = later.lo;
            hi = later.hi;
            ilo = later.ilo;
            ihi = later.ihi;
        } else {
            lo = min_signed(lo, later.lo);
            hi = max_signed(hi, later.hi);
            ilo = later.ilo < ilo ? later.ilo : ilo;
            ihi = ihi < later.ihi ? later.ihi : ihi;
        }
    }
}

namespace {

// sqrt(v) rounded to double for a non-negative quad v of any magnitude: scaled by an even power
// of two into [1, 4), rounded once to double, rooted, scaled back.
double sqrt_quad(quad v) {
    if (!(v > 0)) return 0.0;
    uint128_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    const int e = static_cast<int>((bits >> 112) & 0x7fff) - 16383;  // v in [2^e, 2^(e + 1))
    const int half = e >= 0 ? e / 2 : -((1 - e) / 2);                  // floor(e / 2)
    const double x = static_cast<double>(v * pow2_quad(-2 * half));
    return std::ldexp(std::sqrt(x), half);
}

template <class T>
void write_as(unsigned char* out, double v) {
    if constexpr (is_bool_element<T>)
        store<uint8_t>(out, v != 0 ? 1 : 0);
    else
        store<T>(out, static_cast<T>(v));
}

}  // namespace

Statistics Moments::finish(int ddof, bool empty_is_error) const {
    Statistics s;
    s.dtype = dtype;
    const uint64_t nan = sum.nan_count(), pinf = sum.pos_inf_count(), ninf = sum.neg_inf_count();
    const uint64_t used = count + pinf + ninf;
    if (nan_policy == NanPolicy::Raise && nan) refuse_nan();
    const bool nan_result = nan_policy == NanPolicy::Propagate && nan;
    s.count = nan_policy == NanPolicy::Omit ? used : used + nan;
    if (used + nan == 0) {
        if (empty_is_error) fail(ErrorKind::InvalidArgument, "Moments: the input was empty (no values)");
        return s;
    }
    constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
    if (nan_result || used == 0) {  // NaN propagates, or every value was NaN and left out
        s.mean = s.std = kNan;
        store(s.min, kNan);
        store(s.max, kNan);
        if (dtype == DType::Float32) {
            store(s.min, std::numeric_limits<float>::quiet_NaN());
            store(s.max, std::numeric_limits<float>::quiet_NaN());
        }
        return s;
    }
    if (pinf || ninf) {
        s.mean = pinf && ninf ? kNan : pinf ? INFINITY : -INFINITY;
        s.std = kNan;
    } else {
        s.mean = sum.finite().divided_by(count);
        // ddof >= count divides by zero degrees of freedom, as NumPy does: inf when the values
        // differ, NaN when they do not (0 / 0).
        s.std = static_cast<uint64_t>(std::max(ddof, 0)) >= count
                    ? (m2 > 0 ? static_cast<double>(INFINITY) : kNan)
                    : sqrt_quad(m2 / static_cast<quad>(count - static_cast<uint64_t>(ddof)));
    }
    dispatch_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_same<T, int64_t>::value || std::is_same<T, uint64_t>::value) {
            store<T>(s.min, static_cast<T>(ilo));
            store<T>(s.max, static_cast<T>(ihi));
        } else {
            write_as<T>(s.min, lo);
            write_as<T>(s.max, hi);
        }
    });
    return s;
}

Statistics compute_stats(const View& data, NanPolicy policy, Control* ctl) {
    check_view(data, "compute_stats");
    if (data.size() == 0) fail(ErrorKind::InvalidArgument, "compute_stats: the array is empty");
    return Moments::of(data, policy, ctl).finish(1);
}

void Moments::to_bytes(unsigned char* out) const noexcept {
    std::memcpy(out, kMomentsMagic, 4);
    out[4] = kMomentsVersion;
    out[5] = static_cast<unsigned char>(dtype);
    out[6] = static_cast<unsigned char>(nan_policy);
    out[7] = has_extremes ? 1 : 0;
    unsigned char* at = out + 8;
    put64(at, count);
    uint128_t qbits;
    std::memcpy(&qbits, &m2, sizeof qbits);
    put128(at, qbits);
    put64(at, bits_of(lo));
    put64(at, bits_of(hi));
    put128(at, static_cast<uint128_t>(ilo));
    put128(at, static_cast<uint128_t>(ihi));
    sum.to_bytes(at);
}

namespace {

// Whether a double extreme read from bytes converts to the dtype as finish() converts it (an
// integer out of range would be undefined behaviour there). 64-bit integers keep theirs in int128.
bool extreme_fits(DType dtype, double v) {
    return dispatch_dtype(dtype, [&](auto tag) -> bool {
        using T = decltype(tag);
        if constexpr (is_bool_element<T> || std::is_same<T, int64_t>::value ||
                      std::is_same<T, uint64_t>::value || std::is_same<T, double>::value) {
            return true;
        } else if constexpr (std::is_same<T, float>::value) {
            return std::isnan(v) || std::isinf(v) || std::fabs(v) <= std::numeric_limits<float>::max();
        } else {
            return v >= static_cast<double>(std::numeric_limits<T>::lowest()) &&
                   v <= static_cast<double>(std::numeric_limits<T>::max());
        }
    });
}

}  // namespace

namespace {
// Whether count finite values plus the sum's NaN and infinity counts fit a uint64 (values()).
bool counts_fit(uint64_t count, const ExactSum& sum) {
    uint64_t total = count;
    for (const uint64_t n : {sum.nan_count(), sum.pos_inf_count(), sum.neg_inf_count()})
        if (__builtin_add_overflow(total, n, &total)) return false;
    return true;
}
}  // namespace

Moments Moments::from_bytes(const unsigned char* in, std::size_t size) {
    if (in == nullptr || size != kBytes || std::memcmp(in, kMomentsMagic, 4) != 0)
        fail(ErrorKind::InvalidArgument, "not a serialized hotloop Moments record");
    if (in[4] != kMomentsVersion)
        fail(ErrorKind::InvalidArgument, "a serialized Moments record of format version " +
                                             std::to_string(in[4]) + " (this library reads " +
                                             std::to_string(kMomentsVersion) + ")");
    const DType dtype = static_cast<DType>(in[5]);
    if (dtype_size(dtype) == 0 || in[6] > 2 || in[7] > 1)
        fail(ErrorKind::InvalidArgument, "a corrupt serialized Moments record (bad header)");
    Moments m;
    m.dtype = dtype;
    m.nan_policy = static_cast<NanPolicy>(in[6]);
    m.has_extremes = in[7] != 0;
    const unsigned char* at = in + 8;
    m.count = get64(at);
    const uint128_t qbits = get128(at);
    std::memcpy(&m.m2, &qbits, sizeof qbits);
    m.lo = double_of(get64(at));
    m.hi = double_of(get64(at));
    m.ilo = static_cast<int128_t>(get128(at));
    m.ihi = static_cast<int128_t>(get128(at));
    try {
        m.sum = ExactSum::from_bytes(at, ExactSum::kBytes);
    } catch (const Error& e) {  // named as the record the caller passed, not as a bare ExactSum
        if (e.kind() == ErrorKind::Overflow)  // well-formed, but beyond what a sum holds
            fail(ErrorKind::Overflow, std::string("a serialized Moments record whose sum is out "
                                                  "of range (") + e.what() + ")");
        fail(ErrorKind::InvalidArgument,
             std::string("a corrupt serialized Moments record (its sum: ") + e.what() + ")");
    }
    if (!(m.m2 >= 0)) fail(ErrorKind::InvalidArgument, "a corrupt serialized Moments record (m2)");
    if (!counts_fit(m.count, m.sum))  // more than 2^64 - 1 values: no data gives that
        fail(ErrorKind::InvalidArgument, "a corrupt serialized Moments record (counts)");
    if (!extreme_fits(dtype, m.lo) || !extreme_fits(dtype, m.hi))
        fail(ErrorKind::InvalidArgument, "a corrupt serialized Moments record (extremes)");
    return m;
}

bool operator==(const Moments& a, const Moments& b) noexcept {
    unsigned char x[Moments::kBytes], y[Moments::kBytes];
    a.to_bytes(x);
    b.to_bytes(y);
    return std::memcmp(x, y, sizeof x) == 0;
}

}  // namespace hotloop
