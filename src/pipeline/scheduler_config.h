/* Internal: diffusers scheduler configurations in pipeline GGUF files. The converter copies
   the scheduler_config.json fields the pipelines use into "<prefix>.*" keys (class,
   num_train_timesteps, beta_start, beta_end, beta_schedule, prediction_type, steps_offset,
   set_alpha_to_one, clip_sample, timestep_spacing -- only those the file has); the loader
   rebuilds a2a_scheduler_params from them the way diffusers' Kind.from_config does: keys the
   file lacks keep the kind's class defaults. */
#ifndef A2A_PIPELINE_SCHEDULER_CONFIG_H
#define A2A_PIPELINE_SCHEDULER_CONFIG_H

#include "io/gguf.h"
#include "pipeline/scheduler.h"

/* Copy <dir>/scheduler/scheduler_config.json into prefix.* keys of w. */
a2a_status a2a_scheduler_config_write(a2a_ctx *ctx, a2a_gguf_writer *w, const char *dir, const char *prefix);

/* The file's scheduler (kind -1: its class) or kind's defaults with the file's settings. */
a2a_status a2a_scheduler_config_read(a2a_ctx *ctx, const a2a_gguf *g, const char *prefix, int kind,
                                     a2a_scheduler_params *out);

/* Optional metadata: *out unchanged when key is absent; an error when it has another type. */
a2a_status a2a_gguf_opt_f64(a2a_ctx *ctx, const a2a_gguf *g, const char *key, double *out);
a2a_status a2a_gguf_opt_i32(a2a_ctx *ctx, const a2a_gguf *g, const char *key, int32_t *out);
a2a_status a2a_gguf_opt_bool(a2a_ctx *ctx, const a2a_gguf *g, const char *key, bool *out);

#endif
