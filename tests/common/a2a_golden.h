/* Golden-reference loader for the C tests (header-only; include after a2a_test.h or alone).

   A golden file is a GGUF file written by tools/ref/golden.py (see tests/golden/README.md):
   for every case CASE it holds the tensors CASE.in0, CASE.in1, ... and CASE.out, and the
   metadata CASE.op (string), CASE.tol_nmse, CASE.tol_max_abs (f32) and typed parameters
   CASE.<param>. Tensors arrive in ggml order (the numpy shape reversed), as views into the
   read-only mapping of the file.

   Usage:
       a2a_golden gf;
       if (!a2a_golden_open(&gf, "ops/norm.gguf")) { CHECK(0); return; }   // relative to tests/golden/
       for (int i = 0; i < gf.n_cases; i++) {
           const a2a_golden_case *c = &gf.cases[i];
           if (strcmp(c->op, "rms_norm") == 0) {
               float eps = a2a_golden_f32(c, "eps", 1e-6f);
               ... run the op into dst (same shape as c->out) ...
               CHECK(a2a_golden_compare(c, &dst, "ref"));
           }
       }
       a2a_golden_close(&gf);

   Set A2A_GOLDEN_VERBOSE=1 to print the metrics of every comparison (passing ones too);
   useful when tightening tolerances. */
#ifndef A2A_GOLDEN_H
#define A2A_GOLDEN_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "core/tensor.h"
#include "core/types.h"
#include "io/gguf.h"

#define A2A_GOLDEN_MAX_IN 8
#define A2A_GOLDEN_NAME_MAX 96

/* One case of a golden file. Pointers stay valid until a2a_golden_close. */
typedef struct a2a_golden_case {
    const struct a2a_golden *file;            /* owning file */
    char name[A2A_GOLDEN_NAME_MAX];           /* case name (NUL-terminated) */
    char op[64];                              /* CASE.op (NUL-terminated) */
    int n_in;                                 /* number of consecutive inputs CASE.in0.. */
    const a2a_tensor *in[A2A_GOLDEN_MAX_IN];  /* inputs (read-only views into the file) */
    const a2a_tensor *out;                    /* reference output */
    double tol_nmse;                          /* CASE.tol_nmse */
    double tol_max_abs;                       /* CASE.tol_max_abs */
} a2a_golden_case;

/* An open golden file. */
typedef struct a2a_golden {
    a2a_ctx *ctx;             /* owned; error messages of the loader */
    a2a_gguf *g;              /* owned mapping */
    char path[1024];          /* full path */
    int n_cases;
    a2a_golden_case *cases;   /* n_cases entries, in file order; owned */
} a2a_golden;

/* Full path of a file under tests/golden/ ("ops/norm.gguf" -> "<src>/tests/golden/ops/norm.gguf")
   into buf; an absolute path is copied unchanged. Returns buf. */
static inline const char *a2a_golden_path(char *buf, size_t cap, const char *rel) {
#ifdef A2A_SOURCE_DIR
    if (rel[0] != '/') snprintf(buf, cap, "%s/tests/golden/%s", A2A_SOURCE_DIR, rel);
    else snprintf(buf, cap, "%s", rel);
#else
    snprintf(buf, cap, "%s", rel);
#endif
    return buf;
}

/* Close a golden file (a zeroed or already-closed one is fine). Every tensor pointer of its
   cases becomes invalid. */
static inline void a2a_golden_close(a2a_golden *gf) {
    if (!gf) return;
    a2a_gguf_close(gf->g);
    a2a_ctx_free(gf->ctx);
    free(gf->cases);
    memset(gf, 0, sizeof *gf);
}

/* Open a golden file (path relative to tests/golden/ or absolute) and index its cases: every
   key "CASE.op" is a case; its inputs are CASE.in0, CASE.in1, ... up to the first missing one.
   A case without CASE.out or without tolerances makes the open fail. Returns false (printing
   why on stderr) on any error; gf is then zeroed. */
static inline bool a2a_golden_open(a2a_golden *gf, const char *rel) {
    memset(gf, 0, sizeof *gf);
    a2a_golden_path(gf->path, sizeof gf->path, rel);
    gf->ctx = a2a_ctx_new();
    if (!gf->ctx) return false;
    if (a2a_gguf_open(gf->ctx, gf->path, &gf->g) != A2A_OK) {
        fprintf(stderr, "golden: cannot open %s: %s\n", gf->path, a2a_last_error(gf->ctx));
        a2a_golden_close(gf);
        return false;
    }
    int64_t nkv = a2a_gguf_n_kv(gf->g);
    int n = 0;
    for (int64_t i = 0; i < nkv; i++) {
        const char *k = a2a_gguf_key(gf->g, i);
        size_t kl = strlen(k);
        if (kl > 3 && strcmp(k + kl - 3, ".op") == 0 && strncmp(k, "golden.", 7) != 0) n++;
    }
    gf->cases = (a2a_golden_case *)calloc(n > 0 ? (size_t)n : 1, sizeof(a2a_golden_case));
    if (!gf->cases) { a2a_golden_close(gf); return false; }
    char key[A2A_GOLDEN_NAME_MAX + 32];
    for (int64_t i = 0; i < nkv; i++) {
        const char *k = a2a_gguf_key(gf->g, i);
        size_t kl = strlen(k);
        if (!(kl > 3 && strcmp(k + kl - 3, ".op") == 0 && strncmp(k, "golden.", 7) != 0)) continue;
        a2a_golden_case *c = &gf->cases[gf->n_cases];
        c->file = gf;
        if (kl - 3 >= sizeof c->name) {
            fprintf(stderr, "golden: %s: case name too long: %s\n", gf->path, k);
            a2a_golden_close(gf);
            return false;
        }
        memcpy(c->name, k, kl - 3);
        c->name[kl - 3] = '\0';
        const char *s;
        size_t sl;
        if (a2a_gguf_get_str(gf->ctx, gf->g, k, &s, &sl) != A2A_OK || sl >= sizeof c->op) {
            fprintf(stderr, "golden: %s: bad %s\n", gf->path, k);
            a2a_golden_close(gf);
            return false;
        }
        memcpy(c->op, s, sl);
        c->op[sl] = '\0';
        for (c->n_in = 0; c->n_in < A2A_GOLDEN_MAX_IN; c->n_in++) {
            snprintf(key, sizeof key, "%s.in%d", c->name, c->n_in);
            const a2a_tensor *t = a2a_gguf_find_tensor(gf->g, key);
            if (!t) break;
            c->in[c->n_in] = t;
        }
        snprintf(key, sizeof key, "%s.out", c->name);
        c->out = a2a_gguf_find_tensor(gf->g, key);
        float tn = 0, ta = 0;
        char kn[sizeof key], ka[sizeof key];
        snprintf(kn, sizeof kn, "%s.tol_nmse", c->name);
        snprintf(ka, sizeof ka, "%s.tol_max_abs", c->name);
        if (!c->out || a2a_gguf_get_f32(gf->ctx, gf->g, kn, &tn) != A2A_OK ||
            a2a_gguf_get_f32(gf->ctx, gf->g, ka, &ta) != A2A_OK) {
            fprintf(stderr, "golden: %s: case %s lacks .out or tolerances\n", gf->path, c->name);
            a2a_golden_close(gf);
            return false;
        }
        c->tol_nmse = tn;
        c->tol_max_abs = ta;
        gf->n_cases++;
    }
    return true;
}

/* Case by name, NULL if absent. */
static inline const a2a_golden_case *a2a_golden_find(const a2a_golden *gf, const char *name) {
    for (int i = 0; i < gf->n_cases; i++)
        if (strcmp(gf->cases[i].name, name) == 0) return &gf->cases[i];
    return NULL;
}

/* ---- parameters (CASE.<param>); a missing key gives the default, a key of the wrong type
   prints a message and gives the default too (the comparison then fails visibly) ---- */

static inline bool a2a_golden_has(const a2a_golden_case *c, const char *param) {
    char key[A2A_GOLDEN_NAME_MAX + 64];
    snprintf(key, sizeof key, "%s.%s", c->name, param);
    return a2a_gguf_find_key(c->file->g, key) >= 0;
}

static inline float a2a_golden_f32(const a2a_golden_case *c, const char *param, float def) {
    char key[A2A_GOLDEN_NAME_MAX + 64];
    snprintf(key, sizeof key, "%s.%s", c->name, param);
    float v;
    a2a_status st = a2a_gguf_get_f32(c->file->ctx, c->file->g, key, &v);
    if (st == A2A_OK) return v;
    if (st != A2A_ERR_NOT_FOUND) fprintf(stderr, "golden: %s: %s\n", c->file->path, a2a_last_error(c->file->ctx));
    return def;
}

static inline int32_t a2a_golden_i32(const a2a_golden_case *c, const char *param, int32_t def) {
    char key[A2A_GOLDEN_NAME_MAX + 64];
    snprintf(key, sizeof key, "%s.%s", c->name, param);
    int32_t v;
    a2a_status st = a2a_gguf_get_i32(c->file->ctx, c->file->g, key, &v);
    if (st == A2A_OK) return v;
    if (st != A2A_ERR_NOT_FOUND) fprintf(stderr, "golden: %s: %s\n", c->file->path, a2a_last_error(c->file->ctx));
    return def;
}

/* Integer array parameter (i32 elements; a scalar integer counts as an array of one) into
   out[0..max). Returns the number of elements stored, 0 when absent or malformed. The order
   is the file's: PyTorch order for per-dimension tuples (e.g. [t, h, w]). */
static inline int a2a_golden_ints(const a2a_golden_case *c, const char *param, int32_t *out, int max) {
    char key[A2A_GOLDEN_NAME_MAX + 64];
    snprintf(key, sizeof key, "%s.%s", c->name, param);
    a2a_gguf_vtype et;
    uint64_t n;
    const void *data;
    if (a2a_gguf_get_arr(c->file->ctx, c->file->g, key, &et, &n, &data) == A2A_OK) {
        if (et != A2A_GGUF_INT32 || n > (uint64_t)max) {
            fprintf(stderr, "golden: %s: %s: expected at most %d i32 elements\n", c->file->path, key, max);
            return 0;
        }
        memcpy(out, data, (size_t)n * sizeof(int32_t));
        return (int)n;
    }
    int32_t v;
    if (max >= 1 && a2a_gguf_get_i32(c->file->ctx, c->file->g, key, &v) == A2A_OK) {
        out[0] = v;
        return 1;
    }
    return 0;
}

/* String parameter compared with s (false when absent). */
static inline bool a2a_golden_str_is(const a2a_golden_case *c, const char *param, const char *s) {
    char key[A2A_GOLDEN_NAME_MAX + 64];
    snprintf(key, sizeof key, "%s.%s", c->name, param);
    const char *v;
    size_t len;
    if (a2a_gguf_get_str(c->file->ctx, c->file->g, key, &v, &len) != A2A_OK) return false;
    return strlen(s) == len && memcmp(v, s, len) == 0;
}

/* ---- comparison ---- */

/* Metrics of one comparison. */
typedef struct a2a_golden_metrics {
    double nmse;          /* sum((got-ref)^2) / sum(ref^2)  (denominator floored at 1e-30) */
    double max_abs;       /* max |got - ref| (inf when a NaN/inf mismatch occurs) */
    int64_t worst[5];     /* index (ggml order) of the largest difference */
    double worst_got, worst_ref;
    bool shape_ok;
} a2a_golden_metrics;

/* Element (i0..i4) of an F32/F16/BF16 tensor with any strides, as double. */
static inline double a2a_golden_elem(const a2a_tensor *t, const int64_t *i) {
    const char *p = (const char *)t->data + (size_t)i[0] * t->nb[0] + (size_t)i[1] * t->nb[1] +
                    (size_t)i[2] * t->nb[2] + (size_t)i[3] * t->nb[3] + (size_t)i[4] * t->nb[4];
    switch (t->type) {
    case A2A_TYPE_F32: { float f; memcpy(&f, p, 4); return f; }
    case A2A_TYPE_F16: { a2a_fp16 h; memcpy(&h, p, 2); return a2a_fp16_to_f32(h); }
    case A2A_TYPE_BF16: { a2a_bf16 h; memcpy(&h, p, 2); return a2a_bf16_to_f32(h); }
    case A2A_TYPE_I32: { int32_t v; memcpy(&v, p, 4); return v; }
    default: return NAN;
    }
}

/* Compare got (F32/F16/BF16, any strides; its ne must equal ref's ne) with ref elementwise and
   fill *m. Two infinities of the same sign count as equal; any other non-finite pair counts
   as an infinite difference. */
static inline void a2a_golden_measure(const a2a_tensor *got, const a2a_tensor *ref, a2a_golden_metrics *m) {
    memset(m, 0, sizeof *m);
    m->shape_ok = true;
    for (int d = 0; d < A2A_MAX_DIMS; d++)
        if (got->ne[d] != ref->ne[d]) m->shape_ok = false;
    if (!m->shape_ok) { m->nmse = m->max_abs = INFINITY; return; }
    double num = 0, den = 0, best = -1.0;
    int64_t i[5];
    for (i[4] = 0; i[4] < ref->ne[4]; i[4]++)
    for (i[3] = 0; i[3] < ref->ne[3]; i[3]++)
    for (i[2] = 0; i[2] < ref->ne[2]; i[2]++)
    for (i[1] = 0; i[1] < ref->ne[1]; i[1]++)
    for (i[0] = 0; i[0] < ref->ne[0]; i[0]++) {
        double g = a2a_golden_elem(got, i), r = a2a_golden_elem(ref, i);
        double diff;
        if (isfinite(g) && isfinite(r)) diff = fabs(g - r);
        else diff = (g == r) ? 0.0 : INFINITY; /* same-signed infinities match; NaN never does */
        if (isfinite(diff)) num += diff * diff;
        else num = INFINITY;
        if (isfinite(r)) den += r * r;
        if (diff > best) {
            best = diff;
            memcpy(m->worst, i, sizeof i);
            m->worst_got = g;
            m->worst_ref = r;
        }
    }
    m->max_abs = best > 0 ? best : 0.0;
    m->nmse = num / (den > 1e-30 ? den : 1e-30);
}

/* Compare got with the case's reference output against the case's tolerances
   (nmse <= tol_nmse and max_abs <= tol_max_abs). On failure prints the file, case, op, tag
   (e.g. the kernel level), both metrics with their tolerances and the worst element; with
   A2A_GOLDEN_VERBOSE=1 in the environment prints the metrics of passing cases too.
   Returns true when within tolerance. m may be NULL. */
static inline bool a2a_golden_compare_m(const a2a_golden_case *c, const a2a_tensor *got, const char *tag,
                                        a2a_golden_metrics *m) {
    a2a_golden_metrics local;
    if (!m) m = &local;
    a2a_golden_measure(got, c->out, m);
    char sg[64], sr[64];
    if (!m->shape_ok) {
        fprintf(stderr, "golden FAIL %s: %s (%s) [%s]: shape %s, want %s\n", c->file->path, c->name, c->op,
                tag ? tag : "", a2a_tensor_shape_str(got, sg, sizeof sg), a2a_tensor_shape_str(c->out, sr, sizeof sr));
        return false;
    }
    bool ok = m->nmse <= c->tol_nmse && m->max_abs <= c->tol_max_abs;
    const char *verbose = getenv("A2A_GOLDEN_VERBOSE");
    if (!ok || (verbose && verbose[0] == '1')) {
        const char *slash = strrchr(c->file->path, '/');
        fprintf(stderr,
                "golden %s %s: %-26s %-18s [%-6s] nmse %.3e (tol %.1e)  max_abs %.3e (tol %.1e)  worst (%lld,%lld,%lld,%lld,%lld) got %.9g want %.9g\n",
                ok ? "ok  " : "FAIL", slash ? slash + 1 : c->file->path, c->name, c->op, tag ? tag : "", m->nmse,
                c->tol_nmse, m->max_abs, c->tol_max_abs, (long long)m->worst[0], (long long)m->worst[1],
                (long long)m->worst[2], (long long)m->worst[3], (long long)m->worst[4], m->worst_got, m->worst_ref);
    }
    return ok;
}

static inline bool a2a_golden_compare(const a2a_golden_case *c, const a2a_tensor *got, const char *tag) {
    return a2a_golden_compare_m(c, got, tag, NULL);
}

/* A contiguous tensor of the given type and ne (n_dims 1..5, ggml order) over zeroed malloc'd
   memory; the caller frees t->data with free(). Returns false on a bad shape or no memory. */
static inline bool a2a_golden_alloc(a2a_tensor *t, a2a_type type, int n_dims, const int64_t *ne) {
    if (!a2a_tensor_init(t, type, n_dims, ne, NULL)) return false;
    size_t bytes = a2a_tensor_nbytes(t);
    t->data = calloc(bytes ? bytes : 1, 1);
    return t->data != NULL;
}

/* An F32 tensor with the same shape as like (e.g. the case's reference output). */
static inline bool a2a_golden_alloc_like(a2a_tensor *t, const a2a_tensor *like) {
    return a2a_golden_alloc(t, A2A_TYPE_F32, like->n_dims, like->ne);
}

#endif
