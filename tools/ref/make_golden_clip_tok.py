#!/usr/bin/env python3
"""CLIP BPE tokenizer references for the C tests (src/text/tok_clip.c).

Two jobs:

  make_golden_clip_tok.py tables   writes src/text/clip_tables.c: the Unicode and HTML data the
                                   CLIP text cleaner needs (Python str.lower and its final-sigma
                                   context sets, a subset of NFC,
                                   ftfy's ligature / width / C1 / control tables, the HTML5
                                   entity table of html.unescape), generated from this Python's
                                   unicodedata / html.entities / ftfy so the C code matches them.
  make_golden_clip_tok.py golden   writes tests/golden/clip_tok/:
     bpe_simple_vocab_16e6.txt.gz  the imagebind package's vocabulary cut to the merges the
                                   tokenizers read (header + 48894 merges; the full file has
                                   262144 and only these are used), re-gzipped
     clip_tok.gguf                 test cases (36 written by hand, 200 random concatenations of
                                   FRAGMENTS with a fixed seed; strings ftfy's mojibake repair
                                   would change are left out, it is not reproduced): for every
                                   string, the ids of
                                   imagebind.models.multimodal_preprocessors.SimpleTokenizer
                                   (raw encode, and the 77-long context it returns) and of
                                   transformers.CLIPTokenizer (slow, with ftfy installed) built
                                   from vocab.json/merges.txt written from the same gz
     hf_small/vocab.json, merges.txt   a small HF tokenizer folder (first 3000 merges) and the
                                   CLIPTokenizer ids on it (in clip_tok.gguf, hf_small.*)

Run with the reference venv: .venv-ref/bin/python tools/ref/make_golden_clip_tok.py golden
"""
from __future__ import annotations

import gzip
import html
import html.entities
import json
import os
import sys
import tempfile
import types
import unicodedata

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


# ----------------------------------------------------------------------------------- tables
def c_str(s: str) -> str:
    """A C string literal of the UTF-8 bytes of s (hex escapes for everything non-trivial)."""
    out = []
    for b in s.encode("utf-8"):
        if 0x20 <= b < 0x7F and chr(b) not in '"\\?':
            out.append(chr(b))
        else:
            out.append("\\%03o" % b)
    return '"' + "".join(out) + '"'


def lower_ranges():
    """Python str.lower as ranges (first, last, stride, delta) of single code point maps."""
    maps = []
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        low = chr(c).lower()
        if len(low) == 1 and ord(low) != c:
            maps.append((c, ord(low) - c))
    ranges = []
    i = 0
    while i < len(maps):
        c, d = maps[i]
        # try stride 1 and stride 2 runs with the same delta
        best = (c, c, 1, d, 1)
        for stride in (1, 2):
            j = i + 1
            last = c
            while j < len(maps) and maps[j][0] == last + stride and maps[j][1] == d:
                last = maps[j][0]
                j += 1
            if j - i > best[4]:
                best = (c, last, stride, d, j - i)
        ranges.append(best[:4])
        i += best[4]
    return ranges


def casing_ranges():
    """(first, last, flags) runs: flag 1 when Python's final-sigma rule treats the code point as
    cased, 2 when it skips it as case-ignorable (measured through str.lower itself)."""
    runs = []
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        ch = chr(c)
        cased = (ch + "\u03a3").lower().endswith("\u03c2")
        ign = not cased and ("A" + ch + "\u03a3").lower().endswith("\u03c2")
        fl = (1 if cased else 0) | (2 if ign else 0)
        if not fl:
            continue
        if runs and runs[-1][1] == c - 1 and runs[-1][2] == fl:
            runs[-1][1] = c
        else:
            runs.append([c, c, fl])
    return runs


def compositions():
    """(a, b, c) with NFC(a b) == c, a single primary composite (Hangul excluded: algorithmic)."""
    out = []
    for c in range(0x110000):
        if 0xAC00 <= c <= 0xD7A3 or 0xD800 <= c <= 0xDFFF:
            continue
        d = unicodedata.decomposition(chr(c))
        if not d or d.startswith("<"):
            continue
        parts = [int(x, 16) for x in d.split()]
        if len(parts) != 2:
            continue
        if unicodedata.normalize("NFC", chr(parts[0]) + chr(parts[1])) == chr(c):
            out.append((parts[0], parts[1], c))
    out.sort()
    return out


def singletons():
    """Code points that NFC maps to a different single code point on their own (U+212B -> U+00C5)."""
    out = []
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        n = unicodedata.normalize("NFC", chr(c))
        if n != chr(c):
            out.append((c, n))
    return out


def map_rows(items, per_line):
    """C initializer rows of {cp, "utf8"} entries, per_line to a line."""
    rows, row = [], []
    for c, t in items:
        row.append("{0x%X, %s}," % (c, c_str(t)))
        if len(row) == per_line:
            rows.append("    " + " ".join(row))
            row = []
    if row:
        rows.append("    " + " ".join(row))
    return rows


def write_tables(path: str) -> None:
    import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)
    import ftfy.chardata as fc
    from html import _invalid_charrefs  # type: ignore[attr-defined]

    lines = [
        "/* Generated by tools/ref/make_golden_clip_tok.py tables from Python %s (Unicode %s),"
        % (sys.version.split()[0], unicodedata.unidata_version),
        "   ftfy and html.entities; do not edit. Used by src/text/tok_clip.c (declared in clip_vocab.h). */",
        '#include "text/clip_vocab.h"',
        "",
    ]
    lr = lower_ranges()
    lines.append("/* str.lower: code points first..last (every stride-th) map to cp + delta; U+0130 is special. */")
    lines.append("const a2a_clip_case_range a2a_clip_lower_ranges[] = {")
    row = []
    for f, l, st, d in lr:
        row.append("{0x%X, 0x%X, %d, %d}," % (f, l, st, d))
        if len(row) == 4:
            lines.append("    " + " ".join(row))
            row = []
    if row:
        lines.append("    " + " ".join(row))
    lines.append("};")
    lines.append("const size_t a2a_clip_n_lower_ranges = %d;" % len(lr))
    lines.append("")
    cr = casing_ranges()
    lines.append("/* Final-sigma context of str.lower, measured on this Python: flag 1 = cased, 2 = case-ignorable. */")
    lines.append("const a2a_clip_flag_range a2a_clip_casing[] = {")
    row = []
    for f, l, fl in cr:
        row.append("{0x%X, 0x%X, %d}," % (f, l, fl))
        if len(row) == 5:
            lines.append("    " + " ".join(row))
            row = []
    if row:
        lines.append("    " + " ".join(row))
    lines.append("};")
    lines.append("const size_t a2a_clip_n_casing = %d;" % len(cr))
    lines.append("")
    comp = compositions()
    lines.append("/* NFC primary composites: (first, second) -> composite, sorted by (first, second). */")
    lines.append("const a2a_clip_comp a2a_clip_comps[] = {")
    row = []
    for a, b, c in comp:
        row.append("{0x%X, 0x%X, 0x%X}," % (a, b, c))
        if len(row) == 4:
            lines.append("    " + " ".join(row))
            row = []
    if row:
        lines.append("    " + " ".join(row))
    lines.append("};")
    lines.append("const size_t a2a_clip_n_comps = %d;" % len(comp))
    lines.append("")
    # single code points NFC changes (singleton decompositions, and composition exclusions that
    # decompose): map to their NFC string
    sg = singletons()
    lines.append("/* Code points that NFC rewrites on their own (singletons, excluded composites), sorted. */")
    lines.append("const a2a_clip_map a2a_clip_nfc_singles[] = {")
    lines.extend(map_rows(sg, 6))
    lines.append("};")
    lines.append("const size_t a2a_clip_n_nfc_singles = %d;" % len(sg))
    lines.append("")
    # ftfy ligatures and width map
    lig = sorted(fc.LIGATURES.items())
    lines.append("/* ftfy fix_latin_ligatures, sorted. */")
    lines.append("const a2a_clip_map a2a_clip_ligatures[] = {")
    lines.extend(map_rows(lig, 6))
    lines.append("};")
    lines.append("const size_t a2a_clip_n_ligatures = %d;" % len(lig))
    wm = sorted(fc.WIDTH_MAP.items())
    lines.append("/* ftfy fix_character_width, sorted. */")
    lines.append("const a2a_clip_map a2a_clip_width[] = {")
    lines.extend(map_rows(wm, 6))
    lines.append("};")
    lines.append("const size_t a2a_clip_n_width = %d;" % len(wm))
    lines.append("")
    # C1 controls as sloppy windows-1252 (ftfy fix_c1_controls) and html.unescape's numeric fixups
    lines.append("/* ftfy fix_c1_controls: U+0080..U+009F decoded as sloppy windows-1252. */")
    c1 = []
    for b in range(0x80, 0xA0):
        c1.append(ord(chr(b).encode("latin-1").decode("sloppy-windows-1252")))
    lines.append("const uint32_t a2a_clip_c1[32] = {" + ", ".join("0x%X" % x for x in c1) + "};")
    inv = sorted(_invalid_charrefs.items())
    lines.append("/* html.unescape: numeric references replaced by a fixed string (_invalid_charrefs). */")
    lines.append("const a2a_clip_map a2a_clip_invalid_charrefs[] = {")
    lines.extend(map_rows(inv, 6))
    lines.append("};")
    lines.append("const size_t a2a_clip_n_invalid_charrefs = %d;" % len(inv))
    lines.append("")
    # HTML5 entities (html.entities.html5: names with and without ';'), sorted by name bytes
    ents = sorted(html.entities.html5.items(), key=lambda kv: kv[0].encode())
    lines.append("/* html.entities.html5 (name -> text), sorted by name; flag 1: ftfy also decodes it */")
    lines.append("const a2a_clip_entity a2a_clip_entities[] = {")
    ftfy_ents = fc.HTML_ENTITIES  # "&name;" -> text, includes the upper-cased extras
    allents = dict(ents)
    for k, v in ftfy_ents.items():
        name = k[1:]
        if name not in allents:
            allents[name] = v
    srt = sorted(allents.items(), key=lambda kv: kv[0].encode())
    row = []
    for k, v in srt:
        in_html5 = k in html.entities.html5
        in_ftfy = ("&" + k) in ftfy_ents
        flags = (1 if in_html5 else 0) | (2 if in_ftfy else 0)
        row.append("{%s, %s, %d}," % (c_str(k), c_str(v), flags))
        if len(row) == 5:
            lines.append("    " + " ".join(row))
            row = []
    if row:
        lines.append("    " + " ".join(row))
    lines.append("};")
    lines.append("const size_t a2a_clip_n_entities = %d;" % len(srt))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", path, len(lines), "lines")


# ----------------------------------------------------------------------------------- golden
CASES = [
    ("empty", ""),
    ("spaces_only", "   \t \n "),
    ("simple", "a photo of a cat"),
    ("caps", "A Photo Of A CAT"),
    ("punct", "Hello, world! How are you?? (fine...) -- ok; yes: no."),
    ("digits", "In 2023 there were 1,234,567 cats and 3.14159 dogs"),
    ("apostrophes", "I'm sure it's John's, they're here, we've, she'll, he'd, don't, 'quoted'"),
    ("apostrophes_caps", "IT'S JOHN'S AND THEY'RE WE'VE SHE'LL HE'D"),
    ("curly_quotes", "\u201cHe said \u2018don\u2019t\u2019\u201d"),
    ("accents", "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00fcber Stra\u00dfe \u00c9COLE \u00d1and\u00fa"),
    ("combining", "cafe\u0301 e\u0302\u0301 A\u030a"),
    ("cjk", "\u4e00\u53ea\u732b\u5728\u684c\u5b50\u4e0a \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \ud55c\uad6d\uc5b4"),
    ("emoji", "I love \U0001F431 and \U0001F436!! \U0001F44D\U0001F3FD \u2764\ufe0f"),
    ("html", "Tom &amp; Jerry &lt;3 &quot;quoted&quot; &#39;x&#39; &#x41;&#66; &eacute;t&eacute; &amp;amp;lt;"),
    ("html_lt_present", "a < b &amp; c &gt; d"),
    ("html_nosemi", "fish &amp chips &copy 2020 &notit; &ampxyz"),
    ("html_upper", "P&EACUTE;REZ &NTILDE; &nTILDE;"),
    ("multi_space", "  lots   of    spaces\t\tand\n\nnewlines  "),
    ("nbsp", "a\u00a0b\u3000c\u2003d"),
    ("special_tokens", "<|startoftext|>hello<|endoftext|> <|ENDOFTEXT|>"),
    ("mixed_script", "Привет мир! Γειά σου Κόσμε ΣΟΦΟΣ. مرحبا"),
    ("fullwidth", "\uff21\uff22\uff23\uff11\uff12\uff01 \uff8a\uff9d"),
    ("ligatures", "\ufb01sh \ufb02ower \u0133"),
    ("controls", "a\x00b\x07c\x1bd\x7fe\u200bf\ufeffg"),
    ("terminal_escape", "\x1b[36;44mblue\x1b[0m text"),
    ("long_word", "supercalifragilisticexpialidocious antidisestablishmentarianism"),
    ("repeat", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
    ("symbols", "$100 #hashtag @user 50% a+b=c ~tilde~ <tag> [x] {y} |z| ^_^"),
    ("turkish", "\u0130stanbul I\u0307 \u212a"),
    ("long_sentence", "a photograph of an astronaut riding a horse on the moon, high quality, " * 8),
    ("very_long", "the quick brown fox jumps over the lazy dog. " * 40),
    ("url", "https://example.com/path?q=1&x=2"),
    ("newlines_html", "line one &amp; two\nline <b> three &amp; four\nline five &amp; six"),
    ("c1", "price \x80 5 \x93quote\x94"),
    ("line_sep", "a\u2028b\u2029c\r\nd\re"),
    ("long_s", "it'\u017f"),
]


# fragments the random cases are drawn from (fixed seed): scripts, marks, digits of other
# scripts, entities, quotes, controls, specials, contractions
FRAGMENTS = [
    "a", "B", "cat", "DOG", "The", "x", "z", "q", "1", "42", "2023", "3.14", " ", "  ", "\t", "\n", ",", ".", "!", "?", "...",
    "-", "_", "(", ")", "[", "]", "/", ":", ";", "@", "#", "$", "%", "^", "*", "+", "=", "~", "|", "\\", '"', "'",
    "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'LL", "'S", "n't", "\u00e9", "\u00c9", "\u00df", "\u00d1", "\u00fc", "\u00e6", "\u00f8",
    "\u03a3", "\u03c3", "\u03c2", "\u0391\u0392\u0393", "\u041f\u0440\u0438\u0432\u0435\u0442", "\u0416", "\u4e2d\u6587", "\u732b",
    "\u65e5\u672c", "\u30ab\u30bf\u30ab\u30ca", "\u3072\u3089", "\ud55c\uad6d", "\u1100\u1161", "\U0001F600", "\U0001F469\u200d\U0001F4BB",
    "\U0001F44D\U0001F3FD", "\u2764\ufe0f", "\u0301", "\u0308", "e\u0301", "o\u0308", "\u0663\u0664", "\u0968", "\u00b2", "\u00bd",
    "\u216b", "\u2160", "\u212a", "\u0130", "\u0131", "\u017f", "\u2018", "\u2019", "\u201c", "\u201d", "\u00ab", "\u00bb",
    "&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#x41;", "&eacute;", "&eacute", "&NTILDE;", "&copy", "&nbsp;", "&hellip;",
    "&amp;amp;", "&#0;", "&#128;", "&bogus;", "&", "<", ">", "<b>", "\ufb01", "\ufb00", "\uff21", "\uff11", "\uff01", "\u3000",
    "\u00a0", "\u2003", "\u200b", "\ufeff", "\x00", "\x07", "\x1b[1m", "\x7f", "\u2028", "\r\n", "<|endoftext|>",
    "<|startoftext|>", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "\u0939\u093f\u0928\u094d\u0926\u0940", "\u0e44\u0e17\u0e22",
    "\u00ad", "\u2013", "\u2014", "\u2026", "\u20ac", "\u00a3", "\u00a9", "\u2122", "\u00b0", "\u00d7",
]


def random_cases(n: int, seed: int = 1234):
    """n random concatenations of FRAGMENTS (fixed seed)."""
    import random

    import ftfy

    rng = random.Random(seed)
    out, skipped = [], 0
    while len(out) < n:
        t = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 14)))
        # ftfy's mojibake repair (fix_encoding) is not reproduced: leave out strings it changes
        if ftfy.fix_text(t) != ftfy.fix_text(t, fix_encoding=False):
            skipped += 1
            continue
        out.append((f"random{len(out)}", t))
    print(f"random cases: {n} kept, {skipped} skipped (ftfy fix_encoding would change them)")
    return out


def import_imagebind():
    sys.modules["imagebind.data"] = types.ModuleType("imagebind.data")
    import imagebind
    from imagebind.models.multimodal_preprocessors import SimpleTokenizer

    bpe = os.path.join(os.path.dirname(imagebind.__file__), "bpe", "bpe_simple_vocab_16e6.txt.gz")
    return SimpleTokenizer, bpe


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def write_hf_folder(merge_lines: list[str], folder: str) -> None:
    """vocab.json and merges.txt as openai/clip-vit-*'s tokenizer folder has them."""
    os.makedirs(folder, exist_ok=True)
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    for m in merge_lines:
        vocab.append("".join(m.split()))
    vocab.extend(["<|startoftext|>", "<|endoftext|>"])
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for m in merge_lines:
            f.write(m + "\n")


def write_golden(outdir: str, n_random: int = 200, seed: int = 1234) -> None:
    import numpy as np
    import gguf
    from transformers import CLIPTokenizer
    import transformers

    SimpleTokenizer, bpe_path = import_imagebind()
    os.makedirs(outdir, exist_ok=True)
    lines = gzip.open(bpe_path).read().decode("utf-8").split("\n")
    n_merges = 49152 - 256 - 2
    cut = lines[: 1 + n_merges]
    gz_out = os.path.join(outdir, "bpe_simple_vocab_16e6.txt.gz")
    with open(gz_out, "wb") as raw:
        with gzip.GzipFile(filename="bpe_simple_vocab_16e6.txt", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
            f.write("\n".join(cut).encode("utf-8"))
    tok_ib = SimpleTokenizer(bpe_path)        # the package's own file
    tok_ib_cut = SimpleTokenizer(gz_out)      # our cut: must be identical
    with tempfile.TemporaryDirectory() as td:
        write_hf_folder(cut[1:], td)
        tok_hf = CLIPTokenizer(os.path.join(td, "vocab.json"), os.path.join(td, "merges.txt"))
    small = os.path.join(outdir, "hf_small")
    write_hf_folder(cut[1:3001], small)
    tok_small = CLIPTokenizer(os.path.join(small, "vocab.json"), os.path.join(small, "merges.txt"))

    w = gguf.GGUFWriter(os.path.join(outdir, "clip_tok.gguf"), "clip_tok_golden")
    w.add_string("golden.generator", "tools/ref/make_golden_clip_tok.py")
    w.add_string("golden.transformers_version", transformers.__version__)
    import ftfy

    w.add_string("golden.ftfy_version", ftfy.__version__)
    cases = CASES + random_cases(n_random, seed)
    w.add_uint32("golden.n_cases", len(cases))
    for i, (name, text) in enumerate(cases):
        ib = tok_ib.encode(text)
        assert ib == tok_ib_cut.encode(text)
        ctx = tok_ib(text).tolist()
        hf = tok_hf(text, padding="max_length", max_length=77, truncation=True)["input_ids"]
        hf_raw = tok_hf(text, add_special_tokens=False)["input_ids"]
        sm = tok_small(text, add_special_tokens=False)["input_ids"]
        dec = tok_ib.decode(ib)
        p = f"case{i}"
        w.add_string(f"{p}.name", name)
        w.add_string(f"{p}.text", text)
        # empty id lists are left out (gguf-py cannot type an empty array): absent = empty
        for key, ids in (("imagebind", ib), ("imagebind_ctx77", ctx), ("hf_ctx77", hf), ("hf", hf_raw), ("hf_small", sm)):
            if ids:
                w.add_array(f"{p}.{key}", [int(x) for x in ids])
        w.add_string(f"{p}.decoded", dec)
        if ib != hf_raw:
            print(f"note: {name}: imagebind and HF differ ({len(ib)} vs {len(hf_raw)} ids)")
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print("wrote", outdir)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "golden"
    if what == "tables":
        write_tables(os.path.join(ROOT, "src", "text", "clip_tables.c"))
    elif what == "golden":
        # optional: another folder, number of random cases and seed (for larger checks that are
        # not committed; the C test reads them with -DGOLD_DIR=...)
        out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "tests", "golden", "clip_tok")
        n_random = int(sys.argv[3]) if len(sys.argv) > 3 else 200
        seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1234
        write_golden(out, n_random, seed)
    else:
        sys.exit("usage: make_golden_clip_tok.py tables | golden [outdir [n_random [seed]]]")
