"""``nucleus keygen <name> --out <file>``: a new Ed25519 key pair for signed checkpoints."""

from __future__ import annotations

import contextlib
import os

from ..._note import generate_key
from .._args import ArgSpec, FlagSpec, Parsed, PositionalSpec, UsageError
from .._command import Command, Exit
from .._files import UnusableError, resolve
from .._host import Host
from .._output import Output, js_json


def run(args: Parsed, out: Output, host: Host) -> int:
    target = args.string("out")
    if target is None:
        raise UsageError("--out <file> is required: the signer key is secret and goes to a file, not stdout", "keygen")
    if target in ("", "-"):
        raise UsageError(f"--out {js_json(target)} is not a file: the signer key goes to a file", "keygen")
    signer, verifier = generate_key(args.positionals["name"])  # a bad name is refused before any file is made
    path = resolve(host, target)
    local = host.local(host.realpath(path))
    _write_secret(local, target, signer + "\n")
    out.result({"name": args.positionals["name"], "verifier": verifier, "path": path})
    out.line(verifier)
    out.note(
        f"wrote the signer key to {target} (mode 0600: keep it secret; `nucleus checkpoint <db> --sign {target}` "
        "signs with it); publish the verifier key above"
    )
    return Exit.OK


def _write_secret(local: str, shown: str, text: str) -> None:
    """Creates ``local`` (never replacing a file), readable by its owner only, with ``text``, synced with its
    directory entry before returning; a failure removes what it created."""
    try:
        fd = os.open(local, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UnusableError(f"{shown} exists already; keygen never overwrites a key file", "EXISTS") from None
    except FileNotFoundError:
        raise UnusableError(f"{shown}: no such directory (keygen creates none)", "NOT_FOUND") from None
    except OSError as err:
        raise UnusableError(f"{shown}: cannot create the key file ({err.strerror or err})", "NOT_A_FILE") from None
    try:
        try:
            data = text.encode("utf-8")
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(OSError):  # not every file system syncs a directory; the file is synced
            dir_fd = os.open(os.path.dirname(local) or ".", os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(local)
        raise


COMMAND = Command(
    name="keygen",
    summary="Make an Ed25519 key pair for signed checkpoints: the signer key to a file, the verifier key printed.",
    description="\n".join(
        [
            "Writes the signer key (PRIVATE+KEY+<name>+<id>+<key>, C2SP signed-note) to --out, created new",
            "(an existing file is refused), readable by its owner only (mode 0600) and synced to disk, and prints",
            "the verifier key (<name>+<id>+<key>): publish it, so that others can check the checkpoints that",
            "`nucleus checkpoint <db> --sign <file>` signs with `nucleus verify-proof --key`. The keys are those of",
            "Go's golang.org/x/mod/sumdb/note. <name> is the signer's name, e.g. a host name: non-empty, no +, no",
            'spaces. Under CPython this needs the cryptography package (pip install "nucleus-ledger[signing]").',
            "--json prints {name, verifier, path}.",
        ]
    ),
    spec=ArgSpec(
        (PositionalSpec("name", "the key's name, e.g. log.example.com"),),
        {"out": FlagSpec("string", "the file to write the signer key to (must not exist)", value="<file>", short="o")},
    ),
    examples=(
        "nucleus keygen log.example.com --out log.key > log.pub",
        "nucleus keygen witness-1 -o witness.key --json",
    ),
    run=run,
)
