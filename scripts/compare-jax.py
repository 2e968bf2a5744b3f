#!/usr/bin/env python3
"""Sketch against a JAX implementation of the same network, side by side in one session.

Runs `sketch bench --config X --json` and `FOLDER/bench_jax.py` (train and sample; its interface is in
the README, "Comparing with JAX") in turn, and for config S (the synthesis network) `sketch bench
--synthesis --json` and `FOLDER/bench_synthesis.py` (its split and fused training steps, and its
sampler), `--rounds` times, alternating so that both see the same machine, and prints the medians as a
Markdown table (and every run as JSON lines with --raw). `--busy N` runs N busy-looping processes
beside both for the whole comparison (the machine under contention).

  scripts/compare-jax.py --sketch .build/release/sketch --peers FOLDER \
      --python /tmp/jax/bin/python --configs A B C S --rounds 5 [--busy 1]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys


def run_json(cmd, env=None, prefix=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"failed ({out.returncode}): {' '.join(cmd)}\n{out.stderr[-2000:]}")
    for line in reversed(out.stdout.splitlines()):
        if prefix and line.startswith(prefix):
            return json.loads(line[len(prefix):])
        if not prefix and line.startswith("{"):
            return json.loads(line)
    sys.exit(f"no JSON from: {' '.join(cmd)}\n{out.stdout[-2000:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sketch", default=".build/release/sketch")
    ap.add_argument("--peers", required=True, help="the folder holding bench_jax.py")
    ap.add_argument("--python", default="/tmp/jax/bin/python")
    ap.add_argument("--configs", nargs="+", default=["A", "B", "C"])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--raw", action="store_true")
    ap.add_argument("--busy", type=int, default=0, help="busy-looping processes beside both")
    args = ap.parse_args()
    busy = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(args.busy)]
    try:
        compare(args)
    finally:
        for p in busy:
            p.kill()


def record(rows, config, **figures):
    """Appends one round's figures to the config's lists (a figure not given this round stays empty)."""
    r = rows.setdefault(config, {})
    for k, v in figures.items():
        r.setdefault(k, []).append(v)


def compare_synthesis(args, env, rnd, rows):
    """One round of config S: Sketch's step and sampler, then JAX's split and fused steps and sampler."""
    bench = os.path.join(args.peers, "bench_synthesis.py")
    s = run_json([args.sketch, "bench", "--synthesis", "--json", "--repeats", "3"], env=env)
    split = run_json([args.python, bench, "--mode", "train", "--variant", "split", "--steps", "3"],
                     env=env, prefix="RESULT_JSON ")
    fused = run_json([args.python, bench, "--mode", "train", "--variant", "fused", "--steps", "3"],
                     env=env, prefix="RESULT_JSON ")
    js = run_json([args.python, bench, "--mode", "sample", "--steps", "3"], env=env, prefix="RESULT_JSON ")
    record(rows, "S", train=s["train_step_s"], split=split["step_median_s"], fused=fused["step_median_s"],
           sample=s["sample_s"], sample_jax=js["run_median_s"], cold=s["compile_cold_s"],
           jax_compile=split["compile_s"], rss=s.get("train_peak_rss_mb", s["peak_rss_mb"]), rss_jax=split["peak_rss_mb"])
    if args.raw:
        print(json.dumps(dict(round=rnd, config="S", sketch=s, jax_split=split, jax_fused=fused, jax_sample=js)))
    print(f"round {rnd + 1} S: train {s['train_step_s']:.3f} s vs JAX split {split['step_median_s']:.3f} s, "
          f"fused {fused['step_median_s']:.3f} s; sample {s['sample_s']:.3f} s vs {js['run_median_s']:.3f} s",
          file=sys.stderr)
    return s


def compare(args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", str(os.cpu_count())))
    bench_jax = os.path.join(args.peers, "bench_jax.py")
    rows = {}
    for rnd in range(args.rounds):
        for c in args.configs:
            if c == "S":
                s = compare_synthesis(args, env, rnd, rows)
                continue
            sample = c != "C"  # the reference's sampler configurations are A and B
            steps = "3" if c == "C" else "5"
            s = run_json([args.sketch, "bench", "--config", c, "--json", "--repeats", steps]
                         + ([] if sample else ["--sample-steps", "0"]), env=env)
            jt = run_json([args.python, bench_jax, "--config", c, "--mode", "train", "--steps", steps],
                          env=env, prefix="RESULT_JSON ")
            js = run_json([args.python, bench_jax, "--config", c, "--mode", "sample", "--steps", "5"],
                          env=env, prefix="RESULT_JSON ") if sample else None
            record(rows, c, train=s["train_step_s"], train_jax=jt["step_median_s"], bound=s["product_reference_s"],
                   cold=s["compile_cold_s"], warm=s["compile_warm_s"], jax_compile=jt["compile_s"],
                   rss=s.get("train_peak_rss_mb", s["peak_rss_mb"]), rss_jax=jt["peak_rss_mb"],
                   **(dict(sample=s["sample_s"], sample_jax=js["run_median_s"]) if sample else {}))
            if args.raw:
                print(json.dumps(dict(round=rnd, config=c, sketch=s, jax_train=jt, jax_sample=js)))
            print(f"round {rnd + 1} {c}: train {s['train_step_s']:.3f} s vs JAX {jt['step_median_s']:.3f} s",
                  file=sys.stderr)
    med = lambda xs: statistics.median(xs) if xs else float("nan")
    print(f"machine: {s['machine']}, {s['cores']} cores, OpenBLAS threads {s['blas_threads']}; "
          f"medians of {args.rounds} alternating rounds, {args.busy} busy processes beside\n")
    if any(c != "S" for c in rows):
        print("| config | training step: Sketch | JAX | Sketch / JAX | products alone | products alone / step "
              "| sampling 64x600: Sketch | JAX | compile cold / warm | JAX compile | peak RSS (training) Sketch / JAX |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
    for c, r in rows.items():
        if c == "S":
            continue
        t, tj, b = med(r["train"]), med(r["train_jax"]), med(r["bound"])
        sm = f"{med(r['sample']):.3f} s | {med(r['sample_jax']):.3f} s" if r.get("sample") else "- | -"
        print(f"| {c} | {t:.3f} s | {tj:.3f} s | {t / tj:.2f} | {b:.3f} s | {100 * b / t:.0f}% | {sm} "
              f"| {med(r['cold']):.2f} / {med(r['warm']):.3f} s | {med(r['jax_compile']):.2f} s "
              f"| {med(r['rss']):.0f} / {med(r['rss_jax']):.0f} MB |")

    if "S" in rows:
        r = rows["S"]
        t, sp, fu = med(r["train"]), med(r["split"]), med(r["fused"])
        print("\n| config S (synthesis) | training step: Sketch | JAX split | JAX fused | Sketch / best JAX "
              "| sampling 64x600: Sketch | JAX | Sketch / JAX | compile cold: Sketch / JAX | peak RSS Sketch / JAX |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        print(f"| S | {t:.3f} s | {sp:.3f} s | {fu:.3f} s | {t / min(sp, fu):.2f} | {med(r['sample']):.3f} s "
              f"| {med(r['sample_jax']):.3f} s | {med(r['sample']) / med(r['sample_jax']):.2f} "
              f"| {med(r['cold']):.2f} / {med(r['jax_compile']):.2f} s | {med(r['rss']):.0f} / {med(r['rss_jax']):.0f} MB |")


if __name__ == "__main__":
    main()
