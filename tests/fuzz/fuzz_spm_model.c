/* libFuzzer target: parse arbitrary bytes as a SentencePiece model (tokenizer.model); on
   success check the invariants the converter relies on (piece count, NUL-terminated UTF-8
   texts of the stated length, known types, special ids inside the vocabulary). */
#include "io/json.h"
#include "text/spm_model.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    a2a_ctx *ctx = a2a_ctx_new();
    if (!ctx) return 0;
    a2a_spm_model *m = NULL;
    if (a2a_spm_model_parse(ctx, data, size, &m) == A2A_OK) {
        if (m->n_pieces <= 0 || m->n_pieces > A2A_SPM_MAX_PIECES) abort();
        for (int32_t i = 0; i < m->n_pieces; i++) {
            const a2a_spm_piece *p = &m->pieces[i];
            if (p->len == 0 || strlen(p->text) > p->len || p->text[p->len] != 0) abort();
            if (!a2a_utf8_valid(p->text, p->len)) abort();
            if (p->type < A2A_SPM_NORMAL || p->type > A2A_SPM_BYTE) abort();
        }
        const int32_t ids[4] = {m->unk_id, m->bos_id, m->eos_id, m->pad_id};
        for (int i = 0; i < 4; i++)
            if (ids[i] < -1 || ids[i] >= m->n_pieces) abort();
        a2a_spm_model_free(m);
    } else if (m != NULL) {
        abort(); /* failure must leave *out NULL */
    }
    a2a_ctx_free(ctx);
    return 0;
}
