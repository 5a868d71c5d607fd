/*
 * libFuzzer target for the Parquet record layer: the input is a whole
 * file, opened from memory and streamed through the record reader (schema
 * mapping, record assembly into nested vectors) in batches whose size
 * comes from the input. Every batch the reader hands out must satisfy the
 * columnar invariants (dvec_validate, UTF-8 included): a batch that does
 * not is a bug and aborts. Errors are expected; crashes, hangs, leaks,
 * out-of-bounds access and invalid batches are the bugs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "columnar/vector.h"
#include "core/error.h"
#include "parquet/file_reader.h"
#include "parquet/record_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pq_file *f;
    if (pq_file_open_buffer(&f, data, size, "fuzz.parquet") != 0)
        return 0;
    pq_reader_options o = {NULL, 0, 0, false};
    o.batch_rows = size ? 1 + (int64_t)(data[size / 3] % 64) * 97 : 1;
    o.binary_as_string = size && (data[0] & 2);
    pq_reader *r;
    if (pq_reader_open_file(&r, f, &o) != 0) { /* takes f, also on failure */
        delta_error_clear();
        return 0;
    }
    dstream *s;
    if (pq_reader_stream(r, &s) == 0) {
        int64_t budget = 1 << 16; /* rows per input, bounds run time */
        dvec *batch = NULL;
        while (budget > 0 && s->next(s, &batch) == 0 && batch) {
            if (dvec_validate(batch, true) != 0) { /* the reader produced an invalid batch */
                fprintf(stderr, "invalid batch: %s\n", delta_error_last());
                abort();
            }
            budget -= batch->length + 1;
            dvec_unref(batch);
            batch = NULL;
        }
        dvec_unref(batch);
        s->free(s);
    }
    pq_reader_free(r);
    delta_error_clear();
    return 0;
}
