"""The command line every PyTorch fixture script shares: pick models (or cases), skip those whose
stamp says they are up to date with the current sources, make the rest, and report each.
"""

import argparse
import hashlib
import os

import torch_fixtures
from fixture_stamp import read_stamp, write_stamp


def source_hash(paths):
    """Digest of the files that make the fixtures (scripts, models, the photo)."""
    h = hashlib.sha256()
    for path in paths:
        with open(os.path.abspath(path), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def fixture_main(doc, names_all, out_dir, sources, suffixes, make, report, threads, what="model"):
    """Parses `[names...] [--force]`, makes what is missing or stale into `out_dir`, prints `report(name, meta)`.

    suffixes(name): the file suffixes a complete fixture has; make(name): writes it and returns its metadata.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument(f"{what}s", nargs="*", help=f"default: {' '.join(names_all)}")
    parser.add_argument("--force", action="store_true", help="regenerate even if up to date")
    args = parser.parse_args()
    names = getattr(args, f"{what}s") or list(names_all)
    unknown = [n for n in names if n not in names_all]
    if unknown:
        parser.error(f"unknown {what}(s): {', '.join(unknown)}")
    os.makedirs(out_dir, exist_ok=True)
    stamp = os.path.join(out_dir, "stamp.json")
    digest = source_hash(sources)
    done = read_stamp(stamp, digest)
    torch_fixtures.set_threads(threads)
    for name in names:
        present = all(os.path.isfile(os.path.join(out_dir, name + s)) for s in suffixes(name))
        if not args.force and name in done and present:
            print(f"{name}: up to date")
            continue
        done.discard(name)
        write_stamp(stamp, digest, done)
        meta = make(name)
        done.add(name)
        write_stamp(stamp, digest, done)
        print(f"{name}: {report(name, meta)}", flush=True)
