"""Makes the handwriting-cost fixture: small float64 weights, a masked batch, and the reference values
computed by ../shared/peers/reference.py (JAX, float64). Run from the repository root:

  python3 -m venv /tmp/peers && /tmp/peers/bin/pip install jax jaxlib numpy h5py
  /tmp/peers/bin/python Tests/SketchTests/Fixtures/make_peers_fixture.py ../shared/peers

Writes Tests/SketchTests/Fixtures/peers_small_in.h5 (weights lstm{l}_W/U/b, out_W, out_b, x [T+1,B,3],
mask [T,B]) and peers_small_expected.h5 (cost, nll [T,B], grad_norm, grad.<name>).
"""
import os
import subprocess
import sys

import h5py
import numpy as np

peers = sys.argv[1] if len(sys.argv) > 1 else "../shared/peers"
here = os.path.dirname(os.path.abspath(__file__))
L, D, M, T, B = 2, 6, 3, 7, 3
rng = np.random.RandomState(1234)
arrays = {}
for l in range(L):
    I = 3 if l == 0 else D
    arrays[f"lstm{l}_W"] = rng.uniform(-0.5, 0.5, (I, 4 * D))
    arrays[f"lstm{l}_U"] = rng.uniform(-0.5, 0.5, (D, 4 * D))
    arrays[f"lstm{l}_b"] = rng.uniform(-0.5, 0.5, (4 * D,))
arrays["out_W"] = rng.uniform(-0.5, 0.5, (D, 6 * M + 1))
arrays["out_b"] = rng.uniform(-0.5, 0.5, (6 * M + 1,))
x = np.empty((T + 1, B, 3))
x[..., :2] = rng.randn(T + 1, B, 2)
x[..., 2] = rng.rand(T + 1, B) < 0.2
arrays["x"] = x
lengths = [T, 4, 2]  # a padded batch: rows 1 and 2 end early
mask = np.zeros((T, B))
for b, n in enumerate(lengths):
    mask[:n, b] = 1
arrays["mask"] = mask
inp = os.path.join(here, "peers_small_in.h5")
out = os.path.join(here, "peers_small_expected.h5")
with h5py.File(inp, "w") as f:
    for k, v in arrays.items():
        f.create_dataset(k, data=v.astype(np.float64))
subprocess.check_call([sys.executable, os.path.join(peers, "reference.py"), inp, out, "--mask"])
