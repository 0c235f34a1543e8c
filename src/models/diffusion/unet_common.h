/* Internal to src/models/diffusion/unet2d*.c and unet3d.c: what both UNets share: the run
   scaffolding (stack arena with `settle`, 3x3 convolutions, the timestep embedding, nearest
   resize to a skip size) and the converter's parameter checks and tensor loop. */
#ifndef A2A_MODELS_DIFFUSION_UNET_COMMON_H
#define A2A_MODELS_DIFFUSION_UNET_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "core/types.h"
#include "io/gguf.h"
#include "io/json.h"
#include "io/weights.h"
#include "models/common/nn.h"

/* Move the activation *out (allocated above `base` in the stack arena a) down to offset base,
   allocating its bytes there (at least 1), and point out->data at it. dry (a measuring arena):
   only the allocation happens, nothing is copied. */
void a2a_unet_settle(a2a_arena *a, size_t base, bool dry, a2a_tensor *out);

/* 3x3 convolution with padding 1 and the given stride: dst = conv2d(x, w) + b. dry: nothing is
   computed (A2A_OK). Errors: those of a2a_op_conv2d. */
a2a_status a2a_unet_conv3x3(a2a_ctx *ctx, a2a_threadpool *tp, bool dry, a2a_tensor *dst, const a2a_tensor *x,
                            const a2a_tensor *w, const a2a_tensor *b, int stride);

/* diffusers get_timestep_embedding of timesteps[0..N) into t0 [C0, N] (contiguous F32, float32
   as torch computes it; exponent denominator C0/2 - freq_shift; flip_sin_to_cos puts cos first;
   odd C0 gets a zero last column), then TimestepEmbedding: t1 = silu(linear_1(t0)) (temporary,
   [ted, N]), t2 = linear_2(t1) ([ted, N]). Errors: those of the linear and SiLU ops. */
a2a_status a2a_unet_time_embed(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_nn_linear *linear_1,
                               const a2a_nn_linear *linear_2, const float *timesteps, float freq_shift,
                               bool flip_sin_to_cos, a2a_tensor *t0, a2a_tensor *t1, a2a_tensor *t2);

/* dst [W2, H2, C, N] = F.interpolate(x, size=(H2, W2), mode="nearest") of x [W, H, C, N] (both
   contiguous F32): source index min(floor(i * (float)in / out), in - 1), in float as torch does. */
void a2a_unet_upsample_to(a2a_tensor *dst, const a2a_tensor *x);

/* ---- loading ---- */

/* A tensor loader over one GGUF: the first failure is kept in st, later calls then do nothing. */
typedef struct a2a_unet_loader {
    a2a_ctx *ctx;
    const a2a_gguf *g;
    const char *prefix; /* prepended to every tensor name (< 256 bytes) */
    a2a_status st;
} a2a_unet_loader;

/* The tensor prefix + printf(fmt, ...) of shape ne (n dims); kind 0: F32 only, 1: F32/F16, 2: any
   matmul type. NULL (with l->st set: A2A_ERR_NOT_FOUND, A2A_ERR_SHAPE, A2A_ERR_INVALID_ARG) when
   it is missing, mis-shaped or of another type, or when l->st already holds a failure. */
const a2a_tensor *a2a_unet_ld(a2a_unet_loader *l, int kind, int n, const int64_t *ne, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- converter ---- */

/* config.json helpers: whether root[key] (def when absent or null) is the string want / equals
   the number want. */
bool a2a_unet_json_str_is(const a2a_json_value *root, const char *key, const char *def, const char *want);
bool a2a_unet_json_num_is(const a2a_json_value *root, const char *key, double def, double want);

/* A block type list arr of exactly n strings, each `cross` (out[i] = true) or `plain` (false);
   names[i] gets the matching constant. A2A_ERR_FORMAT / A2A_ERR_UNSUPPORTED "<who> convert: ...". */
a2a_status a2a_unet_json_types(a2a_ctx *ctx, const char *who, const a2a_json_value *arr, const char *key, int n,
                               const char *cross, const char *plain, bool *out, const char **names);

/* The converter's option checks: conv weights F32/F16, linear weights F32/F16/Q8_0, prefix at most
   256 bytes. A2A_ERR_UNSUPPORTED / A2A_ERR_INVALID_ARG "<who> convert: ...". */
a2a_status a2a_unet_convert_check(a2a_ctx *ctx, const char *who, a2a_type conv_type, a2a_type linear_type,
                                  const char *prefix);

/* Open the diffusers weights of src_dir (diffusion_pytorch_model[.fp16].safetensors / .bin; caller
   closes *wf). A2A_ERR_NOT_FOUND "<who> convert: no diffusion_pytorch_model.safetensors/.bin in ..."
   when there is none, else the errors of a2a_weights_open. */
a2a_status a2a_unet_open_weights(a2a_ctx *ctx, const char *src_dir, const char *who, a2a_weights **wf);

/* Convert every tensor of wf (float types only) into w as "<prefix><name>": 2-D weights and the
   1x1-conv form of proj_in/proj_out (squeezed to 2-D) as linear_type, other conv weights as
   conv_type, 1-D tensors as F32 (F16 where a row does not fit the type's blocks); with temporal,
   (3, 1, 1) temporal conv kernels are squeezed to 3-D conv weights. progress (may be NULL) is
   called after each tensor; nonzero cancels (A2A_ERR_CANCELLED). Messages start "<who> convert: ". */
a2a_status a2a_unet_convert_tensors(a2a_ctx *ctx, a2a_threadpool *tp, a2a_gguf_writer *w, const a2a_weights *wf,
                                    const char *prefix, a2a_type conv_type, a2a_type linear_type, bool temporal,
                                    a2a_progress_fn progress, void *user, const char *who);

#endif
