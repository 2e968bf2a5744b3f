"""Writes h5py-fixture.h5, the file RuntimeHDF5Tests reads to check compatibility with h5py.

Run with h5py 3.x and numpy: python3 make_h5py_fixture.py (writes next to this script).
The file was generated with h5py 3.16.0 and numpy 2 (HDF5 1.14 inside h5py), default libver.
"""
import os

import h5py
import numpy as np

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "h5py-fixture.h5")
with h5py.File(path, "w") as f:
    f.attrs["title"] = np.bytes_(b"meters")  # fixed-length (6) ASCII string, NULLPAD
    f.attrs["name"] = "café"  # variable-length UTF-8 string
    f.attrs["rate"] = 0.25
    f.attrs["steps"] = np.int64(12)
    f.attrs["sizes"] = np.array([3, 4, 5], dtype=np.int32)
    f.attrs["weights"] = np.array([0.5, 1.5])
    g = f.create_group("data")
    g.create_dataset("f64", data=np.arange(6, dtype=np.float64).reshape(2, 3) / 4)
    g.create_dataset("i64", data=np.array([-5, 0, 7, 2**31 - 1], dtype=np.int64))
    g.create_dataset("mask", data=np.array([True, False, True]))  # enum FALSE/TRUE over int8
    g.create_dataset("fixed", data=np.array([b"ab", b"hello", b""], dtype="S5"))
    g.create_dataset("text", data=["naïve", "日本語", ""], dtype=h5py.string_dtype())
    g.create_dataset("f16", data=np.array([1.5, -2], dtype=np.float16))
    g.create_dataset("u8", data=np.array([[0, 200], [255, 7]], dtype=np.uint8))
    g.create_dataset("huge", data=np.array([1, 2**40], dtype=np.int64))  # does not fit in int32
    g["f64"].attrs["unit"] = np.bytes_(b"px")
