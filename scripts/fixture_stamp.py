"""Stamps of generated fixture folders: which models a folder holds, made from which sources.

A stamp is {"hash": <digest of the sources that made the fixtures>, "models": [...]}; fixtures whose
stamp carries the current digest are up to date and are not made again.
"""

import json
import os


def read_stamp(path, digest):
    """The models the stamp at `path` lists, if it was made with `digest` (else none)."""
    try:
        with open(path) as f:
            stamp = json.load(f)
    except (OSError, ValueError):
        return set()
    return set(stamp.get("models", [])) if stamp.get("hash") == digest else set()


def write_stamp(path, digest, done):
    """Writes the stamp atomically (temporary file, then rename)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"hash": digest, "models": sorted(done)}, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)
