"""``nucleus verify-proof``: check a Merkle proof against a checkpoint (signed or not), without the ledger."""

from __future__ import annotations

from typing import Any

from ..._checkpoint import Checkpoint
from ..._errors import ArgumentError
from ..._note import verify_note
from ..._proofs import verify_consistency, verify_inclusion
from .._args import ArgSpec, FlagSpec, Parsed, UsageError, int_flag, parse_json
from .._command import Command, Exit
from .._files import one_stdin, read_input, read_text
from .._host import Host
from .._output import Output, count

COMMAND_NAME = "verify-proof"


def run(args: Parsed, out: Output, host: Host) -> int:
    names = ("proof", "checkpoint", "entry", "old")
    files = {name: args.string(name) for name in names}
    for name in ("proof", "checkpoint"):
        if files[name] is None:
            raise UsageError(f"--{name} <file> is required", COMMAND_NAME)
    one_stdin(files, COMMAND_NAME)
    keys = [key for value in args.strings("key") for key in _keys(host, value)]
    threshold = int_flag(args, "threshold", COMMAND_NAME)
    if threshold is not None and not keys:
        raise UsageError("--threshold counts signatures of --key keys: give the verifier keys", COMMAND_NAME)
    proof = _json(read_input(host, files["proof"] or "", "the proof"), "--proof")
    kind = proof.get("kind") if isinstance(proof, dict) else None
    if kind not in ("inclusion", "consistency"):
        raise ArgumentError(f'--proof {files["proof"]} is not a proof: its "kind" must be "inclusion" or "consistency"')
    if kind == "inclusion" and (files["entry"] is None or files["old"] is not None):
        raise UsageError("an inclusion proof is checked with --entry <file> (and no --old)", COMMAND_NAME)
    if kind == "consistency" and (files["old"] is None or files["entry"] is not None):
        raise UsageError("a consistency proof is checked with --old <checkpoint file> (and no --entry)", COMMAND_NAME)
    signers: list[str] = []
    checkpoint = _checkpoint(host, files["checkpoint"] or "", "--checkpoint", keys, threshold, signers, True)
    result: dict[str, Any] = {"ok": True, "kind": kind, "checkpoint": checkpoint.to_json()}
    if kind == "inclusion":
        entry = _entry(read_input(host, files["entry"] or "", "the entry"), proof)
        verify_inclusion(entry, proof, checkpoint)
        result["entry"] = {"seq": entry["seq"], "hash": entry["hash"]}
        what = f"entry {entry['seq']} is in"
    else:
        old = _checkpoint(host, files["old"] or "", "--old", keys, threshold, signers, False)
        verify_consistency(old, checkpoint, proof)
        result["old"] = old.to_json()
        what = f"it extends its first {count(old.size)} entries, and so"
    result["signers"] = list(dict.fromkeys(signers))
    out.result(result)
    origin = checkpoint.origin or "the ledger"
    out.line(f"✓ the proof verifies: {what} {origin} of {count(checkpoint.size)} entries (root {checkpoint.root})")
    if result["signers"]:
        out.line(f"  checkpoint signed by {', '.join(result['signers'])}")
    return Exit.OK


def _json(text: str, flag: str) -> Any:
    try:
        return parse_json(text)
    except (ValueError, RecursionError) as err:
        raise UsageError(f"{flag} is not valid JSON ({err})", COMMAND_NAME) from None


def _keys(host: Host, value: str) -> list[str]:
    """``--key``: a verifier key text, or ``@file`` holding one per line (blank lines skipped)."""
    if not value.startswith("@"):
        return [value]
    try:
        text = read_text(host, value[1:])
    except OSError as err:
        raise UsageError(f"--key {value}: cannot read the file ({err.strerror or err})", COMMAND_NAME) from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def _is_note(text: str) -> bool:
    """Whether ``text`` is a signed note (body, blank line, signature lines) rather than a bare checkpoint."""
    return "\n\n" in text


def _checkpoint(
    host: Host, arg: str, flag: str, keys: list[str], threshold: int | None, signers: list[str], must_sign: bool
) -> Checkpoint:
    """The checkpoint in file ``arg``: its text, its JSON, or a signed note, which is verified against ``keys``
    first (required then). With ``keys`` and ``must_sign``, it must be a signed note that verifies."""
    text = read_input(host, arg, "the checkpoint")
    if _is_note(text) or (keys and must_sign):
        if not keys:
            raise UsageError(
                f"{flag} {arg} is a signed note: give the verifier keys to check it with --key <key> (or @file)",
                COMMAND_NAME,
            )
        verdict = verify_note(text, keys, 1 if threshold is None else threshold)
        signers.extend(verdict.signers)
        text = verdict.text
    return Checkpoint.parse(_json(text, flag) if text.lstrip().startswith("{") else text)


def _entry(text: str, proof: dict[str, Any]) -> dict[str, Any]:
    """``--entry``: an entry with ``seq`` and ``hash`` (a line of ``nucleus export``, ``append --json``'s output),
    or a whole export, from which the entry the proof names is taken."""
    try:
        whole = parse_json(text)
    except (ValueError, RecursionError):
        whole = None
    lines = [line for line in text.splitlines() if line.strip()]
    if whole is not None or len(lines) < 2:
        entry = whole if whole is not None else _json(text, "--entry")
        if not isinstance(entry, dict) or "seq" not in entry or "hash" not in entry:
            raise ArgumentError(
                "--entry must hold an entry with seq and hash (a line of `nucleus export`), or a whole export"
            )
        return entry
    for line in lines[1:]:
        entry = _json(line, "--entry")
        if isinstance(entry, dict) and entry.get("seq") == proof.get("index"):
            return entry
    raise ArgumentError(f"--entry holds no entry {proof.get('index')}, the one the proof is for")


COMMAND = Command(
    name=COMMAND_NAME,
    summary="Check a Merkle proof against a checkpoint (and its signatures), without the ledger.",
    description="\n".join(
        [
            "Reads only the files given: no ledger, no database. An inclusion proof (`nucleus prove --seq`) needs",
            "--entry: the entry, as JSON with seq and hash (a line of `nucleus export`, or `nucleus append --json`'s",
            "output), or a whole export, from which the entry the proof names is taken. A consistency proof",
            "(`nucleus prove --from`) needs --old, the older checkpoint. Checkpoints are files holding the text",
            "`nucleus checkpoint` prints, its JSON, or the signed note `nucleus checkpoint --sign` prints. A signed",
            "note is verified first, against the --key verifier keys (required then; at least --threshold of them,",
            "default 1, must have signed); given --key, --checkpoint must be a signed note that verifies. One input",
            "may be - (stdin). Exit status 1 when the proof (PROOF_INVALID) or a signature (SIGNATURE_INVALID) does",
            "not verify; 2 when an input is missing or malformed. Under CPython, checking signatures needs the",
            'cryptography package (pip install "nucleus-ledger[signing]").',
        ]
    ),
    spec=ArgSpec(
        (),
        {
            "proof": FlagSpec("string", "the proof JSON, as `nucleus prove` prints it (required)", value="<file>"),
            "checkpoint": FlagSpec("string", "the checkpoint the proof is against (required)", value="<file>"),
            "entry": FlagSpec("string", "inclusion: the entry (seq and hash) or an export", value="<file>"),
            "old": FlagSpec("string", "consistency: the older checkpoint", value="<file>"),
            "key": FlagSpec(
                "string", "a trusted verifier key, or @file of them (one a line)", value="<key>", repeat=True
            ),
            "threshold": FlagSpec("string", "how many of the keys must have signed (default 1)", value="<k>"),
        },
    ),
    examples=(
        "nucleus verify-proof --proof proof.json --entry entry.json --checkpoint checkpoint.txt",
        "nucleus verify-proof --proof proof.json --old yesterday.txt --checkpoint today.txt --json",
        'nucleus verify-proof --proof proof.json --entry entry.json --checkpoint cp.note --key "$(cat log.pub)"',
        "nucleus prove ledger.db --seq 3 | nucleus verify-proof --proof - --entry e.json --checkpoint cp.txt",
    ),
    run=run,
)
