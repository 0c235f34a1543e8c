/* What the UNet2D and UNet3D forwards and converters share. Contracts in unet_common.h. */
#include "models/diffusion/unet_common.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "io/hf_folder.h"

#include "kernels/conv.h"
#include "kernels/ops.h"

void a2a_unet_settle(a2a_arena *a, size_t base, bool dry, a2a_tensor *out) {
    size_t bytes = a2a_tensor_nbytes(out);
    a2a_arena_rewind(a, base);
    void *p = a2a_arena_alloc(a, bytes ? bytes : 1);
    if (!dry && p != out->data) memmove(p, out->data, bytes);
    out->data = p;
}

a2a_status a2a_unet_conv3x3(a2a_ctx *ctx, a2a_threadpool *tp, bool dry, a2a_tensor *dst, const a2a_tensor *x,
                            const a2a_tensor *w, const a2a_tensor *b, int stride) {
    if (dry) return A2A_OK;
    a2a_conv2d_params p = A2A_CONV2D_PARAMS_DEFAULT;
    p.stride_w = p.stride_h = stride;
    p.pad_w = p.pad_h = 1;
    return a2a_op_conv2d(ctx, tp, dst, x, w, b, &p);
}

a2a_status a2a_unet_time_embed(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_nn_linear *linear_1,
                               const a2a_nn_linear *linear_2, const float *timesteps, float freq_shift,
                               bool flip_sin_to_cos, a2a_tensor *t0, a2a_tensor *t1, a2a_tensor *t2) {
    const int64_t C0 = t0->ne[0], N = t0->ne[1];
    const int64_t half = C0 / 2;
    const float lg = (float)(-log(10000.0)), den = (float)half - freq_shift;
    for (int64_t n = 0; n < N; n++) {
        float *row = (float *)t0->data + n * C0;
        const float tv = timesteps[n];
        for (int64_t i = 0; i < half; i++) {
            const float e = expf(lg * (float)i / den);
            const float a = tv * e;
            const float s = sinf(a), co = cosf(a);
            row[flip_sin_to_cos ? half + i : i] = s;
            row[flip_sin_to_cos ? i : half + i] = co;
        }
        if (C0 % 2) row[C0 - 1] = 0.0f;
    }
    a2a_status st;
    if ((st = a2a_nn_linear_fwd(ctx, tp, t1, linear_1, t0))) return st;
    if ((st = a2a_op_silu(ctx, tp, t1, t1))) return st;
    return a2a_nn_linear_fwd(ctx, tp, t2, linear_2, t1);
}

void a2a_unet_upsample_to(a2a_tensor *dst, const a2a_tensor *x) {
    const int64_t W = x->ne[0], H = x->ne[1], W2 = dst->ne[0], H2 = dst->ne[1], P = x->ne[2] * x->ne[3];
    const float sw = (float)W / (float)W2, sh = (float)H / (float)H2;
    for (int64_t p = 0; p < P; p++) {
        const float *src = (const float *)x->data + p * W * H;
        float *d = (float *)dst->data + p * W2 * H2;
        for (int64_t y = 0; y < H2; y++) {
            int64_t yi = (int64_t)floorf((float)y * sh);
            if (yi > H - 1) yi = H - 1;
            for (int64_t xx = 0; xx < W2; xx++) {
                int64_t xi = (int64_t)floorf((float)xx * sw);
                if (xi > W - 1) xi = W - 1;
                d[y * W2 + xx] = src[yi * W + xi];
            }
        }
    }
}

const a2a_tensor *a2a_unet_ld(a2a_unet_loader *l, int kind, int n, const int64_t *ne, const char *fmt, ...) {
    if (l->st != A2A_OK) return NULL;
    char name[512];
    size_t pl = strlen(l->prefix);
    if (pl >= 256) {
        l->st = a2a_fail(l->ctx, A2A_ERR_INVALID_ARG, "tensor prefix too long");
        return NULL;
    }
    memcpy(name, l->prefix, pl);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name + pl, sizeof name - pl, fmt, ap);
    va_end(ap);
    const a2a_tensor *t = a2a_nn_get(l->ctx, l->g, name, n, ne, true);
    if (!t) {
        l->st = a2a_gguf_find_tensor(l->g, name) ? A2A_ERR_SHAPE : A2A_ERR_NOT_FOUND;
        return NULL;
    }
    if (!(kind == 2 || t->type == A2A_TYPE_F32 || (kind == 1 && t->type == A2A_TYPE_F16))) {
        l->st = a2a_fail(l->ctx, A2A_ERR_SHAPE, "tensor %s has type %s, expected %s", name, a2a_type_name(t->type),
                         kind == 0 ? "F32" : "F32 or F16");
        return NULL;
    }
    return t;
}

bool a2a_unet_json_str_is(const a2a_json_value *root, const char *key, const char *def, const char *want) {
    const a2a_json_value *v = a2a_json_get(root, key);
    const char *s = (!v || a2a_json_is_null(v)) ? def : a2a_json_str(v);
    return s && strcmp(s, want) == 0;
}

bool a2a_unet_json_num_is(const a2a_json_value *root, const char *key, double def, double want) {
    return a2a_json_num_or(a2a_json_get(root, key), def) == want;
}

a2a_status a2a_unet_json_types(a2a_ctx *ctx, const char *who, const a2a_json_value *arr, const char *key, int n,
                               const char *cross, const char *plain, bool *out, const char **names) {
    if (!a2a_json_is_array(arr) || (int64_t)a2a_json_len(arr) != n)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "%s convert: %s must list %d block types", who, key, n);
    for (int i = 0; i < n; i++) {
        const char *t = a2a_json_str_or(a2a_json_at(arr, (size_t)i), "");
        if (strcmp(t, cross) == 0) out[i] = true;
        else if (strcmp(t, plain) == 0) out[i] = false;
        else
            return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s convert: %s[%d] = '%s' (only %s, %s)", who, key, i, t, cross,
                            plain);
        names[i] = out[i] ? cross : plain;
    }
    return A2A_OK;
}

a2a_status a2a_unet_convert_check(a2a_ctx *ctx, const char *who, a2a_type conv_type, a2a_type linear_type,
                                  const char *prefix) {
    if (!(conv_type == A2A_TYPE_F32 || conv_type == A2A_TYPE_F16))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s convert: conv weights as %s (F32 or F16)", who,
                        a2a_type_name(conv_type));
    if (!(linear_type == A2A_TYPE_F32 || linear_type == A2A_TYPE_F16 || linear_type == A2A_TYPE_Q8_0))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s convert: linear weights as %s (F32, F16 or Q8_0)", who,
                        a2a_type_name(linear_type));
    if (strlen(prefix) > 256) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s convert: prefix too long", who);
    return A2A_OK;
}

a2a_status a2a_unet_open_weights(a2a_ctx *ctx, const char *src_dir, const char *who, a2a_weights **wf) {
    static const char *const cands[4] = {"diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin",
                                         "diffusion_pytorch_model.fp16.safetensors",
                                         "diffusion_pytorch_model.fp16.bin"};
    a2a_status st = a2a_hf_open_weights(ctx, src_dir, cands, 4, who, wf);
    if (st != A2A_OK || *wf) return st;
    return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s convert: no diffusion_pytorch_model.safetensors/.bin in %s", who,
                    src_dir);
}

a2a_status a2a_unet_convert_tensors(a2a_ctx *ctx, a2a_threadpool *tp, a2a_gguf_writer *w, const a2a_weights *wf,
                                    const char *prefix, a2a_type conv_type, a2a_type linear_type, bool temporal,
                                    a2a_progress_fn progress, void *user, const char *who) {
    const int64_t n = a2a_weights_n_tensors(wf);
    for (int64_t i = 0; i < n; i++) {
        const a2a_tensor *t = a2a_weights_tensor(wf, i);
        char name[1024];
        snprintf(name, sizeof name, "%s%s", prefix, t->name);
        if (!(t->type == A2A_TYPE_F32 || t->type == A2A_TYPE_F16 || t->type == A2A_TYPE_BF16))
            return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s convert: tensor %s has type %s (float types only)", who,
                            t->name, a2a_type_name(t->type));
        a2a_tensor src = *t;
        int nd = t->n_dims;
        int64_t ne[A2A_MAX_DIMS];
        for (int d = 0; d < A2A_MAX_DIMS; d++) ne[d] = t->ne[d];
        bool linear = nd == 2;
        const bool proj = strstr(t->name, ".proj_in.") || strstr(t->name, ".proj_out.");
        const bool squeeze_1x1 = proj && nd == 4 && ne[0] == 1 && ne[1] == 1;   /* 1x1-conv linear (SD 1.x) */
        const bool squeeze_t = temporal && nd == 5 && ne[0] == 1 && ne[1] == 1; /* (3, 1, 1) temporal conv */
        if (squeeze_1x1 || squeeze_t) {
            if (!a2a_tensor_is_contiguous(t))
                return a2a_fail(ctx, A2A_ERR_FORMAT, "%s convert: tensor %s is not contiguous", who, t->name);
            for (int d = 0; d + 2 < A2A_MAX_DIMS; d++) ne[d] = t->ne[d + 2];
            ne[A2A_MAX_DIMS - 2] = ne[A2A_MAX_DIMS - 1] = 1;
            nd -= 2;
            src = a2a_tensor_reshape(t, nd, ne);
            linear = squeeze_1x1;
        }
        a2a_type dt = A2A_TYPE_F32;
        if (nd >= 2) dt = linear ? linear_type : conv_type;
        if (ne[0] % a2a_type_info(dt)->blck) dt = A2A_TYPE_F16;
        src.name = t->name;
        a2a_status st = a2a_convert_tensor_keep(ctx, tp, w, &src, dt, name, nd, ne, who);
        if (st != A2A_OK) return st;
        if (progress && progress(i + 1, n, name, user))
            return a2a_fail(ctx, A2A_ERR_CANCELLED, "%s convert: cancelled", who);
    }
    return A2A_OK;
}
