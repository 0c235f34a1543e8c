/* SentencePiece model protobuf reader (see spm_model.h). */
#include "text/spm_model.h"
#include "io/json.h"
#include "io/mmap.h"

#include <stdlib.h>
#include <string.h>

/* A read cursor over one protobuf message: [p, end), base = start of the whole buffer (for
   offsets in messages). */
typedef struct pb {
    const uint8_t *p, *end, *base;
} pb;

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* Read a varint (at most 10 bytes) into *v; false if truncated or too long. */
static bool pb_varint(pb *b, uint64_t *v) {
    uint64_t x = 0;
    for (int i = 0; i < 10; i++) {
        if (b->p >= b->end) return false;
        uint8_t c = *b->p++;
        if (i == 9 && c > 1) return false; /* bits past 64 */
        x |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* Error at the cursor's offset. */
static a2a_status pb_err(a2a_ctx *ctx, const pb *b, const char *what) {
    return a2a_fail(ctx, A2A_ERR_FORMAT, "sentencepiece: %s at byte %zu", what, (size_t)(b->p - b->base));
}

/* Read the next field key; *field and *wt get its number and wire type. */
static a2a_status pb_key(a2a_ctx *ctx, pb *b, uint32_t *field, int *wt) {
    uint64_t k;
    if (!pb_varint(b, &k)) return pb_err(ctx, b, "truncated field key");
    if ((k >> 3) == 0 || (k >> 3) > 0x1fffffff) return pb_err(ctx, b, "invalid field number");
    *field = (uint32_t)(k >> 3);
    *wt = (int)(k & 7);
    return A2A_OK;
}

/* Length-delimited payload: a sub-cursor over it, advancing b past it. */
static a2a_status pb_len(a2a_ctx *ctx, pb *b, pb *sub) {
    uint64_t n;
    if (!pb_varint(b, &n)) return pb_err(ctx, b, "truncated length");
    if (n > (uint64_t)(b->end - b->p)) return pb_err(ctx, b, "length past the end of the message");
    sub->p = b->p;
    sub->end = b->p + n;
    sub->base = b->base;
    b->p += n;
    return A2A_OK;
}

/* Skip a field of wire type wt. */
static a2a_status pb_skip(a2a_ctx *ctx, pb *b, int wt) {
    uint64_t v;
    pb sub;
    switch (wt) {
    case WT_VARINT: return pb_varint(b, &v) ? A2A_OK : pb_err(ctx, b, "truncated varint");
    case WT_I64:
        if (b->end - b->p < 8) return pb_err(ctx, b, "truncated 64-bit field");
        b->p += 8;
        return A2A_OK;
    case WT_LEN: return pb_len(ctx, b, &sub);
    case WT_I32:
        if (b->end - b->p < 4) return pb_err(ctx, b, "truncated 32-bit field");
        b->p += 4;
        return A2A_OK;
    default: return pb_err(ctx, b, "unsupported wire type (group or invalid)");
    }
}

/* A varint field that must have wire type 0. */
static a2a_status pb_want_varint(a2a_ctx *ctx, pb *b, int wt, uint64_t *v) {
    if (wt != WT_VARINT) return pb_err(ctx, b, "wrong wire type for an integer field");
    return pb_varint(b, v) ? A2A_OK : pb_err(ctx, b, "truncated varint");
}

/* An int32 field (negative values arrive sign-extended to 64 bits). */
static a2a_status pb_want_i32(a2a_ctx *ctx, pb *b, int wt, int32_t *out) {
    uint64_t v = 0;
    a2a_status st = pb_want_varint(ctx, b, wt, &v);
    if (st) return st;
    int64_t s = (int64_t)v;
    if (s < INT32_MIN || s > INT32_MAX) return pb_err(ctx, b, "int32 field out of range");
    *out = (int32_t)s;
    return A2A_OK;
}

/* One SentencePiece message: text range and score/type into *pc (text not yet copied). */
static a2a_status parse_piece(a2a_ctx *ctx, pb *b, int32_t idx, pb *text, a2a_spm_piece *pc) {
    bool have_text = false;
    pc->score = 0.0f;
    pc->type = A2A_SPM_NORMAL;
    while (b->p < b->end) {
        uint32_t f;
        int wt;
        uint64_t v;
        a2a_status st = pb_key(ctx, b, &f, &wt);
        if (st) return st;
        if (f == 1) {
            if (wt != WT_LEN) return pb_err(ctx, b, "piece text is not length-delimited");
            if ((st = pb_len(ctx, b, text))) return st;
            have_text = true;
        } else if (f == 2) {
            if (wt != WT_I32) return pb_err(ctx, b, "piece score is not a 32-bit float");
            if (b->end - b->p < 4) return pb_err(ctx, b, "truncated piece score");
            uint32_t u = (uint32_t)b->p[0] | (uint32_t)b->p[1] << 8 | (uint32_t)b->p[2] << 16 | (uint32_t)b->p[3] << 24;
            memcpy(&pc->score, &u, 4);
            b->p += 4;
        } else if (f == 3) {
            if ((st = pb_want_varint(ctx, b, wt, &v))) return st;
            if (v < A2A_SPM_NORMAL || v > A2A_SPM_BYTE)
                return a2a_fail(ctx, A2A_ERR_FORMAT, "sentencepiece: piece %d has unknown type %llu", idx, (unsigned long long)v);
            pc->type = (int32_t)v;
        } else if ((st = pb_skip(ctx, b, wt))) {
            return st;
        }
    }
    if (!have_text || text->end == text->p)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "sentencepiece: piece %d has no text", idx);
    if (!a2a_utf8_valid((const char *)text->p, (size_t)(text->end - text->p)))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "sentencepiece: piece %d is not valid UTF-8", idx);
    if (text->end - text->p > (1 << 20)) return a2a_fail(ctx, A2A_ERR_FORMAT, "sentencepiece: piece %d is too long", idx);
    return A2A_OK;
}

/* TrainerSpec fields we use. */
static a2a_status parse_trainer(a2a_ctx *ctx, pb *b, a2a_spm_model *m) {
    while (b->p < b->end) {
        uint32_t f;
        int wt;
        uint64_t v;
        a2a_status st = pb_key(ctx, b, &f, &wt);
        if (st) return st;
        if (f == 3) {
            if ((st = pb_want_varint(ctx, b, wt, &v))) return st;
            m->model_type = v <= 16 ? (int32_t)v : 0;
        } else if (f == 35) {
            if ((st = pb_want_varint(ctx, b, wt, &v))) return st;
            m->byte_fallback = v != 0;
        } else if (f == 40) st = pb_want_i32(ctx, b, wt, &m->unk_id);
        else if (f == 41) st = pb_want_i32(ctx, b, wt, &m->bos_id);
        else if (f == 42) st = pb_want_i32(ctx, b, wt, &m->eos_id);
        else if (f == 43) st = pb_want_i32(ctx, b, wt, &m->pad_id);
        else st = pb_skip(ctx, b, wt);
        if (st) return st;
    }
    return A2A_OK;
}

/* NormalizerSpec fields we use. */
static a2a_status parse_normalizer(a2a_ctx *ctx, pb *b, a2a_spm_model *m) {
    while (b->p < b->end) {
        uint32_t f;
        int wt;
        uint64_t v;
        a2a_status st = pb_key(ctx, b, &f, &wt);
        if (st) return st;
        if (f == 3 || f == 4) {
            if ((st = pb_want_varint(ctx, b, wt, &v))) return st;
            if (f == 3) m->add_dummy_prefix = v != 0;
            else m->remove_extra_whitespaces = v != 0;
        } else if ((st = pb_skip(ctx, b, wt))) {
            return st;
        }
    }
    return A2A_OK;
}

/* Contract in spm_model.h. Two passes: count pieces and text bytes, then copy. */
a2a_status a2a_spm_model_parse(a2a_ctx *ctx, const void *data, size_t size, a2a_spm_model **out) {
    *out = NULL;
    a2a_spm_model *m = calloc(1, sizeof(*m));
    if (!m) return a2a_fail(ctx, A2A_ERR_NOMEM, "sentencepiece: out of memory");
    m->model_type = A2A_SPM_MODEL_UNIGRAM;
    m->add_dummy_prefix = true;
    m->unk_id = 0;
    m->bos_id = 1;
    m->eos_id = 2;
    m->pad_id = -1;
    a2a_status st = A2A_OK;
    const uint8_t *base = data ? data : (const uint8_t *)"";
    size_t n_pieces = 0, text_bytes = 0;
    for (int pass = 0; pass < 2; pass++) {
        pb b = {base, base + size, base};
        size_t k = 0, off = 0;
        while (b.p < b.end) {
            uint32_t f;
            int wt;
            pb sub;
            if ((st = pb_key(ctx, &b, &f, &wt))) goto fail;
            if (f == 1 || f == 2 || f == 3) {
                if (wt != WT_LEN) { st = pb_err(ctx, &b, "ModelProto field is not a message"); goto fail; }
                if ((st = pb_len(ctx, &b, &sub))) goto fail;
                if (f == 1) {
                    pb text;
                    a2a_spm_piece pc;
                    if (k >= A2A_SPM_MAX_PIECES) {
                        st = a2a_fail(ctx, A2A_ERR_FORMAT, "sentencepiece: more than %d pieces", A2A_SPM_MAX_PIECES);
                        goto fail;
                    }
                    if ((st = parse_piece(ctx, &sub, (int32_t)k, &text, &pc))) goto fail;
                    size_t len = (size_t)(text.end - text.p);
                    if (pass == 0) {
                        text_bytes += len + 1; /* bounded by size + pieces, no overflow */
                    } else {
                        memcpy(m->blob + off, text.p, len);
                        m->blob[off + len] = 0;
                        pc.text = m->blob + off;
                        pc.len = (uint32_t)len;
                        m->pieces[k] = pc;
                        off += len + 1;
                    }
                    k++;
                } else if (pass == 0 && f == 2) {
                    if ((st = parse_trainer(ctx, &sub, m))) goto fail;
                } else if (pass == 0 && f == 3) {
                    if ((st = parse_normalizer(ctx, &sub, m))) goto fail;
                }
            } else if ((st = pb_skip(ctx, &b, wt))) {
                goto fail;
            }
        }
        if (pass == 0) {
            n_pieces = k;
            if (n_pieces == 0) { st = a2a_fail(ctx, A2A_ERR_FORMAT, "sentencepiece: the model has no pieces"); goto fail; }
            m->pieces = calloc(n_pieces, sizeof(a2a_spm_piece));
            m->blob = malloc(text_bytes);
            if (!m->pieces || !m->blob) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "sentencepiece: out of memory"); goto fail; }
        }
    }
    m->n_pieces = (int32_t)n_pieces;
    /* trainer ids must name pieces (or be -1 = none) */
    int32_t *ids[4] = {&m->unk_id, &m->bos_id, &m->eos_id, &m->pad_id};
    for (int i = 0; i < 4; i++)
        if (*ids[i] < -1 || *ids[i] >= m->n_pieces) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "sentencepiece: special id %d is outside the %d pieces", *ids[i], m->n_pieces);
            goto fail;
        }
    *out = m;
    return A2A_OK;
fail:
    a2a_spm_model_free(m);
    return st;
}

/* Contract in spm_model.h. */
a2a_status a2a_spm_model_load(a2a_ctx *ctx, const char *path, a2a_spm_model **out) {
    *out = NULL;
    a2a_mmap mm;
    a2a_status st = a2a_mmap_open(ctx, path, &mm);
    if (st) return st;
    st = a2a_spm_model_parse(ctx, mm.data, mm.size, out);
    if (st) a2a_error_prefix(ctx, "%s", path);
    a2a_mmap_close(&mm);
    return st;
}

/* Contract in spm_model.h. */
void a2a_spm_model_free(a2a_spm_model *m) {
    if (!m) return;
    free(m->pieces);
    free(m->blob);
    free(m);
}
