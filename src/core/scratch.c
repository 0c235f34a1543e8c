#include "core/scratch.h"
#include "core/status.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct scratch_set {
    void *ptr[A2A_SCRATCH_SLOTS];
    size_t cap[A2A_SCRATCH_SLOTS];
} scratch_set;

static pthread_key_t g_key;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void destroy(void *p) {
    scratch_set *s = p;
    for (int i = 0; i < A2A_SCRATCH_SLOTS; i++) free(s->ptr[i]);
    free(s);
}

static void make_key(void) { pthread_key_create(&g_key, destroy); }

void *a2a_scratch(int slot, size_t bytes) {
    A2A_ASSERT(slot >= 0 && slot < A2A_SCRATCH_SLOTS);
    pthread_once(&g_once, make_key);
    scratch_set *s = pthread_getspecific(g_key);
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s) return NULL;
        pthread_setspecific(g_key, s);
    }
    if (bytes == 0) bytes = 1;
    if (s->cap[slot] < bytes) {
        size_t cap = a2a_align_up(bytes + bytes / 4, 64);
        if (cap < bytes) return NULL;
        void *p = aligned_alloc(64, cap);
        if (!p) return NULL;
        free(s->ptr[slot]);
        s->ptr[slot] = p;
        s->cap[slot] = cap;
    }
    return s->ptr[slot];
}

void a2a_scratch_release(void) {
    pthread_once(&g_once, make_key);
    scratch_set *s = pthread_getspecific(g_key);
    if (!s) return;
    destroy(s);
    pthread_setspecific(g_key, NULL);
}
