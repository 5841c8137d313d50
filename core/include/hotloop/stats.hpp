// One-pass statistics (count, mean, standard deviation, min, max) as a mergeable value: Moments.
//
// The sum is exact (an ExactSum), so the mean is correctly rounded whatever the split of the
// data. The sum of squared deviations (m2) of each block of kMomentsBlock values is computed
// from the block's values about a centre, with the deviations and their squares split
// error-free, then corrected by (exact sum - count * centre)^2 / count: relative error below
// 2^-58 for any data, offsets and magnitudes included. Blocks merge by Chan, Golub and LeVeque's
// formula m2 = m2a + m2b + (nb Sa - na Sb)^2 / (na nb n), whose difference is computed exactly
// and the rest in binary128, so that merged m2 keeps ~110 bits: std is within 1 ulp of the
// correctly rounded one (statistics.stdev). Constant data has m2 exactly 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hotloop/dtype.hpp"
#include "hotloop/exact_sum.hpp"
#include "hotloop/parallel.hpp"
#include "hotloop/view.hpp"

namespace hotloop {

// What a NaN does (scipy.stats' nan_policy): make every result NaN, be left out, or be refused.
enum class NanPolicy : int32_t { Propagate = 0, Omit = 1, Raise = 2 };

// The block size of the moments: fixed, so that results do not depend on the thread count.
constexpr std::size_t kMomentsBlock = std::size_t(1) << 15;

// The results of Moments::finish.
struct Statistics {
    uint64_t count = 0;  // values used: all of them, or the non-NaN ones under NanPolicy::Omit
    double mean = 0, std = 0;
    DType dtype = DType::Float64;
    // The extremes as one element of dtype each (NaN for floats when NaN propagates).
    alignas(8) unsigned char min[8] = {}, max[8] = {};
};

// The moments of a sequence of values of one dtype. A plain value (no heap memory): copy it,
// merge it, serialize it. Merging is deterministic for a given order of merges; count, sum,
// min and max are exact whatever the order.
struct Moments {
    DType dtype = DType::Float64;
    NanPolicy nan_policy = NanPolicy::Propagate;
    uint64_t count = 0;  // finite values (those in sum and m2)
    ExactSum sum;        // of the finite values; counts the NaN and infinite values too
    quad m2 = 0;         // of the finite values about their mean
    // Extremes of the non-NaN values (infinities included), when there is one: double for
    // floats and integers up to 32 bits, int128 for 64-bit integers (exact).
    bool has_extremes = false;
    double lo = 0, hi = 0;
    int128_t ilo = 0, ihi = 0;

    // Moments of a view of any dtype and layout (read in memory order when dense; the block
    // split follows). NanPolicy::Raise throws ErrorKind::InvalidArgument at the first NaN found.
    static Moments of(const View& data, NanPolicy policy, Control* ctl = nullptr);
    // The moments of float64 values as the DataProcessor keeps them (one canonical block: n <=
    // kMomentsBlock). `next`, when not null, is memory the caller reads next (prefetched
    // meanwhile); `extremes`, when not null, the smallest and largest non-NaN values (+inf and
    // -inf when all are NaN) found by the caller. Neither changes the result.
    static Moments of_block(const double* values, std::size_t n, const void* next = nullptr,
                            const double* extremes = nullptr);
    // The moments of a canonical block of a DataProcessor whose chunks have `chunk` values (the
    // block starts a chunk): a function of the values and `chunk` only (not the same bits as
    // of_block). When `means` is not null, also the means of the block's complete chunks
    // (exact sum / chunk, rounded once), read in the same pass; the indices of those it left to
    // the caller (exact sums beyond its fast path) are appended to *pending.
    static Moments of_chunks(const double* values, std::size_t n, std::size_t chunk,
                             double* means, std::vector<std::size_t>* pending,
                             const void* next = nullptr);

    // Appends `later` (its values come after this one's). ErrorKind::InvalidArgument for another
    // dtype or NaN policy (an empty side takes the other's).
    void merge(const Moments& later);

    // count, mean and std with `ddof` (0: population, 1: sample; NaN when count <= ddof), min
    // and max. Finite data: mean = exact sum / count correctly rounded, std within 1 ulp.
    // Infinities make std NaN (as NumPy) and the mean +-inf (NaN for both signs: the exact value,
    // where NumPy's summation may overflow). NaN follows the policy; NanPolicy::Raise with a NaN
    // is ErrorKind::InvalidArgument. No value at all is ErrorKind::InvalidArgument when
    // `empty_is_error`, else every result is 0.
    Statistics finish(int ddof, bool empty_is_error = true) const;

    uint64_t nan_count() const noexcept { return sum.nan_count(); }
    uint64_t values() const noexcept {  // every value, NaN included
        return count + sum.nan_count() + sum.pos_inf_count() + sum.neg_inf_count();
    }

    // A fixed-size, versioned, little-endian record.
    static constexpr std::size_t kBytes = 4 + 4 + 8 + 16 + 8 + 8 + 16 + 16 + ExactSum::kBytes;
    void to_bytes(unsigned char* out) const noexcept;
    // ErrorKind::InvalidArgument for anything that is not such a record.
    static Moments from_bytes(const unsigned char* in, std::size_t size);

    friend bool operator==(const Moments& a, const Moments& b) noexcept;
};

// Moments::of(data, policy).finish(1): the statistics compute_stats returns. An empty view is
// ErrorKind::InvalidArgument.
Statistics compute_stats(const View& data, NanPolicy policy, Control* ctl = nullptr);

}  // namespace hotloop
