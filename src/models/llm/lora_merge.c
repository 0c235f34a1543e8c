/* LoRA merge into LLaMA GGUF weights: see lora_merge.h. */
#include "models/llm/lora_merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/convert_rows.h"
#include "kernels/convert.h"
#include "kernels/matmul.h"

/* Contract in lora_merge.h. */
a2a_status a2a_lora_find(a2a_ctx *ctx, const a2a_weights *w, const char *module, const a2a_tensor **a,
                         const a2a_tensor **b) {
    *a = *b = NULL;
    static const char *const forms[2][2] = {{".lora_A.default.weight", ".lora_B.default.weight"},
                                            {".lora_A.weight", ".lora_B.weight"}};
    char na[1024], nb[1024];
    for (int f = 0; f < 2; f++) {
        int la = snprintf(na, sizeof(na), "%s%s", module, forms[f][0]);
        int lb = snprintf(nb, sizeof(nb), "%s%s", module, forms[f][1]);
        if (la < 0 || lb < 0 || (size_t)la >= sizeof(na) || (size_t)lb >= sizeof(nb))
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "lora: module name too long");
        const a2a_tensor *ta = a2a_weights_find(w, na), *tb = a2a_weights_find(w, nb);
        if (ta && tb) {
            *a = ta;
            *b = tb;
            return A2A_OK;
        }
        if (ta || tb) return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "lora: '%s' present but '%s' missing", ta ? na : nb, ta ? nb : na);
    }
    return A2A_OK;
}

static bool lora_type_ok(a2a_type t) { return t == A2A_TYPE_F32 || t == A2A_TYPE_F16 || t == A2A_TYPE_BF16; }

/* Contract in lora_merge.h. */
a2a_status a2a_lora_check(a2a_ctx *ctx, const char *what, const a2a_tensor *a, const a2a_tensor *b, int64_t n_in,
                          int64_t n_out, int64_t permute_heads, int64_t *rank) {
    char sa[96], sb[96];
    if (!a || !b) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "lora %s: NULL tensor", what);
    if (!lora_type_ok(a->type) || !lora_type_ok(b->type))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "lora %s: types %s/%s (f32, f16 or bf16 expected)", what,
                        a2a_type_name(a->type), a2a_type_name(b->type));
    const int64_t r = a->ne[1];
    bool ok = a->n_dims == 2 && b->n_dims == 2 && a->ne[0] == n_in && b->ne[0] == r && b->ne[1] == n_out && r >= 1 &&
              r <= A2A_LORA_MAX_RANK;
    if (!ok)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "lora %s: lora_A %s / lora_B %s (ggml order) do not fit a [%lld, %lld] weight", what,
                        a2a_tensor_shape_str(a, sa, sizeof(sa)), a2a_tensor_shape_str(b, sb, sizeof(sb)), (long long)n_in,
                        (long long)n_out);
    if (permute_heads < 0 || (permute_heads > 0 && (n_out % permute_heads != 0 || (n_out / permute_heads) % 2 != 0)))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "lora %s: %lld rows do not split into %lld heads of even width", what,
                        (long long)n_out, (long long)permute_heads);
    if (rank) *rank = r;
    return A2A_OK;
}

/* A view of the 2-D tensor t whose rows come in llama.cpp's q/k order: output row
   h*hd + 2*i + j is input row h*hd + j*hd/2 + i (HF rotate-half -> interleaved pairs). */
static a2a_tensor permuted_rows(const a2a_tensor *t, int64_t n_heads) {
    a2a_tensor v = *t;
    const int64_t hd = t->ne[1] / n_heads;
    v.n_dims = 4;
    v.ne[1] = 2;
    v.ne[2] = hd / 2;
    v.ne[3] = n_heads;
    v.ne[4] = 1;
    v.nb[1] = (size_t)(hd / 2) * t->nb[1];
    v.nb[2] = t->nb[1];
    v.nb[3] = (size_t)hd * t->nb[1];
    v.nb[4] = (size_t)n_heads * v.nb[3];
    return v;
}

/* src (any view a2a_convert_rows reads) -> malloc'd packed rows of type dt in *out. */
static a2a_status convert_alloc(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_tensor *src, a2a_type dt, void **out,
                                size_t *size) {
    size_t rs = 0;
    const int64_t rows = a2a_tensor_nrows(src);
    if (!a2a_row_size(dt, src->ne[0], &rs) || rows <= 0 || rs > SIZE_MAX / (size_t)rows)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "lora: cannot hold '%s' as %s", src->name ? src->name : "?", a2a_type_name(dt));
    size_t n = rs * (size_t)rows;
    void *p = malloc(n ? n : 1);
    if (!p) return a2a_fail(ctx, A2A_ERR_NOMEM, "lora: out of memory (%zu bytes)", n);
    a2a_status st = a2a_convert_rows(ctx, tp, src, dt, p);
    if (st != A2A_OK) {
        free(p);
        return st;
    }
    *out = p;
    if (size) *size = n;
    return A2A_OK;
}

/* Contract in lora_merge.h. */
a2a_status a2a_lora_merge(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_tensor *w, const a2a_tensor *a,
                          const a2a_tensor *b, float scale, int64_t permute_heads, a2a_type out_type, void **out,
                          size_t *out_size) {
    *out = NULL;
    if (!w || w->n_dims != 2) return a2a_fail(ctx, A2A_ERR_SHAPE, "lora: base weight must be 2-D");
    const int64_t n_in = w->ne[0], n_out = w->ne[1];
    int64_t r = 0;
    a2a_status st = a2a_lora_check(ctx, w->name ? w->name : "?", a, b, n_in, n_out, permute_heads, &r);
    if (st != A2A_OK) return st;
    if (!a2a_convert_supported(A2A_TYPE_F32, out_type))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "lora: target type %s is not supported", a2a_type_name(out_type));
    void *wf = NULL, *af = NULL, *bf = NULL;
    if ((st = convert_alloc(ctx, tp, w, A2A_TYPE_F32, &wf, NULL)) != A2A_OK) return st;
    if ((st = convert_alloc(ctx, tp, a, A2A_TYPE_F32, &af, NULL)) != A2A_OK) goto done;
    {
        a2a_tensor bv = permute_heads > 0 ? permuted_rows(b, permute_heads) : *b;
        if ((st = convert_alloc(ctx, tp, &bv, A2A_TYPE_F32, &bf, NULL)) != A2A_OK) goto done;
    }
    /* W[out][in] += scale * B[out][r] @ A[r][in]  (row-major torch order == ggml rows) */
    if ((st = a2a_sgemm(ctx, tp, false, n_out, n_in, r, scale, bf, r, af, n_in, 1.0f, wf, n_in)) != A2A_OK) goto done;
    {
        a2a_tensor wt = a2a_tensor_make(A2A_TYPE_F32, wf, n_in, n_out, 1, 1);
        wt.name = w->name;
        st = convert_alloc(ctx, tp, &wt, out_type, out, out_size);
    }
done:
    free(wf);
    free(af);
    free(bf);
    return st;
}

/* Contract in lora_merge.h. */
a2a_status a2a_lora_adapter_tensors(a2a_ctx *ctx, const a2a_tensor *a, const a2a_tensor *b, int64_t permute_heads,
                                    a2a_type type, a2a_type *type_out, void **a_out, void **b_out) {
    *a_out = *b_out = NULL;
    a2a_type t = type == A2A_TYPE_F32 ? A2A_TYPE_F32 : A2A_TYPE_F16;
    if (type_out) *type_out = t;
    a2a_status st = convert_alloc(ctx, NULL, a, t, a_out, NULL);
    if (st != A2A_OK) return st;
    a2a_tensor bv = permute_heads > 0 ? permuted_rows(b, permute_heads) : *b;
    if ((st = convert_alloc(ctx, NULL, &bv, t, b_out, NULL)) != A2A_OK) {
        free(*a_out);
        *a_out = NULL;
    }
    return st;
}
