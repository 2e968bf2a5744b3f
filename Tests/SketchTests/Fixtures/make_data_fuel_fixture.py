"""Writes data_fuel_layout.h5 and data_fuel_layout_old.h5: tiny stroke datasets in the layout the original
notebook (udibr/sketch, handwriting-to-hdf5.ipynb) wrote with Fuel's H5PYDataset, read by DataHDF5LayoutTests.

Run with h5py and numpy (Fuel itself is not needed): python3 make_data_fuel_fixture.py
The notebook's conversion is reproduced: points get a start flag (1 on the first point of each stroke),
rows are (dx, dy, flag of the point reached), dx and dy are divided by their standard deviation over all
rows, lines are padded with (0, 0, 1) to a fixed width, and the `split` attribute is Fuel's
create_split_array. data_fuel_layout.h5 has the newer split fields (with `indices`), the _old file the
2015 ones (split, source, start, stop, available, comment). The lines are not shuffled here.
"""
import os

import h5py
import numpy as np

# Each line: strokes of (x, y) points, as in IAM-OnDB lineStrokes files. Keep in sync with
# DataHDF5LayoutTests.fuelLines.
LINES = [
    [[(10, 20), (13, 24), (15, 30)], [(40, 22), (41, 25)]],
    [[(5, 5)], [(8, 9), (12, 9), (12, 15)], [(20, 3)], [(25, 7), (27, 8)]],
    [[(0, 0), (3, 4), (6, 8), (9, 12), (9, 20)]],
]
WIDTH = 12


def read_points(strokes):
    # The notebook's readPoints: start = 1 on each stroke's first point, then deltas.
    points = []
    for stroke in strokes:
        start = 1
        for x, y in stroke:
            points.append([x, y, start])
            start = 0
    points = np.array(points)
    return np.hstack((points[1:, :2] - points[:-1, :2], points[1:, 2, None]))


def create_split_array(split_dict, with_indices):
    split_len = max(len(split) for split in split_dict)
    sources = sorted(set(s for split in split_dict.values() for s in split))
    source_len = max(len(source) for source in sources)
    fields = [("split", "S%d" % split_len), ("source", "S%d" % source_len), ("start", np.int64),
              ("stop", np.int64)]
    if with_indices:
        fields.append(("indices", h5py.special_dtype(ref=h5py.Reference)))
    fields += [("available", np.bool_), ("comment", "S1")]
    array = np.empty(len(split_dict) * len(sources), dtype=np.dtype(fields))
    i = 0
    for split in split_dict:
        for source in sources:
            start, stop = split_dict[split][source]
            array[i]["split"] = split.encode("utf8")
            array[i]["source"] = source.encode("utf8")
            array[i]["start"] = start
            array[i]["stop"] = stop
            if with_indices:
                array[i]["indices"] = h5py.Reference()
            array[i]["available"] = True
            array[i]["comment"] = b"."
            i += 1
    return array


all_points = [read_points(strokes) for strokes in LINES]
s = np.vstack([p[:, :2] for p in all_points]).std(axis=0)
X = np.empty((len(all_points), WIDTH, 3))
for i, p in enumerate(all_points):
    n = len(p)
    X[i, :n, :2] = p[:, :2] / s
    X[i, n:, :2] = 0
    X[i, :n, 2] = p[:, 2]
    X[i, n:, 2] = 1

here = os.path.dirname(os.path.abspath(__file__))
for name, with_indices in [("data_fuel_layout.h5", True), ("data_fuel_layout_old.h5", False)]:
    with h5py.File(os.path.join(here, name), "w") as fp:
        features = fp.create_dataset("features", X.shape, dtype="float32")
        features[...] = X
        n_train = 2
        split_dict = {"train": {"features": (0, n_train)}, "test": {"features": (n_train, len(X))}}
        fp.attrs["split"] = create_split_array(split_dict, with_indices)
print("std", s)
