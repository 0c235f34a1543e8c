"""Turns and dialogues for the demo LLM's stages (text pretraining, NExT-GPT stages 1-3).

Each function returns (segments, extras) with segments as in llm_data (user turn + reply) and
extras the media/targets the turn refers to:
  extras["media"]  [(key, item)]      input media: key = (kind, split, index) into the data caches
  extras["gen"]    [(modality, item)] a requested output: its caption conditions the generator
"""
import random

import world
from llm_data import reply, user_turn


def understand_turn(tok, rng, kind, idx, item, first_only=False):
    """The user shows one media item and asks about it; the answer names its attributes."""
    qa = world.qa_pairs(item, rng)
    q, a = qa[0] if first_only or rng.random() < 0.4 else rng.choice(qa)
    if rng.random() < 0.15:  # the question before the media (same layout: media go first)
        q = rng.choice(["Look at this. ", "Here is something. ", ""]) + q
    key = (kind, idx)
    return user_turn(tok, q, [key]) + reply(tok, a), {"media": [(key, item)], "gen": []}


def generate_turn(tok, rng, modality):
    """The user asks for a picture / video / sound; the answer says what and emits the span."""
    req, ans, it = world.generation_request(rng, modality)
    return user_turn(tok, req) + reply(tok, ans, modality), {"media": [], "gen": [(modality, it)]}


def text_turn(tok, rng):
    q, a = rng.choice(world.TEXT_ONLY + world.SMALL_TALK)
    return user_turn(tok, q) + reply(tok, a), {"media": [], "gen": []}


def text_about_item(tok, rng, item):
    """Text only: a description of an item asked in words (no span: nothing was asked to be made)."""
    c = world.short_caption(item) if item["kind"] in ("image", "video") else world.caption(item)
    q = rng.choice(["Describe {c} in words.", "Tell me about {c}.", "What is {c}?"]).format(c=c)
    return user_turn(tok, q) + reply(tok, f"It is {c}."), {"media": [], "gen": []}


def merge(turns):
    segs, ex = [], {"media": [], "gen": []}
    for s, e in turns:
        segs += s
        ex["media"] += e["media"]
        ex["gen"] += e["gen"]
    return segs, ex


def mosit_dialogue(tok, rng, pools, n_turns):
    """A MosIT-style multi-turn, modality-switching dialogue: each turn is one of understand
    (image / video / audio input), generate (image / video / audio output), or text only.
    pools: {"image": (items, idxs), "video": ..., "audio": ...} of training items."""
    turns = []
    for _ in range(n_turns):
        r = rng.random()
        if r < 0.45:
            kind = rng.choice(["image", "video", "audio"])
            items, idxs = pools[kind]
            j = rng.randrange(len(idxs))
            turns.append(understand_turn(tok, rng, kind, idxs[j], items[idxs[j]]))
        elif r < 0.85:
            turns.append(generate_turn(tok, rng, rng.choice(["image", "video", "audio"])))
        elif r < 0.93:
            turns.append(text_turn(tok, rng))
        else:
            kind = rng.choice(["image", "video", "audio"])
            items, idxs = pools[kind]
            turns.append(text_about_item(tok, rng, items[idxs[rng.randrange(len(idxs))]]))
    return merge(turns)


def text_corpus(rng, items_by_kind, n):
    """Plain text lines of the world (tokenizer training, LM pretraining): answers, requests,
    captions, text-only exchanges, in the prompt layout's words."""
    lines = []
    kinds = list(items_by_kind)
    for _ in range(n):
        kind = rng.choice(kinds)
        it = rng.choice(items_by_kind[kind])
        q, a = rng.choice(world.qa_pairs(it, rng))
        lines.append(f"### Human: {q}\n### Assistant: {a}")
        m = rng.choice(["image", "video", "audio"])
        req, ans, _ = world.generation_request(rng, m)
        lines.append(f"### Human: {req}\n### Assistant: {ans}")
        tq, ta = rng.choice(world.TEXT_ONLY)
        lines.append(f"### Human: {tq}\n### Assistant: {ta}")
    return lines
