"""Writes the .npy fixtures read by Tests/TesselTests/NPYTests.swift (run from this folder; numpy 2.4).

Element i (row-major) of every accepted fixture is a known function of i, which the tests
compute in Swift: floats (i - 7) / 3 (computed in float64, then rounded to the dtype);
int32 (i - 7) * 1000003; int64 (i - 7) * 10000000019 (beyond 32 bits).
"""
import numpy as np
from numpy.lib import format as npy_format

SHAPES = {0: (), 1: (5,), 2: (2, 3), 3: (2, 3, 4)}


def values(dtype, shape):
    i = np.arange(int(np.prod(shape)), dtype=np.int64) - 7
    if dtype in ("<f4", "<f8"):
        return (i / 3).astype(dtype).reshape(shape)
    if dtype == "<i4":
        return (i * 1000003).astype(dtype).reshape(shape)
    return (i * 10000000019).astype(dtype).reshape(shape)


def save(name, array, version):
    with open(name, "wb") as f:
        npy_format.write_array(f, array, version=version)


for version in [(1, 0), (2, 0)]:
    for code in ["f4", "f8", "i4", "i8"]:
        for rank, shape in SHAPES.items():
            save(f"{code}_rank{rank}_v{version[0]}.npy", values("<" + code, shape), version)
save("f4_empty_v1.npy", np.zeros((0, 3), dtype="<f4"), (1, 0))

# Arrays NumPy writes that Tessel must refuse with a clear error.
save("reject_big_endian.npy", values("<f4", (2, 3)).astype(">f4"), (1, 0))
save("reject_fortran.npy", np.asfortranarray(values("<f8", (2, 3))), (1, 0))
save("reject_int16.npy", np.arange(6, dtype="<i2"), (1, 0))
save("reject_complex64.npy", np.arange(6, dtype="<c8"), (1, 0))
save("reject_bool.npy", np.array([True, False]), (1, 0))
save("reject_structured.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]), (1, 0))
save("reject_version3.npy", values("<f4", (2, 3)), (3, 0))
