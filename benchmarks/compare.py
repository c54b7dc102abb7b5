"""Cold and warm builds of giving beside Hugo and Eleventy on the same corpus, in alternation, with ratios.

    python benchmarks/compare.py --sizes 100,1000,4000 --runs 5

Peers: Hugo from Debian (`apt-get install hugo`), Eleventy from npm (`npm ci --prefix benchmarks/node`).
A peer that is not installed is skipped with a note. The corpus comes from the shared
`make_corpus.py` (default: ../shared/bench/make_corpus.py beside the project). Each run is timed as a
whole process, start-up included; peak memory is the child's maximum resident set (from wait4).
Absolute times are noisy on shared machines: the ratios, measured in one run, are what count.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS_SCRIPT = ROOT.parent / "shared" / "bench" / "make_corpus.py"
ELEVENTY = HERE / "node" / "node_modules" / ".bin" / "eleventy"


def run(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Seconds and peak MiB of one command run to completion; fails loudly if it fails."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{stderr[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def make_sites(n: int, base: Path) -> dict[str, Path]:
    corpus = base / "corpus"
    subprocess.run([sys.executable, str(CORPUS_SCRIPT), str(n), str(corpus)], check=True,
                   stdout=subprocess.DEVNULL)
    sites = {}
    giving = base / "giving"
    shutil.copytree(corpus, giving / "content" / "posts")
    (giving / "site.toml").write_text('title = "Bench"\nbase_url = "https://bench.example/"\n', "utf-8")
    sites["giving"] = giving
    if shutil.which("hugo"):
        hugo = base / "hugo"
        shutil.copytree(HERE / "peers" / "hugo", hugo)
        shutil.copytree(corpus, hugo / "content" / "posts")
        sites["hugo"] = hugo
    if ELEVENTY.exists():
        eleventy = base / "eleventy"
        shutil.copytree(HERE / "peers" / "eleventy", eleventy)
        shutil.copytree(corpus, eleventy / "posts")
        shutil.move(eleventy / "posts.11tydata.js", eleventy / "posts" / "posts.11tydata.js")
        sites["eleventy"] = eleventy
    return sites


def commands(name: str, site: Path) -> tuple[list[str], Path]:
    if name == "giving":
        return [sys.executable, "-m", "generator", "build", "--site", str(site), "--out", str(site / "public")], site
    if name == "hugo":
        return ["hugo", "--quiet", "--destination", str(site / "public")], site
    return [str(ELEVENTY), "--quiet"], site


def clean(name: str, site: Path) -> None:
    for out in ("public", "_site", "resources", ".giving-cache"):
        shutil.rmtree(site / out, ignore_errors=True)


def bench_size(n: int, runs: int, base: Path) -> dict[str, dict[str, float]]:
    sites = make_sites(n, base)
    times: dict[str, list[float]] = {name: [] for name in sites}
    memory: dict[str, float] = {name: 0.0 for name in sites}
    warm: list[float] = []
    edited: list[float] = []
    for _ in range(runs):
        for name, site in sites.items():  # alternate, so drift hits every generator alike
            clean(name, site)
            cmd, cwd = commands(name, site)
            seconds, mib = run(cmd, cwd)
            times[name].append(seconds)
            memory[name] = max(memory[name], mib)
        cmd, cwd = commands("giving", sites["giving"])
        warm.append(run(cmd, cwd)[0])
        post = sorted((sites["giving"] / "content" / "posts").glob("*.md"))[n // 2]
        post.write_text(post.read_text("utf-8") + f"\nAn edit at {time.perf_counter()}.\n", "utf-8")
        edited.append(run(cmd, cwd)[0])
    result = {name: {"median": statistics.median(v), "mib": memory[name]} for name, v in times.items()}
    result["giving warm"] = {"median": statistics.median(warm), "mib": 0.0}
    result["giving one edit"] = {"median": statistics.median(edited), "mib": 0.0}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000", help="comma-separated post counts")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the generated sites")
    args = parser.parse_args()
    if not CORPUS_SCRIPT.exists():
        raise SystemExit(f"corpus script not found at {CORPUS_SCRIPT}")
    print(f"giving vs peers, median of {args.runs} runs, cold builds unless noted\n")
    print(f"| posts | generator | median s | peak MiB | giving / this |")
    print(f"| --- | --- | --- | --- | --- |")
    for n in (int(s) for s in args.sizes.split(",")):
        base = Path(tempfile.mkdtemp(prefix=f"giving-bench-{n}-"))
        try:
            result = bench_size(n, args.runs, base)
        finally:
            if not args.keep:
                shutil.rmtree(base, ignore_errors=True)
        ours = result["giving"]["median"]
        for name, row in result.items():
            ratio = f"{ours / row['median']:.2f}" if not name.startswith("giving") else (
                f"{row['median'] / ours:.2f} of cold" if name != "giving" else "1.00")
            mib = f"{row['mib']:.0f}" if row["mib"] else ""
            print(f"| {n} | {name} | {row['median']:.2f} | {mib} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
