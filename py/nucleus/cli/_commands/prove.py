"""``nucleus prove <db>``: an RFC 9162 inclusion proof (``--seq``) or consistency proof (``--from``), as JSON."""

from __future__ import annotations

from typing import Any

from ..._ledger import Ledger
from .._args import ArgSpec, FlagSpec, Parsed, PositionalSpec, UsageError, int_flag
from .._command import DB_HELP, PG_FLAGS, Command, Exit
from .._files import with_reading_ledger
from .._host import Host
from .._output import Output, count, js_json


def run(args: Parsed, out: Output, host: Host) -> int:
    seq, size = int_flag(args, "seq", "prove"), int_flag(args, "size", "prove")
    old, new = int_flag(args, "from", "prove"), int_flag(args, "to", "prove")
    if (seq is None) == (old is None):
        raise UsageError(
            "give exactly one of --seq <n> (an inclusion proof) and --from <size> (a consistency proof)", "prove"
        )
    if seq is None and size is not None:
        raise UsageError("--size goes with --seq (for a consistency proof, --to is the newer size)", "prove")
    if old is None and new is not None:
        raise UsageError("--to goes with --from (for an inclusion proof, --size is the tree's size)", "prove")

    def read(ledger: Ledger) -> tuple[dict[str, Any], str, list[str]]:
        length = len(ledger)
        if seq is not None:
            if not seq < length:
                raise UsageError(_range("--seq", seq, 0, length - 1, length), "prove")
            if size is not None and not seq < size <= length:
                raise UsageError(_range("--size", size, seq + 1, length, length), "prove")
            return ledger.inclusion_proof(seq, size), ledger.id, ledger.caveats
        assert old is not None
        if new is not None and not 1 <= new <= length:
            raise UsageError(_range("--to", new, 1, length, length), "prove")
        top = length if new is None else new
        if not 1 <= old <= top:
            raise UsageError(_range("--from", old, 1, top, length) + " (an empty tree proves nothing)", "prove")
        return ledger.consistency_proof(old, new), ledger.id, ledger.caveats

    proof, ledger_id, caveats = with_reading_ledger(host, args, "prove", read)
    out.caveats(caveats)
    # The proof itself is stdout, --json or not, so that `> proof.json` keeps exactly what verify-proof reads.
    out.raw(js_json(proof, 2) + "\n")
    if not out.json:
        if proof["kind"] == "inclusion":
            what = f"inclusion proof of entry {proof['index']} in the first {count(proof['size'])} entries"
        else:
            what = f"consistency proof from the first {count(proof['from'])} to the first {count(proof['to'])} entries"
        out.note(f'{what} of ledger "{ledger_id}" ({len(proof["path"])} hashes)')
    return Exit.OK


def _range(flag: str, value: int, low: int, high: int, length: int) -> str:
    if high < low:
        return f"{flag} {value} is out of range: the ledger holds {count(length)} entries"
    return f"{flag} must be from {low} to {high} (the ledger holds {count(length)} entries), got {value}"


COMMAND = Command(
    name="prove",
    summary="Print a Merkle proof: an entry is in the ledger (--seq), or a ledger extends an older one (--from).",
    description="\n".join(
        [
            "Opens the ledger read-only and verifies it whole (Merkle tree included), then prints an RFC 9162",
            'proof as JSON (docs/FORMAT.md §9): with --seq n, {"kind": "inclusion", "index", "size", "path"}',
            "that entry n is in the tree of the first --size entries (default: all); with --from m,",
            '{"kind": "consistency", "from", "to", "path"} that the tree of the first --to entries (default: all)',
            "extends the tree of the first m. Give exactly one of --seq and --from. The proof is checked against",
            "a checkpoint of that size (`nucleus checkpoint`) with `nucleus verify-proof`, or the libraries'",
            "verifyInclusion / verifyConsistency, without the ledger. stdout is the proof JSON with or without",
            "--json (which makes failures JSON too); a summary goes to stderr without --json.",
        ]
    ),
    spec=ArgSpec(
        (PositionalSpec("db", DB_HELP),),
        {
            "seq": FlagSpec("string", "prove that the entry with this sequence number is in the ledger", value="<n>"),
            "size": FlagSpec("string", "with --seq: the size of the tree to prove it in (default: all)", value="<m>"),
            "from": FlagSpec("string", "prove that the ledger extends its first m entries", value="<m>"),
            "to": FlagSpec("string", "with --from: the newer size (default: all entries)", value="<n>"),
            **PG_FLAGS,
        },
    ),
    examples=(
        "nucleus prove ./data/demo.db --seq 3 > proof.json",
        "nucleus prove ledger.db --seq 3 --size 10",
        "nucleus prove ledger.db --from 10 > consistency.json",
    ),
    run=run,
)
