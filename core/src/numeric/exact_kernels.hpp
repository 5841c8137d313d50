// Vectorised building blocks of the exact float reductions (reduce.cpp, stats.cpp,
// processor.cpp), written once as HL_INLINE templates so that every simd_run kernel compiles
// them for its own instruction set.
//
// Exact block sums by extraction (Rump, Ogita, Oishi, "Accurate floating-point summation part I",
// SIAM J. Sci. Comput. 31(1), 2008: ExtractScalar). For n <= 2^L values with |x| <= 2^E and
// sigma = 2^(E + L + 1), q = (sigma + x) - sigma is exact, a multiple of u * sigma (u = 2^-53),
// and r = x - q is exact with |r| <= u * sigma; any partial sum of the q's is a multiple of
// u * sigma below sigma in magnitude, hence exact in any order. A second level with
// sigma2 = 2^(E - 52 + 2L + 1) extracts the r's the same way. A block's sum is then t1 + t2
// exactly, plus the rare second-level remainders (values 2^(105 - 2L) times smaller than the
// largest one, or values that are not multiples of the level's unit), which the caller adds to
// an ExactSum one by one. No rounding error anywhere, so the lanes' order is irrelevant.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "hotloop/exact_sum.hpp"
#include "hotloop/view.hpp"
#include "simd.hpp"

namespace hotloop {

// Eight lanes of E (double or int64_t) as the SIMD level's vectors: 64 / Bytes parts of Bytes
// bytes (simd_run's width: one zmm, two ymm or four xmm registers). The kernels below work on
// eight logical lanes at every width, so that the lanes' fixed-order reductions (stats.cpp)
// give the same bits at every level; GCC keeps each part in a register of the level.
template <class E, std::size_t Bytes>
struct Lanes8 {
    static constexpr std::size_t kPer = Bytes / sizeof(E), kParts = 8 / kPer;
    using Part = simd::VecN<E, kPer>;
    Part part[kParts];

    HL_INLINE static Lanes8 splat(E v) {
        Lanes8 r;
        for (auto& q : r.part) q = Part{} + v;
        return r;
    }
    HL_INLINE E operator[](std::size_t j) const { return part[j / kPer][j % kPer]; }
};
template <std::size_t Bytes>
using D8 = Lanes8<double, Bytes>;
template <std::size_t Bytes>
using L8 = Lanes8<int64_t, Bytes>;

// f applied part by part: r.part[k] = f(a.part[k], b.part[k]).
template <class E, std::size_t B, class F>
HL_INLINE Lanes8<E, B> per_part(const Lanes8<E, B>& a, const Lanes8<E, B>& b, F f) {
    Lanes8<E, B> r;
    for (std::size_t k = 0; k < Lanes8<E, B>::kParts; ++k) r.part[k] = f(a.part[k], b.part[k]);
    return r;
}

// The compound forms update a in place: `a = a op b` made GCC copy the whole accumulator each
// step (the statistics pass 30% slower at AVX-512).
#define HL_LANES8_OP(op)                                                                \
    template <class E, std::size_t B>                                                   \
    HL_INLINE Lanes8<E, B> operator op(const Lanes8<E, B>& a, const Lanes8<E, B>& b) {   \
        return per_part(a, b, [](auto x, auto y) HL_INLINE_LAMBDA { return x op y; });  \
    }                                                                                   \
    template <class E, std::size_t B>                                                   \
    HL_INLINE Lanes8<E, B>& operator op##=(Lanes8<E, B>& a, const Lanes8<E, B>& b) {     \
        for (std::size_t k = 0; k < Lanes8<E, B>::kParts; ++k)                          \
            a.part[k] = a.part[k] op b.part[k];                                         \
        return a;                                                                       \
    }
HL_LANES8_OP(+)
HL_LANES8_OP(-)
HL_LANES8_OP(*)
HL_LANES8_OP(|)
HL_LANES8_OP(&)
#undef HL_LANES8_OP

// The bits of the lanes as the other type (a double's bits as int64_t and back).
template <class To, class From, std::size_t B>
HL_INLINE Lanes8<To, B> bit_cast_lanes(const Lanes8<From, B>& v) {
    static_assert(sizeof(To) == sizeof(From), "same lane width");
    Lanes8<To, B> r;
    std::memcpy(&r, &v, sizeof r);
    return r;
}

// Lane by lane, the running extreme a and a new value b: max_lanes takes b where a < b, min_lanes
// where b < a; a NaN b never replaces a (the compares are false).
template <class E, std::size_t B>
HL_INLINE Lanes8<E, B> max_lanes(const Lanes8<E, B>& a, const Lanes8<E, B>& b) {
    return per_part(a, b, [](auto x, auto y) HL_INLINE_LAMBDA { return x < y ? y : x; });
}
template <class E, std::size_t B>
HL_INLINE Lanes8<E, B> min_lanes(const Lanes8<E, B>& a, const Lanes8<E, B>& b) {
    return per_part(a, b, [](auto x, auto y) HL_INLINE_LAMBDA { return y < x ? y : x; });
}

// Whether T is the element type of a bool array: bool, or the one-byte class a dtype dispatcher
// may use for it (user memory may hold any byte: every nonzero byte is true, and the byte is
// never read as a C++ bool).
template <class T>
constexpr bool is_bool_element =
    std::is_same<T, bool>::value || (std::is_class<T>::value && sizeof(T) == 1);

// The element type as stored: a bool element is one byte.
template <class T>
using Stored = std::conditional_t<is_bool_element<T>, uint8_t, T>;

// Eight elements of T as doubles (exact for every supported T but 64-bit integers); bool bytes
// count as 1 whatever their nonzero value.
template <std::size_t B, class T>
HL_INLINE D8<B> load_doubles(const T* p) {
    constexpr std::size_t per = D8<B>::kPer;
    D8<B> d;
    for (std::size_t k = 0; k < D8<B>::kParts; ++k) {
        simd::VecN<Stored<T>, per> v;
        std::memcpy(&v, reinterpret_cast<const char*>(p) + k * per * sizeof(T), sizeof v);
        d.part[k] = __builtin_convertvector(v, typename D8<B>::Part);
        if constexpr (is_bool_element<T>) d.part[k] = d.part[k] < 1.0 ? d.part[k] : 1.0;
    }
    return d;
}

// Element i of p as a double, read with memcpy: views need not be aligned. Bool bytes are read
// as bytes (any nonzero byte is true).
template <class T>
HL_INLINE double get(const T* p, std::size_t i) {
    if constexpr (is_bool_element<T>) {
        unsigned char b;
        std::memcpy(&b, reinterpret_cast<const unsigned char*>(p) + i, 1);
        return b ? 1.0 : 0.0;
    } else {
        T v;
        std::memcpy(&v, reinterpret_cast<const char*>(p) + i * sizeof(T), sizeof v);
        return static_cast<double>(v);
    }
}

// The extraction constants of one block; ok is false when the values are too large (the first
// sigma would overflow: |x| > 2^(1022 - L)), and the caller sums them one by one instead.
struct Sigmas {
    double s1 = 0, s2 = 0;
    bool ok = true;
};

// The smallest E with x <= 2^E, for finite x > 0 (bit arithmetic: no libm call).
inline int exponent_above(double x) {
    uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    const int biased = static_cast<int>((bits >> 52) & 0x7ff);
    if (biased == 0) {  // subnormal
        int ex;
        const double f = std::frexp(x, &ex);
        return f == 0.5 ? ex - 1 : ex;
    }
    const bool power = (bits & ((uint64_t(1) << 52) - 1)) == 0;
    return biased - 1023 + (power ? 0 : 1);
}

// 2^e as a double, for -1022 <= e <= 1023 (no libm call).
inline double pow2(int e) {
    const uint64_t bits = static_cast<uint64_t>(e + 1023) << 52;
    double x;
    std::memcpy(&x, &bits, sizeof x);
    return x;
}

// For n values (n <= 2^15) whose magnitudes are at most max_abs (finite, >= 0).
inline Sigmas sigmas_for(double max_abs, std::size_t n) {
    Sigmas s;
    if (max_abs == 0) return s;  // all zero: both sigmas 0 leave every value in q1
    int L = 0;
    while ((std::size_t(1) << L) < n) ++L;
    const int e1 = exponent_above(max_abs) + L + 1;
    if (e1 > 1023) {
        s.ok = false;
        return s;
    }
    // A level whose unit u * sigma is at most 2^-1074 needs no extraction: its values are
    // multiples of 2^-1074 whose partial sums stay below 2^-1021, exact; sigma 0 keeps them.
    s.s1 = e1 - 53 <= -1074 ? 0.0 : pow2(e1);
    const int e2 = e1 - 53 + L + 1;
    s.s2 = (s.s1 == 0.0 || e2 - 53 <= -1074) ? 0.0 : pow2(e2);
    return s;
}

// The two extraction levels of eight values: adds their first-level parts to a1, second-level
// parts to a2, and ORs the bits of the remainders into nz.
template <std::size_t B>
HL_INLINE void extract(const D8<B>& x, const D8<B>& s1, const D8<B>& s2, D8<B>& a1, D8<B>& a2,
                       L8<B>& nz) {
    const D8<B> q1 = (s1 + x) - s1;
    const D8<B> r1 = x - q1;
    const D8<B> q2 = (s2 + r1) - s2;
    a1 += q1;
    a2 += q2;
    nz |= bit_cast_lanes<int64_t>(r1 - q2);
}

struct LevelSums {
    double t1 = 0, t2 = 0;
    bool remainder = false;  // some second-level remainder is not zero: see add_remainders
};

template <std::size_t B>
HL_INLINE bool any_bits(const L8<B>& nz) {
    int64_t any = 0;
    for (int j = 0; j < 8; ++j) any |= nz[j] & INT64_MAX;  // -0.0 is zero too
    return any != 0;
}

template <std::size_t B>
HL_INLINE double horizontal_sum(const D8<B>& a, const D8<B>& b) {  // exact: any order
    double t = 0;
    for (int j = 0; j < 8; ++j) t += a[j] + b[j];
    return t;
}

// The exact block sum of n values of T (n <= 2^15, all finite, magnitudes within `s`).
template <std::size_t B, class T>
HL_INLINE LevelSums level_sums(const T* p, std::size_t n, const Sigmas& s) {
    if (n < 16) {  // no vector: skip the lanes' setup and reduction
        LevelSums r;
        for (std::size_t i = 0; i < n; ++i) {
            const double x = get(p, i);
            const double q1 = (s.s1 + x) - s.s1, r1 = x - q1, q2 = (s.s2 + r1) - s.s2;
            r.t1 += q1;
            r.t2 += q2;
            r.remainder |= (r1 - q2) != 0;
        }
        return r;
    }
    const D8<B> s1 = D8<B>::splat(s.s1), s2 = D8<B>::splat(s.s2);
    D8<B> a1 = {}, b1 = {}, a2 = {}, b2 = {};
    L8<B> nz = {};
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        extract(load_doubles<B>(p + i), s1, s2, a1, a2, nz);
        extract(load_doubles<B>(p + i + 8), s1, s2, b1, b2, nz);
    }
    LevelSums r;
    r.t1 = horizontal_sum(a1, b1);
    r.t2 = horizontal_sum(a2, b2);
    bool rest = any_bits(nz);
    for (; i < n; ++i) {
        const double x = get(p, i);
        const double q1 = (s.s1 + x) - s.s1, r1 = x - q1, q2 = (s.s2 + r1) - s.s2;
        r.t1 += q1;
        r.t2 += q2;
        rest |= (r1 - q2) != 0;
    }
    r.remainder = rest;
    return r;
}

// level_sums that also finds the largest magnitude, for sigmas guessed before reading (from a
// neighbouring block): the sums are exact only if max_abs turns out within the guess.
struct CheckedSums {
    LevelSums sums;
    double max_abs = 0;  // NaN-blind: a NaN shows up as a NaN t1
};
template <std::size_t B, class T>
HL_INLINE CheckedSums level_sums_checked(const T* p, std::size_t n, const Sigmas& s) {
    const D8<B> s1 = D8<B>::splat(s.s1), s2 = D8<B>::splat(s.s2);
    D8<B> a1 = {}, b1 = {}, a2 = {}, b2 = {}, m0 = {}, m1 = {};
    L8<B> nz = {};
    const L8<B> magnitude = L8<B>::splat(INT64_MAX);
    std::size_t i = 0;
    // Below 64-byte registers each D8 is two or four registers already, and the second set of
    // accumulators would not fit in 16 registers: y joins x's (exact sums and a maximum, so the
    // grouping changes no bit).
    constexpr bool one_set = B < 64;
    D8<B>& y1 = one_set ? a1 : b1;
    D8<B>& y2 = one_set ? a2 : b2;
    D8<B>& my = one_set ? m0 : m1;
    for (; i + 16 <= n; i += 16) {
        const D8<B> x = load_doubles<B>(p + i), y = load_doubles<B>(p + i + 8);
        extract(x, s1, s2, a1, a2, nz);
        extract(y, s1, s2, y1, y2, nz);
        const D8<B> ax = bit_cast_lanes<double>(bit_cast_lanes<int64_t>(x) & magnitude);
        const D8<B> ay = bit_cast_lanes<double>(bit_cast_lanes<int64_t>(y) & magnitude);
        m0 = max_lanes(m0, ax);
        my = max_lanes(my, ay);
    }
    CheckedSums r;
    r.sums.t1 = horizontal_sum(a1, b1);
    r.sums.t2 = horizontal_sum(a2, b2);
    bool rest = any_bits(nz);
    double top = 0;
    for (int j = 0; j < 8; ++j) {
        top = top < m0[j] ? m0[j] : top;
        top = top < m1[j] ? m1[j] : top;
    }
    for (; i < n; ++i) {
        const double x = get(p, i);
        const double q1 = (s.s1 + x) - s.s1, r1 = x - q1, q2 = (s.s2 + r1) - s.s2;
        r.sums.t1 += q1;
        r.sums.t2 += q2;
        rest |= (r1 - q2) != 0;
        top = top < std::fabs(x) ? std::fabs(x) : top;
    }
    r.sums.remainder = rest;
    r.max_abs = top;
    return r;
}

// The smallest power of two at least x (x > 0 finite), as a double; 0 for 0.
inline double power_at_least(double x) {
    if (x == 0) return 0;
    const int e = exponent_above(x);
    return e <= 1023 && e >= -1022 ? pow2(e) : std::ldexp(1.0, e);
}

// Adds the nonzero second-level remainders of the block to acc (after level_sums said some
// exist): the part of the exact sum that t1 + t2 misses.
template <class T>
void add_remainders(const T* p, std::size_t n, const Sigmas& s, ExactSum& acc) {
    for (std::size_t i = 0; i < n; ++i) {
        const double x = get(p, i);
        const double q1 = (s.s1 + x) - s.s1, r1 = x - q1, q2 = (s.s2 + r1) - s.s2;
        const double r2 = r1 - q2;
        if (r2 != 0) acc.add_finite(r2);
    }
}

// Smallest and largest of n values (NaN ignored: a NaN is never below or above anything; the
// caller finds NaN from the sums). Bool bytes count as 0 or 1. The sign of a zero extreme is
// whichever zero came first in lane order: see signed_zero_extremes.
struct MinMax {
    double lo, hi;  // lo > hi when every value is NaN
};
template <std::size_t B, class T>
HL_INLINE MinMax min_max(const T* p, std::size_t n) {
    if (n < 16) {  // no vector: skip the lanes' setup and reduction
        double lo = INFINITY, hi = -INFINITY;
        for (std::size_t i = 0; i < n; ++i) {
            const double x = get(p, i);
            lo = x < lo ? x : lo;
            hi = hi < x ? x : hi;
        }
        return {lo, hi};
    }
    D8<B> lo0 = D8<B>::splat(INFINITY), lo1 = lo0, hi0 = D8<B>::splat(-INFINITY), hi1 = hi0;
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const D8<B> a = load_doubles<B>(p + i), b = load_doubles<B>(p + i + 8);
        lo0 = min_lanes(lo0, a);
        lo1 = min_lanes(lo1, b);
        hi0 = max_lanes(hi0, a);
        hi1 = max_lanes(hi1, b);
    }
    double lo = INFINITY, hi = -INFINITY;
    for (int j = 0; j < 8; ++j) {
        lo = lo0[j] < lo ? lo0[j] : lo;
        lo = lo1[j] < lo ? lo1[j] : lo;
        hi = hi < hi0[j] ? hi0[j] : hi;
        hi = hi < hi1[j] ? hi1[j] : hi;
    }
    for (; i < n; ++i) {
        const double x = get(p, i);
        lo = x < lo ? x : lo;
        hi = hi < x ? x : hi;
    }
    return {lo, hi};
}

// Zero extremes get IEEE 754-2019's signs (minimum: -0 < +0): min is -0.0 if some -0.0 occurs,
// max is +0.0 if some +0.0 occurs. Float types only; reads the block again only when an extreme
// is zero.
template <class T>
void signed_zero_extremes(const T* p, std::size_t n, MinMax& mm) {
    if constexpr (std::is_floating_point<T>::value) {
        if (mm.lo != 0 && mm.hi != 0) return;
        bool negative = false, positive = false;
        for (std::size_t i = 0; i < n; ++i) {
            const double x = get(p, i);
            if (x == 0) (std::signbit(x) ? negative : positive) = true;
        }
        if (mm.lo == 0) mm.lo = negative ? -0.0 : 0.0;
        if (mm.hi == 0) mm.hi = positive ? 0.0 : -0.0;
    }
}

// The same rule for two extremes of consecutive blocks.
inline double min_signed(double a, double b) {
    if (a < b) return a;
    if (b < a) return b;
    return std::signbit(a) ? a : b;
}
inline double max_signed(double a, double b) {
    if (a < b) return b;
    if (b < a) return a;
    return std::signbit(a) ? b : a;
}

// ---- reading a view block by block ----

// Elements [begin, begin + n) of a view as a contiguous array of T: in place when the view is
// C-contiguous, or dense and `any_order` (a reduction that does not depend on the order then
// reads memory order: element i is the i-th of the block that lowest() starts), else gathered in
// C order into scratch (n elements).
template <class T>
const T* block_of(const View& v, bool any_order, std::size_t begin, std::size_t n, T* scratch) {
    if (v.c_contiguous())
        return reinterpret_cast<const T*>(static_cast<const char*>(v.data) + begin * sizeof(T));
    if (any_order && v.dense())
        return reinterpret_cast<const T*>(static_cast<const char*>(v.lowest()) + begin * sizeof(T));
    std::size_t filled = 0;
    for_each_run(v, begin, begin + n, [&](const char* first, std::size_t count, std::ptrdiff_t step) {
        for (std::size_t j = 0; j < count; ++j)
            std::memcpy(reinterpret_cast<char*>(scratch + filled++),
                        first + std::ptrdiff_t(j) * step, sizeof(T));
    });
    return scratch;
}

// Whether block_of needs scratch memory for this view.
inline bool needs_gather(const View& v, bool any_order) {
    return !(v.c_contiguous() || (any_order && v.dense()));
}

// ---- scalar error-free transformations (scalar code: chunk means, block corrections) ----

inline void two_sum(double a, double b, double& s, double& e) {
    s = a + b;
    const double z = s - a;
    e = (a - (s - z)) + (b - z);
}

// Dekker's product: a * b == p + e exactly (no FMA needed), for |a|, |b| < 2^996 and no
// underflow of e.
inline void split(double a, double& hi, double& lo) {
    const double c = 134217729.0 * a;  // 2^27 + 1
    hi = c - (c - a);
    lo = a - hi;
}
inline void two_product(double a, double b, double& p, double& e) {
    p = a * b;
    double ah, al, bh, bl;
    split(a, ah, al);
    split(b, bh, bl);
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

// The neighbour of a finite nonzero double, away from zero (up) or toward it (no libm call).
inline double neighbour(double q, bool away_from_zero) {
    uint64_t bits;
    std::memcpy(&bits, &q, sizeof bits);
    bits = away_from_zero ? bits + 1 : bits - 1;
    std::memcpy(&q, &bits, sizeof q);
    return q;
}

// The sign (-1, 0, 1) of the exact sum of k <= 6 doubles, or 2 when it stays undecided: VecSum
// passes (error-free: the terms keep their exact sum) until the rounded sum dominates the rest.
inline int exact_sign(double* t, int k) {
    for (int pass = 0; pass < 6; ++pass) {
        for (int i = 1; i < k; ++i) {
            double sum, err;
            two_sum(t[i - 1], t[i], sum, err);
            t[i] = sum;
            t[i - 1] = err;
        }
        double rest = 0;
        for (int i = 0; i < k - 1; ++i) rest += std::fabs(t[i]);
        const double top = t[k - 1];
        if (top == 0 && rest == 0) return 0;
        if (std::fabs(top) > rest * (1 + 0x1p-40)) return top > 0 ? 1 : -1;
    }
    return 2;
}

// The correctly rounded (hi + lo) / n for an exact double-double hi + lo (|lo| <= ulp(hi) / 2),
// n >= 1, ties to even; ok is false when this fast path cannot decide (tiny or huge values, rare
// residuals), and the caller divides an ExactSum instead.
inline double divide_exact_pair(double hi, double lo, uint64_t n, bool& ok) {
    ok = true;
    if (hi == 0) return 0.0;  // then lo == 0 too
    const double a = std::fabs(hi);
    if (n > (uint64_t(1) << 53) || !(a > 0x1p-960 && a < 0x1p960)) {
        ok = false;
        return 0.0;
    }
    const double c = static_cast<double>(n);
    if ((n & (n - 1)) == 0) return hi / c;  // a power of two: hi is round(hi + lo), scaled exactly
    double q = hi / c;
    double p, e;
    two_product(q, c, p, e);
    // The exact residual (hi + lo) - q * c is the sum of `terms` (d = hi - p is exact: Sterbenz).
    // q moves toward the exact quotient, one neighbour at a time, until the residual is within
    // half a gap (times n) of it: at most a few steps.
    const double d = hi - p;
    {   // Usually the rounded residual decides at once: its error is below `err`.
        const double r = (d - e) + lo;
        const double err = (std::fabs(d) + std::fabs(e) + std::fabs(lo)) * 0x1p-50;
        const bool up = (r > 0) == (q > 0);
        const double next = neighbour(q, up);
        const double half = std::fabs(next - q) * 0.5 * c;
        const double ar = std::fabs(r);
        if (ar > err && ar < half - err) return q;
        if (ar > half + err && ar < 1.5 * half - err && std::fabs(next - q) == std::fabs(
                neighbour(next, up) - next)) return next;  // (no binade edge in between)
    }
    double terms[8] = {d, -e, lo};
    int k = 3;
    for (int step = 0; step < 4; ++step) {
        double t[8];
        std::copy(terms, terms + k, t);
        const int sign = exact_sign(t, k);
        if (sign == 0) return q;  // q * n is the exact sum
        if (sign == 2) break;
        const double next = neighbour(q, (sign > 0) == (q > 0));
        const double gap_n = (next - q) * c;  // exact: a power of two times n, signed like the residual
        std::copy(terms, terms + k, t);
        t[k] = -0.5 * gap_n;
        const int beyond = exact_sign(t, k + 1) * sign;  // sign of |residual| - |gap_n| / 2
        if (beyond == -1) return q;
        if (beyond == 0) {  // a tie: the even one
            uint64_t bits;
            std::memcpy(&bits, &q, sizeof bits);
            return (bits & 1) ? next : q;
        }
        if (beyond != 1) break;
        terms[k++] = -gap_n;  // the residual of `next`
        q = next;
    }
    ok = false;
    return 0.0;
}

}  // namespace hotloop
