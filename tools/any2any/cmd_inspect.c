/* any2any inspect FILE: metadata and tensor table of a weight file. */
#include "any2any.h"
#include "cli.h"

#include <stdio.h>

int cli_inspect(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: any2any inspect FILE\n");
        return 2;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    if (!ctx) return 1;
    a2a_status st = a2a_inspect_file(ctx, argv[1], stdout);
    if (st != A2A_OK) fprintf(stderr, "any2any: %s: %s\n", argv[1], a2a_last_error(ctx));
    a2a_ctx_free(ctx);
    return st == A2A_OK ? 0 : 1;
}
