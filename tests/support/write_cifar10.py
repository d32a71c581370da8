#!/usr/bin/python3
"""Writes a tiny CIFAR-10 folder in the binary format (data_batch_1..5.bin, test_batch.bin):
each record is 1 label byte, then the R, G and B planes of 32x32 row-major bytes. Each class is
a colour and a stripe pattern plus Gaussian noise, from a fixed numpy seed, so a network can
learn it in a few epochs.

    /usr/bin/python3 tests/support/write_cifar10.py OUT_DIR [TRAIN_PER_FILE [TEST [SEED]]]
"""
import os
import sys

import numpy as np


def write(out, train_per_file=60, test=100, seed=20240501):
    os.makedirs(out)
    rng = np.random.default_rng(seed)
    colour = rng.integers(40, 216, size=(10, 3))
    y, x = np.mgrid[0:32, 0:32]
    stripes = [(y // 4) % 2, (x // 4) % 2, ((y + x) // 4) % 2, (y // 8) % 2, (x // 8) % 2,
               np.ones_like(y), ((y - x) // 6) % 2, y < 16, x < 16, (y // 4 + x // 4) % 2]

    def records(n):
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        images = np.empty((n, 3, 32, 32))
        for i, c in enumerate(labels):
            pattern = 2.0 * stripes[c] - 1.0
            images[i] = colour[c][:, None, None] + 30 * pattern + rng.normal(0, 35, (3, 32, 32))
        pixels = np.clip(np.rint(images), 0, 255).astype(np.uint8).reshape(n, -1)
        return np.concatenate([labels[:, None], pixels], axis=1).tobytes()

    for k in range(1, 6):
        with open(os.path.join(out, f"data_batch_{k}.bin"), "wb") as f:
            f.write(records(train_per_file))
    with open(os.path.join(out, "test_batch.bin"), "wb") as f:
        f.write(records(test))


if __name__ == "__main__":
    if not 2 <= len(sys.argv) <= 5:
        sys.exit(__doc__)
    write(sys.argv[1], *[int(a) for a in sys.argv[2:]])
