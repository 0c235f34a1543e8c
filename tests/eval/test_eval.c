/* The demo evaluation's building blocks: the pitch detector (sines, squares, sawtooths at the
   world's notes in two octaves, detuned, with silence around them; noise and silence give no
   pitch), the note naming, the reply scorer's word-matching rules, and the evaluation-set
   reader's checks. */
#include "a2a_test.h"
#include "eval/eval_set.h"
#include "eval/pitch.h"
#include "eval/score.h"

#include <sys/stat.h>
#include <unistd.h>

#define RATE 16000
#define N 16384

static const char *const NOTES[7] = {"C", "D", "E", "F", "G", "A", "B"};
static const int SEMI[7] = {-9, -7, -5, -4, -2, 0, 2};

static uint32_t lcg = 12345;
static float frand(void) { /* uniform in [-1, 1) */
    lcg = lcg * 1664525u + 1013904223u;
    return (float)((lcg >> 8) * (1.0 / 8388608.0)) - 1.0f;
}

/* timbre 0 sine, 1 square, 2 sawtooth; tone from start to end samples, silence elsewhere */
static void tone(float *x, double f, int timbre, float amp, int start, int end) {
    memset(x, 0, sizeof(float) * N);
    for (int i = start; i < end; i++) {
        double ph = fmod(f * (i - start) / RATE, 1.0);
        double v = timbre == 0 ? sin(2 * M_PI * ph) : timbre == 1 ? (ph < 0.5 ? 1.0 : -1.0) : 2 * ph - 1;
        double fade = 1;
        if (i - start < 320) fade = (i - start) / 320.0;
        if (end - i < 800) fade = (end - i) / 800.0;
        x[i] = (float)(amp * v * fade);
    }
}

TEST(test_pitch_notes) {
    static float x[N];
    int bad = 0, total = 0;
    for (int octave = 4; octave <= 5; octave++)
        for (int k = 0; k < 7; k++)
            for (int timbre = 0; timbre < 3; timbre++) {
                double f = 440.0 * pow(2.0, SEMI[k] / 12.0 + (octave - 4));
                tone(x, f, timbre, timbre == 0 ? 0.7f : 0.3f, 1000 + 300 * timbre, N - 500 * k);
                float f0 = 0;
                bool ok = a2a_pitch_estimate(x, N, RATE, NULL, &f0);
                total++;
                if (!ok || fabs(12 * log2(f0 / f)) > 0.2 || a2a_pitch_note(f0) != k) {
                    bad++;
                    printf("  note %s%d timbre %d: f %.2f -> %s %.2f\n", NOTES[k], octave, timbre, f, ok ? "pitch" : "none", f0);
                }
            }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(total, 42);
    /* detuned by 40 cents, and a low octave */
    for (int k = 0; k < 7; k++) {
        tone(x, 440.0 * pow(2.0, (SEMI[k] + 0.4) / 12.0), 0, 0.5f, 0, N);
        float f0;
        CHECK(a2a_pitch_estimate(x, N, RATE, NULL, &f0) && a2a_pitch_note(f0) == k);
        tone(x, 440.0 * pow(2.0, (SEMI[k] - 0.4) / 12.0 - 1), 2, 0.5f, 0, N);
        CHECK(a2a_pitch_estimate(x, N, RATE, NULL, &f0) && a2a_pitch_note(f0) == k);
    }
}

TEST(test_pitch_noise) {
    static float x[N];
    float f0 = 1;
    /* white */
    for (int i = 0; i < N; i++) x[i] = 0.5f * frand();
    CHECK(!a2a_pitch_estimate(x, N, RATE, NULL, &f0));
    CHECK(f0 == 0);
    /* pink-ish (Paul Kellet's filter) */
    double b0 = 0, b1 = 0, b2 = 0;
    for (int i = 0; i < N; i++) {
        double w = frand();
        b0 = 0.99765 * b0 + w * 0.0990460;
        b1 = 0.96300 * b1 + w * 0.2965164;
        b2 = 0.57000 * b2 + w * 1.0526913;
        x[i] = (float)(0.2 * (b0 + b1 + b2 + w * 0.1848));
    }
    CHECK(!a2a_pitch_estimate(x, N, RATE, NULL, &f0));
    /* brown (leaky integral of white) */
    double acc = 0;
    for (int i = 0; i < N; i++) {
        acc = 0.998 * acc + 0.05 * frand();
        x[i] = (float)acc;
    }
    CHECK(!a2a_pitch_estimate(x, N, RATE, NULL, &f0));
    /* silence, too short, bad arguments */
    memset(x, 0, sizeof x);
    CHECK(!a2a_pitch_estimate(x, N, RATE, NULL, &f0));
    tone(x, 440, 0, 0.5f, 0, N);
    CHECK(!a2a_pitch_estimate(x, 300, RATE, NULL, &f0));
    CHECK(!a2a_pitch_estimate(x, N, 0, NULL, &f0));
    CHECK(!a2a_pitch_estimate(NULL, N, RATE, NULL, &f0));
}

TEST(test_note_names) {
    CHECK(!strcmp(a2a_pitch_note_name(a2a_pitch_note(440.0f)), "A"));
    CHECK(!strcmp(a2a_pitch_note_name(a2a_pitch_note(261.63f)), "C"));
    CHECK(!strcmp(a2a_pitch_note_name(a2a_pitch_note(130.81f)), "C")); /* octave-independent */
    CHECK(!strcmp(a2a_pitch_note_name(a2a_pitch_note(987.77f)), "B"));
    CHECK(!strcmp(a2a_pitch_note_name(a2a_pitch_note(349.23f * 1.01f)), "F"));
    CHECK(!strcmp(a2a_pitch_note_name(a2a_pitch_note(493.88f * 1.02f)), "B")); /* B + 34 cents: B, not C */
    CHECK(a2a_pitch_note(0) == -1);
    CHECK(a2a_pitch_note(-5) == -1);
    CHECK(a2a_pitch_note_name(7) == NULL);
}

static const char *const COLOURS[] = {"red", "green", "blue", "yellow", "purple"};
static const char *const SHAPES[] = {"circle", "square", "triangle", "star"};
static const char *const COUNTS[] = {"one", "two", "three"};
static const char *const NOTE_V[] = {"C", "D", "E", "F", "G", "A", "B"};
static const char *const DIRS[] = {"left", "right", "up", "down"};

#define SC(reply, attr, exp, vals) a2a_eval_score(reply, attr, exp, vals, (int)(sizeof vals / sizeof vals[0]), SHAPES, 4)

TEST(test_score_words) {
    /* plain word match, case-insensitive, punctuation ignored */
    CHECK(SC("It is red.", "colour", "red", COLOURS));
    CHECK(SC("RED!", "colour", "red", COLOURS));
    CHECK(!SC("It is reddish.", "colour", "red", COLOURS));
    CHECK(!SC("It is red and blue.", "colour", "red", COLOURS)); /* another value too */
    CHECK(!SC("It is green.", "colour", "red", COLOURS));
    CHECK(!SC("", "colour", "red", COLOURS));
    CHECK(SC("The image shows a small red circle on a white background.", "colour", "red", COLOURS));
    /* shapes: singular or plural */
    CHECK(SC("The shapes are circles.", "shape", "circle", SHAPES));
    CHECK(SC("The shape is a star.", "shape", "star", SHAPES));
    CHECK(!SC("The shape is a starfish.", "shape", "star", SHAPES));
    CHECK(!SC("a circle and two squares", "shape", "circle", SHAPES));
    /* counts: number words, and "a <...> circle" as one */
    CHECK(SC("There are two squares.", "count", "two", COUNTS));
    CHECK(SC("The image shows three large blue stars on a gray background.", "count", "three", COUNTS));
    CHECK(SC("There is one circle.", "count", "one", COUNTS));
    CHECK(SC("The image shows a large red circle on a black background.", "count", "one", COUNTS));
    CHECK(SC("The shape is a triangle.", "count", "one", COUNTS));
    CHECK(!SC("The image shows two large red circles on a white background.", "count", "one", COUNTS));
    CHECK(!SC("The image shows a large red circle on a black background.", "count", "two", COUNTS));
    CHECK(!SC("There is one circle, no, two.", "count", "two", COUNTS));
    CHECK(!SC("The shapes are circles.", "count", "two", COUNTS));
    /* notes: only "note X" counts (a bare "a" is an article) */
    CHECK(SC("The note is A.", "note", "A", NOTE_V));
    CHECK(SC("The sound is a sine tone playing the note A.", "note", "A", NOTE_V));
    CHECK(SC("a square tone playing the note c", "note", "C", NOTE_V));
    CHECK(!SC("The sound is a sine tone playing the note C.", "note", "A", NOTE_V));
    CHECK(!SC("It is a tone.", "note", "A", NOTE_V));
    CHECK(!SC("the note A or the note B", "note", "A", NOTE_V));
    /* directions */
    CHECK(SC("It moves left.", "direction", "left", DIRS));
    CHECK(!SC("It moves up and down.", "direction", "up", DIRS));
    /* a2a_eval_present */
    bool pr[5];
    CHECK_EQ_INT(a2a_eval_present("red and green and red", "colour", COLOURS, 5, NULL, 0, pr), 2);
    CHECK(pr[0] && pr[1] && !pr[2]);
}

/* ---- the evaluation-set reader ---- */

static char tmpdir[256];

static void write_file(const char *name, const char *text) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static a2a_status load(a2a_ctx *ctx, const char *json, a2a_eval_set *set) {
    write_file("eval.json", json);
    return a2a_eval_set_load(ctx, tmpdir, set);
}

#define ATTRS "\"attributes\": {\"colour\": [\"red\", \"blue\"], \"shape\": [\"circle\", \"star\"], \"note\": [\"C\", \"A\"]}"

TEST(test_eval_set) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/a2a-test-evalset-XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_eval_set set;
    write_file("a.png", "x");
    CHECK(load(ctx,
               "{\"understand\": [{\"id\": \"u1\", \"media\": \"image\", \"file\": \"a.png\", \"question\": \"What?\", "
               "\"expect\": {\"colour\": \"red\", \"shape\": \"star\"}}],"
               " \"generate\": [{\"id\": \"g1\", \"modality\": \"image\", \"prompt\": \"Draw a red star.\", \"expect\": {\"colour\": \"red\"}},"
               "  {\"id\": \"g2\", \"modality\": \"audio\", \"prompt\": \"Play C.\", \"expect\": {\"note\": \"C\"}}],"
               " \"choice\": [{\"prompt\": \"Hi\", \"expect\": \"none\"}, {\"prompt\": \"Draw\", \"expect\": \"image\"}],"
               " \"labels\": {\"image\": [{\"text\": \"a red star\", \"attrs\": {\"colour\": \"red\", \"shape\": \"star\"}}]}, " ATTRS "}",
               &set) == A2A_OK);
    CHECK_EQ_INT(set.n_understand, 1);
    CHECK_EQ_INT(set.n_generate, 2);
    CHECK_EQ_INT(set.n_choice, 2);
    CHECK_EQ_INT(set.n_labels[0], 1);
    CHECK_EQ_INT(set.n_attrs, 3);
    CHECK(set.understand[0].modality == 0 && set.understand[0].n_expect == 2);
    CHECK(strstr(set.understand[0].path, "/a.png") != NULL);
    CHECK(!strcmp(a2a_eval_kv_get(set.understand[0].expect, 2, "shape"), "star"));
    CHECK(set.choice[0].modality == -1 && set.choice[1].modality == 0);
    CHECK(set.generate[1].modality == 2);
    a2a_eval_set_free(&set);

    /* errors name what is wrong */
    struct {
        const char *json, *msg;
    } bad[] = {
        {"{\"understand\": [", "json"},
        {"{\"understand\": []}", "attributes"},
        {"{\"understand\": [{\"media\": \"image\", \"file\": \"missing.png\", \"question\": \"?\", \"expect\": {}}], " ATTRS "}",
         "missing.png is missing"},
        {"{\"understand\": [{\"media\": \"smell\", \"file\": \"a.png\", \"question\": \"?\", \"expect\": {}}], " ATTRS "}", "understand[0].media"},
        {"{\"understand\": [{\"media\": \"image\", \"file\": \"a.png\", \"expect\": {}}], " ATTRS "}", "question"},
        {"{\"understand\": [{\"media\": \"image\", \"file\": \"a.png\", \"question\": \"?\", \"expect\": {\"size\": \"big\"}}], " ATTRS "}",
         "'size' is not in"},
        {"{\"understand\": [{\"media\": \"image\", \"file\": \"a.png\", \"question\": \"?\", \"expect\": {\"colour\": \"pink\"}}], " ATTRS "}",
         "'pink' is not a value"},
        {"{\"choice\": [{\"prompt\": \"x\", \"expect\": \"smell\"}], " ATTRS "}", "choice[0].expect"},
        {"{\"generate\": [{\"modality\": \"video\", \"prompt\": \"x\", \"expect\": {\"colour\": \"red\"}}], " ATTRS "}", "labels.video"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(load(ctx, bad[i].json, &set) != A2A_OK);
        CHECK_MSG(strstr(a2a_last_error(ctx), bad[i].msg) != NULL, "case %zu: %s", i, a2a_last_error(ctx));
        a2a_eval_set_free(&set);
    }
    CHECK(a2a_eval_set_load(ctx, "/nonexistent/eval-set", &set) != A2A_OK);
    CHECK(strstr(a2a_last_error(ctx), "not a directory") != NULL);
    a2a_eval_set_free(&set);
    char p[512];
    snprintf(p, sizeof p, "%s/eval.json", tmpdir);
    unlink(p);
    CHECK(a2a_eval_set_load(ctx, tmpdir, &set) != A2A_OK);
    a2a_eval_set_free(&set);
    snprintf(p, sizeof p, "%s/a.png", tmpdir);
    unlink(p);
    rmdir(tmpdir);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_pitch_notes, test_pitch_noise, test_note_names, test_score_words, test_eval_set)
