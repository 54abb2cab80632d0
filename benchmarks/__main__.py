"""Run every ``benchmarks/bench_*.py`` module's ``main()`` (``python -m benchmarks [name ...]``)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Run the named benchmark modules (``models`` for ``bench_models``), or all of them."""
    wanted = set(sys.argv[1:] if argv is None else argv)
    here = Path(__file__).resolve().parent
    for path in sorted(here.glob("bench_*.py")):
        name = path.stem
        if wanted and name not in wanted and name.removeprefix("bench_") not in wanted:
            continue
        print(f"== {name}", flush=True)
        module = importlib.import_module(f"benchmarks.{name}")
        module.main()
        print(flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
