/* libFuzzer target: open arbitrary bytes as safetensors from memory; on success touch every
   entry's data bytes and every metadata value. */
#include "io/safetensors.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    a2a_ctx *ctx = a2a_ctx_new();
    if (!ctx) return 0;
    a2a_safetensors *st = NULL;
    if (a2a_safetensors_open_memory(ctx, data, size, &st) == A2A_OK) {
        uint64_t acc = 0;
        for (int64_t i = 0; i < a2a_safetensors_n_entries(st); i++) {
            const a2a_safetensors_entry *e = a2a_safetensors_entry_at(st, i);
            const uint8_t *p = e->data;
            for (uint64_t k = 0; k < e->end - e->begin; k++) acc += p[k];
            acc += a2a_safetensors_find_entry(st, e->name) == e;
            if (e->tensor) {
                acc += (uint64_t)a2a_tensor_nelements(e->tensor) + a2a_tensor_nbytes(e->tensor);
                acc += a2a_safetensors_find_tensor(st, e->name) == e->tensor;
            }
        }
        for (int64_t i = 0; i < a2a_safetensors_n_tensors(st); i++) acc += a2a_safetensors_tensor(st, i)->type;
        for (int64_t i = 0; i < a2a_safetensors_n_metadata(st); i++) {
            size_t len = 0;
            const char *v = a2a_safetensors_metadata_value(st, i, &len);
            const char *k = a2a_safetensors_metadata_key(st, i);
            acc += strlen(k) + len + (v && len ? (uint8_t)v[len - 1] : 0);
            acc += a2a_safetensors_metadata(st, k) != NULL;
        }
        sink = acc;
        a2a_safetensors_close(st);
    }
    a2a_ctx_free(ctx);
    return 0;
}
