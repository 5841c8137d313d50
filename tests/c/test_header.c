/* The public header compiled as strict C99 (-pedantic -Werror), and a C program using it. */
#include <stdio.h>
#include <string.h>

#include "hotloop.h"

/* The testing section is fenced: without HL_TESTING_API a C user sees none of it. These
   definitions would clash with the header's declarations if the fence leaked. */
#ifdef HL_TESTING_API
#error "this test checks the header without HL_TESTING_API"
#endif
#ifdef HL_DEBUG_THROW_BAD_ALLOC
#error "HL_DEBUG_THROW_* is visible without HL_TESTING_API"
#endif
static int hl_debug_throw = 0;
static int hl_matrix_multiply_reference = 0;

#define EXPECT(cond)                                                  \
    do {                                                              \
        if (!(cond)) {                                                \
            fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
            return 1;                                                 \
        }                                                             \
    } while (0)

int main(void) {
    char text[32];
    double quotient = 0.0;
    int64_t values[4] = {1, 2, 3, INT64_MAX};
    int64_t four = 4, three = 3;
    hl_view all = {NULL, HL_DTYPE_INT64, 1, NULL, NULL};
    hl_view first = {NULL, HL_DTYPE_INT64, 1, NULL, NULL};
    hl_sum_result sum;
    hl_processor *proc = NULL;
    hl_buffer *means = NULL;
    uint64_t count = 0;
    double mean = 0.0, std_dev = 0.0;

    EXPECT(hl_debug_throw == 0 && hl_matrix_multiply_reference == 0);
    EXPECT(strcmp(hl_version(), "") != 0);
    EXPECT(hl_abi_version() == HL_ABI_VERSION);
    EXPECT(hl_sum_as_string(2, 3, text, sizeof text) == HL_OK && strcmp(text, "5") == 0);
    EXPECT(hl_divide(1.0, 0.0, &quotient) == HL_ERR_DIVISION_BY_ZERO);
    EXPECT(strcmp(hl_last_error_message(), "Cannot divide by zero") == 0);
    all.data = values;
    all.shape = &four;
    first.data = values;
    first.shape = &three;
    EXPECT(hl_sum(&all, &sum, NULL) == HL_OK);
    EXPECT(sum.is_integer && sum.hi == 0 && sum.lo == (uint64_t)INT64_MAX + 6u);
    EXPECT(hl_processor_create(2, &proc) == HL_OK);
    EXPECT(hl_processor_add(proc, &first, NULL) == HL_OK);
    EXPECT(hl_processor_process_chunks(proc, &means, NULL) == HL_OK);
    EXPECT(hl_buffer_length(means) == 1 && ((double *)hl_buffer_data(means))[0] == 1.5);
    hl_buffer_free(means);
    EXPECT(hl_processor_statistics(proc, &count, &mean, &std_dev, NULL) == HL_OK);
    EXPECT(count == 1 && mean == 3.0 && std_dev == 0.0);
    hl_processor_destroy(proc);
    printf("C header test: passed\n");
    return 0;
}
