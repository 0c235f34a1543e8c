/* Perception: see perception.h. */
#include "pipeline/perception.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/strmap.h"
#include "media/audio.h"
#include "media/image.h"
#include "media/image_preprocess.h"
#include "media/video_imagebind.h"

a2a_status a2a_read_file(a2a_ctx *ctx, const char *path, size_t max, void **data, size_t *size) {
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return a2a_fail(ctx, A2A_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return a2a_fail(ctx, A2A_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > max) {
        fclose(f);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: %lld bytes is over the %zu-byte limit", path, (long long)sb.st_size,
                        max);
    }
    size_t n = (size_t)sb.st_size;
    void *buf = malloc(n ? n : 1);
    if (!buf) {
        fclose(f);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, n);
    }
    size_t got = fread(buf, 1, n, f);
    bool err = ferror(f) != 0;
    fclose(f);
    if (err || got != n) {
        free(buf);
        return a2a_fail(ctx, A2A_ERR_IO, "%s: read %zu of %zu bytes", path, got, n);
    }
    *data = buf;
    *size = n;
    return A2A_OK;
}

a2a_status a2a_perception_init(a2a_ctx *ctx, a2a_perception *p, a2a_imagebind *enc, const a2a_projector *proj,
                               a2a_threadpool *tp) {
    memset(p, 0, sizeof *p);
    if (!enc) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "perception: no encoder");
    if (proj && a2a_projector_in_dim(proj) != a2a_imagebind_out_dim(enc))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "perception: the projector takes %lld-wide features, the encoder gives %lld",
                        (long long)a2a_projector_in_dim(proj), (long long)a2a_imagebind_out_dim(enc));
    p->enc = enc;
    p->proj = proj;
    p->tp = tp;
    return A2A_OK;
}

void a2a_perception_free(a2a_perception *p) {
    for (int32_t i = 0; i < p->n_cache; i++) {
        free(p->cache[i].embedding);
        free(p->cache[i].soft);
    }
    free(p->cache);
    memset(p, 0, sizeof *p);
}

/* The encoder's upstream output for decoded media bytes. */
static a2a_status encode_bytes(a2a_ctx *ctx, a2a_perception *p, const a2a_chunk *c, const void *data, size_t size,
                               float *out) {
    a2a_status st = A2A_OK;
    switch (c->kind) {
    case A2A_CHUNK_IMAGE: {
        if (!a2a_imagebind_has(p->enc, A2A_IMAGEBIND_VISION))
            return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "perception: the encoder has no vision weights");
        a2a_image img;
        a2a_image_limits lim = a2a_image_default_limits();
        if ((st = a2a_image_decode(ctx, data, size, &lim, &img)) != A2A_OK) return st;
        float *x = malloc(sizeof(float) * 3 * A2A_IMAGEBIND_IMAGE_SIZE * A2A_IMAGEBIND_IMAGE_SIZE);
        if (!x) st = a2a_fail(ctx, A2A_ERR_NOMEM, "perception: out of memory");
        if (st == A2A_OK) st = a2a_image_to_imagebind(ctx, &img, x);
        a2a_image_free(&img);
        if (st == A2A_OK) st = a2a_imagebind_embed(ctx, p->tp, p->enc, A2A_IMAGEBIND_VISION, x, 1, 1, false, out);
        free(x);
        return st;
    }
    case A2A_CHUNK_AUDIO: {
        if (!a2a_imagebind_has(p->enc, A2A_IMAGEBIND_AUDIO))
            return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "perception: the encoder has no audio weights");
        a2a_audio a;
        a2a_audio_limits lim = a2a_audio_default_limits();
        if ((st = a2a_audio_decode(ctx, data, size, &lim, &a)) != A2A_OK) return st;
        const size_t n = (size_t)A2A_IMAGEBIND_AUDIO_CLIPS * A2A_IMAGEBIND_AUDIO_MELS * A2A_IMAGEBIND_AUDIO_FRAMES;
        float *x = malloc(sizeof(float) * n);
        if (!x) st = a2a_fail(ctx, A2A_ERR_NOMEM, "perception: out of memory");
        if (st == A2A_OK) st = a2a_audio_to_imagebind(ctx, &a, x);
        a2a_audio_free(&a);
        if (st == A2A_OK)
            st = a2a_imagebind_embed(ctx, p->tp, p->enc, A2A_IMAGEBIND_AUDIO, x, A2A_IMAGEBIND_AUDIO_CLIPS, 1, false,
                                     out);
        free(x);
        return st;
    }
    case A2A_CHUNK_VIDEO: {
        if (!a2a_imagebind_has(p->enc, A2A_IMAGEBIND_VISION))
            return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "perception: the encoder has no vision weights");
        float *clips = NULL;
        int n_clips = 0;
        a2a_video_limits lim = a2a_video_default_limits();
        if ((st = a2a_video_to_imagebind_memory(ctx, data, size, &lim, &clips, &n_clips)) != A2A_OK) return st;
        st = a2a_imagebind_embed(ctx, p->tp, p->enc, A2A_IMAGEBIND_VISION, clips, n_clips, 2, false, out);
        free(clips);
        return st;
    }
    case A2A_CHUNK_TEXT: break;
    }
    return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "perception: a %s chunk is not media", a2a_chunk_kind_name(c->kind));
}

/* Find or create the cache entry of a media chunk (encoding it on a miss). */
static a2a_status lookup(a2a_ctx *ctx, a2a_perception *p, const a2a_chunk *c, a2a_perception_entry **out) {
    *out = NULL;
    if (c->kind != A2A_CHUNK_IMAGE && c->kind != A2A_CHUNK_AUDIO && c->kind != A2A_CHUNK_VIDEO)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "perception: a %s chunk is not media", a2a_chunk_kind_name(c->kind));
    void *owned = NULL;
    const void *data = c->data;
    size_t size = c->size;
    a2a_status st;
    if (!data) {
        if (!c->path) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "perception: %s chunk without a file or bytes",
                                      a2a_chunk_kind_name(c->kind));
        if ((st = a2a_read_file(ctx, c->path, A2A_PERCEPTION_MAX_FILE, &owned, &size)) != A2A_OK) return st;
        data = owned;
    }
    uint64_t h = a2a_hash_bytes(data, size);
    for (int32_t i = 0; i < p->n_cache; i++) {
        a2a_perception_entry *e = &p->cache[i];
        if (e->hash == h && e->size == size && e->kind == c->kind) {
            free(owned);
            p->hits++;
            *out = e;
            return A2A_OK;
        }
    }
    p->misses++;
    const int64_t dim = a2a_imagebind_out_dim(p->enc);
    float *emb = malloc(sizeof(float) * (size_t)dim);
    float *soft = NULL;
    int64_t n_soft = 0;
    st = emb ? encode_bytes(ctx, p, c, data, size, emb) : a2a_fail(ctx, A2A_ERR_NOMEM, "perception: out of memory");
    free(owned);
    if (st == A2A_OK && p->proj) {
        n_soft = a2a_projector_n_out_tokens(p->proj, 1);
        int64_t od = a2a_projector_out_dim(p->proj);
        soft = n_soft > 0 ? malloc(sizeof(float) * (size_t)(n_soft * od)) : NULL;
        if (!soft) st = a2a_fail(ctx, A2A_ERR_NOMEM, "perception: out of memory for %lld soft tokens", (long long)n_soft);
        if (st == A2A_OK) st = a2a_projector_forward(ctx, p->tp, p->proj, emb, 1, soft, &n_soft);
    }
    if (st == A2A_OK && p->n_cache == p->cap_cache) {
        int32_t cap = p->cap_cache ? p->cap_cache * 2 : 8;
        a2a_perception_entry *nc = realloc(p->cache, sizeof *nc * (size_t)cap);
        if (!nc) st = a2a_fail(ctx, A2A_ERR_NOMEM, "perception: out of memory");
        else {
            p->cache = nc;
            p->cap_cache = cap;
        }
    }
    if (st != A2A_OK) {
        free(emb);
        free(soft);
        return st;
    }
    a2a_perception_entry *e = &p->cache[p->n_cache++];
    *e = (a2a_perception_entry){h, size, c->kind, emb, soft, (int32_t)n_soft};
    *out = e;
    return A2A_OK;
}

a2a_status a2a_perception_embed(a2a_ctx *ctx, a2a_perception *p, const a2a_chunk *c, const float **emb) {
    a2a_perception_entry *e;
    a2a_status st = lookup(ctx, p, c, &e);
    if (st == A2A_OK) *emb = e->embedding;
    return st;
}

a2a_status a2a_perception_soft_tokens(a2a_ctx *ctx, void *perception, const a2a_chunk *c, const float **rows,
                                      int32_t *n_rows) {
    a2a_perception *p = perception;
    if (!p->proj) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "perception: no input projector loaded");
    a2a_perception_entry *e;
    a2a_status st = lookup(ctx, p, c, &e);
    if (st != A2A_OK) return st;
    *rows = e->soft;
    *n_rows = e->n_soft;
    return A2A_OK;
}
