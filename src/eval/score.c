/* Reply scoring by word matching: see score.h. */
#include "eval/score.h"

#include <stdlib.h>
#include <string.h>

#define SCORE_WORD_MAX 48

typedef struct words {
    char (*w)[SCORE_WORD_MAX];
    int n;
} words;

static bool is_alnum(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

static bool split_words(const char *s, words *out) {
    int cap = 1;
    for (const char *p = s; *p; p++) cap++;
    out->w = malloc(sizeof *out->w * (size_t)cap);
    out->n = 0;
    if (!out->w) return false;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        while (*p && !is_alnum(*p)) p++;
        if (!*p) break;
        int len = 0;
        char *w = out->w[out->n];
        while (*p && is_alnum(*p)) {
            if (len < SCORE_WORD_MAX - 1) {
                unsigned char c = *p;
                w[len++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            }
            p++;
        }
        w[len] = 0;
        out->n++;
    }
    return true;
}

static bool eq_ci(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z') x += 32;
        if (y >= 'A' && y <= 'Z') y += 32;
        if (x != y) return false;
    }
    return *a == *b;
}

/* w == v + "s" (case-insensitive) */
static bool is_plural_of(const char *w, const char *v) {
    size_t lw = strlen(w), lv = strlen(v);
    if (lw != lv + 1 || (w[lv] != 's' && w[lv] != 'S')) return false;
    for (size_t i = 0; i < lv; i++) {
        unsigned char x = (unsigned char)w[i], y = (unsigned char)v[i];
        if (x >= 'A' && x <= 'Z') x += 32;
        if (y >= 'A' && y <= 'Z') y += 32;
        if (x != y) return false;
    }
    return true;
}

static bool value_present(const words *ws, const char *attr, const char *v, const char *const *shapes, int n_shapes) {
    bool shape = !strcmp(attr, "shape"), note = !strcmp(attr, "note"), count = !strcmp(attr, "count");
    for (int i = 0; i < ws->n; i++) {
        const char *w = ws->w[i];
        if (note) {
            if (strcmp(w, "note") && strcmp(w, "notes")) continue;
            int j = i + 1;
            if (j < ws->n && !strcmp(ws->w[j], "is")) j++;
            if (j < ws->n && eq_ci(ws->w[j], v)) return true;
            continue;
        }
        if (eq_ci(w, v)) return true;
        if (shape && is_plural_of(w, v)) return true;
    }
    if (count && eq_ci(v, "one") && shapes) {
        for (int i = 0; i < ws->n; i++) {
            if (strcmp(ws->w[i], "a") && strcmp(ws->w[i], "an")) continue;
            for (int j = i + 1; j < ws->n && j <= i + 3; j++)
                for (int k = 0; k < n_shapes; k++)
                    if (shapes[k] && eq_ci(ws->w[j], shapes[k])) return true;
        }
    }
    return false;
}

int a2a_eval_present(const char *reply, const char *attr, const char *const *values, int n_values,
                     const char *const *shapes, int n_shapes, bool *present) {
    words ws;
    if (!split_words(reply ? reply : "", &ws)) return -1;
    int n = 0;
    for (int i = 0; i < n_values; i++) {
        present[i] = value_present(&ws, attr, values[i], shapes, n_shapes);
        n += present[i];
    }
    free(ws.w);
    return n;
}

bool a2a_eval_score(const char *reply, const char *attr, const char *expected, const char *const *values,
                    int n_values, const char *const *shapes, int n_shapes) {
    words ws;
    if (!split_words(reply ? reply : "", &ws)) return false;
    bool ok = value_present(&ws, attr, expected, shapes, n_shapes);
    for (int i = 0; ok && i < n_values; i++)
        if (!eq_ci(values[i], expected) && value_present(&ws, attr, values[i], shapes, n_shapes)) ok = false;
    free(ws.w);
    return ok;
}
