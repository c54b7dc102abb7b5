"""Benchmark: cold and warm builds of a site with 100 photos (variants, stripping, social cards).

    .venv/bin/python benchmarks/images.py                 # the corpus images (PNG, 1600x1000)
    .venv/bin/python benchmarks/images.py --camera        # as 4032x3024 phone JPEGs with EXIF and GPS
    .venv/bin/python benchmarks/images.py --photos 50 --workers 1

The site is made with the shared corpus generator (`../shared/bench/make_corpus.py` from the project root):
the first posts that carry an image, one photo each. "Cold" builds with an empty cache folder, "warm"
builds again with the cache the cold build filled; both build in memory (no output written).
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from datetime import datetime, timezone  # noqa: E402

from generator import build as build_module  # noqa: E402
from generator import images  # noqa: E402
from generator.errors import has_errors  # noqa: E402
from generator.site import BuildOptions  # noqa: E402

SITE_TOML = """\
title = "Benchmark blog"
base_url = "https://example.org/"
author = "Bench"

[images]
workers = {workers}
"""


def make_site(root: Path, photos: int, camera: bool, corpus_script: Path, workers: int) -> int:
    """Write a site with `photos` posts, each showing one image; returns the bytes of the images."""
    raw = root / "raw"
    posts_needed = photos * 12  # about one post in ten carries an image
    subprocess.run([sys.executable, str(corpus_script), str(posts_needed), str(raw / "posts"), "--images",
                    str(raw / "images")], check=True, stdout=subprocess.DEVNULL)
    site = root / "site"
    (site / "content" / "posts").mkdir(parents=True)
    (site / "content" / "images").mkdir(parents=True)
    (site / "site.toml").write_text(SITE_TOML.format(workers=workers), "utf-8")
    total = 0
    chosen = 0
    for path in sorted((raw / "posts").glob("*.md")):
        text = path.read_text("utf-8")
        found = re.search(r"!\[[^\]]*\]\(/images/([^)]+)\)", text)
        if not found:
            continue
        name = found.group(1)
        data = _distinct((raw / "images" / name).read_bytes(), chosen)  # the corpus repeats some pictures
        if camera:
            data, new_name = _camera_jpeg(data, chosen), re.sub(r"\.\w+$", ".jpg", name)
            text = text.replace(f"/images/{name}", f"/images/{new_name}")
            name = new_name
        (site / "content" / "images" / name).write_bytes(data)
        (site / "content" / "posts" / path.name).write_text(text, "utf-8")
        total += len(data)
        chosen += 1
        if chosen == photos:
            break
    if chosen < photos:
        raise SystemExit(f"the corpus had only {chosen} images; ask for fewer --photos")
    return total


def _distinct(data: bytes, index: int) -> bytes:
    """The image with a few pixels changed, so that every photo is its own work (no cache sharing)."""
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    fmt = im.format
    im = im.convert("RGB")
    im.paste((index % 256, index // 256, 7), (0, 0, 4, 4))
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


def _camera_jpeg(data: bytes, index: int) -> bytes:
    """The corpus image as a phone would save it: 4032x3024 JPEG with EXIF and GPS; every other one is
    stored on its side with orientation 6 (a portrait photo), which costs a re-encoded original."""
    from PIL import Image

    im = Image.open(io.BytesIO(data)).convert("RGB").resize((4032, 3024), Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[0x0112] = 6 if index % 2 else 1
    exif[0x010F] = "Phone"
    exif[0x8825] = {1: "N", 2: (45.0, 48.0, 12.5), 3: "E", 4: (15.0, 58.0, 1.0)}
    buf = io.BytesIO()
    (im.transpose(Image.Transpose.ROTATE_90) if index % 2 else im).save(buf, "JPEG", quality=92, exif=exif)
    return buf.getvalue()


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the forked pool workers): unlike wall time,
    it hardly depends on how busy the machine is."""
    import resource

    return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def timed_build(site: Path) -> tuple[float, float, float, dict]:
    """Wall time of a whole build and of its images stage, and the CPU time of the build."""
    stage = {"seconds": 0.0}
    original = images.process_site

    def measured(*args, **kwargs):
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            stage["seconds"] += time.perf_counter() - began

    # build.py imports the stage when it runs it (or, in older versions, at import): patch both names.
    names = [(images, "process_site")] + [(build_module, "process_images")] * hasattr(build_module, "process_images")
    for module, name in names:
        setattr(module, name, measured)
    try:
        began, cpu = time.perf_counter(), cpu_seconds()
        result = build_module.build(site, BuildOptions(now=datetime.now(timezone.utc)))
        total, cpu = time.perf_counter() - began, cpu_seconds() - cpu
    finally:
        for module, name in names:
            setattr(module, name, original)
    if has_errors(result.findings):
        raise SystemExit("\n".join(f.format() for f in result.findings if f.severity == "error"))
    return total, stage["seconds"], cpu, result.outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--camera", action="store_true", help="4032x3024 JPEGs with EXIF instead of the PNGs")
    parser.add_argument("--workers", type=int, default=0, help="[images] workers; 0: one per core")
    parser.add_argument("--corpus-script", type=Path, default=ROOT.parent / "shared" / "bench" / "make_corpus.py")
    args = parser.parse_args()

    import os

    tmp = Path(tempfile.mkdtemp(prefix="giving-bench-images-"))
    try:
        input_bytes = make_site(tmp, args.photos, args.camera, args.corpus_script, args.workers)
        os.environ["GIVING_CACHE_DIR"] = str(tmp / "cache")
        site = tmp / "site"
        work = images.WORK.copy()
        cold, cold_stage, cold_cpu, outputs = timed_build(site)
        made = {k: images.WORK[k] - work[k] for k in ("images", "cards")}
        work = images.WORK.copy()
        warm, warm_stage, warm_cpu, warm_outputs = timed_build(site)
        warm_made = {k: images.WORK[k] - work[k] for k in ("images", "cards")}
        assert warm_outputs == outputs, "a warm build must give the same bytes"
        pictures = [p for p in outputs if p.startswith("images/")]
        cards = [p for p in outputs if p.startswith("cards/")]
        kind = "4032x3024 camera JPEGs" if args.camera else "corpus PNGs (1600x1000)"
        print(f"{args.photos} photos ({kind}, {input_bytes / 1e6:.1f} MB; {made['images']} distinct), "
              f"{len(cards)} posts; {os.cpu_count()} cores, workers={args.workers or 'auto'}, "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"  cold build: {cold:6.2f} s, {cold_cpu:6.2f} s CPU (images stage {cold_stage:6.2f} s; "
              f"Pillow made {made['images']} "
              f"images, {made['cards']} cards)")
        print(f"  warm build: {warm:6.2f} s, {warm_cpu:6.2f} s CPU (images stage {warm_stage:6.2f} s; "
              f"Pillow made {warm_made['images']} "
              f"images, {warm_made['cards']} cards)")
        print(f"  published: {len(pictures)} image files ({sum(len(outputs[p]) for p in pictures) / 1e6:.1f} MB), "
              f"{len(cards)} cards ({sum(len(outputs[p]) for p in cards) / 1e6:.1f} MB)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
