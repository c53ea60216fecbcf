"""Build-time helper, run INSIDE Pyodide (CPython 3.14) by precompile.mjs. Not shipped.

Compiles the .py files of a zip (Pyodide's stdlib, or our wheel) to bytecode with the interpreter that
will run them, so that loading skips compilation. The .pyc files are *unchecked hash-based*
(PEP 552): the importer uses them without comparing against source or timestamps, which is what a
read-only, versioned bundle wants. A module whose source does not compile here is kept as source.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import sys
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

CACHE_TAG = sys.implementation.cache_tag  # e.g. "cpython-314"


def _pyc(source: bytes, filename: str) -> bytes:
    code = compile(source, filename, "exec", dont_inherit=True)
    return bytes(_code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False))


def stdlib_to_pyc(src: str, dst: str, archive_path: str) -> dict[str, int]:
    """Rewrites the stdlib zip with each .py replaced by a sourceless .pyc beside it.

    ``archive_path`` is where the zip lives in the runtime (``/lib/python314.zip``), used in code
    objects' file names just as zipimport would for source.
    """
    compiled = kept = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith(".py"):
                try:
                    pyc = _pyc(data, f"{archive_path}/{info.filename}")
                except SyntaxError:
                    kept += 1
                else:
                    zout.writestr(info.filename[:-3] + ".pyc", pyc)
                    compiled += 1
                    continue
            zout.writestr(info, data)
    return {"compiled": compiled, "kept": kept}


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def wheel_add_pyc(src: str, dst: str, site_packages: str) -> dict[str, int]:
    """Copies a pure-Python wheel, adding ``__pycache__/<mod>.<tag>.pyc`` for each .py and listing
    them in RECORD. The sources stay, so tracebacks still show lines."""
    compiled = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        record_name = next(n for n in zin.namelist() if n.endswith(".dist-info/RECORD"))
        extra: list[str] = []
        for info in zin.infolist():
            if info.filename == record_name:
                continue
            data = zin.read(info)
            zout.writestr(info, data)
            if info.filename.endswith(".py"):
                folder, _, base = info.filename.rpartition("/")
                name = f"{folder}/__pycache__/{base[:-3]}.{CACHE_TAG}.pyc" if folder else f"__pycache__/{base[:-3]}.{CACHE_TAG}.pyc"
                pyc = _pyc(data, f"{site_packages}/{info.filename}")
                zout.writestr(name, pyc)
                extra.append(_record_line(name, pyc))
                compiled += 1
        record = zin.read(record_name).decode()
        lines = [line for line in record.splitlines() if line] + extra
        zout.writestr(record_name, "\n".join(lines) + "\n")
    return {"compiled": compiled}
