/* Internal: the demo evaluation set (DIR/eval.json + media files, written by
   tools/demo/make_eval_set.py; the format is documented there and in the README).

     {"understand": [{"id", "media": "image|video|audio", "file": "img/0001.png" (relative to DIR),
                      "question", "expect": {attr: value, ...}}],
      "generate":   [{"id", "modality": "image|video|audio", "prompt", "expect": {attr: value}}],
      "choice":     [{"id"?, "prompt", "expect": "image|video|audio|none"}],
      "labels":     {"image"|"video"|"audio": [{"text", "attrs": {attr: value}}]},
      "attributes": {attr: [value, ...]}}

   Every expected attribute must be listed in "attributes" with the expected value among its
   values; every media file must exist. Errors name the entry (e.g. "understand[3].file"). */
#ifndef A2A_EVAL_EVAL_SET_H
#define A2A_EVAL_EVAL_SET_H

#include "core/status.h"
#include "io/json.h"

#define A2A_EVAL_MAX_KV 8
#define A2A_EVAL_MAX_ATTRS 16

typedef struct a2a_eval_kv {
    const char *attr;   /* points into the document */
    const char *value;
} a2a_eval_kv;

/* modality / media: 0 image, 1 video, 2 audio (as a2a_out_modality); -1 none (choice) */
typedef struct a2a_eval_case {
    const char *id;
    int modality;
    char *path;          /* understand: DIR/file (owned) */
    const char *text;    /* question (understand) or prompt (generate, choice) */
    int n_expect;
    a2a_eval_kv expect[A2A_EVAL_MAX_KV];
} a2a_eval_case;

typedef struct a2a_eval_label {
    const char *text;
    int n_attrs;
    a2a_eval_kv attrs[A2A_EVAL_MAX_KV];
} a2a_eval_label;

typedef struct a2a_eval_attr {
    const char *name;
    const char **values;  /* owned array of pointers into the document */
    int n_values;
} a2a_eval_attr;

typedef struct a2a_eval_set {
    a2a_json *doc;
    a2a_eval_case *understand, *generate, *choice;
    int n_understand, n_generate, n_choice;
    a2a_eval_label *labels[3];
    int n_labels[3];
    a2a_eval_attr attrs[A2A_EVAL_MAX_ATTRS];
    int n_attrs;
} a2a_eval_set;

/* Load DIR/eval.json and check it (see above). Free with a2a_eval_set_free (also after a
   failure). */
a2a_status a2a_eval_set_load(a2a_ctx *ctx, const char *dir, a2a_eval_set *set);
void a2a_eval_set_free(a2a_eval_set *set);

/* The attribute named name, or NULL. */
const a2a_eval_attr *a2a_eval_set_attr(const a2a_eval_set *set, const char *name);
/* Value of attr in kv[0..n), or NULL. */
const char *a2a_eval_kv_get(const a2a_eval_kv *kv, int n, const char *attr);
/* "image" "video" "audio" for 0..2, "none" for -1. */
const char *a2a_eval_modality_name(int m);

#endif
