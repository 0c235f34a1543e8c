/* a2a_inspect_file: open a weight file of any supported format and print its metadata and
   tensor table (the `any2any inspect` command). */
#include "core/status.h"
#include "io/json.h"
#include "io/weights.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#if defined(__has_include)
#if __has_include("io/torch_ckpt.h") && !defined(A2A_NO_TORCH)
#include "io/torch_ckpt.h"
#define A2A_HAVE_TORCH 1
#endif
#endif

#define MAX_STR_PRINT 160  /* bytes of a string value printed before eliding */
#define MAX_ARR_PRINT 8    /* elements of an array printed before eliding */

/* Print s[0..len) quoted, escaping quotes, backslashes, control characters and invalid UTF-8;
   strings longer than max bytes are cut (at a character boundary) and marked. */
static void print_quoted(FILE *out, const char *s, size_t len, size_t max) {
    fputc('"', out);
    size_t i = 0;
    while (i < len) {
        if (i >= max) {
            fprintf(out, "\"... (%zu bytes)", len);
            return;
        }
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') { fprintf(out, "\\%c", c); i++; continue; }
        if (c == '\n') { fputs("\\n", out); i++; continue; }
        if (c == '\t') { fputs("\\t", out); i++; continue; }
        if (c == '\r') { fputs("\\r", out); i++; continue; }
        if (c < 0x20 || c == 0x7f) { fprintf(out, "\\x%02x", c); i++; continue; }
        if (c < 0x80) { fputc(c, out); i++; continue; }
        size_t k = 2;
        while (k <= 4 && !(i + k <= len && a2a_utf8_valid(s + i, k))) k++;
        if (k > 4) { fprintf(out, "\\x%02x", c); i++; continue; }
        fwrite(s + i, 1, k, out);
        i += k;
    }
    fputc('"', out);
}

/* Print a key or tensor name padded to width; names holding control characters (a hostile file
   could carry terminal escape sequences) or non-UTF-8 bytes are printed quoted and escaped. */
static void print_name(FILE *out, const char *s, int width) {
    size_t len = s ? strlen(s) : 0;
    bool clean = a2a_utf8_valid(s ? s : "", len);
    for (size_t i = 0; clean && i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) clean = false;
    if (clean) {
        fprintf(out, "%-*s", width, s ? s : "");
        return;
    }
    print_quoted(out, s, len, MAX_STR_PRINT);
}

/* Print one packed little-endian scalar of a GGUF vtype. */
static void print_gguf_scalar(FILE *out, a2a_gguf_vtype vt, const uint8_t *p) {
    switch (vt) {
    case A2A_GGUF_UINT8: fprintf(out, "%u", p[0]); break;
    case A2A_GGUF_INT8: fprintf(out, "%d", (int8_t)p[0]); break;
    case A2A_GGUF_BOOL: fputs(p[0] ? "true" : "false", out); break;
    case A2A_GGUF_UINT16: { uint16_t v; memcpy(&v, p, 2); fprintf(out, "%u", v); break; }
    case A2A_GGUF_INT16: { int16_t v; memcpy(&v, p, 2); fprintf(out, "%d", v); break; }
    case A2A_GGUF_UINT32: { uint32_t v; memcpy(&v, p, 4); fprintf(out, "%" PRIu32, v); break; }
    case A2A_GGUF_INT32: { int32_t v; memcpy(&v, p, 4); fprintf(out, "%" PRId32, v); break; }
    case A2A_GGUF_UINT64: { uint64_t v; memcpy(&v, p, 8); fprintf(out, "%" PRIu64, v); break; }
    case A2A_GGUF_INT64: { int64_t v; memcpy(&v, p, 8); fprintf(out, "%" PRId64, v); break; }
    case A2A_GGUF_FLOAT32: { float v; memcpy(&v, p, 4); fprintf(out, "%.9g", (double)v); break; }
    case A2A_GGUF_FLOAT64: { double v; memcpy(&v, p, 8); fprintf(out, "%.17g", v); break; }
    default: fputs("?", out); break;
    }
}

/* Print entry i of a GGUF file: "key  type = value". */
static void print_gguf_kv(FILE *out, const a2a_gguf *g, int64_t i) {
    a2a_gguf_vtype vt = a2a_gguf_kv_type(g, i);
    const char *key = a2a_gguf_key(g, i);
    if (vt == A2A_GGUF_STRING) {
        size_t len = 0;
        const char *s = a2a_gguf_kv_str(g, i, &len);
        fputs("  ", out);
        print_name(out, key, 40);
        fputs(" str = ", out);
        print_quoted(out, s, len, MAX_STR_PRINT);
        fputc('\n', out);
        return;
    }
    if (vt != A2A_GGUF_ARRAY) {
        fputs("  ", out);
        print_name(out, key, 40);
        fprintf(out, " %s = ", a2a_gguf_vtype_name((int)vt));
        int64_t s = 0;
        uint64_t u = 0;
        double f = 0;
        if (a2a_gguf_kv_scalar(g, i, &s, &u, &f)) {
            if (vt == A2A_GGUF_FLOAT32) fprintf(out, "%.9g", f);
            else if (vt == A2A_GGUF_FLOAT64) fprintf(out, "%.17g", f);
            else if (vt == A2A_GGUF_BOOL) fputs(s ? "true" : "false", out);
            else if (vt == A2A_GGUF_UINT64) fprintf(out, "%" PRIu64, u);
            else fprintf(out, "%" PRId64, s);
        }
        fputc('\n', out);
        return;
    }
    a2a_gguf_vtype et = A2A_GGUF_UINT8;
    uint64_t count = 0;
    const void *data = NULL;
    a2a_gguf_kv_arr(g, i, &et, &count, &data);
    fputs("  ", out);
    print_name(out, key, 40);
    fprintf(out, " arr[%s,%" PRIu64 "] = ", a2a_gguf_vtype_name((int)et), count);
    if (et == A2A_GGUF_ARRAY) {
        fputs("[...nested arrays...]\n", out);
        return;
    }
    fputc('[', out);
    uint64_t shown = count < MAX_ARR_PRINT ? count : MAX_ARR_PRINT;
    size_t esz = a2a_gguf_vtype_size((int)et);
    for (uint64_t k = 0; k < shown; k++) {
        if (k) fputs(", ", out);
        if (et == A2A_GGUF_STRING) {
            size_t len = 0;
            const char *s = a2a_gguf_kv_arr_str(g, i, k, &len);
            print_quoted(out, s, len, 40);
        } else {
            print_gguf_scalar(out, et, (const uint8_t *)data + k * esz);
        }
    }
    if (shown < count) fprintf(out, ", ... (%" PRIu64 " more)", count - shown);
    fputs("]\n", out);
}

/* Shape "[ne0, ne1, ...]" (ggml order) of t's first n_dims dims. */
static void print_shape(FILE *out, const int64_t *ne, int n_dims, int width) {
    char buf[128];
    size_t o = 0;
    o += (size_t)snprintf(buf + o, sizeof(buf) - o, "[");
    for (int d = 0; d < n_dims && o < sizeof(buf); d++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, d ? ", %" PRId64 : "%" PRId64, ne[d]);
    if (o < sizeof(buf)) snprintf(buf + o, sizeof(buf) - o, "]");
    fprintf(out, "%-*s", width, buf);
}

/* Element count of a tensor (saturating at INT64_MAX; validated tensors never saturate). */
static int64_t nelements(const a2a_tensor *t) {
    int64_t n = 1;
    for (int d = 0; d < A2A_MAX_DIMS; d++)
        if (!a2a_mul_i64_ok(n, t->ne[d], &n)) return INT64_MAX;
    return n;
}

/* Heading of the tensor table (says which shape order is printed). */
static void print_table_header(FILE *out, int64_t n, const char *offset_note) {
    fprintf(out, "tensors (%" PRId64 "); shape is in ggml order: ne[0] (innermost, contiguous) first, the reverse of "
                 "PyTorch's order; %s\n",
            n, offset_note);
    fprintf(out, "  %6s  %-8s  %-28s  %14s  %14s  %s\n", "index", "type", "shape (ggml ne)", "bytes", "offset",
            "name");
}

/* Last line: tensor count, parameter count, bytes. */
static void print_totals(FILE *out, int64_t n, int64_t params, uint64_t bytes) {
    fprintf(out, "total: %" PRId64 " tensors, %" PRId64 " parameters, %" PRIu64 " bytes (%.2f MiB)\n", n, params,
            bytes, (double)bytes / (1024.0 * 1024.0));
}

/* Header facts, every metadata entry, the tensor table and totals of a GGUF file. */
static void inspect_gguf(FILE *out, const a2a_gguf *g) {
    fprintf(out, "format: gguf version %u, alignment %zu, data offset %zu, file size %zu bytes\n",
            a2a_gguf_version(g), a2a_gguf_alignment(g), a2a_gguf_data_offset(g), a2a_gguf_file_size(g));
    fprintf(out, "metadata (%" PRId64 " entries):\n", a2a_gguf_n_kv(g));
    for (int64_t i = 0; i < a2a_gguf_n_kv(g); i++) print_gguf_kv(out, g, i);
    int64_t n = a2a_gguf_n_tensors(g), params = 0;
    uint64_t bytes = 0;
    print_table_header(out, n, "offset is relative to the start of the data section");
    for (int64_t i = 0; i < n; i++) {
        const a2a_tensor *t = a2a_gguf_tensor(g, i);
        size_t sz = a2a_gguf_tensor_size(g, i);
        fprintf(out, "  %6" PRId64 "  %-8s  ", i, a2a_type_name(t->type));
        print_shape(out, t->ne, t->n_dims, 28);
        fprintf(out, "  %14zu  %14" PRIu64 "  ", sz, a2a_gguf_tensor_offset(g, i));
        print_name(out, t->name, 0);
        fputc('\n', out);
        params += nelements(t);
        bytes += sz;
    }
    print_totals(out, n, params, bytes);
}

/* Header facts, __metadata__, every entry (raw dtypes included) and totals of a safetensors file. */
static void inspect_safetensors(FILE *out, const a2a_safetensors *st) {
    fprintf(out, "format: safetensors, header %" PRIu64 " bytes, data offset %zu, file size %zu bytes\n",
            a2a_safetensors_header_size(st), a2a_safetensors_data_offset(st), a2a_safetensors_file_size(st));
    fprintf(out, "metadata (%" PRId64 " entries):\n", a2a_safetensors_n_metadata(st));
    for (int64_t i = 0; i < a2a_safetensors_n_metadata(st); i++) {
        size_t len = 0;
        const char *v = a2a_safetensors_metadata_value(st, i, &len);
        fputs("  ", out);
        print_name(out, a2a_safetensors_metadata_key(st, i), 40);
        fputs(" str = ", out);
        print_quoted(out, v, len, MAX_STR_PRINT);
        fputc('\n', out);
    }
    int64_t n = a2a_safetensors_n_entries(st), params = 0;
    uint64_t bytes = 0;
    print_table_header(out, n, "offset is relative to the start of the data section");
    for (int64_t i = 0; i < n; i++) {
        const a2a_safetensors_entry *e = a2a_safetensors_entry_at(st, i);
        int64_t ne[A2A_SAFETENSORS_MAX_DIMS];
        int64_t nel = 1;
        for (int d = 0; d < e->n_dims; d++) {
            ne[d] = e->shape[e->n_dims - 1 - d];
            nel *= ne[d]; /* validated at open: the byte size fits, so the count does */
        }
        if (e->n_dims == 0) ne[0] = 1;
        const char *ty = e->tensor ? a2a_type_name(e->tensor->type) : e->dtype;
        fprintf(out, "  %6" PRId64 "  %-8s  ", i, ty);
        print_shape(out, ne, e->n_dims ? e->n_dims : 1, 28);
        fprintf(out, "  %14" PRIu64 "  %14" PRIu64 "  ", e->end - e->begin, e->begin);
        print_name(out, e->name, 0);
        fprintf(out, "%s\n", e->tensor ? "" : "  (raw dtype, not loaded as a tensor)");
        params += nel;
        bytes += e->end - e->begin;
    }
    print_totals(out, n, params, bytes);
}

#ifdef A2A_HAVE_TORCH
/* The torch reader's own summary, then our tensor table and totals. */
static void inspect_torch(FILE *out, const a2a_weights *w) {
    const a2a_torch_file *f = a2a_weights_torch(w);
    fprintf(out, "format: pytorch zip checkpoint\n");
    a2a_torch_print_info(f, out);
    int64_t n = a2a_torch_n_tensors(f), params = 0;
    uint64_t bytes = 0;
    print_table_header(out, n, "data lies in the zip entries listed above");
    for (int64_t i = 0; i < n; i++) {
        const a2a_tensor *t = a2a_torch_tensor(f, i);
        size_t sz = a2a_tensor_nbytes(t);
        fprintf(out, "  %6" PRId64 "  %-8s  ", i, a2a_torch_tensor_dtype(f, i));
        print_shape(out, t->ne, t->n_dims, 28);
        fprintf(out, "  %14zu  %14s  ", sz, "-");
        print_name(out, t->name, 0);
        fputc('\n', out);
        params += nelements(t);
        bytes += sz;
    }
    print_totals(out, n, params, bytes);
}
#endif

/* Detect the format of path and print its contents to out (see any2any.h). */
a2a_status a2a_inspect_file(a2a_ctx *ctx, const char *path, FILE *out) {
    a2a_weights *w;
    a2a_status st = a2a_weights_open(ctx, path, &w);
    if (st) return st;
    fprintf(out, "file: %s\n", path);
    switch (a2a_weights_format_of(w)) {
    case A2A_WEIGHTS_GGUF: inspect_gguf(out, a2a_weights_gguf(w)); break;
    case A2A_WEIGHTS_SAFETENSORS: inspect_safetensors(out, a2a_weights_safetensors(w)); break;
#ifdef A2A_HAVE_TORCH
    case A2A_WEIGHTS_TORCH: inspect_torch(out, w); break;
#endif
    default: break;
    }
    a2a_weights_close(w);
    if (ferror(out)) return a2a_fail(ctx, A2A_ERR_IO, "error writing the output");
    return A2A_OK;
}
