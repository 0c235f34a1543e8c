/* diffusers UNet2DConditionModel folder -> GGUF. See unet2d.h for the layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/convert_rows.h"
#include "io/gguf.h"
#include "io/hf_folder.h"
#include "io/json.h"
#include "io/weights.h"
#include "models/diffusion/unet2d.h"
#include "models/diffusion/unet2d_impl.h"
#include "models/diffusion/unet_common.h"

#define U_ARCH "unet2d"

a2a_unet2d_convert_params a2a_unet2d_convert_default_params(void) {
    a2a_unet2d_convert_params p = {A2A_TYPE_F16, A2A_TYPE_F16, NULL, NULL, NULL};
    return p;
}

/* A per-block setting that diffusers accepts as an int or a list of n ints. */
static a2a_status per_block(a2a_ctx *ctx, const a2a_json_value *v, const char *key, int n, int64_t def, int *out) {
    if (!v || a2a_json_is_null(v)) {
        for (int i = 0; i < n; i++) out[i] = (int)def;
        return A2A_OK;
    }
    int64_t x;
    if (a2a_json_int(v, &x)) {
        for (int i = 0; i < n; i++) out[i] = x < 0 || x > 1 << 20 ? -1 : (int)x;
        return A2A_OK;
    }
    int64_t vals[A2A_UNET2D_MAX_BLOCKS + 1];
    int64_t cnt = a2a_json_ints(v, vals, A2A_UNET2D_MAX_BLOCKS + 1);
    if (cnt < 0) return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "unet2d convert: %s must be an int or a list of ints", key);
    if (cnt != n)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "unet2d convert: %s has %lld entries, block_out_channels %d", key,
                        (long long)cnt, n);
    for (int i = 0; i < n; i++) out[i] = vals[i] < 0 || vals[i] > 1 << 20 ? -1 : (int)vals[i];
    return A2A_OK;
}

/* key must be absent, null or false. */
static bool off(const a2a_json_value *root, const char *key) {
    const a2a_json_value *v = a2a_json_get(root, key);
    if (!v || a2a_json_is_null(v)) return true;
    if (a2a_json_is_bool(v)) return !a2a_json_bool_or(v, true);
    if (a2a_json_is_array(v)) { /* e.g. only_cross_attention per block */
        for (size_t i = 0; i < a2a_json_len(v); i++)
            if (a2a_json_bool_or(a2a_json_at(v, i), true)) return false;
        return true;
    }
    return false;
}

/* Read config.json into c; names get the block type strings. */
static a2a_status read_hf_config(a2a_ctx *ctx, const char *path, a2a_unet2d_config *c, const char **down_names,
                                 const char **up_names) {
    a2a_json *doc;
    a2a_status st = a2a_json_parse_file(ctx, path, &doc);
    if (st != A2A_OK) return st;
    const a2a_json_value *root = a2a_json_root(doc);
    memset(c, 0, sizeof *c);
    int64_t boc[A2A_UNET2D_MAX_BLOCKS + 1];
    const int64_t nb = a2a_json_ints(a2a_json_get(root, "block_out_channels"), boc, A2A_UNET2D_MAX_BLOCKS + 1);
    static const char *must_off[] = {"addition_embed_type", "encoder_hid_dim_type", "encoder_hid_dim",
                                     "time_cond_proj_dim", "time_embedding_act_fn", "timestep_post_act",
                                     "num_class_embeds", "cross_attention_norm", "dual_cross_attention",
                                     "resnet_skip_time_act", "only_cross_attention", "mid_block_only_cross_attention",
                                     "reverse_transformer_layers_per_block"};
    if (!a2a_json_is_object(root)) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "unet2d convert: %s is not a JSON object", path);
        goto done;
    }
    if (!a2a_unet_json_str_is(root, "_class_name", "UNet2DConditionModel", "UNet2DConditionModel")) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "unet2d convert: _class_name '%s' (only UNet2DConditionModel)",
                      a2a_json_str_or(a2a_json_get(root, "_class_name"), "?"));
        goto done;
    }
    if (nb < 1 || nb > A2A_UNET2D_MAX_BLOCKS) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "unet2d convert: block_out_channels missing or with %lld entries (1..%d)",
                      (long long)nb, A2A_UNET2D_MAX_BLOCKS);
        goto done;
    }
    for (size_t i = 0; i < sizeof must_off / sizeof must_off[0]; i++)
        if (!off(root, must_off[i])) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "unet2d convert: %s is set (not supported)", must_off[i]);
            goto done;
        }
    if (!a2a_unet_json_str_is(root, "act_fn", "silu", "silu") ||
        !a2a_unet_json_str_is(root, "time_embedding_type", "positional", "positional") ||
        !a2a_unet_json_str_is(root, "resnet_time_scale_shift", "default", "default") ||
        !a2a_unet_json_str_is(root, "mid_block_type", "UNetMidBlock2DCrossAttn", "UNetMidBlock2DCrossAttn") ||
        !a2a_unet_json_str_is(root, "attention_type", "default", "default") ||
        !a2a_unet_json_num_is(root, "conv_in_kernel", 3, 3) || !a2a_unet_json_num_is(root, "conv_out_kernel", 3, 3) ||
        !a2a_unet_json_num_is(root, "downsample_padding", 1, 1) ||
        !a2a_unet_json_num_is(root, "mid_block_scale_factor", 1, 1) ||
        !a2a_unet_json_num_is(root, "resnet_out_scale_factor", 1, 1)) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED,
                      "unet2d convert: only act_fn silu, positional time embedding, default resnet time scale shift, "
                      "UNetMidBlock2DCrossAttn, default attention, 3x3 conv_in/out, downsample_padding 1 and unit "
                      "scale factors are supported");
        goto done;
    }
    const int n = (int)nb;
    c->n_blocks = n;
    for (int i = 0; i < n; i++) c->block_out_channels[i] = boc[i] < 1 || boc[i] > 65536 ? -1 : (int)boc[i];
    if ((st = a2a_unet_json_types(ctx, "unet2d", a2a_json_get(root, "down_block_types"), "down_block_types", n,
                                  "CrossAttnDownBlock2D", "DownBlock2D", c->down_cross, down_names)) ||
        (st = a2a_unet_json_types(ctx, "unet2d", a2a_json_get(root, "up_block_types"), "up_block_types", n,
                                  "CrossAttnUpBlock2D", "UpBlock2D", c->up_cross, up_names)))
        goto done;
    const a2a_json_value *heads = a2a_json_get(root, "num_attention_heads");
    if (!heads || a2a_json_is_null(heads)) heads = a2a_json_get(root, "attention_head_dim"); /* legacy naming */
    int lpb[A2A_UNET2D_MAX_BLOCKS];
    if ((st = per_block(ctx, heads, "attention_head_dim", n, 8, c->heads)) ||
        (st = per_block(ctx, a2a_json_get(root, "cross_attention_dim"), "cross_attention_dim", n, 1280,
                        c->cross_attention_dim)) ||
        (st = per_block(ctx, a2a_json_get(root, "transformer_layers_per_block"), "transformer_layers_per_block", n, 1,
                        c->transformer_layers)) ||
        (st = per_block(ctx, a2a_json_get(root, "layers_per_block"), "layers_per_block", n, 2, lpb)))
        goto done;
    for (int i = 1; i < n; i++)
        if (lpb[i] != lpb[0]) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "unet2d convert: layers_per_block differs between blocks");
            goto done;
        }
    c->layers_per_block = lpb[0];
    int64_t v[5] = {
        a2a_json_int_or(a2a_json_get(root, "in_channels"), 4),
        a2a_json_int_or(a2a_json_get(root, "out_channels"), 4),
        a2a_json_int_or(a2a_json_get(root, "norm_num_groups"), 32),
        a2a_json_int_or(a2a_json_get(root, "time_embedding_dim"), 4 * (int64_t)c->block_out_channels[0]),
        a2a_json_int_or(a2a_json_is_array(a2a_json_get(root, "sample_size"))
                            ? a2a_json_at(a2a_json_get(root, "sample_size"), 0)
                            : a2a_json_get(root, "sample_size"),
                        0),
    };
    for (int i = 0; i < 5; i++)
        if (v[i] < 0 || v[i] > 1 << 20) v[i] = -1;
    c->in_channels = (int)v[0];
    c->out_channels = (int)v[1];
    c->norm_num_groups = (int)v[2];
    c->time_embed_dim = (int)v[3];
    c->sample_size = v[4] < 0 ? 0 : (int)v[4];
    c->norm_eps = (float)a2a_json_num_or(a2a_json_get(root, "norm_eps"), 1e-5);
    c->freq_shift = (float)a2a_json_num_or(a2a_json_get(root, "freq_shift"), 0.0);
    c->flip_sin_to_cos = a2a_json_bool_or(a2a_json_get(root, "flip_sin_to_cos"), true);
    c->use_linear_projection = a2a_json_bool_or(a2a_json_get(root, "use_linear_projection"), false);
    c->center_input_sample = a2a_json_bool_or(a2a_json_get(root, "center_input_sample"), false);
    c->class_embeddings_concat = a2a_json_bool_or(a2a_json_get(root, "class_embeddings_concat"), false);
    const a2a_json_value *ce = a2a_json_get(root, "class_embed_type");
    if (!ce || a2a_json_is_null(ce)) {
        c->class_embed_type = A2A_UNET2D_CLASS_NONE;
        c->class_embeddings_concat = false;
    } else if (a2a_unet_json_str_is(root, "class_embed_type", "", "simple_projection")) {
        c->class_embed_type = A2A_UNET2D_CLASS_SIMPLE_PROJECTION;
        int64_t d = a2a_json_int_or(a2a_json_get(root, "projection_class_embeddings_input_dim"), -1);
        c->class_input_dim = d < 1 || d > 1 << 20 ? -1 : (int)d;
    } else {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "unet2d convert: class_embed_type '%s' (only simple_projection)",
                      a2a_json_str_or(ce, "?"));
        goto done;
    }
    st = a2a_unet2d_check_config(ctx, c);
done:
    if (st != A2A_OK) a2a_error_prefix(ctx, "%s", path);
    a2a_json_free(doc);
    return st;
}

static a2a_status write_meta(a2a_ctx *ctx, a2a_gguf_writer *w, const a2a_unet2d_config *c, const char **down_names,
                             const char **up_names) {
    int32_t boc[A2A_UNET2D_MAX_BLOCKS], hd[A2A_UNET2D_MAX_BLOCKS], cad[A2A_UNET2D_MAX_BLOCKS],
        tl[A2A_UNET2D_MAX_BLOCKS];
    const uint64_t n = (uint64_t)c->n_blocks;
    for (int i = 0; i < c->n_blocks; i++) {
        boc[i] = c->block_out_channels[i];
        hd[i] = c->heads[i];
        cad[i] = c->cross_attention_dim[i];
        tl[i] = c->transformer_layers[i];
    }
    a2a_status st;
    if ((st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".in_channels", (uint32_t)c->in_channels)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".out_channels", (uint32_t)c->out_channels)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".layers_per_block", (uint32_t)c->layers_per_block)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".norm_num_groups", (uint32_t)c->norm_num_groups)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".sample_size", (uint32_t)c->sample_size)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".time_embed_dim", (uint32_t)c->time_embed_dim)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".projection_class_embeddings_input_dim",
                                      (uint32_t)c->class_input_dim)) ||
        (st = a2a_gguf_writer_set_f32(ctx, w, U_ARCH ".norm_eps", c->norm_eps)) ||
        (st = a2a_gguf_writer_set_f32(ctx, w, U_ARCH ".freq_shift", c->freq_shift)) ||
        (st = a2a_gguf_writer_set_arr(ctx, w, U_ARCH ".block_out_channels", A2A_GGUF_INT32, boc, n)) ||
        (st = a2a_gguf_writer_set_arr(ctx, w, U_ARCH ".attention_heads", A2A_GGUF_INT32, hd, n)) ||
        (st = a2a_gguf_writer_set_arr(ctx, w, U_ARCH ".cross_attention_dim", A2A_GGUF_INT32, cad, n)) ||
        (st = a2a_gguf_writer_set_arr(ctx, w, U_ARCH ".transformer_layers_per_block", A2A_GGUF_INT32, tl, n)) ||
        (st = a2a_gguf_writer_set_arr_str(ctx, w, U_ARCH ".down_block_types", down_names, n)) ||
        (st = a2a_gguf_writer_set_arr_str(ctx, w, U_ARCH ".up_block_types", up_names, n)) ||
        (st = a2a_gguf_writer_set_str(ctx, w, U_ARCH ".class_embed_type",
                                      c->class_embed_type == A2A_UNET2D_CLASS_SIMPLE_PROJECTION ? "simple_projection"
                                                                                                : "")) ||
        (st = a2a_gguf_writer_set_bool(ctx, w, U_ARCH ".use_linear_projection", c->use_linear_projection)) ||
        (st = a2a_gguf_writer_set_bool(ctx, w, U_ARCH ".flip_sin_to_cos", c->flip_sin_to_cos)) ||
        (st = a2a_gguf_writer_set_bool(ctx, w, U_ARCH ".class_embeddings_concat", c->class_embeddings_concat)) ||
        (st = a2a_gguf_writer_set_bool(ctx, w, U_ARCH ".center_input_sample", c->center_input_sample)))
        return st;
    return A2A_OK;
}

a2a_status a2a_unet2d_convert_add(a2a_ctx *ctx, a2a_gguf_writer *w, const char *src_dir, const char *prefix,
                                  const a2a_unet2d_convert_params *pp) {
    a2a_unet2d_convert_params p = pp ? *pp : a2a_unet2d_convert_default_params();
    if (!prefix) prefix = "";
    a2a_status st = a2a_unet_convert_check(ctx, "unet2d", p.conv_type, p.linear_type, prefix);
    if (st != A2A_OK) return st;
    char path[4096];
    if ((st = a2a_hf_config_path(ctx, src_dir, "unet2d", path, sizeof path)) != A2A_OK) return st;
    a2a_unet2d_config c;
    const char *down_names[A2A_UNET2D_MAX_BLOCKS], *up_names[A2A_UNET2D_MAX_BLOCKS];
    st = read_hf_config(ctx, path, &c, down_names, up_names);
    if (st != A2A_OK) return st;
    a2a_weights *wf = NULL;
    if ((st = a2a_unet_open_weights(ctx, src_dir, "unet2d", &wf)) != A2A_OK) return st;
    if ((st = write_meta(ctx, w, &c, down_names, up_names)) == A2A_OK)
        st = a2a_unet_convert_tensors(ctx, p.tp, w, wf, prefix, p.conv_type, p.linear_type, false, p.progress,
                                      p.user, "unet2d");
    a2a_weights_close(wf);
    return st;
}

static a2a_status convert_add_file(a2a_ctx *ctx, a2a_gguf_writer *w, const char *src_dir, const void *p) {
    return a2a_unet2d_convert_add(ctx, w, src_dir, "", p);
}

static a2a_status convert_check_file(a2a_ctx *ctx, const char *path) {
    a2a_unet2d *m;
    a2a_status st = a2a_unet2d_load(ctx, path, &m);
    if (st == A2A_OK) a2a_unet2d_free(m);
    return st;
}

a2a_status a2a_unet2d_convert(a2a_ctx *ctx, const char *src_dir, const char *out_gguf,
                              const a2a_unet2d_convert_params *p) {
    return a2a_hf_convert_file(ctx, "unet2d convert", U_ARCH, "UNet2DConditionModel", src_dir, out_gguf, convert_add_file, p,
                               convert_check_file);
}
