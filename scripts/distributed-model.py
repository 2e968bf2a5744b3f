#!/usr/bin/env python3
"""The step-time model of docs/distributed.md: data-parallel training on N machines.

step(N) = compute(B / N) + allreduce(N), with
  compute(b)   = t_bench * b / b_bench   (sketch bench, one machine; linear in the batch)
  allreduce(N) = 2 (N - 1) / N * bytes / bandwidth + 2 (N - 1) * latency   (ring all-reduce)
and no overlap (Sketch sums one flat buffer after the backward pass). Prints Markdown tables.
"""
import argparse

# sketch bench, docs/native.md (release build, 2 threads, this project's 2-core machine):
# (name, parameters, measured step seconds, batch of the measurement, steps)
CONFIGS = [
    ("A (1x400)", 694_921, 0.301, 32, 300),
    ("B (3x400)", 3_258_121, 1.224, 32, 300),
    ("C (1x900)", 3_363_421, 5.05, 56, 600),
]
# (name, bits per second, seconds per message)
LINKS = [("10 Gb/s", 10e9, 50e-6), ("25 Gb/s", 25e9, 25e-6), ("100 Gb/s", 100e9, 5e-6)]
MACHINES = [1, 2, 4, 8, 16, 32, 64]


def allreduce(n, params, bandwidth, latency):
    if n == 1:
        return 0.0
    return 2 * (n - 1) / n * 4 * params * 8 / bandwidth + 2 * (n - 1) * latency


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--efficiency", type=float, default=0.8, help="the efficiency the batch table asks for")
    a = p.parse_args()
    for name, params, t, b, steps in CONFIGS:
        print(f"\n**{name}**, {params:,} parameters ({4 * params / 1e6:.1f} MB of gradients), "
              f"{t} s per step at batch {b}; global batch {b} x N (the per-machine batch kept at {b}):\n")
        print("| machines | " + " | ".join(f"all-reduce {l[0]} | step, efficiency" for l in LINKS) + " |")
        print("|---|" + "---|---|" * len(LINKS))
        for n in MACHINES:
            cells = []
            for _, bw, lat in LINKS:
                c = allreduce(n, params, bw, lat)
                cells.append(f"{c * 1e3:.1f} ms | {t + c:.3f} s, {t / (t + c):.0%}")
            print(f"| {n} | " + " | ".join(cells) + " |")
        print(f"\nThe smallest batch per machine at which the step stays {a.efficiency:.0%} efficient "
              f"(compute >= {a.efficiency / (1 - a.efficiency):.0f} x all-reduce), and the global batch at 64 machines:\n")
        print("| link | " + " | ".join(f"{n} machines" for n in MACHINES[1:]) + " |")
        print("|---|" + "---|" * (len(MACHINES) - 1))
        for lname, bw, lat in LINKS:
            cells = []
            for n in MACHINES[1:]:
                need = a.efficiency / (1 - a.efficiency) * allreduce(n, params, bw, lat)
                per = max(1, -(-need * b // t))
                cells.append(f"{int(per)}" + (f" (global {int(per) * n})" if n == 64 else ""))
            print(f"| {lname} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
