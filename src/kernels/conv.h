/* Convolutions (1-D, 2-D, 3-D, transposed 1-D), pooling and nearest upsampling.

   PyTorch semantics (torch.nn.functional.conv1d/conv2d/conv3d, conv_transpose1d,
   avg_pool/max_pool, interpolate(mode='nearest')) with shapes in ggml order (the reverse of
   PyTorch's): an NCHW activation is [W, H, C, N] here, a PyTorch conv2d weight
   [Cout, Cin/groups, KH, KW] is [KW, KH, Cin/groups, Cout] here.

   Common contract of every op in this header:
   - Activations (x, dst) are F32. x may be any strided view (nb[0] need not be 4);
     dst may be any strided view too (it is written element by element at the end).
   - Weights are F32 or F16 and must be contiguous (as loaded from a GGUF file); the
     bias is F32 or F16 with Cout elements (any stride), or NULL.
   - dst must not overlap x, w or b, and must already have the exact output shape; the output size along a dim is
     floor((in + 2*pad - dil*(k-1) - 1) / stride) + 1 (see a2a_conv_out_size).
   - Invalid parameters (stride/dilation < 1, pad < 0, groups not dividing the channels,
     kernel larger than the padded input, sizes that overflow) return A2A_ERR_INVALID_ARG
     or A2A_ERR_SHAPE with a message naming the op; nothing asserts on them.
   - ctx may be NULL (then only the status is returned); tp may be NULL (one thread).
   - Results do not depend on the thread count (each output is computed by one thread
     with the same arithmetic), but do differ slightly between kernel levels.
   Implementation: im2col into a [K][chunk of output positions] buffer and a2a_sgemm writing
   straight into dst's channel planes (1x1 stride-1 convolutions use the input planes in
   place); grouped convolutions with < 4 input channels per group (depthwise) use the direct
   loop. Memory: the column buffer is at most ~32 MiB (output positions are processed in
   chunks), plus an F32 copy of an F16 weight, from the calling thread's scratch slot 2
   (a2a_sgemm uses slot A2A_MATMUL_SCRATCH_SLOT = 3). */
#ifndef A2A_KERNELS_CONV_H
#define A2A_KERNELS_CONV_H

#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"

/* Output length of a convolution/pooling along one dim, or -1 when the parameters are
   invalid (in < 1, k < 1, stride < 1, dil < 1, pad < 0) or the kernel does not fit in the
   padded input. */
int64_t a2a_conv_out_size(int64_t in, int64_t k, int stride, int pad, int dil);

/* Output length of a transposed convolution: (in-1)*stride - 2*pad + dil*(k-1) +
   output_padding + 1, or -1 when invalid (stride/dil < 1, pad < 0, output_padding < 0,
   output_padding >= max(stride, dil) as PyTorch requires, overflow, or a result < 1). */
int64_t a2a_conv_transpose_out_size(int64_t in, int64_t k, int stride, int pad, int dil, int output_padding);

/* ---- 1-D convolution ----
   x [L, Cin, N], w [K, Cin/groups, Cout], b [Cout] or NULL -> dst [Lout, Cout, N]. */
a2a_status a2a_op_conv1d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x, const a2a_tensor *w,
                         const a2a_tensor *b, int stride, int padding, int dilation, int groups);

/* ---- 2-D convolution ---- */
typedef struct a2a_conv2d_params {
    int stride_w, stride_h; /* >= 1 */
    int pad_w, pad_h;       /* zero padding on both sides, >= 0 */
    int dil_w, dil_h;       /* >= 1 */
    int groups;             /* >= 1, divides Cin and Cout; groups == Cin == Cout is depthwise */
} a2a_conv2d_params;

/* Defaults: stride 1, no padding, dilation 1, groups 1. Edit the fields by name. */
#define A2A_CONV2D_PARAMS_DEFAULT ((a2a_conv2d_params){1, 1, 0, 0, 1, 1, 1})
a2a_conv2d_params a2a_conv2d_default_params(void);

/* x [W, H, Cin, N], w [KW, KH, Cin/groups, Cout], b [Cout] or NULL -> dst [Wout, Hout, Cout, N].
   p NULL means the defaults. */
a2a_status a2a_op_conv2d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x, const a2a_tensor *w,
                         const a2a_tensor *b, const a2a_conv2d_params *p);

/* ---- 3-D convolution (groups = 1) ---- */
typedef struct a2a_conv3d_params {
    int stride_w, stride_h, stride_t; /* >= 1 */
    int pad_w, pad_h, pad_t;          /* >= 0 */
    int dil_w, dil_h, dil_t;          /* >= 1 */
} a2a_conv3d_params;

#define A2A_CONV3D_PARAMS_DEFAULT ((a2a_conv3d_params){1, 1, 1, 0, 0, 0, 1, 1, 1})
a2a_conv3d_params a2a_conv3d_default_params(void);

/* x [W, H, T, Cin, N] (5-D), w [KW, KH, KT, Cin, Cout] (5-D), b [Cout] or NULL
   -> dst [Wout, Hout, Tout, Cout, N]. p NULL means the defaults.
   ImageBind's patch embed is kernel (KT,KH,KW) = (2,14,14) with stride = kernel, no bias. */
a2a_status a2a_op_conv3d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x, const a2a_tensor *w,
                         const a2a_tensor *b, const a2a_conv3d_params *p);

/* ---- transposed 1-D convolution ----
   x [L, Cin, N], w [K, Cout/groups, Cin] (PyTorch ConvTranspose1d weight [Cin, Cout/groups, K]
   reversed), b [Cout] or NULL -> dst [Lout, Cout, N] with
   Lout = (L-1)*stride - 2*padding + dilation*(K-1) + output_padding + 1. */
a2a_status a2a_op_conv_transpose1d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x,
                                   const a2a_tensor *w, const a2a_tensor *b, int stride, int padding,
                                   int output_padding, int dilation, int groups);

/* ---- pooling and upsampling (src/kernels/pool.c) ---- */
typedef enum a2a_pool_kind { A2A_POOL_AVG = 0, A2A_POOL_MAX = 1 } a2a_pool_kind;

typedef struct a2a_pool2d_params {
    a2a_pool_kind kind;
    int kernel_w, kernel_h; /* >= 1 */
    int stride_w, stride_h; /* >= 1 (PyTorch's default stride = kernel: set it explicitly) */
    int pad_w, pad_h;       /* >= 0 and <= kernel/2 (as PyTorch requires) */
    int count_include_pad;  /* AVG only: divide by the full window (PyTorch default true) */
} a2a_pool2d_params;

/* x [W, H, C, N] -> dst [Wout, Hout, C, N], Wout = floor((W + 2*pad_w - kernel_w)/stride_w) + 1
   (ceil_mode=False). MAX ignores padded positions (PyTorch pads with -inf); AVG counts them as
   zeros when count_include_pad, otherwise divides by the number of real positions. */
a2a_status a2a_op_pool2d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x,
                         const a2a_pool2d_params *p);

/* x [L, C, N] -> dst [Lout, C, N]; same rules as pool2d along one dim. */
a2a_status a2a_op_pool1d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x, a2a_pool_kind kind,
                         int kernel, int stride, int pad, int count_include_pad);

/* Nearest-neighbour upsampling by integer factors (F.interpolate(scale_factor=s,
   mode='nearest')): x [W, H, C, N] -> dst [W*scale_w, H*scale_h, C, N],
   dst[x][y] = x[x/scale_w][y/scale_h]. */
a2a_status a2a_op_upsample_nearest2d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x,
                                     int scale_w, int scale_h);

/* Adaptive average pooling (F.adaptive_avg_pool2d): x [W, H, C, N] -> dst [Wout, Hout, C, N]
   with any Wout, Hout >= 1; output cell i along a dim averages input [floor(i*in/out),
   ceil((i+1)*in/out)). */
a2a_status a2a_op_adaptive_avg_pool2d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x);

/* ---- internal: direct-loop reference kernels (src/kernels/ref/conv_ref.c, pool_ref.c) ----
   Same contracts as the ops above, shapes already validated by the caller, single thread.
   The conv references handle any dims through the generic 3-D form: x [W,H,T,Cin,N],
   w [KW,KH,KT,Cin/groups,Cout], dst [Wout,Hout,Tout,Cout,N]. */
typedef struct a2a_conv_geom {
    int64_t in[3], k[3], out[3]; /* spatial sizes (w, h, t) of input, kernel, output */
    int stride[3], pad[3], dil[3];
    int64_t cin, cout, n;
    int groups;
} a2a_conv_geom;

/* Direct convolution over the channels [c0, c1) of every batch (parallel splits pass ranges). */
void a2a_ref_conv3d(const a2a_conv_geom *g, a2a_tensor *dst, const a2a_tensor *x, const a2a_tensor *w,
                    const a2a_tensor *b, int64_t c0, int64_t c1);
/* Direct transposed 1-D convolution (gather form) over the output channels [c0, c1). */
void a2a_ref_conv_transpose1d(a2a_tensor *dst, const a2a_tensor *x, const a2a_tensor *w, const a2a_tensor *b,
                              int stride, int padding, int dilation, int groups, int64_t c0, int64_t c1);
/* Pooling over the planes (c, n) with flat index c + C*n in [p0, p1). */
void a2a_ref_pool2d(a2a_tensor *dst, const a2a_tensor *x, const a2a_pool2d_params *p, int64_t p0, int64_t p1);

/* Element helpers shared by the conv/pool files: value of an F32/F16 element at byte address. */
static inline float a2a_conv_load(a2a_type t, const void *p) {
    return t == A2A_TYPE_F16 ? a2a_fp16_to_f32(*(const a2a_fp16 *)p) : *(const float *)p;
}

#endif
