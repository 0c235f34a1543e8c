/* ImageBind checkpoint -> GGUF (see imagebind_convert.h). */
#include "models/encoders/imagebind_convert.h"

#include <sys/stat.h>

#include "text/clip_vocab.h"
#include "io/convert_rows.h"
#include "io/gguf.h"
#include "io/weights.h"
#include "models/encoders/imagebind.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Contract in imagebind_convert.h. */
a2a_imagebind_convert_params a2a_imagebind_convert_default_params(void) {
    a2a_imagebind_convert_params p;
    memset(&p, 0, sizeof(p));
    p.type = A2A_TYPE_F16;
    return p;
}

static const char *const MOD_NAME[A2A_IMAGEBIND_N_MODALITIES] = {"vision", "audio", "text"};

/* True for the tensors of modalities we do not convert (depth, thermal, imu) and the text
   causal-mask buffer. */
static bool skipped_name(const char *nm) {
    static const char *const groups[] = {"modality_preprocessors.", "modality_trunks.", "modality_heads.",
                                         "modality_postprocessors."};
    static const char *const mods[] = {"depth.", "thermal.", "imu."};
    if (!strcmp(nm, "modality_preprocessors.text.mask")) return true;
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        size_t n = strlen(groups[g]);
        if (strncmp(nm, groups[g], n) != 0) continue;
        for (size_t m = 0; m < sizeof(mods) / sizeof(mods[0]); m++)
            if (!strncmp(nm + n, mods[m], strlen(mods[m]))) return true;
    }
    return false;
}

/* Head count for a width when the caller gave none: imagebind_huge's (vision 1280/16, text
   1024/16, audio 768/12), else 64-wide heads. 0 when nothing fits. */
static int default_heads(int64_t D) {
    if (D == 1280 || D == 1024) return 16;
    if (D == 768) return 12;
    return D % 64 == 0 ? (int)(D / 64) : 0;
}

/* Hyperparameters of one modality inferred from the checkpoint's shapes. */
typedef struct tower_hp {
    bool present;
    int64_t D, n_vocab;
    int n_block, n_head;
} tower_hp;

/* Count blocks: the largest i with modality_trunks.<mod>.blocks.<i>.attn.in_proj_weight, plus 1. */
static int count_blocks(const a2a_weights *w, const char *mod) {
    int n = 0;
    char nm[96];
    for (;;) {
        snprintf(nm, sizeof nm, "modality_trunks.%s.blocks.%d.attn.in_proj_weight", mod, n);
        if (!a2a_weights_find(w, nm) || n >= 4096) return n;
        n++;
    }
}

/* Contract in imagebind_convert.h. */
a2a_status a2a_imagebind_convert(a2a_ctx *ctx, const char *pth_path, const char *out_gguf,
                                 const a2a_imagebind_convert_params *pp) {
    a2a_imagebind_convert_params p = pp ? *pp : a2a_imagebind_convert_default_params();
    if (!pth_path || !out_gguf) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "imagebind convert: NULL path");
    if (p.type != A2A_TYPE_F32 && p.type != A2A_TYPE_F16 && p.type != A2A_TYPE_Q8_0)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "imagebind convert: weight type %s is not supported (f32, f16, q8_0)",
                        a2a_type_name(p.type));
    a2a_weights *w = NULL;
    a2a_gguf_writer *gw = NULL;
    a2a_imagebind_spec *specs = NULL;
    void **bufs = NULL;
    int n_specs = 0;
    a2a_status st = a2a_weights_open(ctx, pth_path, &w);
    if (st) {
        a2a_error_prefix(ctx, "%s", pth_path);
        return st;
    }

    /* ---- hyperparameters from the shapes ---- */
    tower_hp hp[A2A_IMAGEBIND_N_MODALITIES];
    memset(hp, 0, sizeof hp);
    const int user_heads[A2A_IMAGEBIND_N_MODALITIES] = {p.vision_n_head, p.audio_n_head, p.text_n_head};
    int64_t out_dim = 0;
    int n_present = 0;
    for (int m = 0; m < A2A_IMAGEBIND_N_MODALITIES; m++) {
        const char *mod = MOD_NAME[m];
        char nm[96];
        const a2a_tensor *t;
        if (m == A2A_IMAGEBIND_TEXT) {
            t = a2a_weights_find(w, "modality_preprocessors.text.token_embedding.weight");
            if (t) hp[m].n_vocab = t->ne[1];
        } else {
            snprintf(nm, sizeof nm, "modality_preprocessors.%s.cls_token", mod);
            t = a2a_weights_find(w, nm);
        }
        if (!t) continue;
        hp[m].present = true;
        hp[m].D = t->ne[0];
        hp[m].n_block = count_blocks(w, mod);
        n_present++;
        if (hp[m].D < 1 || hp[m].D > 65536 || hp[m].n_block < 1) {
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: %s tower has width %lld and %d blocks", pth_path, mod,
                          (long long)hp[m].D, hp[m].n_block);
            goto done;
        }
        hp[m].n_head = user_heads[m] > 0 ? user_heads[m] : default_heads(hp[m].D);
        if (hp[m].n_head <= 0 || hp[m].D % hp[m].n_head) {
            st = a2a_fail(ctx, A2A_ERR_INVALID_ARG,
                          "%s: %s tower width %lld: head count %d does not divide it (set the %s head count)", pth_path,
                          mod, (long long)hp[m].D, hp[m].n_head, mod);
            goto done;
        }
        const char *head = m == A2A_IMAGEBIND_TEXT ? "modality_heads.text.proj.1.weight" : NULL;
        if (!head) snprintf(nm, sizeof nm, "modality_heads.%s.2.weight", mod);
        const a2a_tensor *hw = a2a_weights_find(w, head ? head : nm);
        if (!hw) {
            st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: missing tensor '%s'", pth_path, head ? head : nm);
            goto done;
        }
        if (out_dim == 0) out_dim = hw->ne[1];
        if (hw->ne[1] != out_dim || out_dim < 1) {
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: %s head projects to %lld, another head to %lld", pth_path, mod,
                          (long long)hw->ne[1], (long long)out_dim);
            goto done;
        }
    }
    if (n_present == 0) {
        st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: no ImageBind vision, audio or text tower (not an ImageBind checkpoint?)",
                      pth_path);
        goto done;
    }

    /* ---- the plan: every tensor of the present towers, checked before the slow part ---- */
    int cap = 0;
    for (int m = 0; m < A2A_IMAGEBIND_N_MODALITIES; m++)
        if (hp[m].present) cap += a2a_imagebind_specs((a2a_imagebind_modality)m, hp[m].D, hp[m].n_block, out_dim,
                                                      hp[m].n_vocab, NULL);
    specs = calloc((size_t)cap, sizeof *specs);
    bufs = calloc((size_t)cap, sizeof *bufs);
    if (!specs || !bufs) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "imagebind convert: out of memory");
        goto done;
    }
    for (int m = 0; m < A2A_IMAGEBIND_N_MODALITIES; m++)
        if (hp[m].present)
            n_specs += a2a_imagebind_specs((a2a_imagebind_modality)m, hp[m].D, hp[m].n_block, out_dim, hp[m].n_vocab,
                                           specs + n_specs);
    for (int i = 0; i < n_specs; i++) {
        const a2a_imagebind_spec *s = &specs[i];
        const a2a_tensor *t = a2a_weights_find(w, s->name);
        if (!t) {
            st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: missing tensor '%s'", pth_path, s->name);
            goto done;
        }
        bool ok = t->type == A2A_TYPE_F32 || t->type == A2A_TYPE_F16 || t->type == A2A_TYPE_BF16;
        for (int d = 0; d < A2A_MAX_DIMS && ok; d++) ok = t->ne[d] == (d < s->n_dims ? s->ne[d] : 1);
        if (!ok) {
            char got[96];
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: tensor '%s' is %s %s, expected %lld elements in [%lld, %lld, %lld, %lld, %lld]",
                          pth_path, s->name, a2a_type_name(t->type), a2a_tensor_shape_str(t, got, sizeof got),
                          (long long)(s->ne[0] * s->ne[1] * s->ne[2] * s->ne[3] * s->ne[4]), (long long)s->ne[0],
                          (long long)s->ne[1], (long long)s->ne[2], (long long)s->ne[3], (long long)s->ne[4]);
            goto done;
        }
    }
    /* every source tensor is either planned or knowingly skipped */
    int n_skipped = 0;
    for (int64_t k = 0; k < a2a_weights_n_tensors(w); k++) {
        const char *nm = a2a_weights_tensor(w, k)->name;
        if (skipped_name(nm)) {
            n_skipped++;
            continue;
        }
        bool found = false;
        for (int i = 0; i < n_specs && !found; i++) found = !strcmp(specs[i].name, nm);
        if (!found) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: unexpected tensor '%s' (not part of an ImageBind vision/audio/text tower)",
                          pth_path, nm);
            goto done;
        }
    }

    if (n_skipped)
        a2a_log(ctx, A2A_LOG_DEBUG,
                "imagebind convert: skipped %d tensors (depth/thermal/IMU towers, unused by NExT-GPT, and the text causal mask)",
                n_skipped);

    /* ---- metadata ---- */
    if ((st = a2a_gguf_writer_new(ctx, &gw))) goto done;
    st = a2a_gguf_writer_set_str(ctx, gw, "general.architecture", "imagebind");
    if (!st) st = a2a_gguf_writer_set_str(ctx, gw, "general.name", "ImageBind");
    if (!st) st = a2a_gguf_writer_set_u32(ctx, gw, "general.file_type", (uint32_t)p.type);
    if (!st) st = a2a_gguf_writer_set_u32(ctx, gw, "imagebind.out_dim", (uint32_t)out_dim);
    for (int m = 0; m < A2A_IMAGEBIND_N_MODALITIES && !st; m++) {
        if (!hp[m].present) continue;
        char key[96];
#define SETU(suffix, val)                                                              \
    do {                                                                               \
        snprintf(key, sizeof key, "imagebind.%s." suffix, MOD_NAME[m]);                \
        if (!st) st = a2a_gguf_writer_set_u32(ctx, gw, key, (uint32_t)(val));          \
    } while (0)
        SETU("embed_dim", hp[m].D);
        SETU("block_count", hp[m].n_block);
        SETU("head_count", hp[m].n_head);
        SETU("feed_forward_length", 4 * hp[m].D);
        snprintf(key, sizeof key, "imagebind.%s.layer_norm_epsilon", MOD_NAME[m]);
        if (!st) st = a2a_gguf_writer_set_f32(ctx, gw, key, 1e-6f);
        if (m == A2A_IMAGEBIND_VISION) {
            SETU("image_size", A2A_IMAGEBIND_IMAGE_SIZE);
            SETU("patch_size", A2A_IMAGEBIND_PATCH);
            SETU("num_frames", A2A_IMAGEBIND_FRAMES);
        } else if (m == A2A_IMAGEBIND_AUDIO) {
            SETU("num_mel_bins", A2A_IMAGEBIND_MEL_BINS);
            SETU("target_len", A2A_IMAGEBIND_AUDIO_FRAMES);
            SETU("kernel_size", A2A_IMAGEBIND_AUDIO_KERNEL);
            SETU("stride", A2A_IMAGEBIND_AUDIO_STRIDE);
        } else {
            SETU("vocab_size", hp[m].n_vocab);
            SETU("context_length", A2A_IMAGEBIND_CONTEXT);
        }
        if (m != A2A_IMAGEBIND_VISION) {
            snprintf(key, sizeof key, "imagebind.%s.logit_scale_max", MOD_NAME[m]);
            if (!st) st = a2a_gguf_writer_set_f32(ctx, gw, key, A2A_IMAGEBIND_LOGIT_SCALE_MAX);
        }
#undef SETU
    }
    if (st) goto done;

    /* ---- tensors ---- */
    for (int i = 0; i < n_specs; i++) {
        const a2a_imagebind_spec *s = &specs[i];
        const a2a_tensor *t = a2a_weights_find(w, s->name);
        a2a_type dt = A2A_TYPE_F32;
        if (s->kind == A2A_IMAGEBIND_KIND_MATMUL) {
            dt = p.type;
            if (t->ne[0] % a2a_type_info(dt)->blck) dt = A2A_TYPE_F16;
        } else if (s->kind == A2A_IMAGEBIND_KIND_CONV) {
            dt = p.type == A2A_TYPE_F32 ? A2A_TYPE_F32 : A2A_TYPE_F16;
        }
        a2a_tensor src = *t;
        src.name = s->name;
        const void *data = t->data;
        if (!(dt == t->type && a2a_tensor_is_contiguous(t))) {
            size_t row, bytes;
            if (!a2a_row_size(dt, t->ne[0], &row) || !a2a_mul_ok(row, (size_t)a2a_tensor_nrows(t), &bytes) ||
                !(bufs[i] = malloc(bytes ? bytes : 1))) {
                st = a2a_fail(ctx, A2A_ERR_NOMEM, "imagebind convert: cannot allocate %s for '%s'", a2a_type_name(dt),
                              s->name);
                goto done;
            }
            if ((st = a2a_convert_rows(ctx, p.tp, &src, dt, bufs[i]))) goto done;
            data = bufs[i];
        }
        if ((st = a2a_gguf_writer_add_tensor(ctx, gw, s->name, dt, s->n_dims, s->ne, data))) goto done;
        if (p.progress && p.progress(i + 1, n_specs, s->name, p.user)) {
            st = a2a_fail(ctx, A2A_ERR_CANCELLED, "imagebind convert: cancelled");
            goto done;
        }
    }
    if (!st && p.bpe_path) {
        struct stat sb;
        a2a_clip_vocab *cv = NULL;
        bool dir = stat(p.bpe_path, &sb) == 0 && S_ISDIR(sb.st_mode);
        st = dir ? a2a_clip_vocab_load_hf(ctx, p.bpe_path, &cv) : a2a_clip_vocab_load_bpe_gz(ctx, p.bpe_path, &cv);
        if (!st) st = a2a_clip_vocab_write_gguf(ctx, gw, cv);
        a2a_clip_vocab_free(cv);
    }
    if (!st) st = a2a_gguf_writer_write(ctx, gw, out_gguf);
done:
    if (bufs)
        for (int i = 0; i < n_specs; i++) free(bufs[i]);
    free(bufs);
    free(specs);
    a2a_gguf_writer_free(gw);
    a2a_weights_close(w);
    return st;
}
