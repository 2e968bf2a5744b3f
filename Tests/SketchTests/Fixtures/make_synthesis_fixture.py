"""Makes the synthesis fixture from the team's float64 oracle (synthesis_oracle_tiny.npz of the JAX
reference: L=3, D=8, K=2, M=3, B=3, T=15, U=5, A=7; the inputs, the reference cost, per-step NLL,
gradients, the parameters after one clipped Adam step, the window trace phi/kappa/w, and two sampler
cases). Run from the repository root with numpy and h5py:

  python3 -m venv /tmp/peers && /tmp/peers/bin/pip install numpy h5py
  /tmp/peers/bin/python Tests/SketchTests/Fixtures/make_synthesis_fixture.py ORACLE.npz

Writes Tests/SketchTests/Fixtures/synthesis_oracle_tiny.h5: every array of the oracle under its own
name (the JSON `meta` string as the file's attribute `meta`).
"""
import os
import sys

import h5py
import numpy as np

src = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
z = np.load(src)
with h5py.File(os.path.join(here, "synthesis_oracle_tiny.h5"), "w") as f:
    for k in sorted(z.files):
        if k == "meta":
            f.attrs["meta"] = str(z[k])
        else:
            f.create_dataset(k, data=z[k])
