#!/usr/bin/env python3
"""Energy distance of 2-D samples (.npy, n x 2) to a fresh draw of 8gaussians (Panflow's
EightGaussians: centers (4/1.414)(cos k pi/4, sin k pi/4), std 0.5/1.414), and the floor: two
fresh draws of the same size. Usage: energy_8gaussians.py SAMPLES.npy [seed]"""
import sys
import numpy as np

def draw(rng, n):
    k = rng.integers(0, 8, n)
    r, s = 4 / 1.414, 0.5 / 1.414
    return np.stack([r * np.cos(k * np.pi / 4), r * np.sin(k * np.pi / 4)], 1) + s * rng.standard_normal((n, 2))

def mean_dist(a, b):
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)).mean()

def energy(x, y):
    return 2 * mean_dist(x, y) - mean_dist(x, x) - mean_dist(y, y)

x = np.load(sys.argv[1]).astype(np.float64)[:2000]
rng = np.random.default_rng(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
print('energy %.4f (floor %.4f)' % (energy(x, draw(rng, len(x))), energy(draw(rng, len(x)), draw(rng, len(x)))))
