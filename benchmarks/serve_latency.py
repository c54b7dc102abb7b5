"""Save-to-reload-event latency of `giving serve`: the time from writing a post to the browser's event.

Starts the preview server (watchdog, default debounce) on a copy of the sample site and on a generated
corpus, listens on /_giving/events like a browser showing the post, edits that post N times and reports
the median time to the event that reloads it (the quick build of the pages in view), the time of the
full rebuild that follows, and the time to the editorial findings.

    python benchmarks/serve_latency.py [--runs 20] [--posts 1000] [--corpus-script PATH]

The corpus comes from the shared generator, by default `../shared/bench/make_corpus.py` beside the
project. Targets (issue 5): median under 150 ms on the sample site, under 500 ms with 1,000 posts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.serve import Preview  # noqa: E402

CORPUS_SCRIPT = ROOT.parent / "shared" / "bench" / "make_corpus.py"


class Listener:
    """A minimal Server-Sent Events client, as a browser tab would be."""

    def __init__(self, port: int, page: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.sendall(f"GET /_giving/events?page={page} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        self.buffer = b""
        self.next()  # the hello

    def next(self) -> dict:
        while True:
            while b"\n\n" not in self.buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise EOFError("server closed the stream")
                self.buffer += chunk
            block, _, self.buffer = self.buffer.partition(b"\n\n")
            for line in block.decode().split("\n"):
                if line.startswith("data:"):
                    return json.loads(line[5:])


def measure(site: Path, post: Path, runs: int) -> tuple[list[float], list[float], list[float]]:
    """(save-to-reload-event seconds, save-to-findings-event seconds, rebuild seconds) for `runs` edits."""
    builds: list[float] = []
    preview = Preview(site, port=0, on_build=lambda b: builds.append(b.seconds)).start()
    try:
        rel = post.relative_to(site).as_posix()
        page = next(key for key, p in preview.snapshot.sources.items() if p.source == rel)
        listener = Listener(preview.port, page)  # a browser showing the post being edited
        original = post.read_text("utf-8")
        latencies, findings = [], []
        for n in range(runs):
            text = original.rstrip("\n") + f"\n\nAn edit for the benchmark, number {n}.\n"
            started = time.perf_counter()
            post.write_text(text, "utf-8")
            while True:  # the event that reloads that browser
                message = listener.next()
                if message.get("type") == "build" and (message["changed"] is None or page in message["changed"]):
                    break
            latencies.append(time.perf_counter() - started)
            assert message["ok"], message["errors"]
            while listener.next().get("type") != "findings":  # the editorial checks follow the reload
                pass
            findings.append(time.perf_counter() - started)
            time.sleep(0.05)  # let the editor's next save be a separate one
        post.write_text(original, "utf-8")
        return latencies, findings, builds[1:]
    finally:
        preview.close()


def report(name: str, latencies: list[float], findings: list[float], builds: list[float], target_ms: float) -> bool:
    ms = sorted(x * 1000 for x in latencies)
    median = statistics.median(ms)
    p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    rebuild = statistics.median(builds) * 1000 if builds else float("nan")
    ok = median < target_ms
    print(f"{name:<14} reload event: median {median:5.0f} ms  p90 {p90:5.0f}  min {ms[0]:5.0f}  max {ms[-1]:5.0f}  "
          f"(target < {target_ms:.0f} ms: {'ok' if ok else 'MISSED'})")
    print(f"{'':<14} full rebuild without checks: median {rebuild:5.0f} ms")
    print(f"{'':<14} findings event: median {statistics.median(findings) * 1000:5.0f} ms")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--posts", type=int, default=1000, help="corpus size; 0 skips the corpus")
    parser.add_argument("--corpus-script", type=Path, default=CORPUS_SCRIPT)
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="giving-bench-") as tmp:
        sample = Path(tmp) / "sample"
        sample.mkdir()
        shutil.copy(ROOT / "site.toml", sample / "site.toml")
        shutil.copytree(ROOT / "content", sample / "content")
        if (ROOT / "themes").is_dir():
            shutil.copytree(ROOT / "themes", sample / "themes")
        edited = sorted((sample / "content" / "posts").glob("*.md"))[1]
        ok &= report("sample site", *measure(sample, edited, args.runs), 150)

        if args.posts:
            if not args.corpus_script.is_file():
                print(f"no corpus generator at {args.corpus_script}; pass --corpus-script", file=sys.stderr)
                return 2
            corpus = Path(tmp) / "corpus"
            posts = corpus / "content" / "posts"
            posts.mkdir(parents=True)
            (corpus / "site.toml").write_text('title = "Corpus"\nbase_url = "https://example.org/"\n'
                                              'author = "Bench"\n', "utf-8")
            subprocess.run([sys.executable, str(args.corpus_script), str(args.posts), str(posts)], check=True,
                           stdout=subprocess.DEVNULL)
            edited = sorted(posts.glob("*.md"))[args.posts // 2]
            ok &= report(f"{args.posts:,} posts", *measure(corpus, edited, args.runs), 500)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
