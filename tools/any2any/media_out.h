/* Writing the media of a NExT-GPT reply (shared by `run` and `chat`). */
#ifndef A2A_CLI_MEDIA_OUT_H
#define A2A_CLI_MEDIA_OUT_H

#include <stdio.h>

#include "media/video_write.h"
#include "pipeline/nextgpt.h"

#define CLI_PATH_MAX 1100

/* Create folder dir and its missing parents (like mkdir -p; existing ones are kept). Returns A2A_OK,
   or A2A_ERR_IO / A2A_ERR_INVALID_ARG with a message naming dir when it cannot be made a folder. */
a2a_status cli_make_dirs(a2a_ctx *ctx, const char *dir);

/* Write every generated item of rep as DIR/reply-N.png | .mp4 (8 fps) | .wav (N = first_index, first_index+1,
   ...; atomic writes; DIR is created when missing) and put the paths in files[] (*n_files of them).
   Returns A2A_OK or the error (with a message in ctx). */
a2a_status cli_write_reply_media(a2a_ctx *ctx, const a2a_nextgpt_reply *rep, const char *dir, int first_index,
                                 char (*files)[CLI_PATH_MAX], int *n_files);

/* Write the frames of generated video item md (md->video: frames x [3][h][w] in [-1, 1]) to path as
   a video at fps (vp NULL: the writer's defaults; the container follows the extension). */
a2a_status cli_write_video_item(a2a_ctx *ctx, const a2a_nextgpt_media *md, const char *path, double fps,
                                const a2a_video_write_params *vp);

/* s as a JSON string literal (quotes, escapes) to f. */
void cli_json_str(FILE *f, const char *s);

#endif
