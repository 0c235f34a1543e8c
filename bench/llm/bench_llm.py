#!/usr/bin/env python3
"""LLM speed, side by side: any2any vs llama.cpp (through llama-cpp-python, built from source by
pip) on the same GGUF file, same prompt tokens, same thread count, greedy decoding.

Prints prompt processing (pp) and token generation (tg) speeds in tokens/s for both engines and
the ratio any2any / llama.cpp, plus the decode roofline: bytes of weights read per token divided
by the measured memory read bandwidth (from build/bench_kernels --bandwidth when available).

usage: bench_llm.py MODEL.gguf [MODEL2.gguf ...] [--threads 2] [--prompt-tokens 128] [--gen-tokens 64]
       (run from the repository root after building; `bash bench/llm/run.sh` prepares everything)
"""
import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "build", "any2any")
WORDS = ("the quick brown fox jumps over the lazy dog while a curious assistant describes pictures sounds and "
         "videos of colored shapes moving across the screen ").split()


def make_prompt(n_words):
    return " ".join(WORDS[i % len(WORDS)] for i in range(n_words))


def ours(model, prompt, n_gen, threads, reps):
    best = None
    for _ in range(reps):
        r = subprocess.run([BIN, "generate", "-m", model, "-p", prompt, "-n", str(n_gen), "--temp", "0", "--ignore-eos",
                            "-t", str(threads)], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("any2any failed: " + r.stderr)
        m = re.search(r"prompt (\d+) tokens in ([\d.]+) s .*generated (\d+) tokens in ([\d.]+) s", r.stderr)
        n_p, t_p, n_g, t_g = int(m.group(1)), float(m.group(2)), int(m.group(3)), float(m.group(4))
        cur = (n_p, n_p / t_p, n_g / t_g)
        best = cur if best is None else (cur[0], max(best[1], cur[1]), max(best[2], cur[2]))
    return best


def llamacpp(model, prompt, n_gen, threads, reps):
    import llama_cpp
    llm = llama_cpp.Llama(model_path=model, n_ctx=1024, n_batch=1024, n_ubatch=512, n_threads=threads, n_threads_batch=threads,
                          verbose=False, seed=0)
    toks = llm.tokenize(prompt.encode(), add_bos=True)
    best = None
    for _ in range(reps):
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(toks)
        t_p = time.perf_counter() - t0
        tok = int(llm.scores[llm.n_tokens - 1].argmax())
        t1 = time.perf_counter()
        for _ in range(n_gen - 1):
            llm.eval([tok])
            tok = int(llm.scores[llm.n_tokens - 1].argmax())
        t_g = time.perf_counter() - t1
        cur = (len(toks), len(toks) / t_p, (n_gen - 1) / t_g)
        best = cur if best is None else (cur[0], max(best[1], cur[1]), max(best[2], cur[2]))
    return best


def bandwidth_gbs():
    exe = os.path.join(ROOT, "build", "bench_kernels")
    if not os.path.exists(exe):
        return None
    r = subprocess.run([exe, "--quick"], capture_output=True, text=True)
    m = re.search(r"GEMV roofline\s+([\d.]+)", r.stdout) or re.search(r"DRAM read bandwidth.*?\s([\d.]+)\s+GB/s", r.stdout)
    return float(m.group(1)) if m else None


def weight_bytes(model):
    sys.path.insert(0, os.path.join(ROOT, "tools", "ref"))
    import gguf
    rd = gguf.GGUFReader(model)
    return sum(int(t.n_bytes) for t in rd.tensors if t.name != "token_embd.weight")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-words", type=int, default=100)
    ap.add_argument("--gen-tokens", type=int, default=64)
    ap.add_argument("--reps", type=int, default=2)
    a = ap.parse_args()
    bw = bandwidth_gbs()
    prompt = make_prompt(a.prompt_words)
    print(f"threads {a.threads}, greedy, best of {a.reps}; memory read bandwidth: {bw if bw else '?'} GB/s")
    print(f"{'model':34} {'engine':10} {'pp tok/s':>9} {'tg tok/s':>9} {'tg roofline':>11}")
    for model in a.models:
        wb = weight_bytes(model)
        roof = (bw * 1e9 / wb) if bw else None
        n_p, pp_o, tg_o = ours(model, prompt, a.gen_tokens, a.threads, a.reps)
        n_p2, pp_l, tg_l = llamacpp(model, prompt, a.gen_tokens, a.threads, a.reps)
        name = os.path.basename(model)
        pct = lambda tg: f"{100 * tg / roof:5.1f}%" if roof else "?"
        print(f"{name:34} {'any2any':10} {pp_o:9.1f} {tg_o:9.2f} {pct(tg_o):>11}   ({n_p} prompt tokens)")
        print(f"{name:34} {'llama.cpp':10} {pp_l:9.1f} {tg_l:9.2f} {pct(tg_l):>11}   ({n_p2} prompt tokens)")
        print(f"{name:34} {'ratio':10} {pp_o / pp_l:9.2f} {tg_o / tg_l:9.2f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
