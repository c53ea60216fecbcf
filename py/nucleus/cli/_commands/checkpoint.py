"""``nucleus checkpoint <db>``: the ledger's checkpoint (C2SP tlog-checkpoint text), optionally signed as a note."""

from __future__ import annotations

from typing import Any

from ..._ledger import Ledger
from ..._note import sign_note
from .._args import ArgSpec, FlagSpec, Parsed, PositionalSpec
from .._command import DB_HELP, PG_FLAGS, Command, Exit
from .._files import read_input, with_reading_ledger
from .._host import Host
from .._output import Output


def run(args: Parsed, out: Output, host: Host) -> int:
    key_file = args.string("sign")
    # The key is read before the ledger is opened: a missing key file costs no verification.
    signer = read_input(host, key_file, "the signer key").strip() if key_file is not None else None

    def read(ledger: Ledger) -> tuple[dict[str, Any], str, list[str]]:
        checkpoint = ledger.checkpoint()
        return checkpoint.to_json(), checkpoint.to_text(), ledger.caveats

    checkpoint, text, caveats = with_reading_ledger(host, args, "checkpoint", read)
    note = sign_note(text, signer) if signer is not None else None
    out.caveats(caveats)
    if out.json:
        out.result({"checkpoint": checkpoint, "text": text, **({"note": note} if note else {}), "caveats": caveats})
    else:
        out.raw(note or text)
    return Exit.OK


COMMAND = Command(
    name="checkpoint",
    summary="Print a ledger's checkpoint (origin, size, Merkle root, chain tip), signed with --sign.",
    description="\n".join(
        [
            "Opens the ledger read-only (no lock, nothing written) and verifies it whole, Merkle tree included,",
            "then prints its checkpoint as a C2SP tlog-checkpoint note body: the origin nucleus/<ledger id>, the",
            "size, the base64 Merkle root, and `chain <hash of the last entry>` (docs/FORMAT.md §4b). Keep it",
            "elsewhere: `nucleus verify --checkpoint` then detects truncation and rollback, and `nucleus",
            "verify-proof` checks proofs against it. With --sign the output is a C2SP signed note (Ed25519) that",
            "anyone holding the verifier key can check; make the key pair with `nucleus keygen`. Signing under",
            'CPython needs the cryptography package (pip install "nucleus-ledger[signing]"). --json prints',
            "{checkpoint, text, note (with --sign), caveats}.",
        ]
    ),
    spec=ArgSpec(
        (PositionalSpec("db", DB_HELP),),
        {
            "sign": FlagSpec(
                "string",
                "sign with the signer key in this file (from `nucleus keygen`; - reads stdin)",
                value="<key file>",
            ),
            **PG_FLAGS,
        },
    ),
    examples=(
        "nucleus checkpoint ./data/demo.db > checkpoint.txt",
        "nucleus checkpoint ledger.db --sign log.key > checkpoint.note",
        "nucleus checkpoint postgresql://app@db.example/ledgers --ledger orders --json",
    ),
    run=run,
)
