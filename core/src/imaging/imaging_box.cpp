// The box blur of uint8 and uint16 images in integer sums, at a cost independent of the radius:
// running column sums of the source, then running sums along each row of those, then the exact
// mean rounded half up. Integer sums are exact, so the result is round-half-up of the true mean
// (the float path is only within float32's error of a half), and the order of the additions does
// not matter: any thread count, strip width or SIMD level gives the same bits.
//
// The column sums carry from one row to the next, so the image is walked in bands of rows one
// after the other (kBandRows); inside a band the columns are split in strips (the sums down) and
// the rows in blocks (the sums along), each in parallel. Progress advances by one per band.
//
// scipy's reflect border has period 2n along an axis of n samples, and every period covers each
// sample twice: a window of L = 2r + 1 samples is `whole` = L / 2n periods (twice the axis total
// each) and a part of L mod 2n < 2n samples, so a radius of any size costs the same.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "imaging_kernels.hpp"
#include "imaging_passes.hpp"

namespace hotloop::imaging {
namespace {

using u128 = unsigned __int128;

// Rows per band: a band's column sums stay in cache until the row sums read them (64 rows of a
// 4K RGB image, 2.9 MB, did not: 1.3x slower).
constexpr std::size_t kBandRows = 16;
constexpr std::size_t kRowsAlong = 2;  // rows per block of the row sums
constexpr std::size_t kSamplesPerCheck = std::size_t(1) << 20;  // about a millisecond of work

// The window of 2 * radius + 1 samples of an axis of n (scipy's reflect, period 2n).
struct Window {
    std::size_t period, whole, part, start;  // start: -radius mod the period
    Window(std::size_t radius, std::size_t n)
        : period(2 * n),
          whole((2 * radius + 1) / period),
          part((2 * radius + 1) % period),
          start((period - radius % period) % period) {}
    // Sample of index j in [0, period).
    std::size_t at(std::size_t j) const { return j < period / 2 ? j : period - 1 - j; }
};

// Column sums one row on: out = sums, then sums += add - sub (unsigned: wrapping differences
// are exact once added).
template <class T, class A>
struct SlideDown {
    HL_INLINE static void run(A* sums, A* out, const T* add, const T* sub, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            out[i] = sums[i];
            sums[i] += static_cast<A>(add[i]) - static_cast<A>(sub[i]);
        }
    }
};

template <class T, class A>
struct AddRow {
    HL_INLINE static void run(A* sums, const T* row, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) sums[i] += static_cast<A>(row[i]);
    }
};

// out = floor((2s + n) / 2n), s = hi - lo: the window's mean s / n rounded half up. n is odd, so
// k is that mean iff -(n - 1) / 2 <= s - k * n <= (n - 1) / 2. A float estimate of the mean is
// off by less than one, and one exact step in integers corrects it. Stored through put(), whose
// value is then an exact integer in [0, top].
template <class T, class A>
struct RoundedMean;

// Sums below 2^32 (n < 2^24): s - k * n wraps in uint32 but is within +-1.5n, so exact as int32.
template <class T>
struct RoundedMean<T, uint32_t> {
    template <class U, class F>
    HL_INLINE static F mean(U s, uint32_t n, float inv) {
        using I = simd::VecN<int32_t, sizeof(U) / 4>;
        I k = __builtin_convertvector(__builtin_convertvector(s, F) * inv + 0.5f, I);
        const I d = (I)(s - (U)k * n), h = I{} + static_cast<int32_t>(n / 2);
        k = k - (d > h) + (d < -h);  // masks are -1 where true
        return __builtin_convertvector(k, F);
    }
    HL_INLINE static float mean1(uint32_t s, uint32_t n, float inv) {
        auto k = static_cast<int32_t>(static_cast<float>(s) * inv + 0.5f);
        const auto d = static_cast<int32_t>(s - static_cast<uint32_t>(k) * n);
        const auto h = static_cast<int32_t>(n / 2);
        k = k + (d > h) - (d < -h);
        return static_cast<float>(k);
    }
    template <std::size_t Bytes>
    HL_INLINE static void run_width(const uint32_t* hi, const uint32_t* lo, std::size_t count,
                                    double n, T* out) {
        constexpr std::size_t N = Bytes / sizeof(float);
        using U = simd::VecN<uint32_t, N>;
        using F = simd::VecN<float, N>;
        const auto nn = static_cast<uint32_t>(n);
        const float inv = 1.0f / static_cast<float>(n);
        std::size_t i = 0;
        for (; i + N <= count; i += N)
            put(out + i, mean<U, F>(simd::load<U>(hi + i) - simd::load<U>(lo + i), nn, inv));
        for (; i < count; ++i) put(out + i, mean1(hi[i] - lo[i], nn, inv));
    }
};

// Sums below 2^64, with every 2s + n below 2^53: in doubles, a - k * 2n exact.
template <class T>
struct RoundedMean<T, uint64_t> {
    template <class X>
    HL_INLINE static X mean(X s, double n) {
        const double n2 = 2 * n, inv = 1 / n2;
        const X a = 2 * s + n;
        X k = trunc(a * inv);
        const X rem = a - k * n2;
        k = rem < 0 ? k - 1 : k;
        return rem >= n2 ? k + 1 : k;
    }
    HL_INLINE static double trunc(double v) { return static_cast<double>(static_cast<int32_t>(v)); }
    template <class X>
    HL_INLINE static X trunc(X v) {
        constexpr std::size_t N = sizeof(X) / sizeof(double);
        return __builtin_convertvector(__builtin_convertvector(v, simd::VecN<int32_t, N>), X);
    }
    template <std::size_t Bytes>
    HL_INLINE static void run_width(const uint64_t* hi, const uint64_t* lo, std::size_t count,
                                    double n, T* out) {
        constexpr std::size_t N = Bytes / sizeof(double);
        using D = simd::VecN<double, N>;
        using S = simd::VecN<uint64_t, N>;
        using H = simd::VecN<float, N>;
        auto half = [&](std::size_t at) HL_INLINE_LAMBDA {
            const S s = simd::load<S>(hi + at) - simd::load<S>(lo + at);
            return __builtin_convertvector(mean(__builtin_convertvector(s, D), n), H);
        };
        std::size_t i = 0;
        for (; i + 2 * N <= count; i += 2 * N)  // two halves: put() takes a register of floats
            put(out + i, simd::joined(half(i), half(i + N), std::make_index_sequence<2 * N>{}));
        for (; i < count; ++i)
            put(out + i, static_cast<float>(mean(static_cast<double>(hi[i] - lo[i]), n)));
    }
};

// The same in integers of the sums' own width, for sums too large for doubles (radii above
// ~2^17): s / n rounded half up, n odd.
template <class T, class A>
void exact_mean(const A* hi, const A* lo, std::size_t count, A n, T* out) {
    for (std::size_t i = 0; i < count; ++i) {
        const A s = hi[i] - lo[i];
        out[i] = static_cast<T>(s / n + (s % n > n / 2));
    }
}

void check(Control* ctl) {
    if (ctl) ctl->check();
}

template <class T, class A>
class BoxSums {
public:
    BoxSums(const Pair& images, std::size_t radius)
        : im_(images), down_(radius, images.src.height), along_(radius, images.src.width) {
        const u128 L = 2 * static_cast<u128>(radius) + 1;
        const u128 top = std::is_same<T, uint8_t>::value ? 255 : 65535;
        n_ = L * L;
        in_doubles_ = 2 * n_ * top + n_ < (u128(1) << 53);
        samples_ = im_.src.samples_per_row();
        stride_ = aligned_count<A>(samples_);
        // Strips of whole 64-byte lines, about eight per row (the band's parallel work).
        strip_ = std::min<std::size_t>(std::size_t(1) << 16,
                                       std::max<std::size_t>(1024, (samples_ / 8 + 63) / 64 * 64));
    }

    void run(Control* ctl) {
        const std::size_t H = im_.src.height, bands = block_count(H, kBandRows);
        const bool copy = !im_.src.rows_contiguous();
        if (ctl) ctl->add_total(bands + copy);
        Scratch copied(copy ? checked_mul(checked_mul(H, samples_), sizeof(T)) : 0);
        if (copy) {  // strided sources once into C order, then read as contiguous rows
            copy_ = copied.as<T>();
            parallel_blocks(block_count(H, kRowsPerBlock), [&](std::size_t b) {
                check(ctl);
                for (std::size_t y = b * kRowsPerBlock; y < std::min(H, (b + 1) * kRowsPerBlock);
                     ++y)
                    load_row<T, T>(im_.src, y, copied.as<T>() + y * samples_);
            });
            if (ctl) ctl->advance(1);
        }
        Scratch sums(checked_mul(stride_, sizeof(A)));
        Scratch band(checked_mul(checked_mul(kBandRows, stride_), sizeof(A)));
        sums_ = sums.as<A>();
        band_ = band.as<A>();
        // The rows' working memory, once for every band: block k of a band has slot k (fresh
        // memory per block was a page fault per 4 KiB, a fifth of the time).
        const std::size_t blocks = block_count(std::min(H, kBandRows), kRowsAlong);
        prefix_ = aligned_count<A>((im_.src.width + along_.part) * im_.src.channels);
        extra_ = along_.whole ? 2 * stride_ : 0;  // rows for whole periods: sums and zeros
        slot_ = prefix_ + extra_ + aligned_count<A>(samples_ * sizeof(T) / sizeof(A) + 1);
        Scratch rows(checked_mul(checked_mul(blocks, slot_), sizeof(A)));
        rows_ = rows.as<A>();
        if (along_.whole)
            for (std::size_t k = 0; k < blocks; ++k) {
                A* zero = rows_ + k * slot_ + prefix_ + stride_;
                std::fill(zero, zero + samples_, A(0));
            }
        const std::size_t strips = block_count(samples_, strip_);
        for (std::size_t b = 0; b < bands; ++b) {
            const std::size_t y0 = b * kBandRows, y1 = std::min(H, y0 + kBandRows);
            parallel_blocks(strips, [&](std::size_t s) {
                check(ctl);
                const std::size_t i = s * strip_, count = std::min(strip_, samples_ - i);
                if (b == 0) first_sums(i, count, ctl);
                for (std::size_t y = y0; y < y1; ++y) {
                    const std::size_t j = down_.start + y;
                    simd_run<SlideDown<T, A>>(sums_ + i, band_ + (y - y0) * stride_ + i,
                                              row(down_.at((j + down_.part) % down_.period)) + i,
                                              row(down_.at(j % down_.period)) + i, count);
                }
            });
            parallel_blocks(block_count(y1 - y0, kRowsAlong), [&](std::size_t k) {
                check(ctl);
                along_rows(y0, y0 + k * kRowsAlong, std::min(y1, y0 + (k + 1) * kRowsAlong),
                           rows_ + k * slot_, ctl);
            });
            if (ctl) ctl->advance(1);
        }
    }

private:
    // Source row y (in C order when it was copied).
    const T* row(std::size_t y) const {
        if (copy_) return copy_ + y * samples_;
        return reinterpret_cast<const T*>(im_.src.at(y, 0, 0));
    }

    // Column sums of the window of row 0 over samples [i, i + count).
    void first_sums(std::size_t i, std::size_t count, Control* ctl) {
        A* sums = sums_ + i;
        std::fill(sums, sums + count, A(0));
        if (down_.whole) {
            for (std::size_t y = 0; y < im_.src.height; ++y) {
                if (y % 64 == 63) check(ctl);
                simd_run<AddRow<T, A>>(sums, row(y) + i, count);
            }
            const A twice = static_cast<A>(2 * static_cast<u128>(down_.whole));
            for (std::size_t k = 0; k < count; ++k) sums[k] *= twice;
        }
        std::size_t j = down_.start;
        for (std::size_t t = 0; t < down_.part; ++t) {
            if (t % 64 == 63) check(ctl);
            simd_run<AddRow<T, A>>(sums, row(down_.at(j)) + i, count);
            if (++j == down_.period) j = 0;
        }
    }

    // Band rows [from, to) (of the band from row y0) summed along the row into dst.
    // `memory`: a slot of rows_ (its zero row zeroed when the window holds whole periods).
    void along_rows(std::size_t y0, std::size_t from, std::size_t to, A* memory,
                    Control* ctl) const {
        const std::size_t C = im_.src.channels, W = im_.src.width;
        A* q = memory;
        A* d = q + prefix_;
        const A* zero = d + stride_;
        T* spare = reinterpret_cast<T*>(d + extra_);
        for (std::size_t y = from; y < to; ++y) {
            const A* v = band_ + (y - y0) * stride_;
            switch (C) {
                case 1: prefix_sums<1>(v, q, ctl); break;
                case 3: prefix_sums<3>(v, q, ctl); break;
                default: prefix_sums<4>(v, q, ctl); break;
            }
            const A* hi = q + along_.part * C;
            const A* lo = q;
            if (along_.whole) {  // whole periods: twice the row's total each
                const A twice = static_cast<A>(2 * static_cast<u128>(along_.whole));
                for (std::size_t c = 0; c < C; ++c) {
                    A total = 0;
                    for (std::size_t x = 0; x < W; ++x) total += v[x * C + c];
                    for (std::size_t x = 0; x < W; ++x)
                        d[x * C + c] = hi[x * C + c] - lo[x * C + c] + twice * total;
                }
                hi = d;
                lo = zero;
            }
            T* out = row_target(im_.dst, y, spare);
            for (std::size_t i = 0; i < samples_; i += kSamplesPerCheck) {
                if (i) check(ctl);
                const std::size_t count = std::min(kSamplesPerCheck, samples_ - i);
                if constexpr (!std::is_same<A, u128>::value)
                    if (in_doubles_) {
                        simd_run<RoundedMean<T, A>>(hi + i, lo + i, count,
                                                    static_cast<double>(n_), out + i);
                        continue;
                    }
                exact_mean(hi + i, lo + i, count, static_cast<A>(n_), out + i);
            }
            store_row(im_.dst, y, out);
            copy_alpha(im_, y);
        }
    }

    // q[t * C + c], t in [0, W + part): sums of the first t samples of channel c from the
    // row's window start on (reflected), so that pixel x's partial window is q[x + part] - q[x].
    template <std::size_t C>
    void prefix_sums(const A* v, A* q, Control* ctl) const {
        const std::size_t W = im_.src.width, count = W + along_.part - 1;
        A acc[C] = {};  // in registers: q and v may alias as far as the compiler knows
        for (std::size_t c = 0; c < C; ++c) q[c] = 0;
        q += C;
        std::size_t j = along_.start;
        for (std::size_t t = 0; t < count;) {  // runs of pixels in order or in reverse
            if (t) check(ctl);
            const bool forward = j < W;
            const std::size_t left = forward ? W - j : 2 * W - j;
            const std::size_t run = std::min({left, count - t, kSamplesPerCheck});
            const A* p = v + (forward ? j : 2 * W - 1 - j) * C;
            const std::ptrdiff_t step = forward ? std::ptrdiff_t(C) : -std::ptrdiff_t(C);
            for (std::size_t k = 0; k < run; ++k, p += step, q += C)
                for (std::size_t c = 0; c < C; ++c) q[c] = acc[c] += p[c];
            t += run;
            j += run;
            if (j == along_.period) j = 0;
        }
    }

    const Pair& im_;
    Window down_, along_;
    u128 n_;           // (2r + 1)^2 samples per window
    bool in_doubles_;  // every 2s + n is below 2^53
    std::size_t samples_, stride_, strip_;
    const T* copy_ = nullptr;
    A* sums_ = nullptr;  // column sums of the current row's window
    A* band_ = nullptr;  // the band's column sums, a row each
    A* rows_ = nullptr;  // per block of rows along: prefix sums | [sums | zeros] | a spare row
    std::size_t prefix_ = 0, extra_ = 0, slot_ = 0;
};

// The narrowest accumulator that holds (2r + 1)^2 * top.
template <class T>
void run_box(const Pair& images, std::size_t radius, Control* ctl) {
    const u128 L = 2 * static_cast<u128>(radius) + 1;
    const u128 most = L * L * (std::is_same<T, uint8_t>::value ? 255 : 65535);
    if (most <= UINT32_MAX)
        BoxSums<T, uint32_t>(images, radius).run(ctl);
    else if (most <= UINT64_MAX)
        BoxSums<T, uint64_t>(images, radius).run(ctl);
    else
        BoxSums<T, u128>(images, radius).run(ctl);
}

}  // namespace

void box_sum_pass(const Pair& images, std::size_t radius, Control* ctl) {
    if (images.src.dtype == DType::UInt8)
        run_box<uint8_t>(images, radius, ctl);
    else
        run_box<uint16_t>(images, radius, ctl);
}

}  // namespace hotloop::imaging
