/* a2a_inspect_file: detect the weight-file format and print its contents.
   (Format readers are added in src/io; until then this reports the format only.) */
#include "core/status.h"

#include <stdio.h>

a2a_status a2a_inspect_file(a2a_ctx *ctx, const char *path, FILE *out) {
    (void)out;
    FILE *f = fopen(path, "rb");
    if (!f) return a2a_fail(ctx, A2A_ERR_IO, "cannot open '%s'", path);
    fclose(f);
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "unrecognized file format");
}
