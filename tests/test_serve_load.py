"""200 concurrent clients on loopback: live-reload streams plus page loads, none refused, no thread left behind."""

from __future__ import annotations

import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from conftest import post
from generator.serve import Preview
from test_serve import Events

STREAMS = 100  # live-reload connections held open
LOADERS = 100  # clients loading pages at the same time
PAGES = ("/", "/p0/", "/p1/", "/tags/", "/archive/", "/feed.xml", "/no-such-page/")
LIMIT = 20.0  # seconds for the whole test


def handler_threads() -> int:
    return sum("process_request_thread" in t.name for t in threading.enumerate())


def test_two_hundred_concurrent_clients(make_site):
    started = time.monotonic()
    root = make_site({f"content/posts/p{n}.md": post(f"Post {n}", f"2026-01-{n + 1:02d}", tags="[a, b]")
                      for n in range(20)})
    with Preview(root, port=0, debounce=0.02, heartbeat=0.2) as preview:
        baseline = handler_threads()
        barrier = threading.Barrier(STREAMS + LOADERS, timeout=LIMIT)

        def stream(_: int) -> Events:
            barrier.wait()
            events = Events(preview.port)
            assert events.next()["type"] == "hello"
            return events

        def load(n: int) -> list[int]:
            barrier.wait()
            conn = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=10)
            statuses = []
            try:
                for path in PAGES:  # one keep-alive connection, like a browser tab
                    conn.request("GET", path)
                    response = conn.getresponse()
                    response.read()
                    statuses.append(response.status)
            finally:
                conn.close()
            return statuses

        with ThreadPoolExecutor(max_workers=STREAMS + LOADERS) as pool:
            streams = [pool.submit(stream, n) for n in range(STREAMS)]
            loads = [pool.submit(load, n) for n in range(LOADERS)]
            results = [f.result(timeout=LIMIT) for f in loads]  # raises on any refused or reset connection
            clients = [f.result(timeout=LIMIT) for f in streams]
        assert all(r == [200, 200, 200, 200, 200, 200, 404] for r in results)

        try:
            (root / "content/posts/p3.md").write_text(post("Post 3", "2026-01-04", "Edited.\n"), "utf-8")
            with ThreadPoolExecutor(max_workers=STREAMS) as pool:
                messages = list(pool.map(lambda c: c.next(timeout=10), clients))
            assert all(m["type"] == "build" and "p3/index.html" in m["changed"] for m in messages)
        finally:
            for client in clients:
                client.close()

        deadline = time.monotonic() + 5
        while handler_threads() > baseline and time.monotonic() < deadline:
            time.sleep(0.05)
        assert handler_threads() <= baseline, "handler threads outlived their clients"
    assert handler_threads() == 0
    assert time.monotonic() - started < LIMIT
