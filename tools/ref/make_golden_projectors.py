#!/usr/bin/env python3
"""Golden references for the input projectors (src/models/projectors/).

Three families of the MM-LLM survey, each built from the upstream PyTorch module with tiny
widths (random weights, fixed seeds) and saved the way the upstream checkpoint holds it:

  linear       NExT-GPT `llama_proj = nn.Linear(d_in, d_llm)`, inside a delta-checkpoint-like
               dict (torch.save) that also holds unrelated keys (gen_text_hidden_fcs, LoRA,
               embed rows) the converter must ignore                       -> linear_nextgpt.pt
  mlp2x_gelu   LLaVA-1.5 `mm_projector` = Sequential(Linear, GELU, Linear): keys
               model.mm_projector.{0,2}.{weight,bias}, as mm_projector.bin (torch.save) and in a
               safetensors file with other LLaVA keys                    -> mlp_llava.bin / .safetensors
               and in fp16 with bare mm_projector.* keys                  -> mlp_llava_f16.safetensors
  qformer      transformers Blip2QFormerModel + query_tokens + language_projection:
               (a) the three parts saved with their Blip2ForConditionalGeneration state_dict
                   names (torch.save), cross_attention_frequency 1     -> qformer_a.pt
               (b) a whole tiny Blip2ForConditionalGeneration (vision tower, OPT LM),
                   cross_attention_frequency 2, 3 layers, save_pretrained in 3 shards
                                                                        -> qformer_b/ (+ its index.json)
  bad inputs   mlp_bad_width.safetensors (fc2 width disagrees with fc1), qformer_bad.safetensors
               (a cross-attention layer lacks its key projection)

projectors.ref.gguf holds, per case, the input features in0 [d_in, n] (ggml order) and the
reference output [d_llm, n_out] computed in float64 from the float32 weights, with params
`model` (file or folder name), `kind` ("linear" | "mlp2x_gelu" | "qformer"), `prefix` (the
key prefix the converter needs; "-" means the kind's default) and, for the Q-Former, `n_head`
and `eps` (not recoverable from the weights).

Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_projectors.py
"""
import copy
import os
import sys

import numpy as np
import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "projectors")


def f64_run(module, *xs):
    """Run a deep copy of module in float64 on float32 inputs; float32 result."""
    m = copy.deepcopy(module).double().eval()
    with torch.no_grad():
        return m(*[x.double() for x in xs]).float()


def linear_case(gw):
    torch.manual_seed(1)
    d_in, d_llm, n = 64, 96, 5
    proj = torch.nn.Linear(d_in, d_llm)
    with torch.no_grad():
        proj.bias.normal_(0, 0.1)
    sd = {
        # unrelated keys of NExT-GPT's delta checkpoint (ignored by the converter)
        "gen_text_hidden_fcs.0.fc.weight": torch.randn(8, 16),
        "llama_model.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight": torch.randn(4, 16),
        "llama_model.base_model.model.model.embed_tokens.weight": torch.randn(3, 16),
        "llama_proj.weight": proj.weight.detach().clone(),
        "llama_proj.bias": proj.bias.detach().clone(),
    }
    torch.save(sd, os.path.join(OUT, "linear_nextgpt.pt"))
    x = torch.randn(1, n, d_in)
    y = f64_run(proj, x)
    gw.add_case("linear_nextgpt", "projector", [x[0]], y[0],
                params={"model": "linear_nextgpt.pt", "kind": "linear", "prefix": "-"},
                tol_nmse=1e-10, tol_max_abs=1e-4)


class LlavaMLP(torch.nn.Module):
    """LLaVA-1.5's build_vision_projector for mlp2x_gelu, held as model.mm_projector."""

    def __init__(self, d_vis, d_llm):
        super().__init__()
        self.mm_projector = torch.nn.Sequential(torch.nn.Linear(d_vis, d_llm), torch.nn.GELU(),
                                                torch.nn.Linear(d_llm, d_llm))

    def forward(self, x):
        return self.mm_projector(x)


def mlp_cases(gw):
    torch.manual_seed(2)
    d_vis, d_llm, n = 64, 96, 7
    m = LlavaMLP(d_vis, d_llm)
    sd = {"model." + k: v.detach().clone() for k, v in m.state_dict().items()}
    torch.save(sd, os.path.join(OUT, "mlp_llava.bin"))  # mm_projector.bin of the pretrain stage
    full = dict(sd)
    full["model.embed_tokens.weight"] = torch.randn(10, d_llm)
    full["lm_head.weight"] = torch.randn(10, d_llm)
    save_file({k: v.contiguous() for k, v in full.items()}, os.path.join(OUT, "mlp_llava.safetensors"),
              metadata={"format": "pt"})
    x = torch.randn(1, n, d_vis)
    y = f64_run(m, x)
    for name, file in (("mlp_llava_bin", "mlp_llava.bin"), ("mlp_llava_st", "mlp_llava.safetensors")):
        gw.add_case(name, "projector", [x[0]], y[0],
                    params={"model": file, "kind": "mlp2x_gelu", "prefix": "-"}, tol_nmse=1e-10, tol_max_abs=1e-4)
    # LLaVA checkpoints are fp16: the same MLP rounded to half precision, saved as F16 with the
    # keys of a bare mm_projector (no "model." -- the converter's fallback prefix)
    m16 = copy.deepcopy(m).half().float()
    save_file({k: v.detach().half().contiguous() for k, v in m16.state_dict().items()},
              os.path.join(OUT, "mlp_llava_f16.safetensors"))
    gw.add_case("mlp_llava_f16", "projector", [x[0]], f64_run(m16, x)[0],
                params={"model": "mlp_llava_f16.safetensors", "kind": "mlp2x_gelu", "prefix": "-"},
                tol_nmse=1e-10, tol_max_abs=1e-4)
    bad = dict(sd)
    bad["model.mm_projector.2.weight"] = torch.randn(d_llm, d_llm + 32)
    save_file({k: v.contiguous() for k, v in bad.items()}, os.path.join(OUT, "mlp_bad_width.safetensors"))


class QFormerProjector(torch.nn.Module):
    """query_tokens -> Blip2QFormerModel(cross-attending image features) -> language_projection,
    exactly as Blip2ForConditionalGeneration.get_image_features after the vision tower."""

    def __init__(self, qformer, query_tokens, language_projection):
        super().__init__()
        self.qformer = qformer
        self.query_tokens = query_tokens
        self.language_projection = language_projection

    def forward(self, image_embeds):
        q = self.query_tokens.expand(image_embeds.shape[0], -1, -1)
        out = self.qformer(query_embeds=q, encoder_hidden_states=image_embeds,
                           encoder_attention_mask=torch.ones(image_embeds.shape[:-1], dtype=torch.long))
        return self.language_projection(out.last_hidden_state)


def randomize(module, std=0.2):
    """Non-trivial weights (upstream init leaves LayerNorms at 1/0 and biases at 0)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "LayerNorm" in name or "layernorm" in name or "layer_norm" in name:
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.1 * torch.randn_like(p))
            else:
                p.normal_(0, std)


def qformer_cases(gw):
    from transformers import Blip2Config, Blip2ForConditionalGeneration, Blip2QFormerConfig, Blip2QFormerModel

    # (a) the parts alone, cross-attention in every layer
    torch.manual_seed(3)
    qcfg = Blip2QFormerConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                              encoder_hidden_size=24, cross_attention_frequency=1, layer_norm_eps=1e-12)
    qf = Blip2QFormerModel(qcfg).eval()
    qt = torch.nn.Parameter(torch.randn(1, 8, 32))
    lp = torch.nn.Linear(32, 48)
    m = QFormerProjector(qf, qt, lp).eval()
    randomize(m)
    sd = {"qformer." + k: v.detach().clone() for k, v in qf.state_dict().items()}
    sd["query_tokens"] = qt.detach().clone()
    sd["language_projection.weight"] = lp.weight.detach().clone()
    sd["language_projection.bias"] = lp.bias.detach().clone()
    sd["vision_model.post_layernorm.weight"] = torch.ones(24)  # unrelated key
    torch.save(sd, os.path.join(OUT, "qformer_a.pt"))
    x = torch.randn(1, 10, 24)
    y = f64_run(m, x)
    gw.add_case("qformer_a", "projector", [x[0]], y[0],
                params={"model": "qformer_a.pt", "kind": "qformer", "prefix": "-", "n_head": 2, "eps": 1e-12},
                tol_nmse=1e-10, tol_max_abs=1e-4)

    # (b) a whole tiny BLIP-2 (what a published checkpoint holds), cross-attention every 2nd layer
    torch.manual_seed(4)
    cfg = Blip2Config(
        vision_config=dict(hidden_size=32, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                           image_size=28, patch_size=14),
        qformer_config=dict(hidden_size=32, num_hidden_layers=3, num_attention_heads=4, intermediate_size=64,
                            cross_attention_frequency=2, layer_norm_eps=1e-12, vocab_size=32,
                            max_position_embeddings=16),
        text_config=dict(model_type="opt", hidden_size=64, num_hidden_layers=1, num_attention_heads=2, ffn_dim=32,
                         vocab_size=32, max_position_embeddings=16, word_embed_proj_dim=64),
        num_query_tokens=6,
    )
    full = Blip2ForConditionalGeneration(cfg).eval()
    randomize(full, std=0.1)
    # sharded the way large Hub checkpoints are (model-0000i-of-0000n.safetensors + index.json),
    # so the Q-Former's tensors are spread over several files; config.json is dropped (the
    # converter reads the widths off the tensors)
    sdir = os.path.join(OUT, "qformer_b")
    if os.path.isdir(sdir):
        for f in os.listdir(sdir):
            os.remove(os.path.join(sdir, f))
    full.save_pretrained(sdir, safe_serialization=True, max_shard_size="120KB")
    for f in os.listdir(sdir):
        if not f.endswith(".safetensors") and not f.endswith(".index.json"):
            os.remove(os.path.join(sdir, f))
    mb = QFormerProjector(full.qformer, full.query_tokens, full.language_projection).eval()
    xb = torch.randn(1, 5, 32)  # e.g. vision_model last_hidden_state: 4 patches + class token
    yb = f64_run(mb, xb)
    # cross-check against the upstream entry point on the same features
    with torch.no_grad():
        q = full.query_tokens.expand(1, -1, -1)
        ref = full.language_projection(full.qformer(query_embeds=q, encoder_hidden_states=xb).last_hidden_state)
    assert torch.allclose(ref, yb, atol=1e-4), "QFormerProjector disagrees with Blip2ForConditionalGeneration"
    for name, file in (("qformer_b", "qformer_b"), ("qformer_b_index", "qformer_b/model.safetensors.index.json")):
        gw.add_case(name, "projector", [xb[0]], yb[0],
                    params={"model": file, "kind": "qformer", "prefix": "-", "n_head": 4, "eps": 1e-12},
                    tol_nmse=1e-10, tol_max_abs=1e-4)

    # bad: layer 1 of (a) has cross-attention but its key projection is gone
    bad = {k: v.contiguous() for k, v in sd.items() if k != "qformer.encoder.layer.1.crossattention.attention.key.weight"}
    save_file(bad, os.path.join(OUT, "qformer_bad.safetensors"))


def main():
    os.makedirs(OUT, exist_ok=True)
    gw = GoldenWriter(os.path.join(OUT, "projectors.ref.gguf"), generator="tools/ref/make_golden_projectors.py",
                      compute="upstream modules run in float64 on float32 weights/inputs, outputs rounded to float32")
    linear_case(gw)
    mlp_cases(gw)
    qformer_cases(gw)
    gw.write()
    for root, _, files in os.walk(OUT):
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)  # safetensors writes 0600
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print(f"projectors: {len(gw.cases)} cases, {total / 1024:.0f} KiB in {OUT}")


if __name__ == "__main__":
    main()
