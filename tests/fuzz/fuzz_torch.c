/* libFuzzer target: a whole PyTorch zip checkpoint from memory (zip + restricted unpickler +
   state_dict flattening + tensor range checks). Seeds: tests/fuzz/corpus/torch. */
#include "io/torch_ckpt.h"

#include <stdint.h>
#include <stdio.h>

/* Open data as a checkpoint; on success touch every tensor's first and last byte and print
   the info to /dev/null so ASan sees any out-of-range view. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    a2a_ctx *ctx = a2a_ctx_new();
    if (!ctx) return 0;
    a2a_torch_file *f = NULL;
    if (a2a_torch_open_memory(ctx, data, size, &f) == A2A_OK) {
        volatile uint8_t sink = 0;
        for (int64_t i = 0; i < a2a_torch_n_tensors(f); i++) {
            const a2a_tensor *t = a2a_torch_tensor(f, i);
            if (a2a_tensor_nelements(t) == 0) continue;
            const uint8_t *p = t->data;
            size_t last = 0;
            for (int d = 0; d < A2A_MAX_DIMS; d++) last += (size_t)(t->ne[d] - 1) * t->nb[d];
            sink ^= p[0];
            sink ^= p[last + a2a_type_info(t->type)->size - 1];
            (void)a2a_torch_find_tensor(f, t->name);
        }
        (void)sink;
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            a2a_torch_print_info(f, null);
            fclose(null);
        }
        a2a_torch_close(f);
    }
    a2a_ctx_free(ctx);
    return 0;
}
