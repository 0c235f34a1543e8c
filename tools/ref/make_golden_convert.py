#!/usr/bin/env python3
"""Golden references for `any2any convert` (src/models/llm/llama_convert.c).

Builds tiny Hugging Face checkpoints with the upstream `transformers` classes (random weights,
fixed seeds) and saves them with the upstream save routines, so the folders have exactly the
file names, tensor names and tokenizer files of the published models:

  tests/golden/convert/llama/          LlamaForCausalLM (GQA, untied lm_head), model.safetensors
                                       (bf16), a SentencePiece BPE tokenizer.model (byte_fallback)
                                       trained here and saved by the HF LlamaTokenizer, plus the
                                       added tokens "<Img>" and "[IMG0]" (added_tokens.json) and an
                                       embedding padded to a multiple of 16 rows
  tests/golden/convert/llama-sharded/  the same model as sharded safetensors (+ index.json), f16
  tests/golden/convert/llama-bin/      the same model as pytorch_model.bin (torch zip), f16
  tests/golden/convert/qwen2/          Qwen2ForCausalLM (q/k/v biases, tied embeddings), f16, with
                                       a byte-level BPE tokenizer.json trained here with the
                                       `tokenizers` package (Qwen2's split regex), chat template
  tests/golden/convert/qwen2-tokenizer-merges-str.json   qwen2's tokenizer.json with the merges
                                       written as "left right" strings (older tokenizers versions)
  tests/golden/convert/ref.gguf        golden cases: for every test string, the HF input ids
                                       (CASE.in0, I32) and the HF logits at every position
                                       (CASE.out [n, vocab]); CASE.model names the folder,
                                       CASE.text the string, CASE.add_bos whether BOS was added.

The weights are rounded to the saved dtype (bf16/f16) before the reference logits are computed
in float32, so an F32 conversion must reproduce the logits to float rounding.
Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_convert.py
"""
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from golden import GoldenWriter  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden", "convert")

TEST_STRINGS = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "  leading spaces and   runs   of spaces ",
    "digits 12345 and 3.14159, year 2024!",
    "unicode: café naïve Straße 東京 🙂",
    "tabs\tand\nnewlines\n\nend",
    "an image <Img>[IMG0] here",
    "<Img> at start and [IMG0]",
]

CORPUS_WORDS = ("the quick brown fox jumps over the lazy dog while a small model learns to speak about "
                "images audio video and text in many languages numbers like 12 345 6789 appear here "
                "cats dogs birds fish trees rivers mountains cities people machines words sentences "
                "hello world again and again tokenizer training data is written by the script").split()


def corpus_lines(n=400, seed=7):
    rng = np.random.default_rng(seed)
    lines = []
    extra = ["café", "naïve", "Straße", "東京", "données", "über", "año", "3.14", "2024", "x=1"]
    for i in range(n):
        k = int(rng.integers(4, 14))
        words = [CORPUS_WORDS[int(j)] for j in rng.integers(0, len(CORPUS_WORDS), k)]
        if i % 5 == 0:
            words.append(extra[i // 5 % len(extra)])
        if i % 3 == 0:
            words[0] = words[0].capitalize()
        lines.append(" ".join(words) + ("." if i % 2 else ""))
    return lines


def widen(model):
    """Random init is tiny (std 0.02); widen so the test exercises real dynamic range."""
    torch.manual_seed(4321)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "norm" in n:
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif "bias" in n:
                p.copy_(0.1 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) / (p.shape[-1] ** 0.5))


def round_to(model, dtype):
    """Round every parameter to dtype and back to float32 (what the saved file holds)."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(dtype).float())


def clean(folder):
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)


def make_spm_tokenizer(tmp):
    import sentencepiece as spm
    from transformers import LlamaTokenizer

    txt = os.path.join(tmp, "corpus.txt")
    with open(txt, "w", encoding="utf-8") as f:
        f.write("\n".join(corpus_lines()) + "\n")
    prefix = os.path.join(tmp, "spm")
    cwd = os.getcwd()
    os.chdir(tmp)  # relative names: the trainer spec stored in the model holds them
    spm.SentencePieceTrainer.train(input="corpus.txt", model_prefix="spm", vocab_size=400, model_type="bpe",
                                   byte_fallback=True, character_coverage=1.0, split_digits=True,
                                   allow_whitespace_only_pieces=True, remove_extra_whitespaces=False,
                                   normalization_rule_name="identity", unk_id=0, bos_id=1, eos_id=2,
                                   num_threads=1, minloglevel=2)
    os.chdir(cwd)
    tok = LlamaTokenizer(prefix + ".model", legacy=True, add_bos_token=True, add_eos_token=False)
    tok.add_tokens(["<Img>", "[IMG0]"])
    tok.chat_template = ("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                         "{% if add_generation_prompt %}assistant: {% endif %}")
    return tok


def make_bpe_tokenizer(tmp):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    pat = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
           r"\s*[\r\n]+|\s+(?!\S)|\s+")
    t = Tokenizer(models.BPE(byte_fallback=False))
    t.normalizer = normalizers.NFC()
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pat), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    t.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tr = trainers.BpeTrainer(vocab_size=420, special_tokens=[], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                             show_progress=False)
    t.train_from_iterator(corpus_lines(seed=11), trainer=tr)
    tok = PreTrainedTokenizerFast(tokenizer_object=t, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    tok.add_special_tokens({"additional_special_tokens": specials[1:]})
    tok.add_tokens(["<Img>", "[IMG0]"])
    tok.chat_template = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
                         "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    return tok


def add_cases(gw, name, model, tok, add_bos, logit_strings):
    """One case per test string: "convert_logits" (ids -> HF logits at every position) for the
    strings numbered in logit_strings, "convert_ids" (CASE.out = the ids again) for the others,
    which keeps the committed file small."""
    for i, s in enumerate(TEST_STRINGS):
        ids = tok(s, add_special_tokens=add_bos)["input_ids"]
        ids = torch.tensor([ids], dtype=torch.long)
        params = {"model": name, "text": s, "add_bos": bool(add_bos)}
        ids32 = ids[0].numpy().astype(np.int32)
        if i in logit_strings:
            with torch.no_grad():
                logits = model(ids).logits[0]
            gw.add_case(f"{name}_s{i}", "convert_logits", inputs=[ids32], out=logits.numpy(), params=params,
                        tol_nmse=1e-9, tol_max_abs=1e-3)
        else:
            gw.add_case(f"{name}_s{i}", "convert_ids", inputs=[ids32], out=ids32, params=params, tol_nmse=0,
                        tol_max_abs=0, out_dtype=np.int32)


def main():
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    os.makedirs(OUT, exist_ok=True)
    gw = GoldenWriter(os.path.join(OUT, "ref.gguf"), generator="tools/ref/make_golden_convert.py",
                      compute="transformers %s float32 eager attention, weights rounded to the saved dtype"
                      % __import__("transformers").__version__)
    with tempfile.TemporaryDirectory() as tmp:
        # ---- llama with a SentencePiece tokenizer and added tokens ----
        tok = make_spm_tokenizer(tmp)
        torch.manual_seed(1234)
        cfg = LlamaConfig(vocab_size=400, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                          rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False,
                          bos_token_id=1, eos_token_id=2, attn_implementation="eager")
        model = LlamaForCausalLM(cfg).eval()
        model.resize_token_embeddings(len(tok), pad_to_multiple_of=16)  # 402 -> 416 rows
        widen(model)
        round_to(model, torch.bfloat16)
        for folder, kw, dt in (("llama", {}, torch.bfloat16),
                               ("llama-sharded", {"max_shard_size": "60KB"}, torch.float16),
                               ("llama-bin", {"safe_serialization": False}, torch.float16)):
            d = os.path.join(OUT, folder)
            clean(d)
            m2 = LlamaForCausalLM(model.config).eval()
            m2.load_state_dict(model.state_dict())
            m2.to(dt).save_pretrained(d, **kw)
            tok.save_pretrained(d)
        model.config.torch_dtype = torch.float32
        add_cases(gw, "llama", model, tok, True, (0, 6))
        for name in ("llama-sharded", "llama-bin"):  # bf16 -> f16 is not always exact (subnormals): own refs
            m3 = LlamaForCausalLM(model.config).eval()
            m3.load_state_dict(model.state_dict())
            round_to(m3, torch.float16)
            add_cases(gw, name, m3, tok, True, (1,))

        # ---- qwen2 with a byte-level BPE tokenizer.json, tied embeddings ----
        btok = make_bpe_tokenizer(tmp)
        torch.manual_seed(5678)
        qcfg = Qwen2Config(vocab_size=((len(btok) + 15) // 16) * 16, hidden_size=32, intermediate_size=64,
                           num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                           max_position_embeddings=256, rms_norm_eps=1e-6, rope_theta=1000000.0,
                           tie_word_embeddings=True, bos_token_id=None,
                           eos_token_id=btok.convert_tokens_to_ids("<|endoftext|>"), attn_implementation="eager")
        qmodel = Qwen2ForCausalLM(qcfg).eval()
        widen(qmodel)
        round_to(qmodel, torch.float16)
        d = os.path.join(OUT, "qwen2")
        clean(d)
        q2 = Qwen2ForCausalLM(qcfg).eval()
        q2.load_state_dict(qmodel.state_dict())
        q2.to(torch.float16).save_pretrained(d)
        btok.save_pretrained(d)
        # the same tokenizer.json with merges in the older "left right" string form
        with open(os.path.join(d, "tokenizer.json"), encoding="utf-8") as f:
            tj = json.load(f)
        tj["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in tj["model"]["merges"]]
        with open(os.path.join(OUT, "qwen2-tokenizer-merges-str.json"), "w", encoding="utf-8") as f:
            json.dump(tj, f, ensure_ascii=False, indent=1)
        add_cases(gw, "qwen2", qmodel, btok, False, (0, 6))
    gw.write()
    total = 0
    for root, _, files in os.walk(OUT):
        for f in sorted(files):
            p = os.path.join(root, f)
            total += os.path.getsize(p)
            print(os.path.relpath(p, OUT), os.path.getsize(p))
    print("total", total)
    # the ids of the test strings, for a quick look
    for s in TEST_STRINGS:
        print(json.dumps(s), tok(s)["input_ids"], btok(s)["input_ids"])


if __name__ == "__main__":
    main()
