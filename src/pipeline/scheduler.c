/* Diffusion schedulers reproducing diffusers 0.35.2 (see scheduler.h). Every per-step scalar is
   computed in float32 in the order diffusers evaluates its 0-dim float32 tensors, and every
   elementwise update is split into the same float32 operations as the PyTorch expression
   (no contraction into FMAs), so results track diffusers to float32 rounding. */
#include "pipeline/scheduler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

struct a2a_scheduler {
    a2a_scheduler_params p;
    int32_t n_steps;        /* inference steps asked for (diffusers' num_inference_steps argument) */
    int32_t n_ts;           /* number of timesteps / steps to run */
    int32_t T;              /* num_train_timesteps */
    float *timesteps;       /* [n_ts] as the denoiser sees them */
    int32_t *t_int;         /* [n_ts] integer timesteps (PNDM, DDIM, DPM++) */
    float *sigmas;          /* [n_ts + 1] (Euler, Euler a, DPM++), last = 0 */
    float *acp;             /* [T] alphas_cumprod (float32 as diffusers) */
    float *sig_table;       /* [T] sqrt((1 - acp) / acp) (float32) */
    float final_acp;        /* PNDM/DDIM: alpha_cumprod before step 0 */
    float init_noise_sigma;

    /* run state */
    int64_t n;              /* sample size of the current run (0: no step taken yet) */
    int32_t next;           /* step index expected next (valid when n > 0) */
    float *buf;             /* [6 * n] all per-run buffers */
    float *ets[4];          /* PNDM: last model outputs, ets[0] oldest; n_ets valid */
    int32_t n_ets;
    float *cur_sample;      /* PNDM: sample kept across the warm-up pair */
    int32_t counter;        /* PNDM: steps taken */
    float *m_prev, *m_cur;  /* DPM++: previous / current x0 prediction */
    int32_t lower_order_nums;
    float *noise;           /* [n] drawn noise (Euler a, DDIM eta > 0) */
};

a2a_scheduler_params a2a_scheduler_default_params(a2a_scheduler_kind kind) {
    a2a_scheduler_params p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.num_train_timesteps = 1000;
    p.beta_start = 0.00085;
    p.beta_end = 0.012;
    p.beta_schedule = A2A_BETA_SCALED_LINEAR;
    p.prediction_type = A2A_PRED_EPSILON;
    p.timestep_spacing = (kind == A2A_SCHED_PNDM || kind == A2A_SCHED_DDIM) ? A2A_SPACING_LEADING : A2A_SPACING_LINSPACE;
    p.steps_offset = 1;
    p.set_alpha_to_one = false;
    p.clip_sample = false;
    p.clip_sample_range = 1.0f;
    p.eta = 0.0f;
    p.use_karras_sigmas = false;
    p.lower_order_final = true;
    return p;
}

static const char *kind_name(a2a_scheduler_kind k) {
    switch (k) {
    case A2A_SCHED_PNDM: return "pndm";
    case A2A_SCHED_DDIM: return "ddim";
    case A2A_SCHED_EULER: return "euler";
    case A2A_SCHED_EULER_ANCESTRAL: return "euler_ancestral";
    case A2A_SCHED_DPMPP_2M: return "dpmpp_2m";
    default: return "?";
    }
}

/* ---- tables ---- */

/* torch.linspace(start, end, N, dtype=float32) on CPU: start + step*i (i < N/2) or
   end - step*(N-1-i), each evaluated with one rounding of the exact product-sum (what torch's
   kernel gives on this machine, checked bit for bit against torch by the golden test). */
static void torch_linspace_f32(double start_d, double end_d, int32_t N, float *out) {
    float s = (float)start_d, e = (float)end_d;
    float step = (e - s) / (float)(N - 1);
    int32_t half = N / 2;
    for (int32_t i = 0; i < N; i++) {
        if (i < half) out[i] = (float)((double)s + (double)step * (double)i);
        else out[i] = (float)((double)e - (double)step * (double)(N - 1 - i));
    }
}

static double alpha_bar_cos(double t) {
    double c = cos((t + 0.008) / 1.008 * 3.14159265358979323846 / 2);
    return c * c;
}

/* betas -> alphas_cumprod, float32 like diffusers (torch.cumprod accumulates in double). */
static void make_acp(const a2a_scheduler_params *p, float *acp) {
    int32_t T = p->num_train_timesteps;
    float *betas = acp; /* computed in place */
    switch (p->beta_schedule) {
    case A2A_BETA_LINEAR: torch_linspace_f32(p->beta_start, p->beta_end, T, betas); break;
    case A2A_BETA_SCALED_LINEAR:
        torch_linspace_f32(sqrt(p->beta_start), sqrt(p->beta_end), T, betas);
        for (int32_t i = 0; i < T; i++) betas[i] = betas[i] * betas[i];
        break;
    case A2A_BETA_SQUAREDCOS_CAP_V2:
        for (int32_t i = 0; i < T; i++) {
            double t1 = (double)i / T, t2 = (double)(i + 1) / T;
            double b = 1 - alpha_bar_cos(t2) / alpha_bar_cos(t1);
            betas[i] = (float)(b < 0.999 ? b : 0.999);
        }
        break;
    }
    double c = 1.0;
    for (int32_t i = 0; i < T; i++) {
        float a = 1.0f - betas[i];
        c *= (double)a;
        acp[i] = (float)c;
    }
}

/* numpy.arange(start, 0, -step) for start > 0, step > 0 (float64 semantics: length
   ceil(-start / -step), values start + i * ((start - step) - start)). Returns the length;
   writes at most cap values. */
static int64_t np_arange_down(double start, double step, double *out, int64_t cap) {
    double len_d = ceil((0.0 - start) / (-step));
    int64_t len = len_d > 0 ? (int64_t)len_d : 0;
    double delta = (start + (-step)) - start;
    for (int64_t i = 0; i < len && i < cap; i++) out[i] = i == 0 ? start : (i == 1 ? start + (-step) : start + (double)i * delta);
    return len;
}

/* numpy.linspace(0, stop, num)[i] (float64). */
static double np_linspace0(double stop, int64_t num, int64_t i) {
    if (num <= 1) return 0.0;
    if (i == num - 1) return stop;
    double step = stop / (double)(num - 1);
    return (double)i * step + 0.0;
}

/* numpy.interp(x, arange(T), fp) with fp given as float32 (evaluated in double). */
static double np_interp_table(double x, const float *fp, int32_t T) {
    if (x <= 0) return fp[0];
    if (x >= (double)(T - 1)) return fp[T - 1];
    int32_t j = (int32_t)floor(x);
    if ((double)j == x) return fp[j];
    double slope = ((double)fp[j + 1] - (double)fp[j]) / 1.0;
    return slope * (x - (double)j) + (double)fp[j];
}

/* diffusers' _sigma_to_t: fractional timestep of sigma (double) over log_sigmas (float32 logs
   of the ascending sigma table). */
static double sigma_to_t(double sigma, const float *log_sigmas, int32_t T) {
    double ls = log(sigma > 1e-10 ? sigma : 1e-10);
    int32_t low = 0; /* last index with ls - log_sigmas[i] >= 0 (0 when none) */
    for (int32_t i = 0; i < T; i++)
        if (ls - (double)log_sigmas[i] >= 0) low = i;
    if (low > T - 2) low = T - 2;
    double lo = log_sigmas[low], hi = log_sigmas[low + 1];
    double w = (lo - ls) / (lo - hi);
    if (w < 0) w = 0;
    if (w > 1) w = 1;
    return (1 - w) * low + w * (low + 1);
}

/* diffusers' _convert_to_karras (rho = 7): n sigmas from sigma_max down to sigma_min (double). */
static void karras(double sigma_min, double sigma_max, int32_t n, double *out) {
    double rho = 7.0, min_inv = pow(sigma_min, 1 / rho), max_inv = pow(sigma_max, 1 / rho);
    for (int32_t i = 0; i < n; i++) {
        double ramp = np_linspace0(1.0, n, i);
        out[i] = pow(max_inv + ramp * (min_inv - max_inv), rho);
    }
}

/* Fill s->t_int (PNDM/DDIM/DPM++ integer schedules) or s->timesteps (Euler kinds). */
static a2a_status make_timesteps(a2a_ctx *ctx, a2a_scheduler *s) {
    const a2a_scheduler_params *p = &s->p;
    const int32_t T = s->T, n = s->n_steps;
    const int32_t off = p->steps_offset;
    int64_t cap = (int64_t)n + 2;
    double *tmp = malloc(sizeof(double) * (size_t)(T + cap + 2));
    double *lsig_d = NULL;
    float *log_sigmas = NULL;
    if (!tmp) return a2a_fail(ctx, A2A_ERR_NOMEM, "scheduler: out of memory");
    a2a_status st = A2A_OK;
    int32_t nt = 0;
    /* descending list of schedule values in tmp[0..nt) */
    if (p->kind == A2A_SCHED_PNDM) {
        /* ascending base */
        double *base = tmp + cap;
        if (p->timestep_spacing == A2A_SPACING_LINSPACE) {
            for (int32_t i = 0; i < n; i++) base[i] = nearbyint(np_linspace0(T - 1, n, i));
        } else if (p->timestep_spacing == A2A_SPACING_LEADING) {
            int32_t ratio = T / n;
            for (int32_t i = 0; i < n; i++) base[i] = (double)i * ratio + off;
        } else {
            double ratio = (double)T / n;
            int64_t len = np_arange_down(T, ratio, tmp, cap);
            if (len != n) { st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: trailing spacing gives %lld timesteps for %d steps", (long long)len, n); goto done; }
            for (int32_t i = 0; i < n; i++) base[i] = nearbyint(tmp[n - 1 - i]) - 1;
        }
        /* plms: concat(base[:-1], base[-2:-1], base[-1:]) reversed */
        double *cat = tmp;
        int32_t k = 0;
        for (int32_t i = 0; i < n - 1; i++) cat[k++] = base[i];
        if (n >= 2) cat[k++] = base[n - 2];
        cat[k++] = base[n - 1];
        nt = k;
        for (int32_t i = 0; i < nt / 2; i++) { double t = cat[i]; cat[i] = cat[nt - 1 - i]; cat[nt - 1 - i] = t; }
    } else if (p->kind == A2A_SCHED_DDIM || p->kind == A2A_SCHED_EULER || p->kind == A2A_SCHED_EULER_ANCESTRAL) {
        bool euler = p->kind != A2A_SCHED_DDIM;
        if (p->timestep_spacing == A2A_SPACING_LINSPACE) {
            for (int32_t i = 0; i < n; i++) {
                double v = np_linspace0(T - 1, n, n - 1 - i);
                tmp[i] = euler ? (double)(float)v : nearbyint(v);
            }
        } else if (p->timestep_spacing == A2A_SPACING_LEADING) {
            int32_t ratio = T / n;
            for (int32_t i = 0; i < n; i++) tmp[i] = (double)(n - 1 - i) * ratio + off;
        } else {
            double ratio = (double)T / n;
            int64_t len = np_arange_down(T, ratio, tmp, cap);
            if (len != n) { st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: trailing spacing gives %lld timesteps for %d steps", (long long)len, n); goto done; }
            for (int32_t i = 0; i < n; i++) tmp[i] = nearbyint(tmp[i]) - 1;
        }
        nt = n;
    } else { /* DPM++ */
        int32_t last = T; /* lambda_min_clipped = -inf */
        if (p->timestep_spacing == A2A_SPACING_LINSPACE) {
            for (int32_t i = 0; i < n; i++) tmp[i] = nearbyint(np_linspace0(last - 1, (int64_t)n + 1, n - i));
        } else if (p->timestep_spacing == A2A_SPACING_LEADING) {
            int32_t ratio = last / (n + 1);
            for (int32_t i = 0; i < n; i++) tmp[i] = (double)(n - i) * ratio + off;
        } else {
            double ratio = (double)T / n;
            int64_t len = np_arange_down(last, ratio, tmp, cap);
            if (len != n) { st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: trailing spacing gives %lld timesteps for %d steps", (long long)len, n); goto done; }
            for (int32_t i = 0; i < n; i++) tmp[i] = nearbyint(tmp[i]) - 1;
        }
        nt = n;
    }
    s->n_ts = nt;
    s->timesteps = malloc(sizeof(float) * (size_t)nt);
    s->t_int = malloc(sizeof(int32_t) * (size_t)nt);
    s->sigmas = calloc((size_t)nt + 1, sizeof(float));
    if (!s->timesteps || !s->t_int || !s->sigmas) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "scheduler: out of memory"); goto done; }
    for (int32_t i = 0; i < nt; i++) {
        s->timesteps[i] = (float)tmp[i];
        s->t_int[i] = (int32_t)tmp[i];
    }
    if (p->kind == A2A_SCHED_PNDM || p->kind == A2A_SCHED_DDIM) goto check;

    /* sigma schedules */
    log_sigmas = malloc(sizeof(float) * (size_t)T);
    lsig_d = malloc(sizeof(double) * (size_t)(nt + 1));
    if (!log_sigmas || !lsig_d) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "scheduler: out of memory"); goto done; }
    for (int32_t t = 0; t < T; t++) log_sigmas[t] = logf(s->sig_table[t]);
    if (p->kind == A2A_SCHED_DPMPP_2M) {
        if (p->use_karras_sigmas) {
            karras(s->sig_table[0], s->sig_table[T - 1], nt, lsig_d);
            for (int32_t i = 0; i < nt; i++) {
                double t = nearbyint(sigma_to_t(lsig_d[i], log_sigmas, T));
                s->timesteps[i] = (float)t;
                s->t_int[i] = (int32_t)t;
                s->sigmas[i] = (float)lsig_d[i];
            }
        } else {
            for (int32_t i = 0; i < nt; i++) s->sigmas[i] = s->sig_table[s->t_int[i]];
        }
    } else { /* Euler kinds: interpolate at the (float32) timesteps */
        for (int32_t i = 0; i < nt; i++) lsig_d[i] = np_interp_table((double)s->timesteps[i], s->sig_table, T);
        if (p->use_karras_sigmas) {
            /* diffusers hands the float64 interpolated sigmas to _convert_to_karras */
            double smin = lsig_d[nt - 1], smax = lsig_d[0];
            karras(smin, smax, nt, lsig_d);
            for (int32_t i = 0; i < nt; i++) s->timesteps[i] = (float)sigma_to_t(lsig_d[i], log_sigmas, T);
        }
        for (int32_t i = 0; i < nt; i++) s->sigmas[i] = (float)lsig_d[i];
    }
    s->sigmas[nt] = 0.0f;
check:
    for (int32_t i = 0; i < nt; i++) {
        if (!(s->timesteps[i] >= 0 && s->timesteps[i] <= (float)(T - 1)) || !isfinite(s->sigmas[i])) {
            st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: %s with %d steps gives timestep %g outside [0, %d] (steps_offset %d?)",
                          kind_name(p->kind), n, (double)s->timesteps[i], T - 1, off);
            goto done;
        }
    }
done:
    free(tmp);
    free(lsig_d);
    free(log_sigmas);
    return st;
}

a2a_status a2a_scheduler_init(a2a_ctx *ctx, const a2a_scheduler_params *pp, int32_t n_steps, a2a_scheduler **out) {
    if (!out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: NULL output");
    *out = NULL;
    if (!pp) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: NULL params");
    a2a_scheduler_params p = *pp;
    if ((int)p.kind < 0 || p.kind >= A2A_SCHED_KIND_COUNT) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: unknown kind %d", (int)p.kind);
    if ((int)p.beta_schedule < 0 || p.beta_schedule > A2A_BETA_SQUAREDCOS_CAP_V2)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: unknown beta schedule %d", (int)p.beta_schedule);
    if ((int)p.prediction_type < 0 || p.prediction_type > A2A_PRED_V)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: unknown prediction type %d", (int)p.prediction_type);
    if ((int)p.timestep_spacing < 0 || p.timestep_spacing > A2A_SPACING_TRAILING)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: unknown timestep spacing %d", (int)p.timestep_spacing);
    if (p.num_train_timesteps < 2 || p.num_train_timesteps > 100000)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: num_train_timesteps %d outside [2, 100000]", p.num_train_timesteps);
    if (n_steps < 1 || n_steps > p.num_train_timesteps)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: %d inference steps outside [1, num_train_timesteps = %d]", n_steps,
                        p.num_train_timesteps);
    if (p.beta_schedule != A2A_BETA_SQUAREDCOS_CAP_V2 &&
        !(p.beta_start > 0 && p.beta_start < 1 && p.beta_end > 0 && p.beta_end < 1))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: beta range [%g, %g] outside (0, 1)", p.beta_start, p.beta_end);
    if (p.steps_offset < 0 || p.steps_offset >= p.num_train_timesteps)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: steps_offset %d", p.steps_offset);
    if (!isfinite(p.eta) || p.eta < 0) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: eta %g", (double)p.eta);
    if (p.eta > 0 && p.kind != A2A_SCHED_DDIM)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: eta > 0 is a DDIM option (kind %s)", kind_name(p.kind));
    if (p.use_karras_sigmas && p.kind != A2A_SCHED_EULER && p.kind != A2A_SCHED_DPMPP_2M)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: Karras sigmas are not an option of %s", kind_name(p.kind));
    if (p.clip_sample && !(p.clip_sample_range > 0))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: clip_sample_range %g", (double)p.clip_sample_range);

    a2a_scheduler *s = calloc(1, sizeof *s);
    if (!s) return a2a_fail(ctx, A2A_ERR_NOMEM, "scheduler: out of memory");
    s->p = p;
    s->n_steps = n_steps;
    s->T = p.num_train_timesteps;
    s->acp = malloc(sizeof(float) * (size_t)s->T);
    s->sig_table = malloc(sizeof(float) * (size_t)s->T);
    if (!s->acp || !s->sig_table) {
        a2a_scheduler_free(s);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "scheduler: out of memory");
    }
    make_acp(&p, s->acp);
    for (int32_t t = 0; t < s->T; t++) {
        if (!(s->acp[t] > 0 && s->acp[t] <= 1)) {
            double bad = s->acp[t];
            a2a_scheduler_free(s);
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: alphas_cumprod[%d] = %g (betas too large)", t, bad);
        }
        s->sig_table[t] = sqrtf((1.0f - s->acp[t]) / s->acp[t]);
    }
    s->final_acp = p.set_alpha_to_one ? 1.0f : s->acp[0];
    a2a_status st = make_timesteps(ctx, s);
    if (st != A2A_OK) {
        a2a_scheduler_free(s);
        return st;
    }
    s->init_noise_sigma = 1.0f;
    if (p.kind == A2A_SCHED_EULER || p.kind == A2A_SCHED_EULER_ANCESTRAL) {
        float mx = s->sigmas[0];
        for (int32_t i = 1; i <= s->n_ts; i++) mx = s->sigmas[i] > mx ? s->sigmas[i] : mx;
        s->init_noise_sigma = p.timestep_spacing == A2A_SPACING_LEADING ? sqrtf(mx * mx + 1.0f) : mx;
    }
    *out = s;
    return A2A_OK;
}

void a2a_scheduler_free(a2a_scheduler *s) {
    if (!s) return;
    free(s->timesteps);
    free(s->t_int);
    free(s->sigmas);
    free(s->acp);
    free(s->sig_table);
    free(s->buf);
    free(s);
}

void a2a_scheduler_reset(a2a_scheduler *s) {
    s->n = 0;
    s->next = 0;
    s->n_ets = 0;
    s->counter = 0;
    s->lower_order_nums = 0;
}

const float *a2a_scheduler_timesteps(const a2a_scheduler *s, int32_t *n) {
    if (n) *n = s->n_ts;
    return s->timesteps;
}

float a2a_scheduler_sigma(const a2a_scheduler *s, int32_t i) {
    if (s->p.kind == A2A_SCHED_PNDM || s->p.kind == A2A_SCHED_DDIM || i < 0 || i > s->n_ts) return 0.0f;
    return s->sigmas[i];
}

const float *a2a_scheduler_alphas_cumprod(const a2a_scheduler *s, int32_t *n) {
    if (n) *n = s->T;
    return s->acp;
}

float a2a_scheduler_init_noise_sigma(const a2a_scheduler *s) { return s->init_noise_sigma; }

void a2a_scheduler_scale_model_input(const a2a_scheduler *s, int32_t step_index, float *x, int64_t n) {
    A2A_ASSERT(step_index >= 0 && step_index < s->n_ts);
    if (s->p.kind != A2A_SCHED_EULER && s->p.kind != A2A_SCHED_EULER_ANCESTRAL) return;
    float sigma = s->sigmas[step_index];
    float d = sqrtf(sigma * sigma + 1.0f);
    for (int64_t i = 0; i < n; i++) x[i] = x[i] / d;
}

/* ---- steps ---- */

/* alpha_cumprod of an integer timestep (prev >= 0) or the final value; false when t is outside
   the table (a schedule diffusers would index out of range). */
static bool acp_at(const a2a_scheduler *s, int64_t t, float *a) {
    if (t < 0) { *a = s->final_acp; return true; }
    if (t >= s->T) return false;
    *a = s->acp[t];
    return true;
}

/* PNDM _get_prev_sample: out = c * sample - (ap - at) * m / den. m may be modified (v-pred). */
static void pndm_prev(float at, float ap, const float *sample, float *m, float *out, int64_t n, bool vpred) {
    float bt = 1.0f - at, bp = 1.0f - ap;
    if (vpred) {
        float ca = sqrtf(at), cb = sqrtf(bt);
        for (int64_t i = 0; i < n; i++) {
            float a = ca * m[i], b = cb * sample[i];
            m[i] = a + b;
        }
    }
    float sc = sqrtf(ap / at);
    float den = at * sqrtf(bp) + sqrtf(at * bt * ap);
    float da = ap - at;
    for (int64_t i = 0; i < n; i++) {
        float a = sc * sample[i];
        float b = (da * m[i]) / den;
        out[i] = a - b;
    }
}

static a2a_status step_pndm(a2a_ctx *ctx, a2a_scheduler *s, int32_t k, const float *mo, float *sample, int64_t n) {
    const int32_t ratio = s->T / s->n_steps;
    int64_t t = s->t_int[k], prev = t - ratio;
    float *m = s->noise; /* scratch: combined model output */
    if (s->counter != 1) {
        if (s->n_ets == 4) { /* keep the last 3, append */
            float *old = s->ets[0];
            s->ets[0] = s->ets[1]; s->ets[1] = s->ets[2]; s->ets[2] = s->ets[3]; s->ets[3] = old;
            s->n_ets = 3;
        }
        memcpy(s->ets[s->n_ets], mo, sizeof(float) * (size_t)n);
        s->n_ets++;
    } else {
        prev = t;
        t = t + ratio;
    }
    float at, ap;
    if (!acp_at(s, t, &at) || !acp_at(s, prev, &ap))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: pndm step %d reaches timestep %lld outside the table", k, (long long)t);
    const float *smp = sample;
    const int32_t ne = s->n_ets;
    const float *e1 = ne >= 1 ? s->ets[ne - 1] : NULL, *e2 = ne >= 2 ? s->ets[ne - 2] : NULL;
    const float *e3 = ne >= 3 ? s->ets[ne - 3] : NULL, *e4 = ne >= 4 ? s->ets[ne - 4] : NULL;
    if (ne == 1 && s->counter == 0) {
        memcpy(m, mo, sizeof(float) * (size_t)n);
        memcpy(s->cur_sample, sample, sizeof(float) * (size_t)n);
    } else if (ne == 1 && s->counter == 1) {
        for (int64_t i = 0; i < n; i++) m[i] = (mo[i] + e1[i]) / 2.0f;
        smp = s->cur_sample; /* diffusers: sample = self.cur_sample */
    } else if (ne == 2) {
        for (int64_t i = 0; i < n; i++) m[i] = (3.0f * e1[i] - e2[i]) / 2.0f;
    } else if (ne == 3) {
        for (int64_t i = 0; i < n; i++) {
            float a = 23.0f * e1[i], b = 16.0f * e2[i], c = 5.0f * e3[i];
            m[i] = ((a - b) + c) / 12.0f;
        }
    } else {
        const float k24 = (float)(1.0 / 24.0);
        for (int64_t i = 0; i < n; i++) {
            float a = 55.0f * e1[i], b = 59.0f * e2[i], c = 37.0f * e3[i], d = 9.0f * e4[i];
            m[i] = k24 * (((a - b) + c) - d);
        }
    }
    pndm_prev(at, ap, smp, m, sample, n, s->p.prediction_type == A2A_PRED_V);
    s->counter++;
    return A2A_OK;
}

static a2a_status step_ddim(a2a_ctx *ctx, a2a_scheduler *s, int32_t k, const float *mo, float *sample, int64_t n,
                            a2a_noise_fn noise, void *noise_user) {
    int64_t t = s->t_int[k], prev = t - s->T / s->n_steps;
    float at, ap;
    if (!acp_at(s, t, &at) || !acp_at(s, prev, &ap))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: ddim step %d reaches timestep %lld outside the table", k, (long long)t);
    float bt = 1.0f - at, bp = 1.0f - ap;
    float sa = sqrtf(at), sb = sqrtf(bt);
    float var = (bp / bt) * (1.0f - at / ap);
    float std = s->p.eta * sqrtf(var);
    float dirc = sqrtf((1.0f - ap) - std * std);
    float sap = sqrtf(ap);
    bool clip = s->p.clip_sample;
    float r = s->p.clip_sample_range;
    bool vpred = s->p.prediction_type == A2A_PRED_V;
    if (s->p.eta > 0) noise(noise_user, k, s->noise, n);
    for (int64_t i = 0; i < n; i++) {
        float x0, eps;
        if (!vpred) {
            x0 = (sample[i] - sb * mo[i]) / sa;
            eps = mo[i];
        } else {
            float a = sa * sample[i], b = sb * mo[i];
            x0 = a - b;
            float c = sa * mo[i], d = sb * sample[i];
            eps = c + d;
        }
        if (clip) x0 = x0 < -r ? -r : (x0 > r ? r : x0);
        float dir = dirc * eps;
        float x = sap * x0;
        x = x + dir;
        if (s->p.eta > 0) {
            float v = std * s->noise[i];
            x = x + v;
        }
        sample[i] = x;
    }
    return A2A_OK;
}

/* x0 prediction of Euler kinds (v or epsilon) into p (p may be s->noise scratch). */
static void euler_x0(const a2a_scheduler *s, float sigma, const float *mo, const float *sample, float *p, int64_t n) {
    if (s->p.prediction_type == A2A_PRED_EPSILON) {
        for (int64_t i = 0; i < n; i++) {
            float a = sigma * mo[i];
            p[i] = sample[i] - a;
        }
    } else {
        float c2 = sigma * sigma + 1.0f;
        float c1 = -sigma / sqrtf(c2);
        for (int64_t i = 0; i < n; i++) {
            float a = mo[i] * c1, b = sample[i] / c2;
            p[i] = a + b;
        }
    }
}

static void step_euler(a2a_scheduler *s, int32_t k, const float *mo, float *sample, int64_t n) {
    float sigma = s->sigmas[k];
    float sh = sigma * 1.0f; /* s_churn = 0: gamma = 0 */
    float dt = s->sigmas[k + 1] - sh;
    float *p = s->m_cur;
    euler_x0(s, sh, mo, sample, p, n); /* diffusers: sigma_hat for epsilon, sigma for v (equal here) */
    for (int64_t i = 0; i < n; i++) {
        float d = (sample[i] - p[i]) / sh;
        float v = d * dt;
        sample[i] = sample[i] + v;
    }
}

static void step_euler_a(a2a_scheduler *s, int32_t k, const float *mo, float *sample, int64_t n, a2a_noise_fn noise,
                         void *noise_user) {
    float sigma = s->sigmas[k];
    float sf = s->sigmas[k], st = s->sigmas[k + 1];
    float st2 = st * st, sf2 = sf * sf;
    float su = sqrtf((st2 * (sf2 - st2)) / sf2);
    float sd = sqrtf(st2 - su * su);
    float dt = sd - sigma;
    float *p = s->m_cur;
    euler_x0(s, sigma, mo, sample, p, n);
    noise(noise_user, k, s->noise, n);
    for (int64_t i = 0; i < n; i++) {
        float d = (sample[i] - p[i]) / sigma;
        float v = d * dt;
        float x = sample[i] + v;
        float w = s->noise[i] * su;
        sample[i] = x + w;
    }
}

static void sigma_to_alpha_sigma(float sigma, float *alpha, float *sig) {
    *alpha = 1.0f / sqrtf(sigma * sigma + 1.0f);
    *sig = sigma * *alpha;
}

static void step_dpm(a2a_scheduler *s, int32_t k, const float *mo, float *sample, int64_t n) {
    /* convert_model_output: x0 prediction at sigma_k into m_cur, previous one into m_prev */
    float *t = s->m_prev;
    s->m_prev = s->m_cur;
    s->m_cur = t;
    float a_k, s_k;
    sigma_to_alpha_sigma(s->sigmas[k], &a_k, &s_k);
    float *m0 = s->m_cur;
    if (s->p.prediction_type == A2A_PRED_EPSILON) {
        for (int64_t i = 0; i < n; i++) {
            float a = s_k * mo[i];
            m0[i] = (sample[i] - a) / a_k;
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            float a = a_k * sample[i], b = s_k * mo[i];
            m0[i] = a - b;
        }
    }
    bool last = k == s->n_ts - 1; /* final_sigmas_type "zero": first order at the last step */
    float alpha_t, sigma_t, alpha_s0, sigma_s0;
    sigma_to_alpha_sigma(s->sigmas[k + 1], &alpha_t, &sigma_t);
    sigma_to_alpha_sigma(s->sigmas[k], &alpha_s0, &sigma_s0);
    float lambda_t = logf(alpha_t) - logf(sigma_t);
    float lambda_s0 = logf(alpha_s0) - logf(sigma_s0);
    float h = lambda_t - lambda_s0;
    float c0 = sigma_t / sigma_s0;
    float c1 = alpha_t * (expf(-h) - 1.0f);
    if (s->lower_order_nums < 1 || last) {
        for (int64_t i = 0; i < n; i++) {
            float a = c0 * sample[i], b = c1 * m0[i];
            sample[i] = a - b;
        }
    } else {
        float alpha_s1, sigma_s1;
        sigma_to_alpha_sigma(s->sigmas[k - 1], &alpha_s1, &sigma_s1);
        float lambda_s1 = logf(alpha_s1) - logf(sigma_s1);
        float h0 = lambda_s0 - lambda_s1;
        float r0 = h0 / h;
        float kr = 1.0f / r0;
        float c2 = 0.5f * c1;
        const float *m1 = s->m_prev;
        for (int64_t i = 0; i < n; i++) {
            float d1 = kr * (m0[i] - m1[i]);
            float a = c0 * sample[i], b = c1 * m0[i], c = c2 * d1;
            sample[i] = (a - b) - c;
        }
    }
    if (s->lower_order_nums < 2) s->lower_order_nums++;
}

a2a_status a2a_scheduler_step(a2a_ctx *ctx, a2a_scheduler *s, int32_t step_index, const float *model_out, float *sample,
                              int64_t n, a2a_noise_fn noise, void *noise_user) {
    if (!s || !model_out || !sample) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: NULL argument to step");
    if (step_index < 0 || step_index >= s->n_ts)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: step %d outside [0, %d)", step_index, s->n_ts);
    if (n < 1 || (uint64_t)n > (SIZE_MAX / sizeof(float)) / 8)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: sample size %lld", (long long)n);
    const a2a_scheduler_kind kind = s->p.kind;
    bool needs_noise = kind == A2A_SCHED_EULER_ANCESTRAL || (kind == A2A_SCHED_DDIM && s->p.eta > 0);
    if (needs_noise && !noise)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: %s%s needs a noise source", kind_name(kind),
                        kind == A2A_SCHED_DDIM ? " with eta > 0" : "");
    bool ordered = kind == A2A_SCHED_PNDM || kind == A2A_SCHED_DPMPP_2M;
    if (s->n == 0) {
        free(s->buf);
        s->buf = malloc(sizeof(float) * (size_t)n * 8);
        if (!s->buf) return a2a_fail(ctx, A2A_ERR_NOMEM, "scheduler: out of memory (%lld floats)", (long long)n * 8);
        for (int i = 0; i < 4; i++) s->ets[i] = s->buf + (size_t)n * (size_t)i;
        s->cur_sample = s->buf + (size_t)n * 4;
        s->m_prev = s->buf + (size_t)n * 5;
        s->m_cur = s->buf + (size_t)n * 6;
        s->noise = s->buf + (size_t)n * 7;
        s->n = n;
        s->n_ets = 0;
        s->counter = 0;
        s->lower_order_nums = 0;
    } else {
        if (n != s->n)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: sample size %lld changed within a run (was %lld; a2a_scheduler_reset starts a new run)",
                            (long long)n, (long long)s->n);
        if (ordered && step_index != s->next)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: %s step %d out of order (expected %d; a2a_scheduler_reset starts a new run)",
                            kind_name(kind), step_index, s->next);
    }
    a2a_status st = A2A_OK;
    switch (kind) {
    case A2A_SCHED_PNDM: st = step_pndm(ctx, s, step_index, model_out, sample, n); break;
    case A2A_SCHED_DDIM: st = step_ddim(ctx, s, step_index, model_out, sample, n, noise, noise_user); break;
    case A2A_SCHED_EULER: step_euler(s, step_index, model_out, sample, n); break;
    case A2A_SCHED_EULER_ANCESTRAL: step_euler_a(s, step_index, model_out, sample, n, noise, noise_user); break;
    case A2A_SCHED_DPMPP_2M: step_dpm(s, step_index, model_out, sample, n); break;
    default: st = a2a_fail(ctx, A2A_ERR_INTERNAL, "scheduler: kind %d", (int)kind);
    }
    if (st == A2A_OK) s->next = step_index + 1;
    return st;
}

a2a_status a2a_scheduler_add_noise(a2a_ctx *ctx, const a2a_scheduler *s, int32_t step_index, const float *x0,
                                   const float *noise, float *out, int64_t n) {
    if (!s || !x0 || !noise || !out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: NULL argument to add_noise");
    if (step_index < 0 || step_index >= s->n_ts)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: add_noise step %d outside [0, %d)", step_index, s->n_ts);
    if (n < 0) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: add_noise size %lld", (long long)n);
    switch (s->p.kind) {
    case A2A_SCHED_PNDM:
    case A2A_SCHED_DDIM: {
        float a = s->acp[s->t_int[step_index]];
        float sa = sqrtf(a), sb = sqrtf(1.0f - a);
        for (int64_t i = 0; i < n; i++) {
            float u = sa * x0[i], v = sb * noise[i];
            out[i] = u + v;
        }
        break;
    }
    case A2A_SCHED_EULER:
    case A2A_SCHED_EULER_ANCESTRAL: {
        float sigma = s->sigmas[step_index];
        for (int64_t i = 0; i < n; i++) {
            float v = noise[i] * sigma;
            out[i] = x0[i] + v;
        }
        break;
    }
    default: {
        float alpha, sig;
        sigma_to_alpha_sigma(s->sigmas[step_index], &alpha, &sig);
        for (int64_t i = 0; i < n; i++) {
            float u = alpha * x0[i], v = sig * noise[i];
            out[i] = u + v;
        }
    }
    }
    return A2A_OK;
}

a2a_status a2a_scheduler_img2img_start(a2a_ctx *ctx, const a2a_scheduler *s, double strength, int32_t *start_index) {
    if (!s || !start_index) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: NULL argument to img2img_start");
    *start_index = 0;
    if (!(strength >= 0.0 && strength <= 1.0))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: img2img strength %g outside [0, 1]", strength);
    int32_t n = s->n_steps;
    double prod = (double)n * strength;
    int32_t init = (int32_t)prod; /* Python int(): truncation, prod >= 0 */
    if (init > n) init = n;
    int32_t t_start = n - init;
    if (t_start < 0) t_start = 0;
    if (t_start >= s->n_ts)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "scheduler: img2img strength %g leaves no denoising step of %d", strength, n);
    *start_index = t_start; /* scheduler order is 1 for every kind here */
    return A2A_OK;
}

void a2a_scheduler_cfg(const float *uncond, const float *cond, float scale, float *out, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float d = cond[i] - uncond[i];
        float v = scale * d;
        out[i] = uncond[i] + v;
    }
}

/* ---- Philox4x32-10 + Box-Muller ---- */

static void philox4x32_10(uint32_t c[4], uint32_t k0, uint32_t k1) {
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c[0], p1 = (uint64_t)0xCD9E8D57u * c[2];
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0, hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        uint32_t n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
        c[0] = n0; c[1] = lo1; c[2] = n2; c[3] = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
}

void a2a_philox_normal(uint64_t seed, uint32_t stream, uint32_t sub, int64_t offset, float *out, int64_t n) {
    const double two_pi = 6.283185307179586476925;
    int64_t j = 0;
    while (j < n) {
        int64_t e = offset + j;
        uint64_t block = (uint64_t)e >> 2;
        uint32_t c[4] = {(uint32_t)block, (uint32_t)(block >> 32), sub, stream};
        philox4x32_10(c, (uint32_t)seed, (uint32_t)(seed >> 32));
        float z[4];
        for (int q = 0; q < 2; q++) {
            double u1 = ((double)c[2 * q] + 0.5) / 4294967296.0, u2 = ((double)c[2 * q + 1] + 0.5) / 4294967296.0;
            double r = sqrt(-2.0 * log(u1));
            z[2 * q] = (float)(r * cos(two_pi * u2));
            z[2 * q + 1] = (float)(r * sin(two_pi * u2));
        }
        for (int lane = (int)(e & 3); lane < 4 && j < n; lane++, j++) out[j] = z[lane];
    }
}

void a2a_noise_philox(void *user, int32_t step_index, float *out, int64_t n) {
    const a2a_philox_noise *p = (const a2a_philox_noise *)user;
    a2a_philox_normal(p->seed, p->stream, (uint32_t)step_index, 0, out, n);
}
