"""Token sequences for the demo LLM, laid out exactly as any2any builds NExT-GPT prompts.

src/pipeline/mm_prompt.c (a2a_mm_build_nextgpt) builds one user turn as
    [BOS] tok("### Human:")  { <Img> soft-rows </Img> }*  [BOS] tok(text + "\\n### Assistant:")
where tok() is the SentencePiece encoding with its dummy "▁" prefix (llama.cpp's add_space_prefix),
and the reply follows: tok(reply text) [signal tokens] [EOS]. Training sequences use the same
layout, so what the model sees in training is what it sees in any2any.

A sequence is built as a list of segments; a segment is (kind, payload, train):
  ("ids", [int], bool)        token ids; train: whether they are prediction targets
  ("soft", key, False)        one soft-token row from the input projector (key: which media)
"""
import os
import random

import sentencepiece as spm

ADDED = ["<Img>", "</Img>"] + [f"[IMG{i}]" for i in range(4)] + [f"[VID{i}]" for i in range(24)] + \
        [f"[AUD{i}]" for i in range(8)]
N_SIGNAL = {"image": 4, "video": 24, "audio": 8}
SIGNAL_PREFIX = {"image": "IMG", "video": "VID", "audio": "AUD"}
BASE_VOCAB = 640


class Tok:
    """The demo SentencePiece model plus NExT-GPT's added tokens (ids BASE_VOCAB..)."""

    def __init__(self, model_path):
        self.sp = spm.SentencePieceProcessor(model_file=model_path)
        self.n_base = self.sp.get_piece_size()
        self.bos, self.eos = self.sp.bos_id(), self.sp.eos_id()
        self.added = {t: self.n_base + i for i, t in enumerate(ADDED)}

    def enc(self, s):
        return self.sp.encode(s)

    def signal(self, modality):
        p = SIGNAL_PREFIX[modality]
        return [self.added[f"[{p}{i}]"] for i in range(N_SIGNAL[modality])]

    def decode(self, ids):
        out = []
        inv = {v: k for k, v in self.added.items()}
        buf = []
        for i in ids:
            if i in inv:
                if buf:
                    out.append(self.sp.decode(buf))
                    buf = []
                out.append(" " + inv[i])
            else:
                buf.append(i)
        if buf:
            out.append(self.sp.decode(buf))
        return "".join(out)


def user_turn(tok, text, media_keys=()):
    """Segments of one user turn (media first, then the text), ending with the assistant cue."""
    segs = [("ids", [tok.bos] + tok.enc("### Human:"), False)]
    for k in media_keys:
        segs += [("ids", [tok.added["<Img>"]], False), ("soft", k, False), ("ids", [tok.added["</Img>"]], False)]
    segs.append(("ids", [tok.bos] + tok.enc(text + "\n### Assistant:"), False))
    return segs


def reply(tok, text, modality=None):
    """Segments of one assistant reply: text, then the signal span of `modality`, then EOS."""
    ids = tok.enc(text)
    segs = [("ids", ids, True)]
    if modality:
        segs.append(("ids", tok.signal(modality), True))
    segs.append(("ids", [tok.eos], True))
    return segs


def train_tokenizer(corpus_lines, out_prefix, vocab_size=BASE_VOCAB, seed=0):
    """SentencePiece BPE as LLaMA's: byte fallback, identity normalization, dummy prefix, digits
    split; deterministic for the same corpus (single thread, fixed input order)."""
    tmp = out_prefix + ".corpus.txt"
    with open(tmp, "w") as f:
        for line in corpus_lines:
            f.write(line.replace("\n", " ") + "\n")
    spm.SentencePieceTrainer.train(
        input=tmp, model_prefix=out_prefix, vocab_size=vocab_size, model_type="bpe", byte_fallback=True,
        normalization_rule_name="identity", remove_extra_whitespaces=False, add_dummy_prefix=True,
        split_digits=True, character_coverage=1.0, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        num_threads=1, shuffle_input_sentence=False, input_sentence_size=0,
        minloglevel=2)
    os.remove(tmp)
    return out_prefix + ".model"
