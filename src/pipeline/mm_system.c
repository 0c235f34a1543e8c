/* Multimodal system loading and prompt evaluation: see mm_system.h. */
#include "pipeline/mm_system.h"

#include <stdlib.h>
#include <string.h>

bool a2a_mm_system_can_generate(const a2a_mm_system *sys, int m) {
    if (m < 0 || m >= A2A_OUT_N || !sys->n_signal[m] || !sys->out_proj[m]) return false;
    return m == A2A_OUT_IMAGE ? sys->image_gen != NULL : m == A2A_OUT_AUDIO ? sys->audio_gen != NULL
                                                                           : sys->video_gen != NULL;
}

/* Load the output projectors and generators the spec names and check every joint by name. */
static a2a_status load_generation(a2a_ctx *ctx, const a2a_bundle_spec *spec, a2a_mm_system *sys) {
    const int32_t n_embd = sys->llm->hp.n_embd;
    a2a_status st = A2A_OK;
    for (int m = 0; m < A2A_OUT_N && st == A2A_OK; m++) {
        const char *name = a2a_out_modality_name(m);
        const bool wanted = spec->output_projector[m][0] || spec->generator[m][0];
        /* signal token ids: all present, or none (the modality is then unavailable) */
        int found = 0;
        for (int i = 0; i < spec->n_signal[m]; i++) {
            const char *t = spec->signal_tokens[m][i];
            sys->signal_ids[m][i] = a2a_vocab_find(sys->llm->vocab, t, strlen(t));
            if (sys->signal_ids[m][i] >= 0) found++;
        }
        if (found == spec->n_signal[m]) sys->n_signal[m] = found;
        else if (found > 0 || wanted)
            return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "bundle: the LLM %s has %d of the %d %s signal tokens (%s ...)",
                            spec->llm, found, spec->n_signal[m], name, spec->signal_tokens[m][0]);
        if (!wanted) continue;
        if (!spec->output_projector[m][0] || !spec->generator[m][0])
            return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "bundle: %s output needs both an output projector and a generator",
                            name);
        if ((st = a2a_textfc_load(ctx, spec->output_projector[m], &sys->out_proj[m])) != A2A_OK) break;
        const a2a_textfc *fc = sys->out_proj[m];
        if (a2a_textfc_in_dim(fc) != n_embd)
            return a2a_fail(ctx, A2A_ERR_SHAPE, "bundle: the %s output projector takes %lld-wide states, the LLM is %d wide",
                            name, (long long)a2a_textfc_in_dim(fc), n_embd);
        if (a2a_textfc_n_in_tokens(fc) != sys->n_signal[m])
            return a2a_fail(ctx, A2A_ERR_SHAPE, "bundle: the %s output projector takes %lld signal tokens, the bundle has %d",
                            name, (long long)a2a_textfc_n_in_tokens(fc), sys->n_signal[m]);
        const int64_t width = a2a_textfc_out_dim(fc), n_out = a2a_textfc_n_out_tokens(fc);
        if (m == A2A_OUT_IMAGE) {
            if ((st = a2a_sd_load(ctx, spec->generator[m], &sys->image_gen)) != A2A_OK) break;
            if (width != a2a_unet2d_context_dim(sys->image_gen->unet) || n_out > 77)
                return a2a_fail(ctx, A2A_ERR_SHAPE,
                                "bundle: the image output projector gives %lld x %lld, the image generator takes up to 77 x %d",
                                (long long)n_out, (long long)width, a2a_unet2d_context_dim(sys->image_gen->unet));
        } else if (m == A2A_OUT_AUDIO) {
            if ((st = a2a_audioldm_load(ctx, spec->generator[m], &sys->audio_gen)) != A2A_OK) break;
            const int need = a2a_unet2d_get_config(sys->audio_gen->unet)->class_input_dim;
            if (width * n_out != need)
                return a2a_fail(ctx, A2A_ERR_SHAPE, "bundle: the audio output projector gives %lld x %lld, AudioLDM takes %d",
                                (long long)n_out, (long long)width, need);
        } else {
            if ((st = a2a_t2v_load(ctx, spec->generator[m], &sys->video_gen)) != A2A_OK) break;
            /* upstream reshapes a projector output that is not 77 tokens to rows of the UNet's
               context width and pads them to 77 */
            const int64_t D = a2a_unet3d_context_dim(sys->video_gen->unet);
            if ((width * n_out) % D || width * n_out > 77 * D)
                return a2a_fail(ctx, A2A_ERR_SHAPE,
                                "bundle: the video output projector gives %lld x %lld, the video generator takes up to 77 x %lld",
                                (long long)n_out, (long long)width, (long long)D);
        }
    }
    return st;
}

void a2a_mm_system_free(a2a_mm_system *sys) {
    if (!sys) return;
    for (int m = 0; m < A2A_OUT_N; m++) a2a_textfc_free(sys->out_proj[m]);
    a2a_sd_free(sys->image_gen);
    a2a_audioldm_free(sys->audio_gen);
    a2a_t2v_free(sys->video_gen);
    a2a_projector_free(sys->proj);
    a2a_imagebind_free(sys->enc);
    a2a_llm_free(sys->llm);
    a2a_llm_lora_free(sys->lora);
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
    if (st == A2A_OK && spec->lora[0] && (st = a2a_llm_lora_load(ctx, sys->llm, spec->lora, &sys->lora)) == A2A_OK)
        a2a_llm_set_lora(sys->llm, sys->lora);
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
    if (st == A2A_OK) st = load_generation(ctx, spec, sys);
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
