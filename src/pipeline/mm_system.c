/* Multimodal system loading and prompt evaluation: see mm_system.h. */
#include "pipeline/mm_system.h"

#include <stdlib.h>
#include <string.h>

void a2a_mm_system_free(a2a_mm_system *sys) {
    if (!sys) return;
    a2a_projector_free(sys->proj);
    a2a_imagebind_free(sys->enc);
    a2a_llm_free(sys->llm);
    free(sys);
}

a2a_status a2a_mm_system_load(a2a_ctx *ctx, const a2a_bundle_spec *spec, a2a_mm_system **out) {
    *out = NULL;
    a2a_mm_system *sys = calloc(1, sizeof *sys);
    if (!sys) return a2a_fail(ctx, A2A_ERR_NOMEM, "bundle: out of memory");
    sys->spec = *spec;
    a2a_status st = a2a_llm_load(ctx, spec->llm, &sys->llm);
    if (st == A2A_OK && !sys->llm->vocab)
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "bundle: the LLM %s has no tokenizer", spec->llm);
    if (st == A2A_OK && spec->encoder[0]) {
        if (!spec->input_projector[0])
            st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "bundle: an encoder without an \"input_projector\"");
        if (st == A2A_OK) st = a2a_imagebind_load(ctx, spec->encoder, &sys->enc);
        if (st == A2A_OK) st = a2a_projector_load(ctx, spec->input_projector, &sys->proj);
        if (st == A2A_OK && a2a_projector_in_dim(sys->proj) != a2a_imagebind_out_dim(sys->enc))
            st = a2a_fail(ctx, A2A_ERR_SHAPE,
                          "bundle: the input projector %s takes %lld-wide features but the encoder %s gives %lld",
                          spec->input_projector, (long long)a2a_projector_in_dim(sys->proj), spec->encoder,
                          (long long)a2a_imagebind_out_dim(sys->enc));
        if (st == A2A_OK && a2a_projector_out_dim(sys->proj) != sys->llm->hp.n_embd)
            st = a2a_fail(ctx, A2A_ERR_SHAPE,
                          "bundle: the input projector %s gives %lld-wide soft tokens but the LLM %s is %d wide",
                          spec->input_projector, (long long)a2a_projector_out_dim(sys->proj), spec->llm,
                          sys->llm->hp.n_embd);
        const char *markers[2] = {"<Img>", "</Img>"};
        for (int i = 0; i < 2 && st == A2A_OK; i++)
            if (a2a_vocab_find(sys->llm->vocab, markers[i], strlen(markers[i])) < 0)
                st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "bundle: the LLM %s has no %s token (NExT-GPT adds <Img>, </Img>)",
                              spec->llm, markers[i]);
    } else if (st == A2A_OK && spec->input_projector[0]) {
        st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "bundle: an \"input_projector\" without an \"encoder\"");
    }
    if (st != A2A_OK) {
        a2a_mm_system_free(sys);
        return st;
    }
    *out = sys;
    return A2A_OK;
}

a2a_status a2a_mm_system_eval(a2a_ctx *ctx, const a2a_mm_system *sys, a2a_perception *p, a2a_llm_session *s,
                              const a2a_chunk *chunks, int n_chunks, const volatile int *cancel, int32_t *n_positions) {
    if (n_positions) *n_positions = 0;
    for (int i = 0; i < n_chunks; i++)
        if (chunks[i].kind != A2A_CHUNK_TEXT && !sys->enc)
            return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "the bundle has no encoder, so it cannot take the %s input",
                            a2a_chunk_kind_name(chunks[i].kind));
    a2a_mm_seq seq;
    a2a_mm_seq_init(&seq, sys->llm->hp.n_embd);
    a2a_status st = a2a_mm_build_nextgpt(ctx, &seq, sys->llm->vocab, chunks, n_chunks,
                                         sys->enc ? a2a_perception_soft_tokens : NULL, p);
    if (st == A2A_OK)
        st = a2a_llm_decode(ctx, s, seq.tokens, seq.embd, seq.is_embd, seq.n, NULL, cancel);
    if (st == A2A_OK && n_positions) *n_positions = seq.n;
    a2a_mm_seq_free(&seq);
    return st;
}
