"""A training script's launch as a rank sees it: prints its environment's rank and the
launcher's arguments; its value is x + rank, plus 100 x nnodes + 10 x nproc_per_node +
node_rank when a launcher's arguments are given, and +1000 for a rendezvous endpoint host:port."""

from __future__ import annotations

import argparse
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float, required=True)
parser.add_argument("--nnodes", type=int)
parser.add_argument("--nproc-per-node", type=int)
parser.add_argument("--node-rank", type=int)
parser.add_argument("--rdzv-endpoint")
args = parser.parse_args()
rank = int(os.environ.get("RANK", "0"))
seen = {k: os.environ.get(k) for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR")}
print(json.dumps({"seen": seen, "launcher": vars(args)}), flush=True)
value = args.x + rank
if args.nnodes is not None:
    value += 100 * args.nnodes + 10 * args.nproc_per_node + args.node_rank
    host, _, port = args.rdzv_endpoint.rpartition(":")
    value += 1000 if host and port.isdigit() else 0
print(json.dumps({"value": value}), flush=True)
