"""Start-up: `tanfwatch run --once` with an empty config, against bare Python in the same run.

    .venv/bin/python benchmarks/bench_startup.py [--runs 5]

Each round runs, as fresh processes: `python -c pass` (the interpreter alone), `python -c
"import sqlite_utils"` (the archive's library, a floor for any command that opens it) and
`tanfwatch run --once` on a config with no sources and a fresh archive each time (so the
migrations and the seeding are counted). Printed: the median wall time of each, the ratios
to the two baselines, and the heaviest top-level imports of `run --once` (-X importtime).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable


def _timed(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _imports(env: dict[str, str]) -> list[tuple[int, str]]:
    out = subprocess.run([PYTHON, "-X", "importtime", "-m", "bot", "run", "--once"], env=env,
                         capture_output=True, text=True, check=True).stderr
    rows = []
    for line in out.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        if depth > 1:  # what `bot` imports directly, and their own imports
            continue
        if cumulative.strip().isdigit():
            rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "empty.toml"
        config.write_text("[tanfwatch]\n", "utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TANFWATCH_"))}
        env["TANFWATCH_CONFIG"] = str(config)
        times: dict[str, list[float]] = {"python -c pass": [], "import sqlite_utils": [],
                                         "run --once": []}
        for i in range(runs):
            env["TANFWATCH_DB"] = str(Path(tmp) / f"a{i}.db")
            times["python -c pass"].append(_timed([PYTHON, "-c", "pass"], env))
            times["import sqlite_utils"].append(_timed([PYTHON, "-c", "import sqlite_utils"], env))
            times["run --once"].append(_timed([PYTHON, "-m", "bot", "run", "--once"], env))
        env["TANFWATCH_DB"] = str(Path(tmp) / "imports.db")
        heavy = _imports(env)
    med = {k: statistics.median(v) for k, v in times.items()}
    for name, value in med.items():
        print(f"{name:22} median {value * 1000:7.0f} ms over {runs} runs")
    once = med["run --once"]
    print(f"run --once / python -c pass:       {once / med['python -c pass']:.1f}x")
    print(f"run --once / import sqlite_utils:  {once / med['import sqlite_utils']:.1f}x")
    print("heaviest top-level imports of run --once (cumulative):")
    for micros, name in heavy:
        print(f"  {micros / 1000:7.0f} ms  {name}")


if __name__ == "__main__":
    main()
