#!/usr/bin/env python3
"""Energy distance of conditional Fashion-MNIST samples to held-out images of their class.

Usage: energy_by_class.py SAMPLES.npy [CLASSES=10] [TEST_DIR]
Sample i has class i mod CLASSES (how `panflow sample` cycles through classes). Prints the mean
over classes of the energy distance E = 2E|X-Y| - E|X-X'| - E|Y-Y'| between the class's samples
and 500 test images of that class (pixels in [-1, 1]), the same against all test images of the
other classes (a model that ignores its label scores about as well on both), and the floor:
two disjoint draws of test images of the class (500 vs as many as there are samples).
"""
import gzip, os, sys
import numpy as np

def idx(path):
    with gzip.open(path) if path.endswith('.gz') else open(path, 'rb') as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)

def mean_dist(a, b):
    aa = (a * a).sum(1)[:, None]; bb = (b * b).sum(1)[None, :]
    return np.sqrt(np.maximum(aa + bb - 2 * a @ b.T, 0)).mean()

def energy(x, y):
    return 2 * mean_dist(x, y) - mean_dist(x, x) - mean_dist(y, y)

def main():
    s = np.load(sys.argv[1]).reshape(-1, 784).astype(np.float64)
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    d = sys.argv[3] if len(sys.argv) > 3 else '/usr/share/datasets/fashion-mnist'
    img = idx(os.path.join(d, 't10k-images-idx3-ubyte.gz')).reshape(-1, 784) / 127.5 - 1
    lab = idx(os.path.join(d, 't10k-labels-idx1-ubyte.gz'))
    own, other, floor = [], [], []
    for c in range(k):
        xs = s[c::k]
        ref = img[lab == c]
        own.append(energy(xs, ref[:500]))
        other.append(energy(xs, img[lab != c][:500]))
        floor.append(energy(ref[500:500 + len(xs)], ref[:500]))
    print('class energy %.2f  other-class energy %.2f  floor %.2f' % (np.mean(own), np.mean(other), np.mean(floor)))

if __name__ == '__main__':
    main()
