"""giving beside Hugo, Eleventy and Pelican on the same corpus, in alternation, with medians and ratios.

    python benchmarks/run.py                       # 100, 1,000 and 4,000 posts, 5 runs each
    python benchmarks/run.py --sizes 100 --runs 1  # a quick look
    python benchmarks/run.py --peers hugo          # only some peers

Peers are found or installed: Hugo from Debian (`apt-get install hugo`, when run as root), Eleventy from
npm (`npm ci --prefix benchmarks/node`), Pelican from PyPI into its own venv under benchmarks/.work/ (never
the project's). A peer that cannot be had is skipped with a note. The corpus comes from the shared
`make_corpus.py` (../shared/bench/ beside the project). giving runs from a snapshot of this checkout copied
into benchmarks/.work/, so edits made while the benchmark runs do not change what is measured.

Every run is a whole process, start-up included, timed from outside; peak memory is the largest resident
set of the process or any of its workers (from wait4). Within one round every generator builds once,
one after the other, so drift on a shared machine hits them alike: ratios measured in one run count, the
absolute seconds are noisy. giving's site turns social cards off, since none of the peers makes them.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
CORPUS_SCRIPT = ROOT.parent / "shared" / "bench" / "make_corpus.py"
ELEVENTY = HERE / "node" / "node_modules" / ".bin" / "eleventy"
PELICAN_VENV = WORK / "pelican-venv"
PELICAN = PELICAN_VENV / "bin" / "pelican"
SNAPSHOT = WORK / "giving-src"

GIVING_TOML = 'title = "Bench"\nbase_url = "https://bench.example/"\n\n[images]\ncards = false\n'
PELICAN_CONF = '''AUTHOR = "Bench"
SITENAME = "Bench"
SITEURL = "https://bench.example"
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 10
FEED_ALL_ATOM = "feeds/all.atom.xml"
SLUGIFY_SOURCE = "basename"  # the corpus repeats titles; file names are unique
ARTICLE_URL = "{slug}/"
ARTICLE_SAVE_AS = "{slug}/index.html"
'''


# -- peers ------------------------------------------------------------------------------------------------

def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def find_peers(wanted: set[str], install: bool) -> dict[str, list[str]]:
    """name -> command prefix for each peer that is here (or could be installed)."""
    peers: dict[str, list[str]] = {}
    if "hugo" in wanted:
        if not shutil.which("hugo") and install and os.geteuid() == 0 and shutil.which("apt-get"):
            say("installing hugo from Debian ...")
            subprocess.run(["apt-get", "update", "-qq"], check=False)
            subprocess.run(["apt-get", "install", "-y", "-qq", "hugo"], check=False, stdout=subprocess.DEVNULL)
        if shutil.which("hugo"):
            peers["hugo"] = ["hugo"]
        else:
            say("skipping Hugo: not installed (apt-get install hugo)")
    if "eleventy" in wanted:
        if not ELEVENTY.exists() and install and shutil.which("npm"):
            say("installing Eleventy from npm ...")
            subprocess.run(["npm", "ci", "--prefix", str(HERE / "node")], check=False, stdout=subprocess.DEVNULL)
        if ELEVENTY.exists():
            peers["eleventy"] = [str(ELEVENTY)]
        else:
            say("skipping Eleventy: run npm ci --prefix benchmarks/node")
    if "pelican" in wanted:
        if not PELICAN.exists() and install:
            say("installing Pelican from PyPI into benchmarks/.work/pelican-venv ...")
            subprocess.run([sys.executable, "-m", "venv", str(PELICAN_VENV)], check=False)
            subprocess.run([str(PELICAN_VENV / "bin" / "pip"), "install", "-q", "pelican", "markdown"], check=False)
        if PELICAN.exists():
            peers["pelican"] = [str(PELICAN)]
        else:
            say("skipping Pelican: pip install pelican markdown (in its own venv)")
    return peers


def version_of(name: str, cmd: list[str]) -> str:
    args = {"hugo": ["version"], "eleventy": ["--version"], "pelican": ["--version"]}[name]
    try:
        out = subprocess.run(cmd + args, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return out.split()[1] if name == "hugo" and len(out.split()) > 1 else out.splitlines()[0] if out else "?"


def snapshot() -> Path:
    """A copy of generator/ and themes/ as they are now: what this benchmark measures."""
    shutil.rmtree(SNAPSHOT, ignore_errors=True)
    for part in ("generator", "themes"):
        shutil.copytree(ROOT / part, SNAPSHOT / part, ignore=shutil.ignore_patterns("__pycache__"))
    # Bytecode, as pip writes it when it installs giving: without it every run would compile giving's
    # source again (about 0.2 s), and PYTHONDONTWRITEBYTECODE, if set, would keep it so.
    compileall.compile_dir(str(SNAPSHOT / "generator"), quiet=1)
    return SNAPSHOT


# -- sites and runs -------------------------------------------------------------------------------------

def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Seconds, peak MiB and CPU seconds (user + system, its workers included: wait4 counts the children a
    process waited for) of one command run to completion; fails loudly if it fails."""
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: giving prints thousands of warnings
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{err.read().decode(errors='replace')[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def make_sites(n: int, base: Path, peers: dict[str, list[str]], rule_ids: list[str]) -> dict[str, Path]:
    corpus = base / "corpus"
    subprocess.run([sys.executable, str(CORPUS_SCRIPT), str(n), str(corpus)], check=True, stdout=subprocess.DEVNULL)
    sites = {}
    for name, toml in (("giving", GIVING_TOML),
                       ("giving, checks off", GIVING_TOML + "\n[checks]\n" + "".join(f'{r} = "off"\n' for r in rule_ids))):
        site = base / name.replace(", ", "-").replace(" ", "-")
        shutil.copytree(corpus, site / "content" / "posts")
        (site / "site.toml").write_text(toml, "utf-8")
        sites[name] = site
    if "hugo" in peers:
        shutil.copytree(HERE / "peers" / "hugo", base / "hugo")
        shutil.copytree(corpus, base / "hugo" / "content" / "posts")
        sites["hugo"] = base / "hugo"
    if "eleventy" in peers:
        eleventy = base / "eleventy"
        shutil.copytree(HERE / "peers" / "eleventy", eleventy)
        shutil.copytree(corpus, eleventy / "posts")
        shutil.move(eleventy / "posts.11tydata.js", eleventy / "posts" / "posts.11tydata.js")
        sites["eleventy"] = eleventy
    if "pelican" in peers:
        pelican = base / "pelican"
        shutil.copytree(corpus, pelican / "content")
        (pelican / "pelicanconf.py").write_text(PELICAN_CONF, "utf-8")
        sites["pelican"] = pelican
    return sites


def command(name: str, site: Path, peers: dict[str, list[str]], src: Path) -> tuple[list[str], dict | None]:
    if name.startswith("giving"):
        env = {**os.environ, "PYTHONPATH": str(src)}
        env.pop("GIVING_CACHE_DIR", None)
        return [sys.executable, "-m", "generator", "build", "--site", str(site), "--out", str(site / "public")], env
    if name == "hugo":
        return peers["hugo"] + ["--quiet", "--destination", str(site / "public")], None
    if name == "eleventy":
        return peers["eleventy"] + ["--quiet"], None
    return peers["pelican"] + ["-q", "-s", str(site / "pelicanconf.py"), "-o", str(site / "output"),
                               str(site / "content")], None


def clean(site: Path) -> None:
    for out in ("public", "_site", "output", "resources", ".giving-cache", "__pycache__"):
        shutil.rmtree(site / out, ignore_errors=True)


def bench_size(n: int, runs: int, base: Path, peers: dict[str, list[str]], src: Path,
               rule_ids: list[str]) -> dict[str, dict[str, float]]:
    sites = make_sites(n, base, peers, rule_ids)
    names = list(sites)
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    memory: dict[str, float] = {name: 0.0 for name in names}
    warm: list[float] = []
    edited: list[float] = []
    edit_mib = 0.0
    posts = sorted((sites["giving"] / "content" / "posts").glob("*.md"))
    for round_ in range(runs):
        for name in names:  # alternate, so drift hits every generator alike
            clean(sites[name])
            cmd, env = command(name, sites[name], peers, src)
            seconds, mib, used = run(cmd, sites[name], env)
            times[name].append(seconds)
            cpu[name].append(used)
            memory[name] = max(memory[name], mib)
        cmd, env = command("giving", sites["giving"], peers, src)
        warm.append(run(cmd, sites["giving"], env)[0])  # nothing changed
        post = posts[(n // 2 + round_) % len(posts)]
        post.write_text(post.read_text("utf-8") + f"\nAn edit for you, number {round_}.\n", "utf-8")
        seconds, mib, _ = run(cmd, sites["giving"], env)  # one post edited
        edited.append(seconds)
        edit_mib = max(edit_mib, mib)
        say(f"  {n} posts, round {round_ + 1}/{runs}: " +
            ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()) + f", warm {warm[-1]:.2f}s, edit {edited[-1]:.2f}s")
    result = {name: {"median": statistics.median(times[name]), "mib": memory[name], "cpu": statistics.median(cpu[name])}
              for name in names}
    result["giving warm (nothing changed)"] = {"median": statistics.median(warm), "mib": 0.0, "cpu": 0.0}
    result["giving one post edited"] = {"median": statistics.median(edited), "mib": edit_mib, "cpu": 0.0}
    return result


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return (f"{cores} cores ({cpu}), {platform.system()} {platform.machine()}, Python {platform.python_version()}, "
            f"load average {load:.1f} at the start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,4000", help="comma-separated post counts (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=5, help="rounds per size; the median is reported (default: 5)")
    parser.add_argument("--peers", default="hugo,eleventy,pelican", help="which peers (default: %(default)s)")
    parser.add_argument("--no-install", action="store_true", help="only use peers already installed")
    parser.add_argument("--keep", action="store_true", help="keep the generated sites (printed paths)")
    args = parser.parse_args()
    if not CORPUS_SCRIPT.exists():
        raise SystemExit(f"corpus script not found at {CORPUS_SCRIPT}")
    WORK.mkdir(parents=True, exist_ok=True)
    described = machine()  # before the runs: its load average is the one at the start
    peers = find_peers({p for p in args.peers.split(",") if p}, not args.no_install)
    src = snapshot()
    rule_ids = subprocess.run([sys.executable, "-c", "from generator.checks import RULES; print(*RULES)"],
                              capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(src)},
                              ).stdout.split()
    versions = {name: version_of(name, cmd) for name, cmd in peers.items()}
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, dict[str, float]]] = {}
    for n in sizes:
        base = Path(tempfile.mkdtemp(prefix=f"giving-bench-{n}-", dir=WORK))
        try:
            results[n] = bench_size(n, args.runs, base, peers, src, rule_ids)
        finally:
            if args.keep:
                say(f"kept {base}")
            else:
                shutil.rmtree(base, ignore_errors=True)

    print(f"Machine: {described}")
    print("Peers: " + (", ".join(f"{k} {v}" for k, v in versions.items()) or "none"))
    print(f"Median of {args.runs} runs per cell; whole processes, start-up included.\n")
    # CPU (user + system) beside the wall time: on a shared machine it drifts less, and it shows what a
    # build would cost on one core.
    print("| posts | generator | median s | median CPU s | peak MiB | giving / this |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    for n, result in results.items():
        ours = result["giving"]["median"]
        for name, row in result.items():
            mib = f"{row['mib']:.0f}" if row["mib"] else ""
            used = f"{row['cpu']:.2f}" if row["cpu"] else ""
            ratio = f"{ours / row['median']:.2f}" if not name.startswith("giving") else ""
            print(f"| {n:,} | {name} | {row['median']:.2f} | {used} | {mib} | {ratio} |")
    print("\n| ratio | posts | value | goal |")
    print("| --- | ---: | ---: | --- |")
    for n, result in results.items():
        ours = result["giving"]["median"]
        if "hugo" in result:
            goal = "< 1.5" if n <= 100 else "< 1.0"
            print(f"| giving / Hugo, cold | {n:,} | {ours / result['hugo']['median']:.2f} | {goal} |")
        if "eleventy" in result:
            print(f"| giving / Eleventy, cold | {n:,} | {ours / result['eleventy']['median']:.2f} | < 0.5 |")
        if "pelican" in result:
            print(f"| giving / Pelican, cold | {n:,} | {ours / result['pelican']['median']:.2f} | |")
        if "hugo" in result:
            print(f"| giving warm rebuild / Hugo cold | {n:,} | "
                  f"{result['giving warm (nothing changed)']['median'] / result['hugo']['median']:.2f} | <= 0.10 |")
        print(f"| giving one post edited / giving cold | {n:,} | "
              f"{result['giving one post edited']['median'] / ours:.2f} | <= 0.15 at 4,000 |")
        print(f"| giving checks on / checks off, cold | {n:,} | "
              f"{ours / result['giving, checks off']['median']:.2f} | <= 1.15 |")
        print(f"| giving checks on / checks off, CPU | {n:,} | "
              f"{result['giving']['cpu'] / result['giving, checks off']['cpu']:.2f} | |")
        print(f"| giving peak MiB, cold | {n:,} | {result['giving']['mib']:.0f} | < 300 at 4,000 |")
    if 1000 in results and 4000 in results:
        print(f"| giving 4,000 / 1,000 posts, cold | | "
              f"{results[4000]['giving']['median'] / results[1000]['giving']['median']:.2f} | <= 4.4 |")


if __name__ == "__main__":
    main()
