#!/usr/bin/env python3
"""The char-LM example against the same model in JAX (scripts/char-lm-jax.py), side by side.

Runs both on the same text, alternating, `--rounds` times, and prints the medians (over rounds) of
each run's median step time, the ratio and the final losses, as a Markdown table.

  scripts/compare-char-lm.py --text FILE --python /tmp/jax/bin/python --rounds 3 --steps 200
"""
import argparse
import os
import statistics
import subprocess
import sys


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"failed ({out.returncode}): {' '.join(cmd)}\n{out.stderr[-2000:]}")
    step = loss = None
    for line in out.stdout.splitlines():
        if line.startswith("median step "):
            step = float(line.split()[2])
        elif line.startswith("step "):
            loss = float(line.split()[3])
    if step is None or loss is None:
        sys.exit(f"no step time or loss from: {' '.join(cmd)}\n{out.stdout[-2000:]}")
    return step, loss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--text", required=True)
    ap.add_argument("--sketch", default=".build/release/CharLanguageModel")
    ap.add_argument("--python", default="/tmp/jax/bin/python")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    common = [args.text, "--steps", str(args.steps), "--hidden", str(args.hidden)]
    rows = {"Sketch": [], "JAX": []}
    for r in range(args.rounds):
        rows["Sketch"].append(run([args.sketch] + common))
        rows["JAX"].append(run([args.python, os.path.join(here, "char-lm-jax.py")] + common))
        print(f"round {r + 1}: Sketch {rows['Sketch'][-1]}, JAX {rows['JAX'][-1]}", file=sys.stderr)
    med = {k: statistics.median(s for s, _ in v) for k, v in rows.items()}
    print(f"| | step (median of {args.rounds} rounds) | final loss (round 1) |")
    print("|---|---|---|")
    for k, v in rows.items():
        print(f"| {k} | {med[k] * 1000:.2f} ms | {v[0][1]:.3f} |")
    print(f"| Sketch / JAX | {med['Sketch'] / med['JAX']:.2f} | |")


if __name__ == "__main__":
    main()
