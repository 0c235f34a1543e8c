/* libFuzzer target: pickle bytes alone through the restricted unpickler (with small limits so
   the limit paths are reached), then a2a_pk_repr over every dict value of the root.
   Seeds: tests/fuzz/corpus/pickle. */
#include "io/pickle.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    a2a_ctx *ctx = a2a_ctx_new();
    if (!ctx) return 0;
    a2a_pickle_limits lim = a2a_pickle_default_limits();
    lim.max_stack = 4096;
    lim.max_marks = 512;
    lim.max_objects = 1 << 16;
    a2a_pickle *p = NULL;
    if (a2a_pickle_load(ctx, data, size, &lim, &p) == A2A_OK) {
        const a2a_pk_obj *r = a2a_pickle_root(p);
        char buf[96];
        a2a_pk_repr(r, buf, sizeof(buf));
        if (r->kind == A2A_PK_DICT)
            for (size_t i = 0; i < r->u.dict.n; i++) a2a_pk_repr(r->u.dict.vals[i], buf, sizeof(buf));
        (void)a2a_pk_dict_get(r, "state_dict");
        a2a_pickle_free(p);
    }
    a2a_ctx_free(ctx);
    return 0;
}
