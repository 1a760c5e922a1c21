"""`python bench/run.py [--quick] [...]`: the same benchmark as `drumaae bench`.

    python bench/run.py            # full table (default recipe), as in docs/benchmarks.md
    python bench/run.py --quick    # tiny recipe, seconds

Options are those of `drumaae bench --help`.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None) -> None:
    from drumaae_cli.main import cli

    cli(["bench", *(sys.argv[1:] if argv is None else argv)], prog_name="drumaae")


if __name__ == "__main__":
    main()
