/* Internal to src/models/diffusion/unet2d*.c: pieces shared by the UNet loader and converter. */
#ifndef A2A_MODELS_DIFFUSION_UNET2D_IMPL_H
#define A2A_MODELS_DIFFUSION_UNET2D_IMPL_H

#include "models/diffusion/unet2d.h"

/* Check a configuration for consistency (block counts, widths, groups and heads dividing the
   widths, sizes in range). A2A_ERR_FORMAT / A2A_ERR_INVALID_ARG with a message. */
a2a_status a2a_unet2d_check_config(a2a_ctx *ctx, const a2a_unet2d_config *c);

#endif
