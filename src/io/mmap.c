#include "io/mmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

a2a_status a2a_mmap_open(a2a_ctx *ctx, const char *path, a2a_mmap *m) {
    memset(m, 0, sizeof(*m));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return a2a_fail(ctx, A2A_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return a2a_fail(ctx, A2A_ERR_IO, "cannot stat '%s': %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return a2a_fail(ctx, A2A_ERR_IO, "'%s' is not a regular file", path);
    }
    m->size = (size_t)st.st_size;
    if (m->size > 0) {
        void *p = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            return a2a_fail(ctx, A2A_ERR_IO, "cannot mmap '%s': %s", path, strerror(e));
        }
        m->data = p;
        m->mapped = true;
    }
    close(fd);
    return A2A_OK;
}

a2a_status a2a_mmap_from_memory(a2a_ctx *ctx, const void *data, size_t size, a2a_mmap *m) {
    memset(m, 0, sizeof(*m));
    if (size == 0) return A2A_OK;
    void *p = malloc(size);
    if (!p) return a2a_fail(ctx, A2A_ERR_NOMEM, "cannot allocate %zu bytes", size);
    memcpy(p, data, size);
    m->data = p;
    m->size = size;
    return A2A_OK;
}

void a2a_mmap_close(a2a_mmap *m) {
    if (m->data) {
        if (m->mapped) munmap((void *)m->data, m->size);
        else free((void *)m->data);
    }
    memset(m, 0, sizeof(*m));
}
