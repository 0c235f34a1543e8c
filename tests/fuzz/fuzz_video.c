/* libFuzzer target: a2a_video_decode_memory on arbitrary bytes with small limits (at most 2
   frames decoded per input, 256x256 pixels, 60 s, 1 MiB of RGB), asking for the frames at 0 s and
   0.5 s; on success every returned pixel is read. FFmpeg itself is not instrumented in these
   builds (only our AVIO callbacks, limits and frame handling are), and its log is silenced. */
#include "media/video.h"

#include <stdint.h>
#include <stdlib.h>

static volatile unsigned sink;

/* libFuzzer entry point: never fails, only lets sanitizers report. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static a2a_ctx *ctx;
    if (!ctx) {
        ctx = a2a_ctx_new();
        a2a_video_set_ffmpeg_log_quiet(true);
    }
    a2a_video_limits lim = a2a_video_default_limits();
    lim.max_decoded_frames = 2;
    lim.max_pixels = 256 * 256;
    lim.max_dim = 256;
    lim.max_duration_s = 60;
    lim.max_decoded_bytes = 1 << 20;
    double t[2] = {0.0, 0.5};
    a2a_image fr[2];
    a2a_video_info vi;
    if (a2a_video_decode_memory(ctx, data, size, t, 2, &lim, fr, &vi) != A2A_OK) return 0;
    unsigned acc = (unsigned)vi.width;
    for (int i = 0; i < 2; i++) {
        for (size_t k = 0; k < (size_t)fr[i].w * fr[i].h * 3; k++) acc += fr[i].data[k];
        a2a_image_free(&fr[i]);
    }
    sink = acc;
    return 0;
}
