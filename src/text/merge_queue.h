/* Internal: the priority queue of candidate merges shared by the SentencePiece-BPE and
   byte-level BPE encoders. Both merge adjacent symbols best-first with ties going to the
   leftmost pair; SentencePiece ranks by token score (higher first), BPE by merge rank (lower
   first, stored as prio = -rank, exact for ranks below 2^53). */
#ifndef A2A_TEXT_MERGE_QUEUE_H
#define A2A_TEXT_MERGE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A symbol in the doubly linked list being merged: text[off, off+len); len 0 = merged away. */
typedef struct a2a_merge_sym { int32_t prev, next; uint32_t off, len; } a2a_merge_sym;

typedef struct a2a_merge {
    int32_t left, right; /* symbol indices */
    double prio;         /* higher pops first */
    uint32_t size;       /* byte length of the merged symbol (detects stale entries) */
} a2a_merge;

typedef struct a2a_merge_queue { a2a_merge *v; size_t n, cap; } a2a_merge_queue; /* zero-init: empty */

/* Add m; false when memory runs out. */
bool a2a_merge_push(a2a_merge_queue *q, a2a_merge m);
/* Remove and return the best entry (highest prio, then smallest left); q must not be empty. */
a2a_merge a2a_merge_pop(a2a_merge_queue *q);
void a2a_merge_queue_free(a2a_merge_queue *q);

struct a2a_strmap;
/* Byte-level BPE merging (GPT-2 and CLIP): the n symbols syms[0..n) over text, chained by
   prev/next from index 0, are merged lowest rank first (ties leftmost), where a pair's rank is
   merge_rank["left right"]; merged-away symbols get len 0. key is scratch of at least
   2 * (text length) + 2 bytes. Returns false when memory runs out. */
bool a2a_bpe_merge_ranked(const struct a2a_strmap *merge_rank, const char *text, a2a_merge_sym *syms, size_t n,
                          char *key);

#endif
