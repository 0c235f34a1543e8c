#include "media_out.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "media/audio_write.h"
#include "media/image_write.h"
#include "media/video_write.h"

#include <stdlib.h>

a2a_status cli_write_video_item(a2a_ctx *ctx, const a2a_nextgpt_media *md, const char *path, double fps,
                                const a2a_video_write_params *vp) {
    a2a_image *fr = calloc((size_t)md->frames, sizeof *fr);
    if (!fr) return a2a_fail(ctx, A2A_ERR_NOMEM, "out of memory");
    const size_t fpx = (size_t)3 * (size_t)md->w * (size_t)md->h;
    a2a_status st = A2A_OK;
    for (int32_t k = 0; k < md->frames && st == A2A_OK; k++)
        st = a2a_image_from_planar_f32(ctx, md->video + (size_t)k * fpx, 3, md->h, md->w, A2A_PIXEL_RANGE_NEG1_1,
                                       A2A_PIXEL_TRUNC, &fr[k]);
    if (st == A2A_OK) st = a2a_video_write(ctx, path, fr, md->frames, fps, vp);
    for (int32_t k = 0; k < md->frames; k++) a2a_image_free(&fr[k]);
    free(fr);
    return st;
}

void cli_json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p == '\r') fputs("\\r", f);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

a2a_status cli_make_dirs(a2a_ctx *ctx, const char *dir) {
    char buf[CLI_PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "output folder '%s': empty or too long", dir);
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return a2a_fail(ctx, A2A_ERR_IO, "output folder '%s': cannot create '%s': %s", dir, buf, strerror(errno));
        buf[i] = c;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return a2a_fail(ctx, A2A_ERR_IO, "output folder '%s' exists and is not a folder", dir);
    return A2A_OK;
}

a2a_status cli_write_reply_media(a2a_ctx *ctx, const a2a_nextgpt_reply *rep, const char *dir, int first_index,
                                 char (*files)[CLI_PATH_MAX], int *n_files) {
    *n_files = 0;
    if (rep->n_media > 0) {
        a2a_status st = cli_make_dirs(ctx, dir);
        if (st != A2A_OK) return st;
    }
    for (int i = 0; i < rep->n_media; i++) {
        const a2a_nextgpt_media *md = &rep->media[i];
        char *path = files[*n_files];
        const char *ext = md->pixels ? "png" : md->video ? "mp4" : "wav";
        int len = snprintf(path, CLI_PATH_MAX, "%s/reply-%d.%s", dir, first_index + *n_files, ext);
        if (len < 0 || len >= CLI_PATH_MAX)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "output folder '%s': path too long", dir);
        a2a_status st = A2A_OK;
        if (md->pixels) {
            a2a_image img = {0};
            st = a2a_image_from_planar_f32(ctx, md->pixels, 3, md->h, md->w, A2A_PIXEL_RANGE_NEG1_1, A2A_PIXEL_ROUND, &img);
            if (st == A2A_OK) st = a2a_image_write(ctx, &img, path, NULL);
            a2a_image_free(&img);
        } else if (md->video) {
            st = cli_write_video_item(ctx, md, path, 8.0, NULL);
        } else if (md->wave) {
            a2a_audio au = {md->rate, 1, md->n_samples, md->wave};
            st = a2a_audio_write(ctx, &au, path, NULL);
        } else {
            continue;
        }
        if (st != A2A_OK) return st;
        (*n_files)++;
    }
    return A2A_OK;
}
