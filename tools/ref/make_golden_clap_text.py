#!/usr/bin/env python3
"""Golden references for the CLAP text branch (src/models/text_encoders/clap_text.c): transformers'
ClapTextModelWithProjection (AudioLDM's text_encoder) with its RoBERTa tokenizer, and the
conditioning vector AudioLDM's pipeline makes from a prompt (diffusers AudioLDMPipeline._encode_prompt:
tokenizer(padding="max_length", max_length=model_max_length, truncation) -> text_encoder(ids,
attention_mask).text_embeds -> F.normalize(dim=-1)).

Written (a tiny model with random weights, fixed seed, saved with the upstream save routines, so the
folders hold exactly the file names, tensor names and config keys of cvssp/audioldm*'s text_encoder/
and tokenizer/ folders):
  tests/golden/clap_text/text_encoder/   ClapTextConfig(hidden 32, 2 layers, 4 heads, intermediate 37,
                                         projection_dim 16, max_position_embeddings 80, vocab of the
                                         tokenizer below), save_pretrained (F32 model.safetensors)
  tests/golden/clap_text/tokenizer/      a byte-level BPE trained here with the tokenizers package on a
                                         small English corpus (RoBERTa's special tokens <s> <pad> </s>
                                         <unk> <mask> first), RobertaTokenizerFast.save_pretrained
                                         (vocab.json, merges.txt, tokenizer.json, tokenizer_config.json,
                                         special_tokens_map.json), model_max_length 77
  tests/golden/clap_text/ref.gguf        cases:
     tok_<k>     op clap_tokens: param text (string); in0 attention mask int32 [77]; out = the ids
                 int32 [77] from the tokenizer exactly as the pipeline calls it (padding to 77 with
                 <pad>, truncation). Checked against the slow RobertaTokenizer too.
     emb_<k>     op clap_text_embeds: in0 ids int32 [L], in1 attention mask int32 [L] (padded) ->
                 out text_embeds [16] (before normalization); emb_hole: a mask with a hole;
                 emb_padid: <pad> ids among the real tokens (positions follow the ids)
     cond_<k>    op clap_audioldm_cond: params text, negative (strings) -> out [16, 2]: row 0 the
                 negative prompt's normalized embedding (tokenized with max_length = projection_dim,
                 diffusers' quirk), row 1 the prompt's; from _encode_prompt with guidance.
Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_clap_text.py
"""
import os
import shutil
import sys
import tempfile
import types

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "clap_text")
MAX_LEN = 77

CORPUS = [
    "a dog barks in the distance while cars pass by",
    "the sound of rain falling on a tin roof",
    "a man is speaking and a crowd is cheering loudly",
    "birds chirping in the forest at dawn",
    "a cat meows and a door slams shut",
    "techno music with a heavy bass line plays",
    "waves crash on the beach and seagulls call",
    "an engine revs up and a motorcycle drives away",
    "people talking in a busy restaurant with dishes clinking",
    "a piano plays a slow and sad melody",
    "thunder rumbles and heavy rain pours down",
    "a baby laughs while a woman sings softly",
    "footsteps echo in a large empty hall",
    "a helicopter flies overhead, then fades away",
    "the wind howls through the trees; leaves rustle.",
    "Someone's typing quickly on a keyboard: click-clack!",
    "A violin and a cello play together in harmony",
    "water drips from a faucet into a metal sink",
    "children playing and shouting in a school yard 123 456",
    "an old clock ticks and chimes twelve times",
]

TOK_TEXTS = [
    "a dog barks",
    "",
    "The sound of RAIN on a roof, and thunder!!",
    "  two  spaces   and\ttabs\nnewline ",
    "numbers 2024 and 3.14159, it's they're we've I'll you'd",
    "unicode: café naïve 東京 🎵 ♪",
    "<s>special</s> tokens <pad> inside <unk>",
    " ".join(["a long prompt that will be truncated"] * 14),
]


def train_tokenizer(folder):
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizer, RobertaTokenizerFast

    bpe = ByteLevelBPETokenizer()
    corpus = CORPUS * 4 + [t.upper() for t in CORPUS]
    bpe.train_from_iterator(corpus, vocab_size=600, min_frequency=2,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    tmp = tempfile.mkdtemp()
    bpe.save_model(tmp)
    slow = RobertaTokenizer(os.path.join(tmp, "vocab.json"), os.path.join(tmp, "merges.txt"), model_max_length=MAX_LEN)
    fast = RobertaTokenizerFast(os.path.join(tmp, "vocab.json"), os.path.join(tmp, "merges.txt"),
                                model_max_length=MAX_LEN)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    fast.save_pretrained(folder)
    shutil.rmtree(tmp)
    fast = RobertaTokenizerFast.from_pretrained(folder)
    slow = RobertaTokenizer.from_pretrained(folder)
    return slow, fast


def build_model(vocab_size, folder):
    from transformers import ClapTextConfig, ClapTextModelWithProjection

    torch.manual_seed(0)
    cfg = ClapTextConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                         intermediate_size=37, projection_dim=16, max_position_embeddings=80, type_vocab_size=1)
    m = ClapTextModelWithProjection(cfg).eval()
    with torch.no_grad():  # make every parameter matter (default init leaves norms at 1/0)
        for name, p in m.named_parameters():
            if "LayerNorm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) / (p.shape[-1] ** 0.5))
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    m.save_pretrained(folder, safe_serialization=True)
    return ClapTextModelWithProjection.from_pretrained(folder).eval()


def main():
    from diffusers import AudioLDMPipeline

    os.makedirs(OUT, exist_ok=True)
    slow, fast = train_tokenizer(os.path.join(OUT, "tokenizer"))
    model = build_model(len(fast), os.path.join(OUT, "text_encoder"))
    gw = GoldenWriter(os.path.join(OUT, "ref.gguf"), generator="tools/ref/make_golden_clap_text.py",
                      compute="transformers ClapTextModelWithProjection in float32; diffusers AudioLDMPipeline._encode_prompt")

    for k, text in enumerate(TOK_TEXTS):
        enc = fast(text, padding="max_length", max_length=MAX_LEN, truncation=True)
        enc_slow = slow(text, padding="max_length", max_length=MAX_LEN, truncation=True)
        assert enc["input_ids"] == enc_slow["input_ids"], (text, enc["input_ids"], enc_slow["input_ids"])
        ids = np.array(enc["input_ids"], dtype=np.int32)
        mask = np.array(enc["attention_mask"], dtype=np.int32)
        gw.add_case(f"tok_{k}", "clap_tokens", inputs=[mask], out=ids, params={"text": text},
                    tol_nmse=0.0, tol_max_abs=0.0, out_dtype=np.int32)

    # text_embeds for padded id batches (several prompts, each padded to 77 / a shorter length)
    batch = ["a dog barks in the rain", "techno music", "", "piano, violin and cello play a sad melody!!"]
    for k, text in enumerate(batch):
        for L in (MAX_LEN, 24):
            enc = fast(text, padding="max_length", max_length=L, truncation=True, return_tensors="pt")
            with torch.no_grad():
                e = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).text_embeds[0]
            gw.add_case(f"emb_{k}_{L}", "clap_text_embeds",
                        inputs=[enc["input_ids"][0].numpy().astype(np.int32),
                                enc["attention_mask"][0].numpy().astype(np.int32)],
                        out=e.numpy(), tol_nmse=1e-10, tol_max_abs=2e-5)
    # a mask with a hole, and a <pad> id inside the unmasked tokens: positions come from the ids
    # (cumsum(ids != pad) * (ids != pad) + pad), not from the attention mask
    enc = fast("a cat meows and a door slams", return_tensors="pt")
    ids, mask = enc["input_ids"].clone(), enc["attention_mask"].clone()
    mask[0, 3] = 0
    with torch.no_grad():
        e = model(input_ids=ids, attention_mask=mask).text_embeds[0]
    gw.add_case("emb_hole", "clap_text_embeds", inputs=[ids[0].numpy().astype(np.int32), mask[0].numpy().astype(np.int32)],
                out=e.numpy(), tol_nmse=1e-10, tol_max_abs=2e-5)
    enc = fast("<pad> a cat <pad> meows", return_tensors="pt")
    assert (enc["input_ids"][0] == fast.pad_token_id).sum() == 2
    with torch.no_grad():
        e = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).text_embeds[0]
    gw.add_case("emb_padid", "clap_text_embeds",
                inputs=[enc["input_ids"][0].numpy().astype(np.int32), enc["attention_mask"][0].numpy().astype(np.int32)],
                out=e.numpy(), tol_nmse=1e-10, tol_max_abs=2e-5)

    # the pipeline's conditioning (guidance on: [negative, prompt], each L2-normalized)
    pipe = types.SimpleNamespace(tokenizer=fast, text_encoder=model)
    conds = [("a dog barks in the distance", ""),
             ("thunder rumbles and heavy rain pours down", "low quality, noise"),
             (" ".join(["birds chirping in the forest at dawn"] * 12),
              "a negative prompt long enough to be truncated to sixteen tokens by the pipeline quirk")]
    for k, (text, neg) in enumerate(conds):
        with torch.no_grad():
            pe = AudioLDMPipeline._encode_prompt(pipe, text, torch.device("cpu"), 1, True, negative_prompt=neg)
        assert pe.shape == (2, 16)
        gw.add_case(f"cond_{k}", "clap_audioldm_cond", inputs=[], out=pe.numpy(),
                    params={"text": text, "negative": neg}, tol_nmse=1e-10, tol_max_abs=2e-6)
    gw.write()
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT} ({total} bytes), vocab {len(fast)}")


if __name__ == "__main__":
    main()
