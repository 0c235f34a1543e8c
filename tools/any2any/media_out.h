/* Writing the media of a NExT-GPT reply (shared by `run` and `chat`). */
#ifndef A2A_CLI_MEDIA_OUT_H
#define A2A_CLI_MEDIA_OUT_H

#include "pipeline/nextgpt.h"

#define CLI_PATH_MAX 1100

/* Write every generated item of rep as DIR/reply-N.png | .mp4 (8 fps) | .wav (N = first_index, first_index+1,
   ...; atomic writes) and put the paths in files[] (*n_files of them). Returns A2A_OK or the
   writer's error (with a message in ctx). */
a2a_status cli_write_reply_media(a2a_ctx *ctx, const a2a_nextgpt_reply *rep, const char *dir, int first_index,
                                 char (*files)[CLI_PATH_MAX], int *n_files);

#endif
