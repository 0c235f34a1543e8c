/* any2any convert SRC -o OUT.gguf [--type TYPE] [-t THREADS] [--imagebind | --projector KIND]:
   convert a checkpoint to GGUF.
     default       a Hugging Face LLaMA-family folder (model_type llama or qwen2) -> a GGUF file
                   that the LLM and llama.cpp load unchanged
     --imagebind   imagebind_huge.pth (torch.save of the ImageBind state_dict) -> the encoder
                   (vision, audio, text towers); --bpe GZ adds the CLIP vocabulary for text
     --diffusers   a diffusers pipeline folder (model_index.json: StableDiffusionPipeline) -> one
                   GGUF holding its text encoder, UNet, VAE and scheduler settings
     --nextgpt CKPT NExT-GPT's delta checkpoint (7b_tiva_v0/pytorch_model.pt) + --base VICUNA.gguf
                   -> a bundle folder -o DIR (LLM with the added tokens and merged LoRA, llama_proj,
                   output projectors, manifest); --encoder/--gen-image/--gen-video/--gen-audio add
                   converted files, --no-merge-lora writes lora.gguf instead
     --output-projector M   NExT-GPT's output projector for M = image | video | audio out of its
                   delta checkpoint (gen_text_hidden_fcs[_video|_audio], the last ModuleList element)
     --projector K an input projector out of any checkpoint holding it (K: linear = NExT-GPT
                   llama_proj, mlp2x_gelu = LLaVA-1.5 mm_projector, qformer = BLIP-2), with
                   --prefix P for a non-default key prefix and --n-head N for the Q-Former
   Progress per tensor on stderr; Ctrl-C cancels and leaves no output. */
#include "cli.h"
#include "core/threadpool.h"
#include "llm_run.h"
#include "models/encoders/imagebind_convert.h"
#include "models/llm/llama_convert.h"
#include "models/projectors/projector.h"
#include "models/projectors/textfc.h"
#include "pipeline/diffusers_convert.h"
#include "pipeline/nextgpt_convert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Progress line per tensor; returns the Ctrl-C flag (nonzero cancels). */
static int progress(int64_t done, int64_t total, const char *what, void *user) {
    (void)user;
    fprintf(stderr, "\r[%lld/%lld] %-48.48s", (long long)done, (long long)total, what);
    if (done == total) fputc('\n', stderr);
    return cli_sigint_flag;
}

/* Usage text to f. */
static void convert_usage(FILE *f) {
    fprintf(f, "usage: any2any convert HF_DIR -o OUT.gguf [--type TYPE] [-t THREADS]\n"
               "       any2any convert --imagebind imagebind_huge.pth -o OUT.gguf [--type f16|f32|q8_0] [--bpe VOCAB.txt.gz] [--n-head N]\n"
               "       any2any convert --diffusers SD_FOLDER -o OUT.gguf [--type f16|f32|q8_0]\n"
               "       any2any convert --nextgpt pytorch_model.pt --base vicuna.gguf -o BUNDLE_DIR [--type f16|q8_0]\n"
               "                       [--encoder ENC.gguf] [--gen-image SD.gguf] [--gen-video T2V.gguf] [--gen-audio AUDIOLDM.gguf]\n"
               "                       [--no-merge-lora] [--lora-alpha A] [--reference-external]\n"
               "       any2any convert --output-projector image|video|audio pytorch_model.pt -o OUT.gguf [--type T]\n"
               "       any2any convert --projector linear|mlp2x_gelu|qformer CKPT -o OUT.gguf [--type T] [--prefix P] [--n-head N]\n"
               "  HF_DIR: a Hugging Face folder (config.json model_type llama or qwen2; model.safetensors,\n"
               "          sharded model-*.safetensors or pytorch_model*.bin; tokenizer.model or tokenizer.json)\n"
               "  --type: f32 f16 (default) bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_K q5_K q6_K for weight matrices;\n"
               "          norms and biases stay f32\n");
}

/* Entry point (argv[0] == "convert"); returns the exit status. */
int cli_convert(int argc, char **argv) {
    const char *in = NULL, *out = NULL, *type = "f16", *proj_kind = NULL, *prefix = NULL, *bpe = NULL, *out_proj = NULL;
    int threads = 0, n_head = 0;
    bool imagebind = false, diffusers = false, nextgpt = false, no_merge = false, ref_ext = false;
    const char *base = NULL, *enc = NULL, *gimg = NULL, *gvid = NULL, *gaud = NULL;
    float lora_alpha = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            convert_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "-t") && i + 1 < argc) threads = atoi(argv[++i]);
        else if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--outfile")) && i + 1 < argc) out = argv[++i];
        else if ((!strcmp(argv[i], "--type") || !strcmp(argv[i], "--outtype")) && i + 1 < argc) type = argv[++i];
        else if (!strcmp(argv[i], "--imagebind")) imagebind = true;
        else if (!strcmp(argv[i], "--diffusers")) diffusers = true;
        else if (!strcmp(argv[i], "--nextgpt")) nextgpt = true;
        else if (!strcmp(argv[i], "--no-merge-lora")) no_merge = true;
        else if (!strcmp(argv[i], "--reference-external")) ref_ext = true;
        else if (!strcmp(argv[i], "--lora-alpha") && i + 1 < argc) lora_alpha = (float)atof(argv[++i]);
        else if (!strcmp(argv[i], "--base") && i + 1 < argc) base = argv[++i];
        else if (!strcmp(argv[i], "--encoder") && i + 1 < argc) enc = argv[++i];
        else if (!strcmp(argv[i], "--gen-image") && i + 1 < argc) gimg = argv[++i];
        else if (!strcmp(argv[i], "--gen-video") && i + 1 < argc) gvid = argv[++i];
        else if (!strcmp(argv[i], "--gen-audio") && i + 1 < argc) gaud = argv[++i];
        else if (!strcmp(argv[i], "--projector") && i + 1 < argc) proj_kind = argv[++i];
        else if (!strcmp(argv[i], "--output-projector") && i + 1 < argc) out_proj = argv[++i];
        else if (!strcmp(argv[i], "--prefix") && i + 1 < argc) prefix = argv[++i];
        else if (!strcmp(argv[i], "--n-head") && i + 1 < argc) n_head = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--bpe") && i + 1 < argc) bpe = argv[++i];
        else if (!in && argv[i][0] != '-') in = argv[i];
        else {
            fprintf(stderr, "any2any convert: unexpected argument '%s'\n", argv[i]);
            convert_usage(stderr);
            return 2;
        }
    }
    if (!in || !out) {
        convert_usage(stderr);
        return 2;
    }
    int t = a2a_type_from_name(type);
    if (t < 0) {
        fprintf(stderr, "any2any convert: unknown type '%s'\n", type);
        return 2;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_threadpool *tp = NULL;
    int rc = 1;
    cli_sigint_install();
    a2a_projector_type pk = A2A_PROJECTOR_LINEAR;
    if (proj_kind && !a2a_projector_type_from_name(proj_kind, &pk)) {
        fprintf(stderr, "any2any convert: unknown projector kind '%s' (linear, mlp2x_gelu, qformer)\n", proj_kind);
        a2a_ctx_free(ctx);
        return 2;
    }
    double t0 = cli_now();
    if (a2a_threadpool_new(ctx, threads, &tp) == A2A_OK) {
        a2a_status st;
        if (imagebind) {
            a2a_imagebind_convert_params p = a2a_imagebind_convert_default_params();
            p.type = (a2a_type)t;
            p.tp = tp;
            p.progress = progress;
            p.bpe_path = bpe;
            p.vision_n_head = p.audio_n_head = p.text_n_head = n_head;
            st = a2a_imagebind_convert(ctx, in, out, &p);
        } else if (nextgpt) {
            a2a_nextgpt_convert_params p = a2a_nextgpt_convert_default_params();
            p.ckpt_path = in;
            p.base_llm = base;
            p.out_dir = out;
            p.type = (a2a_type)t;
            p.merge_lora = !no_merge;
            p.lora_alpha = lora_alpha;
            p.encoder = enc;
            p.gen_image = gimg;
            p.gen_video = gvid;
            p.gen_audio = gaud;
            p.reference_external = ref_ext;
            p.tp = tp;
            p.progress = progress;
            st = base ? a2a_nextgpt_convert(ctx, &p)
                      : a2a_fail(ctx, A2A_ERR_INVALID_ARG, "--nextgpt needs --base VICUNA.gguf (the converted base LLM)");
        } else if (out_proj) {
            a2a_textfc_convert_params p = a2a_textfc_convert_default_params();
            p.type = (a2a_type)t;
            p.n_head = n_head;
            p.tp = tp;
            st = a2a_textfc_convert(ctx, in, out_proj, out, &p);
        } else if (diffusers) {
            a2a_diffusers_convert_params p = a2a_diffusers_convert_default_params();
            p.weight_type = (a2a_type)t;
            p.conv_type = t == A2A_TYPE_F32 ? A2A_TYPE_F32 : A2A_TYPE_F16;
            p.tp = tp;
            p.progress = progress;
            st = a2a_diffusers_convert(ctx, in, out, &p);
        } else if (proj_kind) {
            a2a_projector_convert_params p = a2a_projector_convert_default_params();
            p.type = (a2a_type)t;
            p.prefix = prefix;
            p.n_head = n_head;
            p.tp = tp;
            st = a2a_projector_convert(ctx, in, pk, out, &p);
        } else {
            a2a_llama_convert_params p = a2a_llama_convert_default_params();
            p.type = (a2a_type)t;
            p.progress = progress;
            p.tp = tp;
            st = a2a_llama_convert(ctx, in, out, &p);
        }
        if (st == A2A_OK) {
            fprintf(stderr, "any2any convert: wrote %s (%s) in %.1f s\n", out, a2a_type_name(t), cli_now() - t0);
            rc = 0;
        }
    }
    if (rc) fprintf(stderr, "\nany2any convert: %s\n", a2a_last_error(ctx));
    a2a_threadpool_free(tp);
    a2a_ctx_free(ctx);
    return rc;
}
