/*
 * Using libhotloop from C: one call of each area of hotloop.h, with the ownership of every
 * result and the handling of every error shown. docs/c_api.md points here instead of carrying
 * snippets: this file is compiled (-std=c99 -pedantic -Werror) and run by `make test`
 * (tests/install/test_install.sh), which compares its output with expected.txt.
 *
 * Built against an *installed* hotloop (see examples/c/CMakeLists.txt and tests/install/).
 *
 * The pattern everywhere: a function returns an hl_status; on HL_OK it has written its
 * out-parameters; on failure hl_status_name() and hl_last_error_message() (thread-local, valid
 * until this thread's next call) say why. What the library allocates for us (handles, buffers,
 * word tables) we free exactly once with the matching *_destroy / *_free, which accept NULL.
 */
#include <hotloop.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints the library's message for a failed call and exits. */
static void check(hl_status status, const char *what) {
    if (status != HL_OK) {
        fprintf(stderr, "%s failed: %s: %s\n", what, hl_status_name(status),
                hl_last_error_message());
        exit(1);
    }
}

/* ---- library: version, configuration, threads ---- */
static void library(void) {
    /* Static strings: never freed. The first line of output differs per machine. */
    printf("hotloop %s (ABI %d), %d threads\n", hl_version(), hl_abi_version(),
           hl_get_num_threads());
    const char *blas = NULL;
    check(hl_info_string(HL_INFO_BLAS_NAME, &blas), "hl_info_string");
    printf("BLAS: %s\n", blas);
    /* Process-wide for this library (its own TBB arena); results never depend on it. */
    check(hl_set_num_threads(2), "hl_set_num_threads");
    printf("threads now: %d\n", hl_get_num_threads());
}

/* ---- exact sums: an hl_view describes the caller's array (NULL strides: C order) ---- */
static void sums(int64_t *values, int64_t n) {
    hl_view all = {values, HL_DTYPE_INT64, 1, &n, NULL};
    hl_sum_result sum; /* caller-owned; written only on HL_OK */
    check(hl_sum(&all, &sum, NULL), "hl_sum");
    printf("sum(0..%lld) = %llu (high word %lld)\n", (long long)(n - 1),
           (unsigned long long)sum.lo, (long long)sum.hi);
}

/* ---- filter + map: a result of unknown size comes back as an hl_buffer we own ---- */
static void filter(int64_t *values, int64_t n) {
    hl_view all = {values, HL_DTYPE_INT64, 1, &n, NULL};
    hl_buffer *kept = NULL; /* set to NULL on failure: nothing to free then */
    /* [2 * x for x in values if x > n - 10]: for integers x > t is x >= t + 1. */
    check(hl_filter_double(&all, HL_DTYPE_INT64, n - 9, 0, 0.0, &kept, NULL), "hl_filter_double");
    const int64_t *doubled = hl_buffer_data(kept); /* valid until hl_buffer_free */
    printf("kept %zu values:", hl_buffer_length(kept));
    for (size_t i = 0; i < hl_buffer_length(kept); i++) printf(" %lld", (long long)doubled[i]);
    printf("\n");
    hl_buffer_free(kept);
}

/* ---- arrays: element-wise product, matrix product over strided views ---- */
static void arrays(void) {
    /* a (2 x 3) and its transpose as a view of the same memory: strides in bytes, swapped. */
    double a[6] = {1, 2, 3, 4, 5, 6}, product[6], gram[4];
    const int64_t shape[2] = {2, 3}, t_shape[2] = {3, 2}, t_strides[2] = {8, 24};
    const int64_t out_shape[2] = {2, 2};
    hl_view va = {a, HL_DTYPE_FLOAT64, 2, shape, NULL};
    hl_view vat = {a, HL_DTYPE_FLOAT64, 2, t_shape, t_strides};
    hl_view vproduct = {product, HL_DTYPE_FLOAT64, 2, shape, NULL};
    hl_view vgram = {gram, HL_DTYPE_FLOAT64, 2, out_shape, NULL};

    size_t overflow_at = 0; /* written only on HL_ERR_OVERFLOW */
    check(hl_array_multiply(&va, &va, &vproduct, &overflow_at, NULL), "hl_array_multiply");
    printf("a * a: %g %g %g / %g %g %g\n", product[0], product[1], product[2], product[3],
           product[4], product[5]);
    /* a @ a^T: the transposed view reaches BLAS as a transpose flag, not a copy. */
    check(hl_matrix_multiply(&va, &vat, &vgram, NULL), "hl_matrix_multiply");
    printf("a @ a.T: %g %g / %g %g\n", gram[0], gram[1], gram[2], gram[3]);

    /* Integer products never wrap: the first overflowing element (C order) is named. */
    int64_t big[2] = {3, INT64_MAX / 2}, twice[2];
    const int64_t two = 2;
    hl_view vbig = {big, HL_DTYPE_INT64, 1, &two, NULL};
    hl_view vtwice = {twice, HL_DTYPE_INT64, 1, &two, NULL};
    const hl_status status = hl_array_multiply(&vbig, &vbig, &vtwice, &overflow_at, NULL);
    printf("int64 overflow: %s at element %zu\n", hl_status_name(status), overflow_at);
}

/* ---- statistics: one pass, results in a caller-owned hl_stats ---- */
static void stats(void) {
    float x[5] = {2.5f, -1.0f, 4.0f, 0.5f, 9.0f};
    const int64_t n = 5;
    hl_view v = {x, HL_DTYPE_FLOAT32, 1, &n, NULL};
    hl_stats s;
    check(hl_compute_stats(&v, HL_NAN_PROPAGATE, &s, NULL), "hl_compute_stats");
    float lo, hi; /* min and max are elements of the input's dtype (s.dtype) */
    memcpy(&lo, s.min, sizeof lo);
    memcpy(&hi, s.max, sizeof hi);
    printf("stats: count %llu, mean %.2f, std %.4f, min %g, max %g\n",
           (unsigned long long)s.count, s.mean, s.std, lo, hi);
}

/* ---- DataProcessor: a handle we create and destroy exactly once; calls take a control ---- */
static void processor(hl_control *ctl) {
    hl_processor *proc = NULL;
    check(hl_processor_create(3, &proc), "hl_processor_create");
    double data[] = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0};
    const int64_t seven = 7;
    hl_view values = {data, HL_DTYPE_FLOAT64, 1, &seven, NULL};
    check(hl_processor_add(proc, &values, ctl), "hl_processor_add");
    uint64_t done = 0, total = 0;
    check(hl_control_progress(ctl, &done, &total), "hl_control_progress");
    check(hl_control_reset(ctl), "hl_control_reset"); /* one operation per control at a time */
    uint64_t count = 0;
    double mean = 0.0, std = 0.0;
    check(hl_processor_statistics(proc, &count, &mean, &std, NULL), "hl_processor_statistics");
    printf("processor: count %llu, mean %.1f, std %.4f (add: %llu of %llu done)\n",
           (unsigned long long)count, mean, std, (unsigned long long)done,
           (unsigned long long)total);
    hl_buffer *means = NULL;
    check(hl_processor_process_chunks(proc, &means, NULL), "hl_processor_process_chunks");
    const double *m = hl_buffer_data(means);
    printf("chunk means: %.1f %.1f\n", m[0], m[1]);
    hl_buffer_free(means);

    /* A cancelled control: the call returns HL_ERR_CANCELLED and changes nothing. */
    check(hl_control_cancel(ctl), "hl_control_cancel");
    const hl_status status = hl_processor_add(proc, &values, ctl);
    check(hl_processor_length(proc, &count), "hl_processor_length");
    printf("cancelled add: %s, %llu values still held\n", hl_status_name(status),
           (unsigned long long)count);
    check(hl_control_reset(ctl), "hl_control_reset");
    hl_processor_destroy(proc);
}

/* ---- word counting: a word table we own, read through accessors ---- */
static void text(void) {
    const char *words = "The cat and THE dog and the bird";
    hl_word_table *table = NULL; /* NULL after a failure */
    check(hl_word_table_count(words, strlen(words), HL_TEXT_UTF8, 0, NULL, 0, &table, NULL),
          "hl_word_table_count");
    size_t size = 0;
    check(hl_word_table_size(table, &size), "hl_word_table_size");
    printf("%zu distinct words:", size);
    for (size_t i = 0; i < size; i++) {
        const char *word; /* points into the table: valid until hl_word_table_destroy */
        size_t length;
        uint64_t n;
        check(hl_word_table_entry(table, i, &word, &length, &n, NULL, NULL),
              "hl_word_table_entry");
        printf(" %.*s=%llu", (int)length, word, (unsigned long long)n);
    }
    printf("\n");
    hl_word_table_destroy(table);
}

/* ---- images: src and dst are views of the caller's pixels ---- */
static void images(void) {
    uint8_t src[9] = {0, 0, 0, 0, 90, 0, 0, 0, 0}, dst[9];
    const int64_t side[2] = {3, 3};
    hl_view vsrc = {src, HL_DTYPE_UINT8, 2, side, NULL};
    hl_view vdst = {dst, HL_DTYPE_UINT8, 2, side, NULL};
    check(hl_image_box_blur(&vsrc, &vdst, 1, NULL), "hl_image_box_blur");
    printf("box blur:");
    for (int i = 0; i < 9; i++) printf(" %d", dst[i]);
    printf("\n");
}

/* ---- Monte Carlo: depends only on n_samples and seed, never on the thread count ---- */
static void monte_carlo(void) {
    uint64_t inside = 0;
    double estimate = 0.0;
    check(hl_monte_carlo_pi(1000000, 42, &inside, &estimate, NULL), "hl_monte_carlo_pi");
    printf("pi ~ %.6f (%llu of 1000000 inside)\n", estimate, (unsigned long long)inside);
}

/* ---- errors: a status and a message; out-parameters untouched ---- */
static void errors(void) {
    double quotient = -1.0;
    hl_status status = hl_divide(1.0, 0.0, &quotient);
    printf("divide by zero: %s \"%s\", out untouched: %s\n", hl_status_name(status),
           hl_last_error_message(), quotient == -1.0 ? "yes" : "no");
    hl_processor *proc = NULL;
    status = hl_processor_create(0, &proc);
    printf("chunk size 0: %s, handle %s\n", hl_status_name(status), proc ? "set" : "NULL");
}

int main(void) {
    enum { N = 1000000 };
    int64_t *values = malloc(N * sizeof *values);
    if (!values) return 1;
    for (int64_t i = 0; i < N; i++) values[i] = i;

    library();
    sums(values, N);
    filter(values, N);
    arrays();
    stats();
    hl_control *ctl = NULL; /* ours: hl_control_destroy once no operation uses it */
    check(hl_control_create(&ctl), "hl_control_create");
    processor(ctl);
    hl_control_destroy(ctl);
    text();
    images();
    monte_carlo();
    errors();

    free(values);
    return 0;
}
