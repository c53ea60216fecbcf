"""Build-time helper, run INSIDE Pyodide (CPython 3.14) by precompile.mjs. Not shipped.

Compiles the .py files of a zip (Pyodide's stdlib, or our wheel) to bytecode with the interpreter that
will run them, so that loading skips compilation, and keeps of the stdlib only the modules the runtime can
import (``stdlib_needed``): what every page and install downloads shrinks from 614 files to the few the
engine and Pyodide's own start-up use. The .pyc files are *unchecked hash-based*
(PEP 552): the importer uses them without comparing against source or timestamps, which is what a
read-only, versioned bundle wants. A module whose source does not compile here is kept as source.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import hashlib
import importlib.util
import sys
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

CACHE_TAG = sys.implementation.cache_tag  # e.g. "cpython-314"


def _without_docstrings(tree: ast.Module) -> ast.Module:
    """``tree`` without the docstrings of its module, classes and functions (``-OO`` would drop asserts too)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and ast.get_docstring(
            node, clean=False
        ):
            first = node.body[0]
            node.body[0:1] = [] if len(node.body) > 1 else [ast.copy_location(ast.Pass(), first)]
    return tree


def _pyc(source: bytes, filename: str, optimize: int = 0) -> bytes:
    """Unchecked hash-based bytecode of ``source``. ``optimize`` as ``compile`` takes it (2: as ``python -OO``),
    or -1: without docstrings but with asserts."""
    if optimize == -1:
        tree = _without_docstrings(ast.parse(source, filename))
        code = compile(tree, filename, "exec", dont_inherit=True)
    else:
        code = compile(source, filename, "exec", dont_inherit=True, optimize=optimize)
    return bytes(_code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False))


# Not followed by the import scan: developer tools (debuggers, REPL, docs, tests) and protocols or platforms
# the engine never uses, which modules it does use import lazily (e.g. ``inspect`` → ``pydoc`` help).
# Without this list the scan keeps ~1.6 MB more; were one of these ever imported, the import fails loudly.
TOOLS_AND_PROTOCOLS = [
    "pdb", "bdb", "pydoc", "doctest", "unittest", "_pyrepl", "code", "rlcompleter", "cmd", "tracemalloc",
    "email", "http", "urllib.request", "xmlrpc", "ftplib", "mailbox", "smtplib", "imaplib", "poplib",
    "webbrowser", "wsgiref", "socketserver", "multiprocessing", "concurrent.futures.process",
    "asyncio.windows_events", "asyncio.windows_utils", "asyncio.proactor_events", "ctypes", "tkinter",
    "plistlib", "xml", "tarfile",
]  # fmt: skip

# Imported by name computed at run time, which no import scan sees: codecs by their name (any text a
# record holds may be decoded with any codec the engine names), sysconfig's data by the platform.
DYNAMIC_PREFIXES = ("encodings", "_sysconfigdata")


def _module_of(path: str) -> str:
    """``json/decoder.py`` → ``json.decoder``; ``json/__init__.py`` → ``json``."""
    name = path[: -len(".py")].replace("/", ".")
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def stdlib_needed(src: str, engine_dir: str, roots: list[str]) -> list[str]:
    """The stdlib modules that ``roots`` (Pyodide's start-up modules and every engine module) can import.

    ``modulefinder`` follows every import statement of every module reached, wherever it stands (inside
    functions, ``try`` blocks, ``if TYPE_CHECKING``), so the set is a superset of what can run. The
    stdlib ``src`` (a zip of sources) is unpacked first: modulefinder reads files, not zips.
    """
    import modulefinder  # here: not in the trimmed stdlib, where makeSnapshot runs this file for zip_without

    unpacked = "/build/stdlib-src"
    with zipfile.ZipFile(src) as zin:
        zin.extractall(unpacked)
    finder = modulefinder.ModuleFinder(path=[unpacked, engine_dir], excludes=TOOLS_AND_PROTOCOLS)
    for name in roots:
        # ImportError: a built-in, or a module only Pyodide's JS side provides (e.g. pyodide_js).
        with contextlib.suppress(ImportError):
            finder.import_hook(name)
    found = {name for name, mod in finder.modules.items() if mod.__file__ and mod.__file__.startswith(unpacked + "/")}
    for path in zipfile.ZipFile(src).namelist():
        if path.endswith(".py") and _module_of(path).startswith(DYNAMIC_PREFIXES):
            found.add(_module_of(path))
    # A package's __init__ runs before any of its modules: keep every parent.
    for name in list(found):
        while "." in name:
            name = name.rpartition(".")[0]
            found.add(name)
    return sorted(found)


def stdlib_to_pyc(src: str, dst: str, archive_path: str, keep: list[str] | None = None) -> dict[str, int]:
    """Rewrites the stdlib zip with each .py replaced by a sourceless .pyc beside it, keeping only the
    modules in ``keep`` (all when None) and the data files of kept packages.

    ``archive_path`` is where the zip lives in the runtime (``/lib/python314.zip``), used in code
    objects' file names just as zipimport would for source.
    """
    compiled = kept = dropped = 0
    wanted = None if keep is None else set(keep)
    folders = None if keep is None else {name.replace(".", "/") + "/" for name in wanted}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for info in zin.infolist():
            if wanted is not None:
                name = info.filename
                if name.endswith(".py") and _module_of(name) not in wanted:
                    dropped += 1
                    continue
                if not name.endswith(".py") and "/" in name and not any(name.startswith(f) for f in folders):
                    continue
            data = zin.read(info)
            if info.filename.endswith(".py"):
                try:
                    # -OO: without docstrings and asserts, a configuration CPython supports and tests; 0.3 MB less
                    # to download and 0.7 MB less heap in the snapshot. The engine keeps its asserts (wheel_add_pyc).
                    pyc = _pyc(data, f"{archive_path}/{info.filename}", optimize=2)
                except SyntaxError:
                    kept += 1
                else:
                    zout.writestr(info.filename[:-3] + ".pyc", pyc)
                    compiled += 1
                    continue
            zout.writestr(info, data)
    return {"compiled": compiled, "kept": kept, "dropped": dropped}


def zip_without(src: str, dst: str, names: list[str]) -> dict[str, int]:
    """Copies the zip ``src`` to ``dst`` without the files ``names``, stored uncompressed: HTTP compression
    then works across the files, which it cannot through per-file deflate (brotli: 0.39 MB rather than 0.70)."""
    drop = set(names)
    kept = dropped = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                dropped += 1
                continue
            zout.writestr(info.filename, zin.read(info))
            kept += 1
    return {"kept": kept, "dropped": dropped}


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
                name = (
                    f"{folder}/__pycache__/{base[:-3]}.{CACHE_TAG}.pyc"
                    if folder
                    else f"__pycache__/{base[:-3]}.{CACHE_TAG}.pyc"
                )
                # Without docstrings (nothing reads them at run time; the sources beside show them), with asserts
                # (nucleus.testing's checks are asserts).
                pyc = _pyc(data, f"{site_packages}/{info.filename}", optimize=-1)
                zout.writestr(name, pyc)
                extra.append(_record_line(name, pyc))
                compiled += 1
        record = zin.read(record_name).decode()
        lines = [line for line in record.splitlines() if line] + extra
        zout.writestr(record_name, "\n".join(lines) + "\n")
    return {"compiled": compiled}
