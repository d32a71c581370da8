"""Writes the small IDX files of the bad-input corpus (tests/corpus/bad/idx/) and, at test time,
the HDF5 files that are not worth committing.

    /usr/bin/python3 tests/corpus/make_corpus.py idx DIR        # the committed IDX files
    /usr/bin/python3 tests/corpus/make_corpus.py h5 DIR RUN.h5 SWEEP.h5
        # foreign.h5 (an HDF5 file not written by reglab), newer-run.h5 / newer-sweep.h5 (copies of
        # real reglab files whose format_version claims a newer format), truncated.h5 (the first
        # half of RUN.h5), empty.h5 (0 bytes), bad-config-run.h5 (RUN.h5 with an invalid stored
        # configuration), ckpt_garbage.h5.ckpt and ckpt_checksum.h5.ckpt (broken checkpoints)
    /usr/bin/python3 tests/corpus/make_corpus.py bump FILE.h5
        # sets format_version to 99 in place

The IDX files are deterministic: rerunning the first command reproduces them byte for byte. A
valid set (train-images, train-labels, test-images, test-labels: 20 and 10 images of 6 x 6
pixels, labels 0..9) is what every bad case changes one thing of.
"""
import gzip
import os
import shutil
import struct
import sys

ROWS = COLS = 6
N_TRAIN, N_TEST = 20, 10


def idx(type_code, dims, payload):
    """An IDX file: magic 0x0000 TT NN, big-endian uint32 dimensions, then the payload."""
    return struct.pack(">BBBB", 0, 0, type_code, len(dims)) + b"".join(
        struct.pack(">I", d) for d in dims) + payload


def images(n, rows=ROWS, cols=COLS):
    return bytes((7 * i + 3 * j) % 256 for i in range(n) for j in range(rows * cols))


def labels(n):
    return bytes(i % 10 for i in range(n))


def write(folder, name, data):
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def gzip_bytes(data):
    # mtime=0 and no file name: the same bytes on every run.
    return gzip.compress(data, compresslevel=9, mtime=0)


def make_idx(folder):
    os.makedirs(folder, exist_ok=True)
    train_images = idx(8, [N_TRAIN, ROWS, COLS], images(N_TRAIN))
    write(folder, "train-images", train_images)
    write(folder, "train-labels", idx(8, [N_TRAIN], labels(N_TRAIN)))
    write(folder, "test-images", idx(8, [N_TEST, ROWS, COLS], images(N_TEST)))
    write(folder, "test-labels", idx(8, [N_TEST], labels(N_TEST)))
    # Bad images.
    write(folder, "bad-magic-images", b"PK\x03\x04" + train_images[4:])
    write(folder, "float-images", idx(0x0D, [N_TRAIN, ROWS, COLS], images(N_TRAIN)))
    write(folder, "flat-images", idx(8, [N_TRAIN, ROWS * COLS], images(N_TRAIN)))
    write(folder, "zero-count-images", idx(8, [0, ROWS, COLS], b""))
    write(folder, "huge-dims-images", idx(8, [0xFFFFFFFF, 1000, 1000], images(2)))
    write(folder, "five-dims-images", struct.pack(">BBBB", 0, 0, 8, 5) + b"\0\0\0\1" * 5 + b"x")
    write(folder, "truncated-images", train_images[:16 + 100])
    write(folder, "truncated-header-images", train_images[:10])
    write(folder, "trailing-images", train_images + b"extra")
    write(folder, "empty-images", b"")
    write(folder, "test-images-8x8", idx(8, [N_TEST, 8, 8], images(N_TEST, 8, 8)))
    gz = gzip_bytes(train_images)
    write(folder, "truncated-images.gz", gz[: len(gz) // 2])
    corrupt = bytearray(gz)
    corrupt[-6] ^= 0xFF  # inside the CRC-32 of the gzip trailer
    write(folder, "crc-images.gz", bytes(corrupt))
    # Bad labels.
    write(folder, "labels-19", idx(8, [N_TRAIN - 1], labels(N_TRAIN - 1)))
    out_of_range = bytearray(labels(N_TRAIN))
    out_of_range[7] = 10
    write(folder, "labels-out-of-range", idx(8, [N_TRAIN], bytes(out_of_range)))
    write(folder, "labels-3d", idx(8, [N_TRAIN, 1, 1], labels(N_TRAIN)))


def make_h5(folder, run_file, sweep_file):
    import h5py
    import numpy as np

    os.makedirs(folder, exist_ok=True)
    with h5py.File(os.path.join(folder, "foreign.h5"), "w") as f:
        f.attrs["creator"] = "not reglab"
        f.create_dataset("data", data=np.arange(12.0).reshape(3, 4))
        f.create_group("runs")
    for src, name in ((run_file, "newer-run.h5"), (sweep_file, "newer-sweep.h5")):
        dst = os.path.join(folder, name)
        shutil.copyfile(src, dst)
        bump(dst)
    with open(run_file, "rb") as f:
        data = f.read()
    write(folder, "truncated.h5", data[: len(data) // 2])
    write(folder, "empty.h5", b"")
    # A valid file whose stored run configuration is invalid: `verify` reruns it and must fail
    # with exit 2 (and clean up its temporary folder).
    dst = os.path.join(folder, "bad-config-run.h5")
    shutil.copyfile(run_file, dst)
    with h5py.File(dst, "r+") as f:
        for run in f["runs"].values():
            config = run.attrs["config"]
            run.attrs["config"] = config.replace("learning_rate: 0.1", "learning_rate: -1")
            assert run.attrs["config"] != config, "no learning_rate: 0.1 in the stored config"
    make_checkpoints(folder)


def make_checkpoints(folder):
    """Broken checkpoints (train/checkpoint.hpp: "RLCKPT01", entries, SHA-256 of all before it)
    next to the outputs of bad/ckpt_garbage.yaml and bad/ckpt_checksum.yaml."""
    import hashlib

    write(folder, "ckpt_garbage.h5.ckpt", bytes((i * 37 + 11) % 256 for i in range(300)))
    body = b"RLCKPT01" + struct.pack("<I", 6) + b"run/id" + struct.pack("<Q", 12) + b"0123456789ab"
    digest = bytearray(hashlib.sha256(body).digest())
    digest[0] ^= 1
    write(folder, "ckpt_checksum.h5.ckpt", body + bytes(digest))


def bump(path):
    """Sets format_version to 99 in place: the file claims a newer format."""
    import h5py
    import numpy as np

    with h5py.File(path, "r+") as f:
        f.attrs["format_version"] = np.int64(99)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "idx":
        make_idx(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "h5":
        make_h5(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 3 and sys.argv[1] == "bump":
        bump(sys.argv[2])
    else:
        sys.exit(__doc__)
