"""Benchmark: how fast the CLI starts, against importing msgraph-sdk, in one run.

``sendscope --version`` and ``sendscope send --help`` against ``python -c "import msgraph"``
(the time any tool built on Microsoft's Graph SDK pays before doing anything). Targets:
``--version`` ≤ 0.5×, ``send --help`` ≤ 1.0×. Runs are interleaved; medians are reported.

    python bench/cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "import msgraph": [sys.executable, "-c", "import msgraph"],
    "sendscope --version": [sys.executable, "-m", "sendscope", "--version"],
    "sendscope send --help": [sys.executable, "-m", "sendscope", "send", "--help"],
}
TARGETS = {"sendscope --version": 0.5, "sendscope send --help": 1.0}


def once(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if shutil.which(sys.executable) is None:
        return 2
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for name, cmd in COMMANDS.items():
        once(cmd)  # warm the file cache
        del name
    for _ in range(args.runs):
        for name, cmd in COMMANDS.items():
            times[name].append(once(cmd))
    base = statistics.median(times["import msgraph"])
    print(f"{args.runs} interleaved runs each; median seconds")
    ok = True
    for name, runs in times.items():
        median = statistics.median(runs)
        target = TARGETS.get(name)
        ratio = median / base
        verdict = (
            ""
            if target is None
            else (f"  target ≤ {target}×: {'met' if ratio <= target else 'MISSED'}")
        )
        ok &= target is None or ratio <= target
        print(f"{name:24}{median:8.3f} s{ratio:8.2f}×{verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
