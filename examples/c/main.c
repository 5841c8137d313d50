/*
 * Using libhotloop from C: sums, a filter that returns a library-owned buffer, a DataProcessor
 * handle, cancellation-free calls (ctl = NULL), and error handling through status codes.
 *
 * Built against an *installed* hotloop (see examples/c/CMakeLists.txt and tests/install/).
 * Prints a few results; tests/install/test_install.sh compares them with expected.txt.
 */
#include <hotloop.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Prints the library's message for a failed call and exits. */
static void check(hl_status status, const char *what) {
    if (status != HL_OK) {
        fprintf(stderr, "%s failed: %s: %s\n", what, hl_status_name(status), hl_last_error_message());
        exit(1);
    }
}

int main(void) {
    enum { N = 1000000 };
    int64_t *values = malloc(N * sizeof *values);
    if (!values) return 1;
    for (int64_t i = 0; i < N; i++) values[i] = i;

    printf("hotloop %s (ABI %d), %d threads\n", hl_version(), hl_abi_version(), hl_get_num_threads());

    /* Exact integer sum of an array described by an hl_view (NULL strides: C-contiguous): a
       128-bit result in two halves. */
    int64_t n = N;
    hl_view all = {values, HL_DTYPE_INT64, 1, &n, NULL};
    hl_sum_result sum;
    check(hl_sum(&all, &sum, NULL), "hl_sum");
    printf("sum(0..%d) = %llu (high word %lld)\n", N - 1, (unsigned long long)sum.lo,
           (long long)sum.hi);

    /* Filter + map into a buffer the library allocates: we own it and free it. Keep x > 999990,
       i.e. x >= 999991 for integers. */
    hl_buffer *kept = NULL;
    check(hl_filter_double(values, N, HL_DTYPE_INT64, 999991, 0, 0.0, &kept, NULL), "hl_filter_double");
    const int64_t *doubled = hl_buffer_data(kept);
    printf("kept %zu values:", hl_buffer_length(kept));
    for (size_t i = 0; i < hl_buffer_length(kept); i++) printf(" %lld", (long long)doubled[i]);
    printf("\n");
    hl_buffer_free(kept);

    /* A handle: create, use, destroy exactly once. */
    hl_processor *proc = NULL;
    check(hl_processor_create(3, &proc), "hl_processor_create");
    double data[] = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0};
    int64_t seven = 7;
    hl_view seven_values = {data, HL_DTYPE_FLOAT64, 1, &seven, NULL};
    check(hl_processor_add(proc, &seven_values, NULL), "hl_processor_add");
    uint64_t count = 0;
    double mean = 0.0, std = 0.0;
    check(hl_processor_statistics(proc, &count, &mean, &std, NULL), "hl_processor_statistics");
    printf("statistics: count %llu, mean %.1f, std %.4f\n", (unsigned long long)count, mean, std);
    hl_buffer *means = NULL;
    check(hl_processor_process_chunks(proc, &means, NULL), "hl_processor_process_chunks");
    const double *m = hl_buffer_data(means);
    printf("chunk means: %.1f %.1f\n", m[0], m[1]);
    hl_buffer_free(means);
    hl_processor_destroy(proc);

    /* Errors are status codes plus a thread-local message; nothing is written to *out. */
    double quotient = -1.0;
    hl_status status = hl_divide(1.0, 0.0, &quotient);
    printf("divide by zero: %s \"%s\", out untouched: %s\n", hl_status_name(status),
           hl_last_error_message(), quotient == -1.0 ? "yes" : "no");
    status = hl_processor_create(0, &proc);
    printf("chunk size 0: %s\n", hl_status_name(status));

    free(values);
    return 0;
}
