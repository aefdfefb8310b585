"""The example sweep's training script: fit a line by gradient descent with momentum.

sweeps/example.yaml runs it once per trial, unchanged, as
``python train.py --lr 0.05 --momentum 0.9 --epochs 10``. It reports the validation loss
each epoch (so the sweep's pruner can stop a poor trial early) and prints the result as a JSON
line. Run by hand, outside a sweep, ``client`` does nothing. Replace it with your own script.
"""

from __future__ import annotations

import argparse
import json
import random

from sweeps import client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--momentum", type=float, default=0.5)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    xs = [rng.uniform(-1, 1) for _ in range(64)]
    data = [(x, 3.0 * x - 0.5 + rng.gauss(0, 0.1)) for x in xs]
    train, val = data[:48], data[48:]
    w = b = vw = vb = 0.0
    loss = float("inf")
    for epoch in range(1, args.epochs + 1):
        for x, y in train:
            error = w * x + b - y
            vw = args.momentum * vw - args.lr * error * x
            vb = args.momentum * vb - args.lr * error
            w, b = w + vw, b + vb
        loss = sum((w * x + b - y) ** 2 for x, y in val) / len(val)
        client.report(loss, epoch)
        if client.should_prune():
            return  # the sweep records this trial as pruned
    print(json.dumps({"val_loss": loss}))


if __name__ == "__main__":
    main()
