/* any2any eval -m BUNDLE [--set DIR] [--judge J.gguf] [--limit N] [--steps S] [--json] [-t N]
   [--seed S]: the demo bundle's quality numbers on a held-out evaluation set (DIR/eval.json,
   written by tools/demo/make_eval_set.py; see src/eval/eval_set.h for the format).

   Three sections, as issue 7 states the targets:
     understand  media + question -> greedy reply (generators not run); each expected attribute
                 is scored by word matching (src/eval/score.h); target 90% per attribute.
     generate    a text request -> the reply must hold a span of the requested modality (target
                 95%); the generated output is judged: images/videos by the judge encoder's
                 nearest label text, tones by their pitch (src/eval/pitch.h), spoken words and
                 noises by the judge's nearest audio label; target 80% per attribute.
     choice      a text prompt (generators not run) -> the requested modality's span and no
                 other (target 95%), or no span at all for text-only prompts (target 100%).
   --check-judge adds a fourth section, judge: the judge and the pitch detector on the real
   held-out media of the understand cases (a check of the scoring; target 90%).
   The table (or --json) goes to stdout, progress to stderr. Exit status 0 when the evaluation
   ran (whatever the numbers), 1 on bad input or a failed run, 2 on bad usage, 130 when
   interrupted (Ctrl-C; the partial table is still printed). */
#include "cli.h"
#include "media_out.h"
#include "llm_run.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/threadpool.h"
#include "eval/eval_set.h"
#include "eval/judge.h"
#include "eval/pitch.h"
#include "eval/score.h"
#include "media/audio.h"
#include "media/audio_write.h"
#include "media/image_write.h"
#include "media/video_write.h"
#include "pipeline/mm_system.h"
#include "pipeline/nextgpt.h"

enum { SEC_UNDERSTAND = 0, SEC_GENERATE, SEC_CHOICE, SEC_JUDGE, SEC_N };
static const char *const SEC_NAME[SEC_N] = {"understand", "generate", "choice", "judge"};

static void eval_usage(FILE *f) {
    fprintf(f, "usage: any2any eval -m BUNDLE [options]\n"
               "  the bundle's quality on a held-out evaluation set (tools/demo/make_eval_set.py)\n"
               "  --set DIR        evaluation set folder holding eval.json (default BUNDLE_DIR/eval)\n"
               "  --judge F.gguf   judge encoder for generated media (default SET/judge.gguf)\n"
               "  --limit N        at most N cases per section, taken in turn from each modality (default: all)\n"
               "  --only S         run one section: understand | generate | choice | judge\n"
               "  --check-judge    also score the real media of the understand cases with the judge and the\n"
               "                   pitch detector (section judge: checks the scoring itself)\n"
               "  --force          generate: force the requested modality's span (judges the generators alone;\n"
               "                   the span row then says nothing about the LLM's modality choice)\n"
               "  --steps S        generator denoising steps (default: each generator's default)\n"
               "  --width W --height H --frames N --seconds S --cfg C   generator settings\n"
               "  -n N             max reply tokens (default 64)\n"
               "  -t N             threads (default: all cores)\n"
               "  --seed S         generator noise seed (default 42; replies are greedy)\n"
               "  --json           print the results as JSON (with every case) instead of the table\n"
               "  -v               print every case's reply and verdict to stderr\n");
}

/* ---- result rows: (section, modality, attribute) -> correct / total ---- */

typedef struct row {
    int sec;
    char group[8];
    char attr[24];
    int correct, total;
    double target;
} row;

typedef struct item_rec {
    int sec;
    const char *id;
    int modality;
    char *reply;
    char verdict[400];
} item_rec;

typedef struct eval_state {
    a2a_ctx *ctx;
    a2a_mm_system *sys;
    a2a_threadpool *tp;
    a2a_llm_session *s;
    a2a_perception perc;
    a2a_judge judge;
    bool have_judge;
    const a2a_eval_set *set;
    a2a_nextgpt_params np;
    a2a_sampler_params sp;
    int n_predict;
    bool verbose;
    bool force;
    char tmpdir[1100];
    row rows[128];
    int n_rows;
    item_rec *items;
    int n_items, cap_items;
    double t_sec[SEC_N];
    int n_done[SEC_N], n_todo[SEC_N];
} eval_state;

static row *row_get(eval_state *e, int sec, const char *group, const char *attr, double target) {
    for (int i = 0; i < e->n_rows; i++)
        if (e->rows[i].sec == sec && !strcmp(e->rows[i].group, group) && !strcmp(e->rows[i].attr, attr)) return &e->rows[i];
    if (e->n_rows == (int)(sizeof e->rows / sizeof e->rows[0])) return NULL;
    row *r = &e->rows[e->n_rows++];
    memset(r, 0, sizeof *r);
    r->sec = sec;
    snprintf(r->group, sizeof r->group, "%s", group);
    snprintf(r->attr, sizeof r->attr, "%s", attr);
    r->target = target;
    return r;
}

static void row_add(eval_state *e, int sec, const char *group, const char *attr, double target, bool ok) {
    row *r = row_get(e, sec, group, attr, target);
    if (!r) return;
    r->total++;
    r->correct += ok;
}

static item_rec *item_add(eval_state *e, int sec, const a2a_eval_case *c, const char *reply) {
    if (e->n_items == e->cap_items) {
        int cap = e->cap_items ? 2 * e->cap_items : 64;
        item_rec *n = realloc(e->items, sizeof *n * (size_t)cap);
        if (!n) return NULL;
        e->items = n;
        e->cap_items = cap;
    }
    item_rec *it = &e->items[e->n_items++];
    memset(it, 0, sizeof *it);
    it->sec = sec;
    it->id = c->id;
    it->modality = c->modality;
    it->reply = strdup(reply ? reply : "");
    return it;
}

static void verdict_add(item_rec *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void verdict_add(item_rec *it, const char *fmt, ...) {
    if (!it) return;
    size_t n = strlen(it->verdict);
    if (n + 2 >= sizeof it->verdict) return;
    if (n) it->verdict[n++] = ' ', it->verdict[n] = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->verdict + n, sizeof it->verdict - n, fmt, ap);
    va_end(ap);
}

/* ---- one turn: fresh context, greedy reply ---- */

static a2a_status turn(eval_state *e, const a2a_chunk *chunks, int n, bool text_only, int force, a2a_nextgpt_reply *rep) {
    memset(rep, 0, sizeof *rep);
    a2a_llm_session_rewind(e->s, 0);
    a2a_sampler *smp = NULL;
    a2a_status st = a2a_sampler_new(e->ctx, &e->sp, e->sys->llm->hp.n_vocab, &smp);
    if (st == A2A_OK) st = a2a_mm_system_eval(e->ctx, e->sys, &e->perc, e->s, chunks, n, &cli_sigint_flag, NULL);
    if (st == A2A_OK) {
        a2a_nextgpt_params np = e->np;
        np.text_only = text_only;
        if (force >= 0) np.force[force] = true;
        np.n_predict = e->n_predict;
        st = a2a_nextgpt_generate(e->ctx, e->sys, e->s, smp, e->tp, &np, NULL, NULL, &cli_sigint_flag, rep);
        if (st == A2A_OK && rep->tg.cancelled) st = a2a_fail(e->ctx, A2A_ERR_CANCELLED, "interrupted");
    }
    a2a_sampler_free(smp);
    return st;
}

static const char *const *shape_values(const eval_state *e, int *n) {
    const a2a_eval_attr *a = a2a_eval_set_attr(e->set, "shape");
    *n = a ? a->n_values : 0;
    return a ? a->values : NULL;
}

static a2a_chunk_kind chunk_kind(int modality) {
    return modality == 0 ? A2A_CHUNK_IMAGE : modality == 1 ? A2A_CHUNK_VIDEO : A2A_CHUNK_AUDIO;
}

static void progress(eval_state *e, int sec, const a2a_eval_case *c, const item_rec *it) {
    e->n_done[sec]++;
    if (e->verbose && it)
        fprintf(stderr, "[%s %d/%d] %s %s: \"%s\" -> %s\n", SEC_NAME[sec], e->n_done[sec], e->n_todo[sec], c->id,
                a2a_eval_modality_name(c->modality), it->reply, it->verdict);
    else
        fprintf(stderr, "\r%s %d/%d   ", SEC_NAME[sec], e->n_done[sec], e->n_todo[sec]);
}

static a2a_status run_understand(eval_state *e, const a2a_eval_case *c) {
    a2a_chunk ch[2] = {{chunk_kind(c->modality), NULL, c->path, NULL, 0}, {A2A_CHUNK_TEXT, c->text, NULL, NULL, 0}};
    a2a_nextgpt_reply rep;
    a2a_status st = turn(e, ch, 2, true, -1, &rep);
    if (st != A2A_OK) {
        a2a_nextgpt_reply_free(&rep);
        if (st != A2A_ERR_CANCELLED) a2a_error_prefix(e->ctx, "understand %s (%s)", c->id, c->path);
        return st;
    }
    const char *reply = rep.tg.text ? rep.tg.text : "";
    item_rec *it = item_add(e, SEC_UNDERSTAND, c, reply);
    int n_shapes;
    const char *const *shapes = shape_values(e, &n_shapes);
    for (int k = 0; k < c->n_expect; k++) {
        const a2a_eval_attr *a = a2a_eval_set_attr(e->set, c->expect[k].attr);
        bool ok = a2a_eval_score(reply, a->name, c->expect[k].value, a->values, a->n_values, shapes, n_shapes);
        row_add(e, SEC_UNDERSTAND, a2a_eval_modality_name(c->modality), a->name, 0.90, ok);
        verdict_add(it, "%s=%s:%s", a->name, c->expect[k].value, ok ? "ok" : "WRONG");
    }
    progress(e, SEC_UNDERSTAND, c, it);
    a2a_nextgpt_reply_free(&rep);
    return A2A_OK;
}

/* Score the media ch (and its samples wave, for sounds) against case c's expectations: a
   sound's note by its pitch, everything else by the judge's nearest label of c's modality.
   Rows go to section sec with the given target. */
static a2a_status score_judged(eval_state *e, int sec, double target, const a2a_eval_case *c, const a2a_chunk *ch,
                               const float *wave, int64_t n_samples, int rate, item_rec *it) {
    a2a_ctx *ctx = e->ctx;
    const char *group = a2a_eval_modality_name(c->modality);
    bool need_judge = false;
    for (int k = 0; k < c->n_expect; k++)
        if (!(c->modality == 2 && !strcmp(c->expect[k].attr, "note"))) need_judge = true;
    const char *note = c->modality == 2 ? a2a_eval_kv_get(c->expect, c->n_expect, "note") : NULL;
    if (note) {
        float f0 = 0;
        bool voiced = wave && a2a_pitch_estimate(wave, n_samples, rate, NULL, &f0);
        const char *got = voiced ? a2a_pitch_note_name(a2a_pitch_note(f0)) : "none";
        bool ok = voiced && !strcmp(got, note);
        row_add(e, sec, group, "note (pitch)", target, ok);
        verdict_add(it, "note=%s:got %s@%.1fHz:%s", note, got, f0, ok ? "ok" : "WRONG");
    }
    if (!need_judge) return A2A_OK;
    int best = -1;
    float sim = 0;
    a2a_status st = a2a_judge_classify(ctx, &e->judge, c->modality, ch, &best, &sim);
    if (st != A2A_OK) {
        a2a_error_prefix(ctx, "judging %s", c->id);
        return st;
    }
    const a2a_eval_label *l = &e->set->labels[c->modality][best];
    for (int k = 0; k < c->n_expect; k++) {
        const char *attr = c->expect[k].attr;
        if (c->modality == 2 && !strcmp(attr, "note")) continue;
        const char *got = a2a_eval_kv_get(l->attrs, l->n_attrs, attr);
        bool ok = got && !strcmp(got, c->expect[k].value);
        row_add(e, sec, group, attr, target, ok);
        verdict_add(it, "%s=%s:got %s:%s", attr, c->expect[k].value, got ? got : "-", ok ? "ok" : "WRONG");
    }
    verdict_add(it, "[judge: '%s' %.3f]", l->text, sim);
    return A2A_OK;
}

/* Judge one generated item of case c: encoded as the evaluation set's media are (PNG; H.264
   MP4 at 4 fps, crf 12; WAV), then scored. */
static a2a_status judge_media(eval_state *e, const a2a_eval_case *c, const a2a_nextgpt_media *md, item_rec *it) {
    a2a_ctx *ctx = e->ctx;
    void *buf = NULL;
    size_t size = 0;
    char vpath[1200] = "";
    a2a_status st = A2A_OK;
    a2a_chunk ch = {chunk_kind(c->modality), NULL, NULL, NULL, 0};
    if (md->pixels) {
        a2a_image img = {0};
        st = a2a_image_from_planar_f32(ctx, md->pixels, 3, md->h, md->w, A2A_PIXEL_RANGE_NEG1_1, A2A_PIXEL_ROUND, &img);
        if (st == A2A_OK) st = a2a_image_encode(ctx, &img, A2A_IMAGE_FILE_PNG, NULL, &buf, &size);
        a2a_image_free(&img);
        ch.data = buf;
        ch.size = size;
    } else if (md->video) {
        snprintf(vpath, sizeof vpath, "%s/gen.mp4", e->tmpdir);
        a2a_video_write_params vp = a2a_video_write_default_params();
        vp.crf = 12;
        st = cli_write_video_item(ctx, md, vpath, 4.0, &vp);
        ch.path = vpath;
    } else if (md->wave) {
        a2a_audio au = {md->rate, 1, md->n_samples, md->wave};
        st = a2a_audio_encode_wav(ctx, &au, NULL, &buf, &size);
        ch.data = buf;
        ch.size = size;
    } else {
        return a2a_fail(ctx, A2A_ERR_INTERNAL, "generate %s: the span produced no output", c->id);
    }
    if (st == A2A_OK) st = score_judged(e, SEC_GENERATE, 0.80, c, &ch, md->wave, md->n_samples, md->rate, it);
    else a2a_error_prefix(ctx, "generate %s: encoding the output", c->id);
    free(buf);
    if (vpath[0]) unlink(vpath);
    return st;
}

/* --check-judge: the judge and the pitch detector on the real held-out media of the understand
   cases (a check of the scoring itself: it should be near 100%). */
static a2a_status run_judge_check(eval_state *e, const a2a_eval_case *c) {
    a2a_chunk ch = {chunk_kind(c->modality), NULL, c->path, NULL, 0};
    a2a_audio au = {0};
    float *mono = NULL;
    a2a_status st = A2A_OK;
    if (c->modality == 2 && a2a_eval_kv_get(c->expect, c->n_expect, "note")) {
        st = a2a_audio_load(e->ctx, c->path, NULL, &au);
        if (st == A2A_OK) st = a2a_audio_to_mono(e->ctx, &au, &mono);
        if (st != A2A_OK) a2a_error_prefix(e->ctx, "%s", c->path);
    }
    item_rec *it = st == A2A_OK ? item_add(e, SEC_JUDGE, c, "") : NULL;
    if (st == A2A_OK) st = score_judged(e, SEC_JUDGE, 0.90, c, &ch, mono, au.frames, au.rate, it);
    free(mono);
    a2a_audio_free(&au);
    if (st == A2A_OK) progress(e, SEC_JUDGE, c, it);
    return st;
}

static a2a_status run_generate(eval_state *e, const a2a_eval_case *c) {
    a2a_chunk ch = {A2A_CHUNK_TEXT, c->text, NULL, NULL, 0};
    a2a_nextgpt_reply rep;
    a2a_status st = turn(e, &ch, 1, false, e->force ? c->modality : -1, &rep);
    if (st != A2A_OK) {
        a2a_nextgpt_reply_free(&rep);
        if (st != A2A_ERR_CANCELLED) a2a_error_prefix(e->ctx, "generate %s", c->id);
        return st;
    }
    item_rec *it = item_add(e, SEC_GENERATE, c, rep.tg.text);
    const char *group = a2a_eval_modality_name(c->modality);
    const a2a_nextgpt_media *md = NULL;
    for (int i = 0; i < rep.n_media && !md; i++)
        if (rep.media[i].modality == c->modality) md = &rep.media[i];
    row_add(e, SEC_GENERATE, group, e->force ? "span (forced)" : "span", 0.95, md != NULL);
    verdict_add(it, "%s span:%s", group, md ? "ok" : "WRONG");
    if (md) {
        st = judge_media(e, c, md, it);
    } else {
        /* no output: every judged attribute is wrong */
        for (int k = 0; k < c->n_expect; k++) {
            bool pitch = c->modality == 2 && !strcmp(c->expect[k].attr, "note");
            row_add(e, SEC_GENERATE, group, pitch ? "note (pitch)" : c->expect[k].attr, 0.80, false);
        }
    }
    if (st == A2A_OK) progress(e, SEC_GENERATE, c, it);
    a2a_nextgpt_reply_free(&rep);
    return st;
}

static a2a_status run_choice(eval_state *e, const a2a_eval_case *c) {
    a2a_chunk ch = {A2A_CHUNK_TEXT, c->text, NULL, NULL, 0};
    a2a_nextgpt_reply rep;
    a2a_status st = turn(e, &ch, 1, true, -1, &rep);
    if (st != A2A_OK) {
        a2a_nextgpt_reply_free(&rep);
        if (st != A2A_ERR_CANCELLED) a2a_error_prefix(e->ctx, "choice %s", c->id);
        return st;
    }
    item_rec *it = item_add(e, SEC_CHOICE, c, rep.tg.text);
    int n_other = 0;
    for (int m = 0; m < A2A_OUT_N; m++)
        if (m != c->modality && rep.n_spans[m] > 0) n_other++;
    bool ok = n_other == 0 && (c->modality < 0 || rep.n_spans[c->modality] > 0);
    char got[64] = "";
    for (int m = 0; m < A2A_OUT_N; m++)
        if (rep.n_spans[m] > 0) snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", got[0] ? "+" : "", a2a_out_modality_name(m));
    const char *exp = a2a_eval_modality_name(c->modality);
    row_add(e, SEC_CHOICE, exp, c->modality < 0 ? "no span" : "span", c->modality < 0 ? 1.0 : 0.95, ok);
    verdict_add(it, "expect %s:got %s:%s", exp, got[0] ? got : "none", ok ? "ok" : "WRONG");
    progress(e, SEC_CHOICE, c, it);
    a2a_nextgpt_reply_free(&rep);
    return A2A_OK;
}

/* ---- output ---- */

static bool row_pass(const row *r) { return r->total > 0 && (double)r->correct >= r->target * r->total - 1e-9; }

/* Section verdict: "PASS" when every row passes, "FAIL" otherwise, "-" without rows. */
static const char *sec_verdict(const eval_state *e, int sec) {
    int n = 0;
    bool pass = true;
    for (int i = 0; i < e->n_rows; i++)
        if (e->rows[i].sec == sec) {
            n++;
            pass = pass && row_pass(&e->rows[i]);
        }
    return n == 0 ? "-" : pass ? "PASS" : "FAIL";
}

static void print_table(const eval_state *e, double elapsed, bool interrupted) {
    static const char *const target_text[SEC_N] = {
        "(1) media -> text: each attribute >= 90%",
        "(2) text -> media: right span >= 95%, judged attributes >= 80%",
        "(3) modality choice: asked span >= 95%, none when not asked (100%)",
        "(check) judge + pitch detector on real held-out media >= 90% (not an issue target)"};
    printf("%-11s %-6s %-14s %9s %8s %7s  %s\n", "section", "media", "attribute", "correct", "%", "target", "");
    for (int sec = 0; sec < SEC_N; sec++)
        for (int i = 0; i < e->n_rows; i++) {
            const row *r = &e->rows[i];
            if (r->sec != sec) continue;
            char frac[32];
            snprintf(frac, sizeof frac, "%d/%d", r->correct, r->total);
            printf("%-11s %-6s %-14s %9s %7.1f%% %6.0f%%  %s\n", SEC_NAME[sec], r->group, r->attr, frac,
                   r->total ? 100.0 * r->correct / r->total : 0.0, 100 * r->target, row_pass(r) ? "PASS" : "FAIL");
        }
    printf("\n");
    for (int sec = 0; sec < SEC_N; sec++)
        if (sec != SEC_JUDGE || e->n_todo[sec] > 0)
            printf("%-4s %s  [%d cases, %.1f s]\n", sec_verdict(e, sec), target_text[sec], e->n_done[sec], e->t_sec[sec]);
    printf("elapsed %.1f s%s\n", elapsed, interrupted ? " (interrupted: partial results)" : "");
}

static void print_json(const eval_state *e, double elapsed, bool interrupted) {
    printf("{\"rows\": [");
    for (int i = 0; i < e->n_rows; i++) {
        const row *r = &e->rows[i];
        printf("%s\n  {\"section\": \"%s\", \"media\": \"%s\", \"attribute\": ", i ? "," : "", SEC_NAME[r->sec], r->group);
        cli_json_str(stdout, r->attr);
        printf(", \"correct\": %d, \"total\": %d, \"accuracy\": %.4f, \"target\": %.2f, \"pass\": %s}", r->correct, r->total,
               r->total ? (double)r->correct / r->total : 0.0, r->target, row_pass(r) ? "true" : "false");
    }
    printf("],\n \"sections\": {");
    for (int sec = 0; sec < SEC_N; sec++)
        printf("%s\"%s\": {\"verdict\": \"%s\", \"cases\": %d, \"seconds\": %.3f}", sec ? ", " : "", SEC_NAME[sec],
               sec_verdict(e, sec), e->n_done[sec], e->t_sec[sec]);
    printf("},\n \"cases\": [");
    for (int i = 0; i < e->n_items; i++) {
        const item_rec *it = &e->items[i];
        printf("%s\n  {\"section\": \"%s\", \"id\": ", i ? "," : "", SEC_NAME[it->sec]);
        cli_json_str(stdout, it->id);
        printf(", \"modality\": \"%s\", \"reply\": ", a2a_eval_modality_name(it->modality));
        cli_json_str(stdout, it->reply);
        printf(", \"verdict\": ");
        cli_json_str(stdout, it->verdict);
        printf("}");
    }
    printf("],\n \"elapsed_s\": %.3f, \"interrupted\": %s}\n", elapsed, interrupted ? "true" : "false");
}

/* ---- the command ---- */

/* Evaluation order of a section: round-robin over its modalities (each in file order), so that
   --limit N samples every modality. *out: n indices (caller frees). */
static int *interleave(const a2a_eval_case *c, int n) {
    int *out = malloc(sizeof(int) * (size_t)(n ? n : 1));
    int *next = calloc(4, sizeof(int)); /* next unused index per modality -1..2 */
    if (!out || !next) {
        free(out);
        free(next);
        return NULL;
    }
    int k = 0;
    while (k < n) {
        for (int m = -1; m <= 2 && k < n; m++) {
            int i = next[m + 1];
            while (i < n && c[i].modality != m) i++;
            next[m + 1] = i + 1;
            if (i < n) out[k++] = i;
        }
    }
    free(next);
    return out;
}

static bool is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int cli_eval(int argc, char **argv) {
    const char *bundle = NULL, *set_dir = NULL, *judge_path = NULL, *only = NULL;
    int limit = -1, threads = 0, n_predict = 64;
    bool json = false, verbose = false, force = false, check_judge = false;
    a2a_nextgpt_params np = a2a_nextgpt_default_params();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            eval_usage(stdout);
            return 0;
        } else if (!strcmp(a, "-m") && has) bundle = argv[++i];
        else if (!strcmp(a, "--set") && has) set_dir = argv[++i];
        else if (!strcmp(a, "--judge") && has) judge_path = argv[++i];
        else if (!strcmp(a, "--only") && has) only = argv[++i];
        else if (!strcmp(a, "--limit") && has) limit = atoi(argv[++i]);
        else if (!strcmp(a, "-t") && has) threads = atoi(argv[++i]);
        else if (!strcmp(a, "-n") && has) n_predict = atoi(argv[++i]);
        else if (!strcmp(a, "--seed") && has) np.seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--steps") && has) {
            int v = atoi(argv[++i]);
            for (int k = 0; k < A2A_OUT_N; k++) np.steps[k] = v;
        } else if (!strcmp(a, "--cfg") && has) {
            float v = (float)atof(argv[++i]);
            for (int k = 0; k < A2A_OUT_N; k++) np.cfg[k] = v;
        } else if (!strcmp(a, "--width") && has) np.width = atoi(argv[++i]);
        else if (!strcmp(a, "--height") && has) np.height = atoi(argv[++i]);
        else if (!strcmp(a, "--frames") && has) np.frames = atoi(argv[++i]);
        else if (!strcmp(a, "--seconds") && has) np.seconds = (float)atof(argv[++i]);
        else if (!strcmp(a, "--json")) json = true;
        else if (!strcmp(a, "--force")) force = true;
        else if (!strcmp(a, "--check-judge")) check_judge = true;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) verbose = true;
        else {
            fprintf(stderr, "any2any eval: unexpected argument '%s'\n", a);
            eval_usage(stderr);
            return 2;
        }
    }
    if (!bundle) {
        eval_usage(stderr);
        return 2;
    }
    if (n_predict <= 0 || threads < 0) {
        fprintf(stderr, "any2any eval: -n must be positive and -t not negative\n");
        return 2;
    }
    int only_sec = -1;
    if (only) {
        for (int s = 0; s < SEC_N; s++)
            if (!strcmp(only, SEC_NAME[s])) only_sec = s;
        if (only_sec < 0) {
            fprintf(stderr, "any2any eval: --only takes understand, generate, choice or judge, not '%s'\n", only);
            return 2;
        }
    }
    /* default paths: the bundle's folder / eval, the set's judge.gguf */
    char bdir[1024], sdir[1100], jpath[1200];
    if (is_dir(bundle)) snprintf(bdir, sizeof bdir, "%s", bundle);
    else {
        snprintf(bdir, sizeof bdir, "%s", bundle);
        char *sl = strrchr(bdir, '/');
        if (sl) *sl = 0;
        else snprintf(bdir, sizeof bdir, ".");
    }
    if (!set_dir) {
        snprintf(sdir, sizeof sdir, "%s/eval", bdir);
        set_dir = sdir;
    }
    if (!judge_path) {
        snprintf(jpath, sizeof jpath, "%s/judge.gguf", set_dir);
        judge_path = jpath;
    }

    eval_state *e = calloc(1, sizeof *e);
    a2a_eval_set set;
    memset(&set, 0, sizeof set);
    a2a_bundle_spec *spec = calloc(1, sizeof *spec);
    int rc = 1;
    bool interrupted = false;
    if (!e || !spec) {
        fprintf(stderr, "any2any eval: out of memory\n");
        free(e);
        free(spec);
        return 1;
    }
    e->tmpdir[0] = 0;
    a2a_ctx *ctx = e->ctx = a2a_ctx_new();
    double t0 = cli_now();
    if (!ctx) goto fail;
    if (a2a_eval_set_load(ctx, set_dir, &set) != A2A_OK) goto fail;
    e->set = &set;
    if (only_sec == SEC_JUDGE) check_judge = true;
    int n_sec[SEC_N] = {set.n_understand, set.n_generate, set.n_choice, check_judge ? set.n_understand : 0};
    for (int s = 0; s < SEC_N; s++) {
        if (only_sec >= 0 && s != only_sec) n_sec[s] = 0;
        if (limit >= 0 && n_sec[s] > limit) n_sec[s] = limit;
        e->n_todo[s] = n_sec[s];
    }
    bool need_judge = n_sec[SEC_GENERATE] > 0 || n_sec[SEC_JUDGE] > 0;
    if (need_judge && access(judge_path, R_OK) != 0) {
        a2a_fail(ctx, A2A_ERR_IO, "judge %s is missing (give one with --judge, or skip generation with --only)", judge_path);
        goto fail;
    }
    if (a2a_threadpool_new(ctx, threads, &e->tp) != A2A_OK) goto fail;
    fprintf(stderr, "any2any eval: loading %s\n", bundle);
    if (a2a_bundle_read(ctx, bundle, spec) != A2A_OK || a2a_mm_system_load(ctx, spec, &e->sys) != A2A_OK) goto fail;
    a2a_llm_session_params lp = a2a_llm_session_default_params();
    if (a2a_llm_session_new(ctx, e->sys->llm, e->tp, &lp, &e->s) != A2A_OK) goto fail;
    if (e->sys->enc && a2a_perception_init(ctx, &e->perc, e->sys->enc, e->sys->proj, e->tp) != A2A_OK) goto fail;
    if (need_judge) {
        fprintf(stderr, "any2any eval: loading judge %s\n", judge_path);
        e->have_judge = true; /* a2a_judge_free cleans up a half-loaded judge too */
        if (a2a_judge_load(ctx, judge_path, e->tp, &e->judge) != A2A_OK) goto fail;
        for (int m = 0; m < 3; m++) {
            const char **texts = calloc((size_t)(set.n_labels[m] ? set.n_labels[m] : 1), sizeof *texts);
            if (!texts) {
                a2a_fail(ctx, A2A_ERR_NOMEM, "out of memory");
                goto fail;
            }
            for (int i = 0; i < set.n_labels[m]; i++) texts[i] = set.labels[m][i].text;
            a2a_status st = a2a_judge_set_labels(ctx, &e->judge, m, texts, set.n_labels[m]);
            free(texts);
            if (st != A2A_OK) goto fail;
        }
        const char *tmp = getenv("TMPDIR");
        snprintf(e->tmpdir, sizeof e->tmpdir, "%s/a2a-eval-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(e->tmpdir)) {
            e->tmpdir[0] = 0;
            a2a_fail(ctx, A2A_ERR_IO, "cannot create a temporary folder under %s", tmp && *tmp ? tmp : "/tmp");
            goto fail;
        }
    }
    e->sp = a2a_sampler_default_params();
    e->sp.temperature = 0; /* greedy */
    e->sp.repeat_penalty = 1.0f;
    e->np = np;
    e->n_predict = n_predict;
    e->verbose = verbose;
    e->force = force;
    fprintf(stderr, "any2any eval: %d understand, %d generate, %d choice, %d judge-check cases (loaded in %.1f s)\n",
            n_sec[0], n_sec[1], n_sec[2], n_sec[3], cli_now() - t0);
    cli_sigint_install();
    for (int sec = 0; sec < SEC_N && !interrupted; sec++) {
        double ts = cli_now();
        const a2a_eval_case *cases = sec == SEC_GENERATE ? set.generate : sec == SEC_CHOICE ? set.choice : set.understand;
        int n_all = sec == SEC_GENERATE ? set.n_generate : sec == SEC_CHOICE ? set.n_choice : set.n_understand;
        int *order = interleave(cases, n_all);
        if (!order) {
            a2a_fail(ctx, A2A_ERR_NOMEM, "out of memory");
            goto fail;
        }
        for (int i = 0; i < n_sec[sec]; i++) {
            if (cli_sigint_flag) {
                interrupted = true;
                break;
            }
            const a2a_eval_case *c = &cases[order[i]];
            a2a_status st = sec == SEC_UNDERSTAND ? run_understand(e, c)
                            : sec == SEC_GENERATE ? run_generate(e, c)
                            : sec == SEC_CHOICE   ? run_choice(e, c)
                                                  : run_judge_check(e, c);
            if (st == A2A_ERR_CANCELLED || cli_sigint_flag) {
                interrupted = true;
                break;
            }
            if (st != A2A_OK) {
                free(order);
                goto fail;
            }
        }
        free(order);
        e->t_sec[sec] = cli_now() - ts;
        if (n_sec[sec] && !verbose) fprintf(stderr, "\n");
    }
    double elapsed = cli_now() - t0;
    if (json) print_json(e, elapsed, interrupted);
    else print_table(e, elapsed, interrupted);
    fflush(stdout);
    if (interrupted) fprintf(stderr, "any2any eval: interrupted\n");
    rc = interrupted ? 130 : 0;
    goto done;
fail:
    fprintf(stderr, "\nany2any eval: %s\n", ctx ? a2a_last_error(ctx) : "out of memory");
done:
    if (e->tmpdir[0]) rmdir(e->tmpdir);
    for (int i = 0; i < e->n_items; i++) free(e->items[i].reply);
    free(e->items);
    if (e->have_judge) a2a_judge_free(&e->judge);
    a2a_perception_free(&e->perc);
    a2a_llm_session_free(e->s);
    a2a_mm_system_free(e->sys);
    a2a_threadpool_free(e->tp);
    a2a_eval_set_free(&set);
    free(spec);
    a2a_ctx_free(ctx);
    free(e);
    return rc;
}
