#!/usr/bin/env python3
"""Test data for the multimodal pipeline (tests/cli/mm_run.sh, tests/cli/nextgpt_run.sh): a
checkpoint in NExT-GPT's delta layout (7b_tiva_v0/pytorch_model.pt holds llama_proj.* beside the
LoRA weights, the output projectors and the resized embedding rows) with an input projector
nn.Linear(16, 64) that fits the tiny ImageBind of tests/golden/imagebind (out_dim 16) and the
"tiny" random LLaMA (64 wide), and output projectors (our torch re-implementation of
TextFcLayer from make_golden_textfc.py) that fit the tiny SD (8 x 16 prompt embeddings, padded
to 77 by the pipeline) and AudioLDM (1 x 16) of tests/golden/sd and tests/golden/audioldm.
Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_mm.py"""
import os

import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from make_golden_textfc import NextGPTHolder, TextFcTransformer, randomize, save_delta  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "mm")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)
proj = torch.nn.Linear(16, 64)
sd = {
    "llama_proj.weight": proj.weight.detach().clone(),
    "llama_proj.bias": proj.bias.detach().clone(),
    # other keys of the delta checkpoint, ignored by the input-projector converter
    "gen_text_hidden_fcs.0.fc.weight": torch.randn(8, 64),
    "llama_model.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight": torch.randn(4, 64),
}
torch.save(sd, os.path.join(OUT, "nextgpt_delta_tiny.pt"))
print("wrote", os.path.join(OUT, "nextgpt_delta_tiny.pt"))

# the generation side: image 4 signal tokens -> 8 x 16, video 24 -> 4 x 8, audio 8 -> 1 x 16
img = TextFcTransformer(64, 16, 8, hidden_dim=16, nhead=2, n_enc=1, n_dec=1)
aud = TextFcTransformer(64, 16, 1, hidden_dim=16, nhead=2, n_enc=1, n_dec=1)
vid = TextFcTransformer(64, 8, 4, hidden_dim=16, nhead=2, n_enc=1, n_dec=1)  # 24 tokens -> 4 x 8 (tests/golden/t2v)
holder = NextGPTHolder([img], [vid], [aud], 64).eval()
randomize(holder)
save_delta(holder, os.path.join(OUT, "nextgpt_delta_gen.pt"))
print("wrote", os.path.join(OUT, "nextgpt_delta_gen.pt"))
