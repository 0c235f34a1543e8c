/* Atomic file creation: temporary file beside the destination + rename. See atomic_file.h. */
#include "io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* splitmix64 step: spreads the seed bits over the random suffix. */
static uint64_t mix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Per-process counter so that two temporaries made in the same nanosecond still differ. */
static uint64_t next_seed(void) {
    static uint64_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t c = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    return mix64(((uint64_t)ts.tv_sec << 30) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 40) ^ (c * 0x1000193ull));
}

a2a_status a2a_atomic_file_open(a2a_ctx *ctx, const char *prefix, const char *path, a2a_atomic_file *af) {
    memset(af, 0, sizeof *af);
    if (!prefix) prefix = "writer";
    if (!path || !*path) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: empty output path", prefix);
    size_t pl = strlen(path);
    if (path[pl - 1] == '/') return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: output path '%s' names a directory", prefix, path);
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) + 1 : 0; /* directory part including the '/' */
    const char *base = path + dl;
    size_t bl = pl - dl;
    /* "<dir>.<base>.<16 hex>.tmp": keep the name under NAME_MAX by truncating a long base */
    size_t bkeep = bl > 200 ? 200 : bl;
    size_t tl = dl + 1 + bkeep + 1 + 16 + 4 + 1;
    char *tmp = malloc(tl);
    char *dst = malloc(pl + 1);
    if (!tmp || !dst) {
        free(tmp);
        free(dst);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: out of memory", prefix);
    }
    memcpy(dst, path, pl + 1);
    int fd = -1, err = 0;
    for (int attempt = 0; attempt < 64; attempt++) {
        memcpy(tmp, path, dl);
        tmp[dl] = '.';
        memcpy(tmp + dl + 1, base, bkeep);
        snprintf(tmp + dl + 1 + bkeep, tl - (dl + 1 + bkeep), ".%016llx.tmp", (unsigned long long)next_seed());
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) {
            err = errno;
            break;
        }
    }
    if (fd < 0) {
        a2a_status st = a2a_fail(ctx, A2A_ERR_IO, "%s: cannot create a temporary file for '%s': %s", prefix, path,
                                 strerror(err ? err : EEXIST));
        free(tmp);
        free(dst);
        return st;
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        err = errno;
        close(fd);
        unlink(tmp);
        a2a_status st = a2a_fail(ctx, A2A_ERR_IO, "%s: cannot open '%s': %s", prefix, tmp, strerror(err));
        free(tmp);
        free(dst);
        return st;
    }
    af->path = dst;
    af->tmp_path = tmp;
    af->f = f;
    return A2A_OK;
}

static void release(a2a_atomic_file *af) {
    free(af->path);
    free(af->tmp_path);
    memset(af, 0, sizeof *af);
}

a2a_status a2a_atomic_file_commit(a2a_ctx *ctx, const char *prefix, a2a_atomic_file *af) {
    if (!prefix) prefix = "writer";
    if (!af || !af->f || !af->tmp_path || !af->path) {
        if (af) a2a_atomic_file_abort(af);
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: commit of a file that is not open", prefix);
    }
    a2a_status st = A2A_OK;
    if (ferror(af->f) || fflush(af->f) != 0)
        st = a2a_fail(ctx, A2A_ERR_IO, "%s: cannot write '%s': %s", prefix, af->tmp_path, strerror(errno));
    else if (fsync(fileno(af->f)) != 0 && errno != EINVAL && errno != EROFS)
        st = a2a_fail(ctx, A2A_ERR_IO, "%s: cannot flush '%s': %s", prefix, af->tmp_path, strerror(errno));
    if (fclose(af->f) != 0 && !st)
        st = a2a_fail(ctx, A2A_ERR_IO, "%s: cannot close '%s': %s", prefix, af->tmp_path, strerror(errno));
    af->f = NULL;
    if (!st && rename(af->tmp_path, af->path) != 0)
        st = a2a_fail(ctx, A2A_ERR_IO, "%s: cannot rename '%s' to '%s': %s", prefix, af->tmp_path, af->path,
                      strerror(errno));
    if (st) unlink(af->tmp_path);
    release(af);
    return st;
}

void a2a_atomic_file_abort(a2a_atomic_file *af) {
    if (!af) return;
    if (af->f) fclose(af->f);
    if (af->tmp_path) unlink(af->tmp_path);
    release(af);
}

a2a_status a2a_atomic_file_write_all(a2a_ctx *ctx, const char *prefix, const char *path, const void *data,
                                     size_t size) {
    a2a_atomic_file af;
    a2a_status st = a2a_atomic_file_open(ctx, prefix, path, &af);
    if (st) return st;
    if (size && fwrite(data, 1, size, af.f) != size) {
        st = a2a_fail(ctx, A2A_ERR_IO, "%s: cannot write '%s': %s", prefix ? prefix : "writer", af.tmp_path,
                      strerror(errno));
        a2a_atomic_file_abort(&af);
        return st;
    }
    return a2a_atomic_file_commit(ctx, prefix, &af);
}
