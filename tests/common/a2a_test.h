/* Minimal test harness (header-only). Each test file defines tests with TEST(name) and
   ends with TEST_MAIN(test1, test2, ...). A failed CHECK prints file:line and the test
   keeps going; the process exit status is nonzero when any check failed. */
#ifndef A2A_TEST_H
#define A2A_TEST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

static int a2a_test_failures;
static int a2a_test_checks;

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        a2a_test_checks++;                                                                     \
        if (!(cond)) {                                                                         \
            a2a_test_failures++;                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);           \
        }                                                                                      \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                   \
    do {                                                                                       \
        a2a_test_checks++;                                                                     \
        if (!(cond)) {                                                                         \
            a2a_test_failures++;                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);           \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
        }                                                                                      \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                     \
    do {                                                                                       \
        long long _a = (long long)(a), _b = (long long)(b);                                    \
        CHECK_MSG(_a == _b, "%lld != %lld", _a, _b);                                           \
    } while (0)

/* |a-b| <= tol */
#define CHECK_NEAR(a, b, tol)                                                                  \
    do {                                                                                       \
        double _a = (double)(a), _b = (double)(b);                                             \
        CHECK_MSG(fabs(_a - _b) <= (tol), "%.9g vs %.9g (tol %.3g)", _a, _b, (double)(tol));   \
    } while (0)

/* normalized mean squared error: sum((a-b)^2) / max(sum(b^2), tiny) */
static inline double a2a_test_nmse(const float *a, const float *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        num += d * d;
        den += (double)b[i] * (double)b[i];
    }
    return num / (den > 1e-30 ? den : 1e-30);
}

static inline double a2a_test_max_abs_diff(const float *a, const float *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > m || d != d) m = d != d ? INFINITY : d;
    }
    return m;
}

/* Deterministic xorshift PRNG for test inputs. */
typedef struct { uint64_t s; } a2a_test_rng;
static inline uint64_t a2a_test_next(a2a_test_rng *r) {
    uint64_t x = r->s ? r->s : 0x9E3779B97F4A7C15ull;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    return r->s = x;
}
/* uniform in [lo, hi) */
static inline float a2a_test_uniform(a2a_test_rng *r, float lo, float hi) {
    return lo + (hi - lo) * (float)((a2a_test_next(r) >> 40) * (1.0 / 16777216.0));
}
static inline void a2a_test_fill(a2a_test_rng *r, float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = a2a_test_uniform(r, lo, hi);
}

/* Read a whole file; caller frees. NULL on failure. */
/* True when no temporary file of an atomic write of path (io/atomic_file.h names them
   "<dir>/.<name>.<hex>.tmp") is left in path's directory. */
static inline int a2a_test_no_temp_files(const char *path) {
    char dir[1024];
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    DIR *d = opendir(dir[0] ? dir : "/");
    if (!d) return 1;
    size_t nl = strlen(name);
    int clean = 1;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t el = strlen(e->d_name);
        if (e->d_name[0] == '.' && el > nl + 5 && !strncmp(e->d_name + 1, name, nl) && e->d_name[1 + nl] == '.' &&
            !strcmp(e->d_name + el - 4, ".tmp"))
            clean = 0;
    }
    closedir(d);
    return clean;
}

static inline void *a2a_test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    fclose(f);
    if (len) *len = n > 0 ? (size_t)n : 0;
    return buf;
}

/* Write bytes to a file; returns 0 on success. */
static inline int a2a_test_write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, len, f);
    fclose(f);
    return w == len ? 0 : -1;
}

#define TEST(name) static void name(void)

typedef void (*a2a_test_fn)(void);
static inline int a2a_test_run(const char *file, a2a_test_fn *fns, const char **names, int n) {
    for (int i = 0; i < n; i++) {
        int before = a2a_test_failures;
        fns[i]();
        fprintf(stderr, "[%s] %s: %s\n", before == a2a_test_failures ? "PASS" : "FAIL", file, names[i]);
    }
    fprintf(stderr, "%s: %d checks, %d failed\n", file, a2a_test_checks, a2a_test_failures);
    return a2a_test_failures ? 1 : 0;
}

#define A2A_TEST_STR_(...) #__VA_ARGS__
#define TEST_MAIN(...)                                                                         \
    int main(void) {                                                                           \
        a2a_test_fn fns[] = {__VA_ARGS__};                                                     \
        /* names: split the stringified list on commas */                                       \
        static char list[] = A2A_TEST_STR_(__VA_ARGS__);                                       \
        const char *names[sizeof(fns) / sizeof(fns[0])];                                       \
        int k = 0;                                                                             \
        char *save = NULL;                                                                     \
        for (char *tok = strtok_r(list, ", ", &save); tok && k < (int)(sizeof(fns) / sizeof(fns[0])); \
             tok = strtok_r(NULL, ", ", &save))                                                \
            names[k++] = tok;                                                                  \
        return a2a_test_run(__FILE__, fns, names, k);                                          \
    }

#endif
