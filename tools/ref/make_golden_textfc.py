#!/usr/bin/env python3
"""Golden references for NExT-GPT's output projector TextFcLayer (src/models/projectors/textfc.c).

Upstream (NExT-GPT/NExT-GPT @ 60d618b0, folder NExT-GPT-Lagacy/code/):
  model/layers.py lines 6-123          class TextFcLayer: __init__ (modes 'transformer' lines 41-48,
                                       'qformer' lines 49-72 with init_Qformer lines 10-23) and
                                       forward (transformer lines 87-103, qformer lines 104-120)
  model/qformer.py                     the LAVIS BERT Q-Former it builds (BertEmbeddings LayerNorm on
                                       query_embeds, BertLayer with attention / crossattention /
                                       intermediate_query / output_query)
  model/anyToImageVideoAudio.py 114-177  gen_text_hidden_fcs / _video / _audio = nn.ModuleList of one
                                       TextFcLayer per entry of text_emb_to_*_layers (config [-1])
  model/agent.py 71-91                 save_model: torch.save of an OrderedDict of named_parameters()
                                       (parameters only, no buffers) -> pytorch_model.pt
The modules below are OUR OWN re-implementations built from torch.nn.Linear / torch.nn.Transformer
exactly as the upstream class composes them, so their state_dict names equal upstream's
("gen_text_hidden_fcs.0.fc.weight", "...tfm.encoder.layers.0.self_attn.in_proj_weight",
"...Qformer.bert.encoder.layer.0.crossattention.self.key.weight", ...). The only change is that
the widths upstream hard-codes (d_model 512, nhead 4, 4+4 layers; BERT-base 768/12 heads/2 layers)
are parameters, so the committed files stay small (d_model 32 or 16); the C side reads all of them from
metadata.

Files (tests/golden/textfc/):
  nextgpt_delta.pt    a delta checkpoint as agent.save_model writes it: gen_text_hidden_fcs with TWO
                      transformer TextFcLayers (as text_emb_to_img_layers = [-2, -1] would give;
                      upstream's generate_images uses the last; d_model 32, 2 encoder + 3 decoder
                      layers, and d_model 16 with 1 + 1 layers), gen_text_hidden_fcs_video (1 encoder,
                      2 decoder layers, 2 heads), gen_text_hidden_fcs_audio (1 output token, as for
                      AudioLDM), plus llama_proj and a LoRA key the converter must ignore
  nextgpt_delta_f16.pt  the image projector in float16 (what a half-precision training run saves)
  nextgpt_qformer.pt  gen_text_hidden_fcs with one mode='qformer' TextFcLayer (2 layers,
                      cross-attention every layer as init_Qformer's cross_attention_freq=1)
  bad_linear.pt       a mode='linear' TextFcLayer (forward undefined upstream: must be refused)
  bad_width.pt        decoder layer 1's linear2 has the wrong input width
  bad_missing.pt      encoder layer 0's norm2.bias is missing
  textfc.ref.gguf     per case: in0 hidden [n_tok, in_dim], in1 embeds [n_tok, in_dim] (numpy order),
                      out [n_out, out_dim] from the modules run in float64; params model, which,
                      index (-1 = default), n_head (0 = default)

Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_textfc.py
"""
import collections
import copy
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "textfc")


class TextFcTransformer(nn.Module):
    """TextFcLayer(mode='transformer'): fc -> nn.Transformer(src, learned queries) -> model."""

    def __init__(self, in_dim, out_dim, num_output_tokens, hidden_dim=512, nhead=4, n_enc=4, n_dec=4):
        super().__init__()
        self.fc = nn.Linear(in_dim, hidden_dim)
        self.tfm = nn.Transformer(batch_first=True, norm_first=True, d_model=hidden_dim, num_encoder_layers=n_enc,
                                  num_decoder_layers=n_dec, dim_feedforward=hidden_dim * 4, dropout=0.0, nhead=nhead)
        self.model = nn.Linear(hidden_dim, out_dim)
        self.query_embs = nn.Parameter(torch.randn(1, num_output_tokens, hidden_dim))

    def forward(self, x, input_embs):
        x = self.fc(x + input_embs)
        x = self.tfm(x, self.query_embs.repeat(x.shape[0], 1, 1))
        return self.model(x)


# ---- the LAVIS BERT Q-Former pieces TextFcLayer(mode='qformer') keeps (query path only) ----

class BertSelfAttention(nn.Module):
    def __init__(self, hidden, n_head, kv_width):
        super().__init__()
        self.n_head = n_head
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(kv_width, hidden)
        self.value = nn.Linear(kv_width, hidden)

    def forward(self, x, kv):
        B, n, H = x.shape
        hd = H // self.n_head

        def heads(t):
            return t.view(B, -1, self.n_head, hd).transpose(1, 2)

        q, k, v = heads(self.query(x)), heads(self.key(kv)), heads(self.value(kv))
        p = torch.softmax(q @ k.transpose(-1, -2) / hd ** 0.5, dim=-1)
        return (p @ v).transpose(1, 2).reshape(B, n, H)


class BertSelfOutput(nn.Module):  # also BertOutput: dense -> (dropout) -> LayerNorm(. + residual)
    def __init__(self, d_in, hidden, eps):
        super().__init__()
        self.dense = nn.Linear(d_in, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, h, residual):
        return self.LayerNorm(self.dense(h) + residual)


class BertAttention(nn.Module):
    def __init__(self, hidden, n_head, kv_width, eps):
        super().__init__()
        self.self = BertSelfAttention(hidden, n_head, kv_width)
        self.output = BertSelfOutput(hidden, hidden, eps)

    def forward(self, x, kv=None):
        return self.output(self.self(x, x if kv is None else kv), x)


class BertIntermediate(nn.Module):
    def __init__(self, hidden, ff):
        super().__init__()
        self.dense = nn.Linear(hidden, ff)

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))


class BertLayer(nn.Module):
    def __init__(self, i, hidden, n_head, ff, enc_width, freq, eps):
        super().__init__()
        self.attention = BertAttention(hidden, n_head, hidden, eps)
        self.has_cross = i % freq == 0
        if self.has_cross:
            self.crossattention = BertAttention(hidden, n_head, enc_width, eps)
        self.intermediate_query = BertIntermediate(hidden, ff)
        self.output_query = BertSelfOutput(ff, hidden, eps)

    def forward(self, x, enc):
        x = self.attention(x)
        if self.has_cross:
            x = self.crossattention(x, enc)
        return self.output_query(self.intermediate_query(x), x)


class BertEmbeddings(nn.Module):  # word/position embeddings set to None upstream: LayerNorm only
    def __init__(self, hidden, eps):
        super().__init__()
        self.LayerNorm = nn.LayerNorm(hidden, eps=eps)


class BertEncoder(nn.Module):
    def __init__(self, n_layer, **kw):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(i, **kw) for i in range(n_layer)])


class BertModel(nn.Module):
    def __init__(self, n_layer, hidden, eps, **kw):
        super().__init__()
        self.embeddings = BertEmbeddings(hidden, eps)
        self.encoder = BertEncoder(n_layer, hidden=hidden, eps=eps, **kw)

    def forward(self, query_embeds, enc):
        x = self.embeddings.LayerNorm(query_embeds)
        for layer in self.encoder.layer:
            x = layer(x, enc)
        return x


class QformerHolder(nn.Module):  # BertLMHeadModel with cls = None: only .bert remains
    def __init__(self, **kw):
        super().__init__()
        self.bert = BertModel(**kw)


class TextFcQformer(nn.Module):
    """TextFcLayer(mode='qformer'): fc -> Q-Former(query_tokens, cross-attending fc(x)) -> model."""

    def __init__(self, in_dim, out_dim, num_output_tokens, hidden_dim=768, n_head=12, n_layer=2, ff=3072, freq=1,
                 eps=1e-12):
        super().__init__()
        self.fc = nn.Linear(in_dim, hidden_dim)
        self.Qformer = QformerHolder(n_layer=n_layer, hidden=hidden_dim, eps=eps, n_head=n_head, ff=ff,
                                     enc_width=hidden_dim, freq=freq)
        self.query_tokens = nn.Parameter(torch.zeros(1, num_output_tokens, hidden_dim).normal_(0, 0.02))
        self.model = nn.Linear(hidden_dim, out_dim)

    def forward(self, x, input_embs):
        x = self.fc(x + input_embs)
        q = self.query_tokens.expand(x.shape[0], -1, -1)
        return self.model(self.Qformer.bert(q, x))


class NextGPTHolder(nn.Module):
    """The attributes of NextGPTModel a delta checkpoint holds that matter here."""

    def __init__(self, img, vid, aud, d_llm):
        super().__init__()
        self.llama_proj = nn.Linear(16, d_llm)
        self.gen_text_hidden_fcs = nn.ModuleList(img)
        self.gen_text_hidden_fcs_video = nn.ModuleList(vid)
        self.gen_text_hidden_fcs_audio = nn.ModuleList(aud)


def randomize(module, std=0.15):
    """Non-trivial weights (upstream init leaves LayerNorms at 1/0 and biases at 0)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "norm" in name.lower():
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.1 * torch.randn_like(p))
            elif "query" in name and p.dim() == 3:
                p.normal_(0, 1.0)
            else:
                p.normal_(0, std)


def save_delta(holder, path, extra=None, drop=(), half=False):
    """agent.save_model: an OrderedDict of named_parameters (Parameters, as upstream saves them)."""
    ckpt = collections.OrderedDict()
    for k, v in holder.named_parameters():
        if k in drop:
            continue
        ckpt[k] = nn.Parameter(v.detach().half()) if half else v
    for k, v in (extra or {}).items():
        ckpt[k] = v
    torch.save(ckpt, path)


def f64_run(module, x, e):
    m = copy.deepcopy(module).double().eval()
    with torch.no_grad():
        return m(x.double(), e.double()).float()


D_LLM = 64


def add_case(gw, name, module, n_tok, model, which, index=-1, n_head=0, tol_nmse=1e-10):
    x = torch.randn(1, n_tok, D_LLM)
    e = 0.5 * torch.randn(1, n_tok, D_LLM)
    y = f64_run(module, x, e)
    gw.add_case(name, "textfc", [x[0], e[0]], y[0],
                params={"model": model, "which": which, "index": index, "n_head": n_head},
                tol_nmse=tol_nmse, tol_max_abs=1e-4)


def main():
    os.makedirs(OUT, exist_ok=True)
    gw = GoldenWriter(os.path.join(OUT, "textfc.ref.gguf"), generator="tools/ref/make_golden_textfc.py",
                      compute="our torch re-implementations of TextFcLayer run in float64 on float32 weights/inputs")
    torch.manual_seed(11)
    img0 = TextFcTransformer(D_LLM, 48, 5, hidden_dim=16, nhead=4, n_enc=1, n_dec=1)
    img1 = TextFcTransformer(D_LLM, 48, 7, hidden_dim=32, nhead=4, n_enc=2, n_dec=3)
    vid = TextFcTransformer(D_LLM, 40, 9, hidden_dim=16, nhead=2, n_enc=1, n_dec=2)
    aud = TextFcTransformer(D_LLM, 16, 1, hidden_dim=16, nhead=4, n_enc=2, n_dec=1)
    holder = NextGPTHolder([img0, img1], [vid], [aud], D_LLM).eval()
    randomize(holder)
    lora = {"llama_model.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight": torch.randn(4, 16)}
    save_delta(holder, os.path.join(OUT, "nextgpt_delta.pt"), extra=lora)
    # the upstream module itself must agree with our float64 run (fast path / eval semantics)
    with torch.no_grad():
        xt, et = torch.randn(1, 4, D_LLM), torch.randn(1, 4, D_LLM)
        assert torch.allclose(img1(xt, et), f64_run(img1, xt, et), atol=1e-4)
    add_case(gw, "image_last", img1, 4, "nextgpt_delta.pt", "image")
    add_case(gw, "image_first", img0, 4, "nextgpt_delta.pt", "image", index=0)
    add_case(gw, "video", vid, 24, "nextgpt_delta.pt", "video", n_head=2)
    add_case(gw, "audio", aud, 8, "nextgpt_delta.pt", "audio")
    add_case(gw, "audio_3tok", aud, 3, "nextgpt_delta.pt", "audio")

    # float16 checkpoint (reference from the half-rounded weights)
    img16 = copy.deepcopy(img1).half().float()
    h16 = NextGPTHolder([img16], [], [], D_LLM)
    save_delta(h16, os.path.join(OUT, "nextgpt_delta_f16.pt"), half=True)
    add_case(gw, "image_f16ckpt", img16, 4, "nextgpt_delta_f16.pt", "image")

    # mode='qformer'
    torch.manual_seed(12)
    qf = TextFcQformer(D_LLM, 48, 6, hidden_dim=32, n_head=2, n_layer=2, ff=64, freq=1)
    hq = NextGPTHolder([qf], [], [], D_LLM).eval()
    randomize(hq)
    save_delta(hq, os.path.join(OUT, "nextgpt_qformer.pt"))
    add_case(gw, "qformer", qf, 4, "nextgpt_qformer.pt", "image", n_head=2)

    # bad checkpoints
    lin = nn.Module()
    lin.model = nn.Linear(D_LLM, 48)
    save_delta(NextGPTHolder([lin], [], [], D_LLM), os.path.join(OUT, "bad_linear.pt"))
    small = TextFcTransformer(D_LLM, 16, 2, hidden_dim=16, nhead=4, n_enc=1, n_dec=2)
    hb = NextGPTHolder([small], [], [], D_LLM)
    ck = collections.OrderedDict((k, v) for k, v in hb.named_parameters())
    ck["gen_text_hidden_fcs.0.tfm.decoder.layers.1.linear2.weight"] = nn.Parameter(torch.randn(16, 100))
    torch.save(ck, os.path.join(OUT, "bad_width.pt"))
    save_delta(hb, os.path.join(OUT, "bad_missing.pt"), drop=("gen_text_hidden_fcs.0.tfm.encoder.layers.0.norm2.bias",))

    gw.write()
    for f in os.listdir(OUT):
        os.chmod(os.path.join(OUT, f), 0o644)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"textfc: {len(gw.cases)} cases, {total / 1024:.0f} KiB in {OUT}")


if __name__ == "__main__":
    main()
