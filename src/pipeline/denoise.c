/* The shared denoising loop: see denoise.h. */
#include "pipeline/denoise.h"

#include <stdlib.h>
#include <string.h>

a2a_status a2a_denoise(a2a_ctx *ctx, const a2a_denoise_params *p, const int64_t *item_ne, int n_dims,
                       a2a_denoise_fn fn, void *user, float *lat) {
    if (n_dims < 1 || n_dims > 4) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "denoise: %d-D latents", n_dims);
    int64_t n = 1;
    for (int i = 0; i < n_dims; i++) {
        if (item_ne[i] < 1 || item_ne[i] > (1 << 20) || n > ((int64_t)1 << 40) / item_ne[i])
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "denoise: latent dim %d is %lld", i, (long long)item_ne[i]);
        n *= item_ne[i];
    }
    const bool guided = p->cfg > 1.0f;
    const int64_t nb = guided ? 2 : 1;
    float *x = malloc(sizeof(float) * (size_t)(nb * n)), *eps = malloc(sizeof(float) * (size_t)(nb * n));
    float *noise = malloc(sizeof(float) * (size_t)n);
    a2a_scheduler *sch = NULL;
    a2a_status st = A2A_OK;
    if (!x || !eps || !noise) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "denoise: out of memory for %lld latents", (long long)n);
        goto done;
    }
    if ((st = a2a_scheduler_init(ctx, &p->sched, p->steps, &sch)) != A2A_OK) goto done;
    int32_t nt = 0, i0 = 0;
    const float *ts = a2a_scheduler_timesteps(sch, &nt);
    if (p->init_noise) memcpy(noise, p->init_noise, sizeof(float) * (size_t)n);
    else a2a_philox_normal(p->seed, 0, 0xFFFFFFFFu, 0, noise, n);
    if (p->x0) {
        if ((st = a2a_scheduler_img2img_start(ctx, sch, p->strength, &i0)) != A2A_OK ||
            (st = a2a_scheduler_add_noise(ctx, sch, i0, p->x0, noise, lat, n)) != A2A_OK)
            goto done;
    } else {
        const float s0 = a2a_scheduler_init_noise_sigma(sch);
        for (int64_t i = 0; i < n; i++) lat[i] = noise[i] * s0;
    }
    a2a_philox_noise step_noise = {p->seed, 1};
    int64_t ne[5] = {1, 1, 1, 1, 1};
    for (int i = 0; i < n_dims; i++) ne[i] = item_ne[i];
    ne[n_dims] = nb;
    a2a_tensor tx, te;
    a2a_tensor_init(&tx, A2A_TYPE_F32, n_dims + 1, ne, x);
    a2a_tensor_init(&te, A2A_TYPE_F32, n_dims + 1, ne, eps);
    for (int32_t i = i0; i < nt; i++) {
        if (p->cancel && *p->cancel) {
            st = a2a_fail(ctx, A2A_ERR_CANCELLED, "denoise: cancelled at step %d of %d", i - i0, nt - i0);
            goto done;
        }
        for (int64_t b = 0; b < nb; b++) {
            memcpy(x + b * n, lat, sizeof(float) * (size_t)n);
            a2a_scheduler_scale_model_input(sch, i, x + b * n, n);
        }
        const float tt[2] = {ts[i], ts[i]};
        if ((st = fn(ctx, user, &tx, tt, &te)) != A2A_OK) goto done;
        if (guided) a2a_scheduler_cfg(eps, eps + n, p->cfg, eps, n);
        if ((st = a2a_scheduler_step(ctx, sch, i, eps, lat, n, a2a_noise_philox, &step_noise)) != A2A_OK) goto done;
        if (p->progress && p->progress(i - i0 + 1, nt - i0, "denoise", p->user)) {
            st = a2a_fail(ctx, A2A_ERR_CANCELLED, "denoise: cancelled after step %d of %d", i - i0 + 1, nt - i0);
            goto done;
        }
    }
done:
    a2a_scheduler_free(sch);
    free(x);
    free(eps);
    free(noise);
    return st;
}
