/* any2any command-line interface: dispatches subcommands. */
#include "any2any.h"
#include "cli.h"
#include "media/video.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
            "any2any %s — any-to-any multimodal LLM engine\n"
            "\n"
            "usage: any2any <command> [options]\n"
            "\n"
            "commands:\n"
            "  inspect FILE        print metadata and tensor table of a GGUF, safetensors or PyTorch file\n"
            "  generate -m F.gguf -p PROMPT   stream a text continuation (see 'any2any generate --help')\n"
            "  generate --kind image -m SD.gguf -p PROMPT -o OUT.png   Stable Diffusion text-to-image / image-to-image\n"
            "  generate --kind audio -m AUDIOLDM.gguf -p PROMPT -o OUT.wav   AudioLDM text-to-audio\n"
            "  generate --kind video -m T2V.gguf -p PROMPT -o OUT.mp4   Zeroscope text-to-video (.mp4 .webm .gif)\n"
            "  run -m BUNDLE -p TEXT [--image F] [--audio F] [--video F]   one multimodal turn (NExT-GPT prompt)\n"
            "  eval -m BUNDLE [--set DIR]   the demo bundle's quality numbers on a held-out evaluation set\n"
            "  embed -m ENC.gguf (--image F | --audio F | --video F | --text S)...   ImageBind embeddings as JSON\n"
            "  chat -m F.gguf      interactive multi-turn chat (chat templates from the model or --template)\n"
            "  quantize IN OUT TYPE   re-encode a GGUF model's weights (q4_0 q8_0 q4_K q6_K f16 ...)\n"
            "  convert SRC -o OUT.gguf   HF llama/qwen2 folder, --diffusers SD folder, --imagebind .pth, --projector K ckpt -> GGUF\n"
            "  bench llm -m F.gguf  prefill/decode speed and the bandwidth roofline (bench random-llm: test models)\n"
            "  tokenize -m F.gguf  read text from stdin, print its token ids (--bos, --special)\n"
            "  sysinfo             print CPU features and the kernel level in use\n"
            "  help                this text\n",
            a2a_version());
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    /* FFmpeg's own log lines (x264 statistics, demuxer notes) would mix with our output; set
       A2A_FFMPEG_LOG=1 to see them */
    const char *fl = getenv("A2A_FFMPEG_LOG");
    a2a_video_set_ffmpeg_log_quiet(!(fl && *fl && strcmp(fl, "0")));
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("any2any %s\n", a2a_version());
        return 0;
    }
    if (!strcmp(cmd, "inspect")) return cli_inspect(argc - 1, argv + 1);
    if (!strcmp(cmd, "generate")) return cli_generate(argc - 1, argv + 1);
    if (!strcmp(cmd, "run")) return cli_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "eval")) return cli_eval(argc - 1, argv + 1);
    if (!strcmp(cmd, "embed")) return cli_embed(argc - 1, argv + 1);
    if (!strcmp(cmd, "chat")) return cli_chat(argc - 1, argv + 1);
    if (!strcmp(cmd, "quantize")) return cli_quantize(argc - 1, argv + 1);
    if (!strcmp(cmd, "convert")) return cli_convert(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench")) return cli_bench(argc - 1, argv + 1);
    if (!strcmp(cmd, "tokenize")) return cli_tokenize(argc - 1, argv + 1);
    if (!strcmp(cmd, "sysinfo")) return cli_sysinfo(argc - 1, argv + 1);
    fprintf(stderr, "any2any: unknown command '%s' (try 'any2any help')\n", cmd);
    return 2;
}
