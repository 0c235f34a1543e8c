#!/usr/bin/env python3
"""End-to-end golden for NExT-GPT's generation path (src/pipeline/nextgpt.c + the generators),
recomputed in PyTorch from upstream modules:

  LLM       a tiny transformers LlamaForCausalLM whose vocabulary is the LLaMA SentencePiece
            fixture's first 512 tokens + NExT-GPT's 38 added tokens (<Img>, </Img>, [IMG0..3],
            [VID0..23], [AUD0..7]), written as llm.gguf in llama.cpp's layout
  projector our torch re-implementation of NExT-GPT's TextFcLayer (make_golden_textfc.py), saved
            in the delta-checkpoint layout (gen_text_hidden_fcs) as delta.pt
  generator the tiny diffusers StableDiffusionPipeline of tests/golden/sd/tiny

The LLM output is forced (scripted): prompt ids P, then the reply "x [IMG0] [IMG1] [IMG2] [IMG3]".
As upstream's generate_images does, the projector input is the last-layer hidden states of the
positions that produced [IMG0..3] (one position earlier) plus those tokens' input embeddings; its
8 x 16 output is padded with zero rows to 77 and handed to the SD pipeline as prompt_embeds (the
negative prompt "" encoded by the pipeline), run from fixed latents. References: the conditioning
and the final pixels. Run: .venv-ref/bin/python tools/ref/make_golden_nextgpt_e2e.py"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402
from make_golden_nextgpt_convert import ADDED, N_BASE, base_vocab, tiny_llama, write_base  # noqa: E402
from make_golden_textfc import NextGPTHolder, TextFcTransformer, randomize, save_delta  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "tests", "golden", "nextgpt_e2e")
os.makedirs(OUT, exist_ok=True)

cfg, llm = tiny_llama(32, 7)
V = N_BASE + len(ADDED)
with torch.no_grad():  # NExT-GPT's resize_token_embeddings + trained rows for the added tokens
    g = torch.Generator().manual_seed(8)
    emb = torch.cat([llm.model.embed_tokens.weight, torch.randn(len(ADDED), 32, generator=g) / 32 ** 0.5])
    head = torch.cat([llm.lm_head.weight, torch.randn(len(ADDED), 32, generator=g) / 32 ** 0.5])
    llm.resize_token_embeddings(V)
    llm.model.embed_tokens.weight.copy_(emb)
    llm.lm_head.weight.copy_(head)
cfg.vocab_size = V
toks, scores, types = base_vocab()
write_base(os.path.join(OUT, "llm.gguf"), cfg, llm.state_dict(),
           (toks + ADDED, scores + [0.0] * len(ADDED), types + [4] * len(ADDED)))

torch.manual_seed(9)
img_fc = TextFcTransformer(32, 16, 8, hidden_dim=16, nhead=2, n_enc=1, n_dec=1)
holder = NextGPTHolder([img_fc], [], [], 32).eval()
randomize(holder)
save_delta(holder, os.path.join(OUT, "delta.pt"))

ids = {t: N_BASE + i for i, t in enumerate(ADDED)}
prompt = [1, 259, 300, 400, 301, 13, 1, 350, 420, 13]
reply = [305, ids["[IMG0]"], ids["[IMG1]"], ids["[IMG2]"], ids["[IMG3]"]]
seq = torch.tensor([prompt + reply])
with torch.no_grad():
    hs = llm(seq, output_hidden_states=True).hidden_states[-1][0]  # after the final norm
    j0 = len(prompt) + 1  # position of [IMG0]
    hidden = hs[j0 - 1:j0 - 1 + 4].unsqueeze(0)
    embeds = llm.model.embed_tokens(seq[:, j0:j0 + 4])
    cond = img_fc(hidden.double().float(), embeds)[0]  # [8, 16]
    cond77 = torch.cat([cond, torch.zeros(77 - cond.shape[0], cond.shape[1])]).unsqueeze(0)

from diffusers import StableDiffusionPipeline  # noqa: E402

pipe = StableDiffusionPipeline.from_pretrained(os.path.join(ROOT, "tests", "golden", "sd", "tiny"),
                                               safety_checker=None, requires_safety_checker=False)
lat = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(10))
with torch.no_grad():
    image = pipe(prompt_embeds=cond77, num_inference_steps=3, guidance_scale=7.5, height=16, width=16,
                 latents=lat.clone(), output_type="np").images[0]
gw = GoldenWriter(os.path.join(OUT, "ref.gguf"), generator="tools/ref/make_golden_nextgpt_e2e.py",
                  compute="transformers LlamaForCausalLM + TextFcLayer re-implementation + diffusers SD, float32")
gw.add_case("prompt_and_reply", "ids", inputs=[np.array(prompt, np.int32), np.array(reply, np.int32)],
            out=np.zeros(1, np.float32))
gw.add_case("cond", "nextgpt_cond", inputs=[lat[0]], out=cond, tol_nmse=1e-9, tol_max_abs=1e-4)
gw.add_case("image", "nextgpt_image", inputs=[lat[0]], out=np.ascontiguousarray(image.transpose(2, 0, 1)),
            params={"steps": 3, "cfg": 7.5, "size": 16}, tol_nmse=1e-7, tol_max_abs=1e-3)
gw.write()
print("wrote", OUT)
