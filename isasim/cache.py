"""The on-disk cache (builds, compiled engines, experiment results): where it is, how entries are
written and how they are checked when read.

* Root: ``$ISASIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/isasim``, else ``~/.cache/isasim``.
* Every entry is written under a unique temporary name in its final directory and renamed into
  place (``os.replace`` is atomic), so concurrent builds and runs on one cache never see a
  half-written entry and never fight over a shared temporary name.
* Entries carry a checksum: JSON results are ``{"isasim_cache": SCHEMA, "sha256": ..., "data": ...}``,
  binary entries (ELFs) have a ``.sha256`` file beside them. A read verifies it; a bad entry is
  reported by path on stderr, removed, and treated as missing (so it is recomputed).
* ``isasim cache info`` checks every entry; ``isasim cache clear [build|engine|results]``.
"""
import hashlib
import json
import os
import shutil
import sys
import tempfile

SCHEMA = 1
PARTS = {"build": "build", "engine": "engine", "results": os.path.join("experiments", "results"),
         "experiments": "experiments"}


def root():
    r = os.environ.get("ISASIM_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "isasim")
    os.makedirs(r, exist_ok=True)
    return r


def subdir(*parts):
    d = os.path.join(root(), *parts)
    os.makedirs(d, exist_ok=True)
    return d


def _tmp_in(d, base):
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=d)
    return fd, tmp


def atomic_write(path, data):
    """Write bytes or str ``data`` to ``path`` through a unique temporary file + rename."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = _tmp_in(d, os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def atomic_copy(src, dst):
    d = os.path.dirname(os.path.abspath(dst))
    os.makedirs(d, exist_ok=True)
    fd, tmp = _tmp_in(d, os.path.basename(dst))
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def _discard(path, why):
    print(f"isasim: warning: discarded a bad cache entry {path} ({why}); it will be recomputed",
          file=sys.stderr)
    for p in (path, path + ".sha256"):
        try:
            os.remove(p)
        except OSError:
            pass


# ---- JSON entries --------------------------------------------------------------------------------
def _canonical(obj):
    return json.dumps(obj, sort_keys=True, default=str).encode()


def write_json(path, obj):
    atomic_write(path, json.dumps({"isasim_cache": SCHEMA, "sha256": _sha(_canonical(obj)),
                                   "data": obj}, default=str))


def _check_json(path):
    """(data, None) for a good entry, (None, reason) for a bad one."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        doc = json.loads(raw)
    except (OSError, ValueError) as e:
        return None, f"unreadable: {type(e).__name__}"
    if not isinstance(doc, dict) or doc.get("isasim_cache") != SCHEMA or "data" not in doc:
        return None, "not an isasim cache entry of this version"
    if doc.get("sha256") != _sha(_canonical(doc["data"])):
        return None, "checksum mismatch"
    return doc["data"], None


def read_json(path):
    """The data of a verified JSON entry, or None (missing or bad; a bad one is removed)."""
    if not os.path.isfile(path):
        return None
    data, why = _check_json(path)
    if why:
        _discard(path, why)
        return None
    return data


# ---- binary entries (with a .sha256 file) -------------------------------------------------------
def write_blob(path, src_file):
    """Store the file ``src_file`` as the entry ``path`` with its checksum."""
    with open(src_file, "rb") as f:
        data = f.read()
    atomic_write(path + ".sha256", _sha(data))
    atomic_write(path, data)


def _check_blob(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
        with open(path + ".sha256") as f:
            want = f.read().strip()
    except OSError as e:
        return f"unreadable: {e.strerror or type(e).__name__}"
    if _sha(data) != want:
        return "checksum mismatch"
    return None


def read_blob(path, dst):
    """Copy the verified entry ``path`` to ``dst``; False if missing or bad (a bad one is removed)."""
    if not os.path.isfile(path):
        return False
    why = _check_blob(path)
    if why:
        _discard(path, why)
        return False
    atomic_copy(path, dst)
    return True


# ---- isasim cache info / clear ---------------------------------------------------------------------
def _entries():
    r = root()
    for d, _, files in os.walk(r):
        for f in files:
            p = os.path.join(d, f)
            if f.endswith(".json") and os.path.join("experiments", "results") in p:
                yield p, _check_json(p)[1]
            elif f.endswith(".elf") and os.path.exists(p + ".sha256"):
                yield p, _check_blob(p)


def _size(d):
    n = 0
    for dd, _, files in os.walk(d):
        for f in files:
            try:
                n += os.path.getsize(os.path.join(dd, f))
            except OSError:
                pass
    return n


def main(a):
    r = root()
    if a.cache_cmd == "info":
        print(f"cache: {r}")
        for name in ("build", "engine", "experiments", "zig"):
            d = os.path.join(r, name)
            if os.path.isdir(d):
                print(f"  {name:<12} {_size(d) / 1e6:8.1f} MB")
        bad = [(p, why) for p, why in _entries() if why]
        n = sum(1 for _ in _entries())
        print(f"  {n} checked entries, {len(bad)} bad")
        for p, why in bad:
            print(f"  bad: {p} ({why})")
        return 0
    what = a.what
    targets = ["build", "engine", "experiments"] if what == "all" else [PARTS[what]]
    for t in targets:
        d = os.path.join(r, t)
        if os.path.isdir(d):
            shutil.rmtree(d)
            print(f"removed {d}")
    return 0
