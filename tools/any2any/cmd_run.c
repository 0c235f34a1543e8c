/* any2any run -m BUNDLE [-p TEXT] [--image F]... [--audio F]... [--video F]... [-o DIR] [--json]
   [LLM and generator options]: one multimodal turn through a bundle: the media are decoded,
   encoded and projected into soft tokens, spliced into the NExT-GPT prompt (media first, in
   argument order, then the text), and the reply is streamed to stdout (or printed as JSON with
   --json). When the bundle has output projectors and generators, signal-token spans in the
   reply become images/sounds written to DIR/reply-N.png|wav (see pipeline/nextgpt.h for the
   span rules). Timings go to stderr. Ctrl-C stops cleanly. */
#include "cli.h"
#include "llm_opts.h"
#include "llm_run.h"
#include "media_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "pipeline/mm_system.h"
#include "pipeline/nextgpt.h"
#include "pipeline/textgen.h"

#define RUN_MAX_MEDIA 64

static void run_usage(FILE *f) {
    fprintf(f,
            "usage: any2any run -m BUNDLE [-p TEXT] [--image F]... [--audio F]... [--video F]... [options]\n"
            "  BUNDLE: a bundle.json manifest or a folder holding one (see README: Bundles)\n"
            "  --json                  print {\"text\", \"files\", \"tokens\", \"timings\"} instead of streaming\n"
            "  -o DIR                  where generated media go (default .): reply-1.png, reply-2.wav, ...\n"
            "  --force M / --forbid M  make the reply produce (or never produce) M = image | audio | video\n"
            "  --steps N --cfg S --gen-seed N   generator denoising steps, guidance, seed\n"
            "  --width W --height H --frames N --seconds S   image/video size, video frames, sound length\n"
            "%s",
            cli_llm_opts_help);
}

int cli_run(int argc, char **argv) {
    cli_llm_opts o;
    cli_llm_opts_init(&o);
    const char *prompt = NULL;
    bool json = false;
    const char *outdir = ".";
    a2a_nextgpt_params np = a2a_nextgpt_default_params();
    a2a_chunk chunks[RUN_MAX_MEDIA + 1];
    int n_chunks = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            run_usage(stdout);
            return 0;
        }
        int r = cli_llm_opts_parse(&o, argc, argv, &i);
        if (r < 0) return 2;
        if (r) continue;
        a2a_chunk_kind k = A2A_CHUNK_TEXT;
        if (!strcmp(argv[i], "--image")) k = A2A_CHUNK_IMAGE;
        else if (!strcmp(argv[i], "--audio")) k = A2A_CHUNK_AUDIO;
        else if (!strcmp(argv[i], "--video")) k = A2A_CHUNK_VIDEO;
        if (k != A2A_CHUNK_TEXT) {
            if (i + 1 >= argc) {
                fprintf(stderr, "any2any run: %s needs a file\n", argv[i]);
                return 2;
            }
            if (n_chunks == RUN_MAX_MEDIA) {
                fprintf(stderr, "any2any run: at most %d media inputs\n", RUN_MAX_MEDIA);
                return 2;
            }
            chunks[n_chunks++] = (a2a_chunk){k, NULL, argv[++i], NULL, 0};
        } else if ((!strcmp(argv[i], "-p") || !strcmp(argv[i], "--prompt")) && i + 1 < argc) {
            prompt = argv[++i];
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            outdir = argv[++i];
        } else if ((!strcmp(argv[i], "--force") || !strcmp(argv[i], "--forbid")) && i + 1 < argc) {
            bool force = !strcmp(argv[i], "--force");
            const char *mname = argv[++i];
            int m = -1;
            for (int k = 0; k < A2A_OUT_N; k++)
                if (!strcmp(mname, a2a_out_modality_name(k))) m = k;
            if (m < 0) {
                fprintf(stderr, "any2any run: %s takes image, audio or video, not '%s'\n", force ? "--force" : "--forbid", mname);
                return 2;
            }
            if (force) np.force[m] = true;
            else np.forbid[m] = true;
        } else if (!strcmp(argv[i], "--steps") && i + 1 < argc) {
            int v = atoi(argv[++i]);
            for (int k = 0; k < A2A_OUT_N; k++) np.steps[k] = v;
        } else if (!strcmp(argv[i], "--cfg") && i + 1 < argc) {
            float v = (float)atof(argv[++i]);
            for (int k = 0; k < A2A_OUT_N; k++) np.cfg[k] = v;
        } else if (!strcmp(argv[i], "--gen-seed") && i + 1 < argc) {
            np.seed = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--width") && i + 1 < argc) {
            np.width = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--height") && i + 1 < argc) {
            np.height = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--frames") && i + 1 < argc) {
            np.frames = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            np.seconds = (float)atof(argv[++i]);
        } else {
            fprintf(stderr, "any2any run: unexpected argument '%s'\n", argv[i]);
            run_usage(stderr);
            return 2;
        }
    }
    if (!o.model || (!prompt && n_chunks == 0)) {
        run_usage(stderr);
        return 2;
    }
    if (prompt) chunks[n_chunks++] = (a2a_chunk){A2A_CHUNK_TEXT, prompt, NULL, NULL, 0};
    if (o.n_predict < 0) o.n_predict = 256;

    a2a_ctx *ctx = a2a_ctx_new();
    a2a_threadpool *tp = NULL;
    a2a_bundle_spec *spec = calloc(1, sizeof *spec);
    a2a_mm_system *sys = NULL;
    a2a_llm_session *s = NULL;
    a2a_sampler *smp = NULL;
    a2a_perception perc;
    memset(&perc, 0, sizeof perc);
    a2a_textgen_result res = {0};
    int rc = 1;
    double t0 = cli_now();
    if (!ctx || !spec) goto fail;
    if (a2a_bundle_read(ctx, o.model, spec) != A2A_OK || a2a_mm_system_load(ctx, spec, &sys) != A2A_OK) goto fail;
    if (a2a_threadpool_new(ctx, o.threads, &tp) != A2A_OK) goto fail;
    a2a_llm_session_params sp = a2a_llm_session_default_params();
    sp.n_ctx = o.n_ctx;
    if (a2a_llm_session_new(ctx, sys->llm, tp, &sp, &s) != A2A_OK) goto fail;
    if (a2a_sampler_new(ctx, &o.sp, sys->llm->hp.n_vocab, &smp) != A2A_OK) goto fail;
    if (sys->enc && a2a_perception_init(ctx, &perc, sys->enc, sys->proj, tp) != A2A_OK) goto fail;
    double t_load = cli_now() - t0, t1 = cli_now();
    cli_sigint_install();
    int32_t n_pos = 0;
    if (a2a_mm_system_eval(ctx, sys, &perc, s, chunks, n_chunks, &cli_sigint_flag, &n_pos) != A2A_OK) goto fail;
    double t_prompt = cli_now() - t1, t2 = cli_now();
    np.n_predict = o.n_predict;
    a2a_nextgpt_reply rep;
    a2a_status gst = a2a_nextgpt_generate(ctx, sys, s, smp, tp, &np, json ? NULL : cli_print_text, NULL, &cli_sigint_flag, &rep);
    res = rep.tg;
    rep.tg.text = NULL;
    if (gst != A2A_OK) {
        a2a_nextgpt_reply_free(&rep);
        goto fail;
    }
    double t_gen = cli_now() - t2;
    /* write the media: DIR/reply-N.png | .wav (atomic writes) */
    char files[A2A_NEXTGPT_MAX_MEDIA][CLI_PATH_MAX];
    int n_files = 0;
    if (cli_write_reply_media(ctx, &rep, outdir, 1, files, &n_files) != A2A_OK) {
        a2a_nextgpt_reply_free(&rep);
        goto fail;
    }
    if (json) {
        printf("{\"text\": ");
        cli_json_str(stdout, res.text ? res.text : "");
        printf(", \"files\": [");
        for (int i = 0; i < n_files; i++) {
            if (i) printf(", ");
            cli_json_str(stdout, files[i]);
        }
        printf("], \"prompt_positions\": %d, \"media\": %d, \"tokens\": %d, \"stopped\": \"%s\",\n"
               " \"timings\": {\"load_s\": %.3f, \"prompt_s\": %.3f, \"generate_s\": %.3f}}\n",
               n_pos, perc.misses + perc.hits, res.n_tokens,
               res.cancelled ? "cancelled" : res.hit_stop ? "stop" : res.hit_eos ? "eos" : res.context_full ? "context" : "limit",
               t_load, t_prompt, t_gen);
    } else {
        for (int i = 0; i < n_files; i++) printf("%s[%s]", i ? " " : "\n", files[i]);
        printf("\n");
    }
    a2a_nextgpt_reply_free(&rep);
    fflush(stdout);
    fprintf(stderr, "load %.2f s | prompt %d positions (%d media) in %.2f s | generated %d tokens and %d files in %.2f s%s\n",
            t_load, n_pos, perc.misses + perc.hits, t_prompt, res.n_tokens, n_files, t_gen,
            res.cancelled ? " | interrupted" : "");
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "any2any run: %s\n", ctx ? a2a_last_error(ctx) : "out of memory");
done:
    free(res.text);
    a2a_perception_free(&perc);
    a2a_sampler_free(smp);
    a2a_llm_session_free(s);
    a2a_threadpool_free(tp);
    a2a_mm_system_free(sys);
    free(spec);
    a2a_ctx_free(ctx);
    return rc;
}
