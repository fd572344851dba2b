"""Reads safetensors files as Python does and prints one JSON line per file: the reader used,
the metadata, and per tensor its dtype, shape, element count and float64 sum.

With the `safetensors` package (and numpy) installed it uses safetensors.safe_open, the reference
reader. Without it, it parses the format with the standard library alone, with the reference's
checks: 8-byte little-endian header length, a UTF-8 JSON header, string metadata, F32 tensors
whose data_offsets tile the data block exactly (no gap, no overlap, nothing left over), and
finite values.
"""
import json
import math
import struct
import sys


def read_reference(path):
    import numpy  # noqa: F401  (safe_open's numpy framework needs it)
    from safetensors import safe_open
    out = {}
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
        for name in f.keys():
            a = f.get_tensor(name)
            if not numpy.isfinite(a).all():
                raise ValueError(name + " holds a non-finite value")
            out[name] = {"dtype": str(a.dtype), "shape": list(a.shape), "n": int(a.size), "sum": float(a.astype("float64").sum())}
    return "safetensors", meta, out


def read_stdlib(path):
    with open(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 8:
        raise ValueError("shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError("header length %d does not fit" % n)
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise ValueError("metadata must map strings to strings")
    spans = []
    out = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise ValueError(name + ": dtype " + info["dtype"])
        begin, end = info["data_offsets"]
        count = 1
        for d in info["shape"]:
            count *= d
        if end - begin != 4 * count:
            raise ValueError(name + ": %d bytes for shape %s" % (end - begin, info["shape"]))
        values = struct.unpack("<%df" % count, data[begin:end])
        if not all(math.isfinite(v) for v in values):
            raise ValueError(name + " holds a non-finite value")
        spans.append((begin, end))
        out[name] = {"dtype": "float32", "shape": list(info["shape"]), "n": count, "sum": math.fsum(values)}
    spans.sort()
    at = 0
    for begin, end in spans:
        if begin != at:
            raise ValueError("data_offsets leave a gap or overlap at byte %d" % at)
        at = end
    if at != len(data):
        raise ValueError("%d bytes after the last tensor" % (len(data) - at))
    return "stdlib", meta, out


def main():
    try:
        import numpy  # noqa: F401
        import safetensors  # noqa: F401
        reader = read_reference
    except ImportError:
        reader = read_stdlib
    for path in sys.argv[1:]:
        used, meta, tensors = reader(path)
        print(json.dumps({"file": path, "reader": used, "metadata": meta, "tensors": tensors}))


if __name__ == "__main__":
    main()
