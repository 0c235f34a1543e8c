/* Diffusion schedulers vs diffusers 0.35.2 (tools/ref/make_golden_schedulers.py).

   For PNDM (PLMS), DDIM (eta 0, 0.5, 1), Euler, Euler ancestral and DPM-Solver++ 2M (with and
   without Karras sigmas), at 10/25/50 steps, epsilon and v prediction, leading/linspace/
   trailing spacing, txt2img and img2img, the golden file holds diffusers' timesteps, sigmas,
   init_noise_sigma and the whole trajectory of latents when step() is driven by the fake
   denoiser mo = 0.1 * scale_model_input(x) + offsets[i] and the stored noise. Both sides run
   in float32 (as a float32 pipeline does; diffusers' Euler and DPM++ cast to float32 anyway).

   Tolerances: timesteps (fractional Euler+Karras ones: 1e-6 relative), init_noise_sigma and
   alphas_cumprod exact (bit for bit); sigma tables
   within 1 float32 ulp (torch's float32 sqrt goes through MKL VML, which is not always correctly
   rounded: ~19% of the sigma table entries are 1 ulp from the correctly rounded value we
   compute); trajectory per element |got - ref| <= 4e-6 * max(1, max|ref|) and nmse <= 1e-11
   (stored per case); the per-step relative error max_i |got_i - ref_i| / max(1, max|ref row|)
   is printed too.
   Measured (this machine): see the summary line the test prints.
   Also: the classifier-free-guidance helper (exact), the Philox noise source (known answer
   via the Python implementation checked against Random123's vectors; thread/chunk
   independence; moments), and clean errors for bad parameters. */
#include "a2a_golden.h"
#include "a2a_test.h"
#include "pipeline/scheduler.h"

static const float *g_offsets, *g_noise, *g_xt, *g_x0img; /* bank: [51][64], [51][64], [64], [64] */
static int64_t g_n, g_rows;
static double g_worst_rel, g_worst_nmse;
static int g_sigma_ulp_diffs;
static char g_worst_case[128];

static bool str_param(const a2a_golden_case *c, const char *param, char *buf, size_t cap) {
    char key[A2A_GOLDEN_NAME_MAX + 64];
    snprintf(key, sizeof key, "%s.%s", c->name, param);
    const char *v;
    size_t len;
    if (a2a_gguf_get_str(c->file->ctx, c->file->g, key, &v, &len) != A2A_OK || len + 1 > cap) return false;
    memcpy(buf, v, len);
    buf[len] = '\0';
    return true;
}

static bool load_bank(const a2a_golden *gf) {
    const a2a_golden_case *b = a2a_golden_find(gf, "bank");
    if (!b || b->n_in != 4) return false;
    g_offsets = b->in[0]->data;
    g_noise = b->in[1]->data;
    g_xt = b->in[2]->data;
    g_x0img = b->in[3]->data;
    g_n = b->in[2]->ne[0];
    g_rows = b->in[0]->ne[1];
    return b->in[0]->ne[0] == g_n && b->in[1]->ne[0] == g_n && b->in[3]->ne[0] == g_n;
}

typedef struct { const float *rows; int64_t n, n_rows; int calls; } bank_noise;
static void bank_noise_fn(void *user, int32_t step, float *out, int64_t n) {
    bank_noise *b = user;
    b->calls++;
    if (step < 0 || step >= b->n_rows || n != b->n) { for (int64_t i = 0; i < n; i++) out[i] = NAN; return; }
    memcpy(out, b->rows + (size_t)step * (size_t)n, sizeof(float) * (size_t)n);
}

static a2a_scheduler_kind parse_kind(const char *k) {
    if (!strcmp(k, "pndm")) return A2A_SCHED_PNDM;
    if (!strcmp(k, "ddim")) return A2A_SCHED_DDIM;
    if (!strcmp(k, "euler")) return A2A_SCHED_EULER;
    if (!strcmp(k, "euler_a")) return A2A_SCHED_EULER_ANCESTRAL;
    if (!strcmp(k, "dpmpp_2m")) return A2A_SCHED_DPMPP_2M;
    return A2A_SCHED_KIND_COUNT;
}

static a2a_timestep_spacing parse_spacing(const char *s) {
    if (!strcmp(s, "leading")) return A2A_SPACING_LEADING;
    if (!strcmp(s, "linspace")) return A2A_SPACING_LINSPACE;
    return A2A_SPACING_TRAILING;
}

static void run_case(const a2a_golden_case *c) {
    char kind_s[32], pred_s[16], spacing_s[16], strength_s[32];
    if (!str_param(c, "kind", kind_s, sizeof kind_s) || !str_param(c, "pred", pred_s, sizeof pred_s) ||
        !str_param(c, "spacing", spacing_s, sizeof spacing_s) || c->n_in != 3) {
        CHECK_MSG(0, "%s: malformed case", c->name);
        return;
    }
    a2a_scheduler_kind kind = parse_kind(kind_s);
    a2a_scheduler_params p = a2a_scheduler_default_params(kind);
    p.prediction_type = strcmp(pred_s, "v") == 0 ? A2A_PRED_V : A2A_PRED_EPSILON;
    p.timestep_spacing = parse_spacing(spacing_s);
    p.eta = a2a_golden_f32(c, "eta", 0.0f);
    p.use_karras_sigmas = a2a_golden_i32(c, "karras", 0) != 0;
    int32_t steps = a2a_golden_i32(c, "steps", 0);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_scheduler *s = NULL;
    a2a_status st = a2a_scheduler_init(ctx, &p, steps, &s);
    CHECK_MSG(st == A2A_OK, "%s: init: %s", c->name, a2a_last_error(ctx));
    if (st != A2A_OK) { a2a_ctx_free(ctx); return; }

    /* timesteps, init_noise_sigma, sigmas: exact */
    int32_t nt;
    const float *ts = a2a_scheduler_timesteps(s, &nt);
    const a2a_tensor *ref_ts = c->in[0];
    CHECK_MSG(nt == ref_ts->ne[0], "%s: %d timesteps, diffusers %lld", c->name, nt, (long long)ref_ts->ne[0]);
    for (int32_t i = 0; i < nt && i < ref_ts->ne[0]; i++) {
        float want = ((const float *)ref_ts->data)[i];
        /* integer timesteps exactly; fractional ones (Euler + Karras: derived from the sigma
           table, see above) within 1e-6 relative */
        bool ok = want == floorf(want) ? ts[i] == want : fabsf(ts[i] - want) <= 1e-6f * fmaxf(1.0f, fabsf(want));
        CHECK_MSG(ok, "%s: timestep %d is %.9g, diffusers %.9g", c->name, i, (double)ts[i], (double)want);
    }
    float ins = a2a_scheduler_init_noise_sigma(s), want_ins = ((const float *)c->in[1]->data)[0];
    CHECK_MSG(ins == want_ins, "%s: init_noise_sigma %.9g, diffusers %.9g", c->name, (double)ins, (double)want_ins);
    if (kind == A2A_SCHED_EULER || kind == A2A_SCHED_EULER_ANCESTRAL || kind == A2A_SCHED_DPMPP_2M) {
        CHECK_EQ_INT(c->in[2]->ne[0], nt + 1);
        for (int32_t i = 0; i <= nt && i < c->in[2]->ne[0]; i++) {
            float g = a2a_scheduler_sigma(s, i), w = ((const float *)c->in[2]->data)[i];
            /* torch's float32 sqrt (MKL VML) is not always correctly rounded: 1 ulp apart at most */
            CHECK_MSG(fabsf(g - w) <= 1.2e-7f * fabsf(w), "%s: sigma %d is %.9g, diffusers %.9g", c->name, i, (double)g, (double)w);
            if (g != w) g_sigma_ulp_diffs++;
        }
    }

    /* start: txt2img or img2img */
    const int64_t n = g_n;
    int32_t start = 0;
    float *x = malloc(sizeof(float) * (size_t)n), *xin = malloc(sizeof(float) * (size_t)n), *mo = malloc(sizeof(float) * (size_t)n);
    if (str_param(c, "strength", strength_s, sizeof strength_s)) {
        st = a2a_scheduler_img2img_start(ctx, s, strtod(strength_s, NULL), &start);
        CHECK_MSG(st == A2A_OK && start == a2a_golden_i32(c, "start", -1), "%s: img2img start %d (%s), diffusers %d", c->name,
                  start, a2a_last_error(ctx), a2a_golden_i32(c, "start", -1));
        st = a2a_scheduler_add_noise(ctx, s, start, g_x0img, g_xt, x, n);
        CHECK(st == A2A_OK);
    } else {
        for (int64_t j = 0; j < n; j++) x[j] = g_xt[j] * ins;
    }
    int64_t rows = nt - start + 1;
    CHECK_MSG(c->out->ne[0] == n && c->out->ne[1] == rows, "%s: trajectory shape", c->name);
    if (c->out->ne[0] != n || c->out->ne[1] != rows || nt > g_rows) goto out;

    a2a_tensor got;
    int64_t ne[2] = {n, rows};
    if (!a2a_golden_alloc(&got, A2A_TYPE_F32, 2, ne)) { CHECK(0); goto out; }
    float *traj = got.data;
    memcpy(traj, x, sizeof(float) * (size_t)n);
    bank_noise bn = {g_noise, n, g_rows, 0};
    for (int32_t i = start; i < nt; i++) {
        memcpy(xin, x, sizeof(float) * (size_t)n);
        a2a_scheduler_scale_model_input(s, i, xin, n);
        const float *off = g_offsets + (size_t)i * (size_t)n;
        for (int64_t j = 0; j < n; j++) {
            float a = 0.1f * xin[j];
            mo[j] = a + off[j];
        }
        st = a2a_scheduler_step(ctx, s, i, mo, x, n, bank_noise_fn, &bn);
        CHECK_MSG(st == A2A_OK, "%s: step %d: %s", c->name, i, a2a_last_error(ctx));
        if (st != A2A_OK) break;
        memcpy(traj + (size_t)(i - start + 1) * (size_t)n, x, sizeof(float) * (size_t)n);
    }
    bool needs_noise = kind == A2A_SCHED_EULER_ANCESTRAL || (kind == A2A_SCHED_DDIM && p.eta > 0);
    CHECK_EQ_INT(bn.calls, needs_noise ? nt - start : 0);
    a2a_golden_metrics m;
    CHECK(a2a_golden_compare_m(c, &got, kind_s, &m));
    g_worst_nmse = fmax(g_worst_nmse, m.nmse);
    /* per-step relative error */
    const float *ref = c->out->data;
    double worst = 0;
    for (int64_t r = 0; r < rows; r++) {
        double mx = 1.0, d = 0;
        for (int64_t j = 0; j < n; j++) mx = fmax(mx, fabs(ref[r * n + j]));
        for (int64_t j = 0; j < n; j++) d = fmax(d, fabs((double)traj[r * n + j] - ref[r * n + j]));
        worst = fmax(worst, d / mx);
    }
    if (worst > g_worst_rel) {
        g_worst_rel = worst;
        snprintf(g_worst_case, sizeof g_worst_case, "%s", c->name);
    }
    if (getenv("A2A_GOLDEN_VERBOSE")) fprintf(stderr, "  %-40s per-step rel err %.3e\n", c->name, worst);
    free(got.data);
out:
    free(x);
    free(xin);
    free(mo);
    a2a_scheduler_free(s);
    a2a_ctx_free(ctx);
}

TEST(test_golden_runs) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "schedulers/schedulers.gguf")) { CHECK(0); return; }
    CHECK(load_bank(&gf));
    int runs = 0;
    for (int i = 0; i < gf.n_cases && g_n > 0; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        if (strcmp(c->op, "run") == 0) {
            run_case(c);
            runs++;
        }
    }
    CHECK(runs >= 50);
    fprintf(stderr, "schedulers: %d trajectories, worst per-step relative error %.3e (%s), worst nmse %.3e; %d sigma entries 1 ulp from diffusers'\n",
            runs, g_worst_rel, g_worst_case, g_worst_nmse, g_sigma_ulp_diffs);
    a2a_golden_close(&gf);
}

TEST(test_golden_alphas_cumprod) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "schedulers/schedulers.gguf")) { CHECK(0); return; }
    int cases = 0;
    for (int i = 0; i < gf.n_cases; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        if (strcmp(c->op, "alphas_cumprod") != 0) continue;
        char bs[32], be[32], sched[32];
        if (!str_param(c, "beta_start", bs, sizeof bs) || !str_param(c, "beta_end", be, sizeof be) ||
            !str_param(c, "schedule", sched, sizeof sched)) { CHECK(0); continue; }
        a2a_scheduler_params p = a2a_scheduler_default_params(A2A_SCHED_DDIM);
        p.beta_start = strtod(bs, NULL);
        p.beta_end = strtod(be, NULL);
        p.beta_schedule = !strcmp(sched, "linear") ? A2A_BETA_LINEAR
                          : !strcmp(sched, "scaled_linear") ? A2A_BETA_SCALED_LINEAR : A2A_BETA_SQUAREDCOS_CAP_V2;
        a2a_ctx *ctx = a2a_ctx_new();
        a2a_scheduler *s;
        if (a2a_scheduler_init(ctx, &p, 50, &s) != A2A_OK) { CHECK_MSG(0, "%s", a2a_last_error(ctx)); a2a_ctx_free(ctx); continue; }
        int32_t T;
        const float *acp = a2a_scheduler_alphas_cumprod(s, &T);
        a2a_tensor got;
        if (a2a_tensor_init(&got, A2A_TYPE_F32, 1, (int64_t[]){T}, (void *)acp)) CHECK(a2a_golden_compare(c, &got, sched));
        else CHECK(0);
        a2a_scheduler_free(s);
        a2a_ctx_free(ctx);
        cases++;
    }
    CHECK_EQ_INT(cases, 4);
    a2a_golden_close(&gf);
}

TEST(test_golden_cfg) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "schedulers/schedulers.gguf")) { CHECK(0); return; }
    const a2a_golden_case *c = a2a_golden_find(&gf, "cfg");
    CHECK(c != NULL);
    if (c) {
        a2a_tensor got;
        CHECK(a2a_golden_alloc_like(&got, c->out));
        a2a_scheduler_cfg(c->in[0]->data, c->in[1]->data, a2a_golden_f32(c, "scale", 0), got.data, got.ne[0]);
        CHECK(a2a_golden_compare(c, &got, "cfg"));
        /* in place over uncond */
        float *u = malloc(sizeof(float) * (size_t)got.ne[0]);
        memcpy(u, c->in[0]->data, sizeof(float) * (size_t)got.ne[0]);
        a2a_scheduler_cfg(u, c->in[1]->data, 7.5f, u, got.ne[0]);
        CHECK(memcmp(u, got.data, sizeof(float) * (size_t)got.ne[0]) == 0);
        free(u);
        free(got.data);
    }
    a2a_golden_close(&gf);
}

TEST(test_philox) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "schedulers/schedulers.gguf")) { CHECK(0); return; }
    const a2a_golden_case *c = a2a_golden_find(&gf, "philox");
    CHECK(c != NULL);
    if (c) {
        uint64_t seed = (uint64_t)(uint32_t)a2a_golden_i32(c, "seed_lo", 0) | ((uint64_t)(uint32_t)a2a_golden_i32(c, "seed_hi", 0) << 32);
        a2a_tensor got;
        CHECK(a2a_golden_alloc_like(&got, c->out));
        a2a_philox_normal(seed, (uint32_t)a2a_golden_i32(c, "stream", 0), (uint32_t)a2a_golden_i32(c, "sub", 0),
                          a2a_golden_i32(c, "offset", 0), got.data, got.ne[0]);
        CHECK(a2a_golden_compare(c, &got, "philox"));
        free(got.data);
    }
    a2a_golden_close(&gf);

    /* chunking (e.g. per thread) gives the same numbers; streams/subs/seeds differ */
    enum { N = 100003 };
    float *a = malloc(sizeof(float) * N), *b = malloc(sizeof(float) * N), *d = malloc(sizeof(float) * N);
    a2a_philox_normal(42, 1, 2, 0, a, N);
    for (int64_t off = 0; off < N; off += 777) a2a_philox_normal(42, 1, 2, off, b + off, A2A_MIN(777, N - off));
    CHECK(memcmp(a, b, sizeof(float) * N) == 0);
    a2a_philox_noise pn = {42, 1};
    a2a_noise_philox(&pn, 2, d, N);
    CHECK(memcmp(a, d, sizeof(float) * N) == 0);
    a2a_philox_normal(42, 1, 3, 0, b, N);
    a2a_philox_normal(43, 1, 2, 0, d, N);
    int same_b = 0, same_d = 0;
    double sum = 0, sum2 = 0, sum4 = 0;
    for (int i = 0; i < N; i++) {
        same_b += a[i] == b[i];
        same_d += a[i] == d[i];
        CHECK(isfinite(a[i]));
        sum += a[i];
        sum2 += (double)a[i] * a[i];
        sum4 += (double)a[i] * a[i] * a[i] * a[i];
    }
    CHECK(same_b < 5 && same_d < 5);
    double mean = sum / N, var = sum2 / N - mean * mean, kurt = sum4 / N;
    CHECK_NEAR(mean, 0.0, 0.02);  /* 6 sigma of the mean: 6/sqrt(N) = 0.019 */
    CHECK_NEAR(var, 1.0, 0.03);
    CHECK_NEAR(kurt, 3.0, 0.15);
    free(a);
    free(b);
    free(d);
}

static void zero_noise(void *user, int32_t step, float *out, int64_t n) {
    (void)user;
    (void)step;
    memset(out, 0, sizeof(float) * (size_t)n);
}

TEST(test_bad_params) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_scheduler *s = (a2a_scheduler *)(uintptr_t)1;
    a2a_scheduler_params p = a2a_scheduler_default_params(A2A_SCHED_PNDM);
    CHECK(a2a_scheduler_init(ctx, &p, 0, &s) == A2A_ERR_INVALID_ARG && s == NULL);
    CHECK(strstr(a2a_last_error(ctx), "steps") != NULL);
    CHECK(a2a_scheduler_init(ctx, &p, -5, &s) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_scheduler_init(ctx, &p, 1001, &s) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_scheduler_init(ctx, NULL, 10, &s) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_scheduler_init(ctx, &p, 10, NULL) == A2A_ERR_INVALID_ARG);
    p.kind = (a2a_scheduler_kind)99;
    CHECK(a2a_scheduler_init(ctx, &p, 10, &s) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "kind") != NULL);
    p.kind = (a2a_scheduler_kind)-1;
    CHECK(a2a_scheduler_init(ctx, &p, 10, &s) == A2A_ERR_INVALID_ARG);
    p = a2a_scheduler_default_params(A2A_SCHED_EULER);
    p.eta = 0.5f; /* eta is a DDIM option */
    CHECK(a2a_scheduler_init(ctx, &p, 10, &s) == A2A_ERR_INVALID_ARG);
    p = a2a_scheduler_default_params(A2A_SCHED_DDIM);
    p.eta = NAN;
    CHECK(a2a_scheduler_init(ctx, &p, 10, &s) == A2A_ERR_INVALID_ARG);
    p.eta = -1;
    CHECK(a2a_scheduler_init(ctx, &p, 10, &s) == A2A_ERR_INVALID_ARG);
    p = a2a_scheduler_default_params(A2A_SCHED_PNDM);
    p.use_karras_sigmas = true;
    CHECK(a2a_scheduler_init(ctx, &p, 10, &s) == A2A_ERR_INVALID_ARG);
    p = a2a_scheduler_default_params(A2A_SCHED_DDIM);
    p.beta_end = 1.5;
    CHECK(a2a_scheduler_init(ctx, &p, 10, &s) == A2A_ERR_INVALID_ARG);
    p.beta_end = 0.012;
    p.num_train_timesteps = 1;
    CHECK(a2a_scheduler_init(ctx, &p, 1, &s) == A2A_ERR_INVALID_ARG);
    p = a2a_scheduler_default_params(A2A_SCHED_DDIM);
    p.timestep_spacing = (a2a_timestep_spacing)7;
    CHECK(a2a_scheduler_init(ctx, &p, 10, &s) == A2A_ERR_INVALID_ARG);
    p = a2a_scheduler_default_params(A2A_SCHED_DDIM);
    p.prediction_type = (a2a_prediction_type)5;
    CHECK(a2a_scheduler_init(ctx, &p, 10, &s) == A2A_ERR_INVALID_ARG);
    /* leading + steps_offset past the table: DDIM 1000 steps gives timestep 1000 */
    p = a2a_scheduler_default_params(A2A_SCHED_DDIM);
    CHECK(a2a_scheduler_init(ctx, &p, 1000, &s) == A2A_ERR_INVALID_ARG);
    p.steps_offset = 0;
    CHECK(a2a_scheduler_init(ctx, &p, 1000, &s) == A2A_OK);
    a2a_scheduler_free(s);
    /* every kind and spacing builds for 1..(a few) steps and 999 steps without error or NaN */
    for (int k = 0; k < A2A_SCHED_KIND_COUNT; k++)
        for (int sp = 0; sp < 3; sp++)
            for (int steps = 1; steps <= 1000; steps += (steps < 8 ? 1 : 331)) {
                p = a2a_scheduler_default_params((a2a_scheduler_kind)k);
                p.timestep_spacing = (a2a_timestep_spacing)sp;
                p.steps_offset = sp == A2A_SPACING_LEADING ? 0 : 1;
                a2a_status st = a2a_scheduler_init(ctx, &p, steps, &s);
                if (st != A2A_OK) { CHECK_MSG(0, "kind %d spacing %d steps %d: %s", k, sp, steps, a2a_last_error(ctx)); continue; }
                int32_t nt;
                a2a_scheduler_timesteps(s, &nt);
                float x[8], mo[8];
                for (int j = 0; j < 8; j++) x[j] = mo[j] = 0.25f * (float)(j - 4);
                for (int32_t i = 0; i < nt && st == A2A_OK; i++) st = a2a_scheduler_step(ctx, s, i, mo, x, 8, zero_noise, NULL);
                CHECK_MSG(st == A2A_OK, "kind %d spacing %d steps %d: %s", k, sp, steps, a2a_last_error(ctx));
                for (int j = 0; j < 8; j++) CHECK(isfinite(x[j]));
                a2a_scheduler_free(s);
            }

    /* run-time errors */
    p = a2a_scheduler_default_params(A2A_SCHED_DPMPP_2M);
    CHECK(a2a_scheduler_init(ctx, &p, 10, &s) == A2A_OK);
    float x[4] = {1, 2, 3, 4}, mo[4] = {0.1f, 0.2f, 0.3f, 0.4f}, nz[4] = {0};
    CHECK(a2a_scheduler_step(ctx, s, 10, mo, x, 4, NULL, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_scheduler_step(ctx, s, -1, mo, x, 4, NULL, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_scheduler_step(ctx, s, 0, mo, x, 0, NULL, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_scheduler_step(ctx, s, 0, NULL, x, 4, NULL, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_scheduler_step(ctx, s, 0, mo, x, 4, NULL, NULL) == A2A_OK);
    CHECK(a2a_scheduler_step(ctx, s, 2, mo, x, 4, NULL, NULL) == A2A_ERR_INVALID_ARG); /* out of order */
    CHECK(strstr(a2a_last_error(ctx), "order") != NULL);
    CHECK(a2a_scheduler_step(ctx, s, 1, mo, x, 3, NULL, NULL) == A2A_ERR_INVALID_ARG); /* size changed */
    CHECK(a2a_scheduler_step(ctx, s, 1, mo, x, 4, NULL, NULL) == A2A_OK);
    a2a_scheduler_reset(s);
    CHECK(a2a_scheduler_step(ctx, s, 3, mo, x, 3, NULL, NULL) == A2A_OK); /* new run may start anywhere */
    CHECK(a2a_scheduler_add_noise(ctx, s, 10, x, nz, x, 4) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_scheduler_add_noise(ctx, s, -1, x, nz, x, 4) == A2A_ERR_INVALID_ARG);
    int32_t start = 123;
    CHECK(a2a_scheduler_img2img_start(ctx, s, -0.1, &start) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "strength") != NULL);
    CHECK(a2a_scheduler_img2img_start(ctx, s, 1.5, &start) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_scheduler_img2img_start(ctx, s, NAN, &start) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_scheduler_img2img_start(ctx, s, 0.0, &start) == A2A_ERR_INVALID_ARG); /* no step left */
    CHECK(a2a_scheduler_img2img_start(ctx, s, 0.05, &start) == A2A_ERR_INVALID_ARG); /* int(10 * 0.05) = 0 */
    CHECK(a2a_scheduler_img2img_start(ctx, s, 1.0, &start) == A2A_OK && start == 0);
    CHECK(a2a_scheduler_img2img_start(ctx, s, 0.7, &start) == A2A_OK && start == 3); /* int(7.000000000000001) */
    CHECK(a2a_scheduler_img2img_start(ctx, s, 0.1, &start) == A2A_OK && start == 9);
    a2a_scheduler_free(s);
    /* noise source required */
    p = a2a_scheduler_default_params(A2A_SCHED_EULER_ANCESTRAL);
    CHECK(a2a_scheduler_init(ctx, &p, 10, &s) == A2A_OK);
    CHECK(a2a_scheduler_step(ctx, s, 0, mo, x, 4, NULL, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "noise") != NULL);
    a2a_scheduler_free(s);
    p = a2a_scheduler_default_params(A2A_SCHED_DDIM);
    p.eta = 1.0f;
    CHECK(a2a_scheduler_init(ctx, &p, 10, &s) == A2A_OK);
    CHECK(a2a_scheduler_step(ctx, s, 0, mo, x, 4, NULL, NULL) == A2A_ERR_INVALID_ARG);
    a2a_philox_noise pn = {1, 0};
    CHECK(a2a_scheduler_step(ctx, s, 0, mo, x, 4, a2a_noise_philox, &pn) == A2A_OK);
    a2a_scheduler_free(s);
    a2a_scheduler_free(NULL);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_golden_alphas_cumprod, test_golden_runs, test_golden_cfg, test_philox, test_bad_params)
