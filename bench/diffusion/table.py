#!/usr/bin/env python3
"""Print bench/diffusion's results (the JSON lines run.sh collects) as one markdown table.
Ratios are peer time / our time (> 1: ours is faster); peers with F16/F32 weights are compared
with our F16 bundle, sd.cpp's q8_0 with our Q8_0 bundle (UNet) -- the VAE is the F16 one in both.
sd.cpp's step is its whole 1-step sampling time (cond + uncond evaluations, plus its graph setup,
well under a second); the 2-step minus 1-step difference is printed below the table (on a loaded
machine the difference of two single runs is the noisier figure). Its UNet CPU s is the
difference of process CPU time between the 2-step and the 1-step generation.
Usage: python3 bench/diffusion/table.py bench/models/diffusion_results.jsonl"""
import json
import sys


def main():
    rows = {}
    for line in open(sys.argv[1]):
        if line.strip():
            d = json.loads(line)
            rows[d["label"]] = d["r"]
    get = lambda k, f: rows.get(k, {}).get(f)  # noqa: E731
    ours_u = {"f16": get("ours_f16_unet", "best_s"), "q8_0": get("ours_q8_0_unet", "best_s")}
    ours_uc = {"f16": get("ours_f16_unet", "cpu_s"), "q8_0": get("ours_q8_0_unet", "cpu_s")}
    ours_v, ours_vc = get("ours_f16_vae", "best_s"), get("ours_f16_vae", "cpu_s")

    def fmt(x, nd=2):
        return "—" if x is None else f"{x:.{nd}f}"

    def ratio(peer, ours):
        return "—" if peer is None or not ours else f"**{peer / ours:.2f}x**"

    print("| engine (weights) | UNet step s, batch 2 | UNet CPU s | ratio vs ours | VAE decode s | VAE CPU s "
          "| ratio vs ours | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    rss = lambda k: fmt(get(k, "peak_rss_mb"), 0)  # noqa: E731
    print(f"| any2any (convs F16, linears F16) | {fmt(ours_u['f16'])} | {fmt(ours_uc['f16'])} | 1 | {fmt(ours_v)} "
          f"| {fmt(ours_vc)} | 1 | UNet {rss('ours_f16_unet')}, VAE {rss('ours_f16_vae')} |")
    print(f"| any2any (convs F16, linears Q8_0) | {fmt(ours_u['q8_0'])} | {fmt(ours_uc['q8_0'])} | 1 | (same VAE) "
          f"| | | UNet {rss('ours_q8_0_unet')} |")
    if "torch_unet" in rows or "torch_vae" in rows:
        tu, tv = get("torch_unet", "best_s"), get("torch_vae", "best_s")
        print(f"| diffusers, PyTorch CPU (F32) | {fmt(tu)} | {fmt(get('torch_unet', 'cpu_s'))} | "
              f"{ratio(tu, ours_u['f16'])} (vs Q8_0 {ratio(tu, ours_u['q8_0'])}) | {fmt(tv)} | "
              f"{fmt(get('torch_vae', 'cpu_s'))} | {ratio(tv, ours_v)} | UNet {rss('torch_unet')}, VAE {rss('torch_vae')} |")
    sdcpp = [k for k in rows if k.startswith("sdcpp_")]
    for k in sdcpp:
        r = rows[k]
        q8 = r["wtype"] == "q8_0"
        ours_key = "q8_0" if q8 else "f16"
        name = ("Q8_0" if q8 else "F16") + (", flash attention" if r.get("flash") else "")
        step = r["sampling_1step_s"]  # a 1-step sampling: one cond + one uncond UNet evaluation (+ graph setup)
        print(f"| stable-diffusion.cpp ({name}) | {fmt(step)} "
              f"| {fmt(r.get('step_cpu_s'))} | {ratio(step, ours_u[ours_key])} | {fmt(r['vae_s'])} | — "
              f"| {ratio(r['vae_s'], ours_v)} | whole pipeline {rss(k)} |")
    first = [f"{k} {v['first_s']:.2f}" for k, v in rows.items() if "first_s" in v]
    if first:
        print("\nfirst calls (warm-up: plans arenas, faults weights in), s: " + ", ".join(first))
    for k in sdcpp:
        r = rows[k]
        print(f"{k}: sampling 1 step {r['runs']['1']['sampling_s']} s, 2 steps {r['runs']['2']['sampling_s']} s "
              f"(difference {r['step_s']} s/step; CPU s/step from the difference {r.get('step_cpu_s')}), "
              f"decode {r['runs']['1']['decode_s'] + r['runs']['2']['decode_s']} s, load {r['load_s']} s")


if __name__ == "__main__":
    main()
