"""`python -m drumaae_bench.rss CMD...`: run CMD, print one JSON line with its exit status,
wall seconds, peak resident memory (``ru_maxrss`` of the child, KiB) and stderr's tail.

A process of its own, so `RUSAGE_CHILDREN` counts only CMD (and not the benchmark's own
memory, or other children the benchmark started before).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main(argv: list[str] | None = None) -> None:
    cmd = sys.argv[1:] if argv is None else argv
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"rc": proc.returncode, "wall_s": wall, "maxrss_kb": peak,
                      "stdout": proc.stdout[-4000:], "stderr": proc.stderr[-2000:]}))


if __name__ == "__main__":
    main()
