"""A training script that catches Ctrl-C and still prints a result (as some do): on a slot's
first attempt a Ctrl-C reaches it and the trial process that runs it (SIGINT to both, as a
terminal sends it to the group); later attempts print their result at once."""

import json
import os
import signal
import sys
import time
from pathlib import Path

checkpoints = Path(os.environ["SWEEPS_CHECKPOINT_DIR"])
checkpoints.mkdir(parents=True, exist_ok=True)
marker = checkpoints / "interrupted"
if not marker.exists():
    marker.write_text("1")
    try:
        os.kill(os.getppid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(10)
    except KeyboardInterrupt:
        print(json.dumps({"value": -1.0}), flush=True)  # a partial result, "saved on Ctrl-C"
        sys.exit(0)
print(json.dumps({"value": float(sys.argv[1])}), flush=True)
