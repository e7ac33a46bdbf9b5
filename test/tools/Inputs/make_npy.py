"""Writes good and broken .npy files into the directory given as argv[1]."""
import os
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng()


def save(name, array):
    np.save(os.path.join(out, name), array)


save("q.npy", rng.standard_normal((1, 2, 3, 8)).astype(np.float32))
save("k.npy", rng.standard_normal((1, 2, 5, 8)).astype(np.float32))
save("v.npy", rng.standard_normal((1, 2, 5, 8)).astype(np.float32))
save("q_f64.npy", rng.standard_normal((1, 2, 3, 8)))
save("q_rank3.npy", rng.standard_normal((2, 3, 8)).astype(np.float32))
save("q_shape.npy", rng.standard_normal((1, 2, 4, 8)).astype(np.float32))
cancel = np.ones(64, np.float32)
cancel[0], cancel[-1] = 1e8, -1e8
save("cancel.npy", cancel)
save("q_fortran.npy", np.asfortranarray(rng.standard_normal((1, 2, 3, 8)).astype(np.float32)))

with open(os.path.join(out, "q.npy"), "rb") as f:
    good = f.read()
with open(os.path.join(out, "truncated.npy"), "wb") as f:
    f.write(good[:-10])
with open(os.path.join(out, "bad_magic.npy"), "wb") as f:
    f.write(b"NOTNUMPY" + good[8:])
with open(os.path.join(out, "bad_header.npy"), "wb") as f:
    f.write(good.replace(b"'shape': (1, 2, 3, 8)", b"'shape': [1, 2, 3, 8]"))

# Token ids for a gate table of 5 rows: one good, two out of range.
save("ids_good.npy", np.array([[0, 4, 2]], dtype=np.int32))
save("ids_high.npy", np.array([[0, 5, 2]], dtype=np.int32))
save("ids_negative.npy", np.array([[0, 1, -3]], dtype=np.int64))
save("latent.npy", rng.standard_normal((1, 3, 2)).astype(np.float32))
save("table.npy", rng.standard_normal((5, 4)).astype(np.float32))
save("w_u.npy", rng.standard_normal((2, 4)).astype(np.float32))
save("norm_w.npy", rng.standard_normal((4,)).astype(np.float32))
