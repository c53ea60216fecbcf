"""The ledger: the append pipeline, reads, verification, checkpoints, export and import.

Append pipeline (single and batch): context and access → validation → module ``before_append`` →
entries (seq, prev hash, hash) → one atomic storage write → module ``after_append`` → new tip. A
failure before the write changes nothing anywhere. The ledger keeps the tip and the access-control state
(rebuilt from the chain's ``nucleus.acl`` entries) in memory; reads serve only seqs below the verified tip.

On shared storage (``storage.shared``: PostgreSQL, where other processes append to the same ledger) the tip in
memory is only where this ledger last looked. Reads first take in what others committed since (``_sync``), and an
append chains its entries inside the storage's write transaction (``SharedStorage.append_after``), after taking in,
under the ledger's lock, whatever others committed after the tip: their rows are verified as at open, and the
prepared records are chained after them (``_write``), engine-stamped timestamps moved up to the new last one.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter
from typing import Any, cast

from ._acl import ACL_MODES, ACL_STREAM, AccessControl, AclState, owner_record
from ._builtin_modules import module_from_config
from ._checkpoint import ORIGIN_PREFIX, Checkpoint, encode_hash
from ._context import RequestContext, check_oid, parse_context
from ._entry import Entry
from ._errors import (
    AccessDenied,
    ArgumentError,
    ChainIntegrityError,
    ConfigError,
    LedgerClosed,
    LedgerFull,
    LedgerMismatch,
    NucleusError,
    StorageError,
    ValidationError,
)
from ._export import export_lines, export_part, in_parts, parse_export
from ._hashing import FORMAT_VERSION, chain_hashes, entry_template
from ._merkle import consistency_path, inclusion_path
from ._modules import Module, ModuleRegistry
from ._options import LedgerOptions, check_ledger_id
from ._proofs import consistency_json, inclusion_json
from ._query import RESERVED_PREFIX, QueryResult, parse_query
from ._records import PreparedBatch, PreparedRecord, prepare_decoded_batch, prepare_record
from ._stored import StoredRow
from ._tree import Frontier, MemoryTree, TreeNode, TreeReader
from ._verify import (
    EMPTY_TIP,
    VERIFY_MODES,
    ChainWalk,
    Tip,
    check_checkpoint,
    check_head,
    tree_check,
    verify_from_checkpoint,
    verify_stored,
)
from .storage._protocol import Head, SharedStorage, Storage
from .storage.memory import MemoryStorage

# A read-only open whose verification another process's checkpoint interrupted starts again, this often in all.
_OPEN_ATTEMPTS = 3


_hash_of, _stream_of = attrgetter("hash"), attrgetter("stream")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000  # time.time() * 1000 can round to the previous millisecond


def _too_early(timestamp: int, floor: int) -> ValidationError:
    return ValidationError(
        f"record.timestamp {timestamp} is earlier than the ledger's last timestamp {floor}; timestamps may not go back",
        details={"field": "timestamp", "floor": floor},
    )


def _at_index(err: NucleusError, index: int) -> NucleusError:
    """``err`` about ``records[index]`` of a batch."""
    err.message = f"records[{index}]: {err.message}"
    err.args = (err.message,)
    err.details["index"] = index
    return err


def _changed(err: StorageError) -> bool:
    """Whether a read-only store refused a read because another process wrote the file under it."""
    return err.details.get("reason") == "changed"


class Ledger:
    """A tamper-evident, append-only ledger. Open it with ``Ledger.open``; use it as a context manager."""

    def __init__(
        self,
        ledger_id: str,
        storage: Storage,
        modules: ModuleRegistry,
        acl_enabled: bool,
        options: LedgerOptions,
        format_version: int,
    ):
        self.id = ledger_id
        self._storage = storage
        # Other processes append to this ledger too: catch up before reads and inside every append.
        self._shared = bool(getattr(storage, "shared", False))
        self.modules = modules
        self.options = options
        self.format_version = format_version
        self._tip = EMPTY_TIP
        # The Merkle tree's right edge at the tip, and (a store that keeps no tree) its stored levels in memory.
        self._tree = Frontier()
        self._memory_tree: MemoryTree | None = None
        self._template = entry_template(ledger_id, format_version)
        self._acl_state = AclState()
        self.acl = AccessControl(
            ledger_id, self._acl_state, acl_enabled, self._append_system, self._acl_timestamp, self._require_read_write
        )
        self._closed = False
        self._metrics = {"appends": 0, "batches": 0, "queries": 0, "verifications": 0, "verifiedEntries": 0}

    @classmethod
    def open(
        cls,
        ledger_id: str,
        storage: Storage | None = None,
        *,
        modules: Iterable[Module | dict[str, Any]] = (),
        acl: str = "none",
        owner: str | None = None,
        options: LedgerOptions | dict[str, Any] | None = None,
        checkpoint: Checkpoint | dict[str, Any] | str | None = None,
        verify: str = "full",
    ) -> Ledger:
        """Open (or create) ledger ``ledger_id`` in ``storage`` (default: a new ``MemoryStorage``).

        A persistent store is verified whole before the ledger is returned: a broken chain raises
        ``ChainIntegrityError``; a kept ``checkpoint`` that this chain does not extend raises it too.
        ``verify="from_checkpoint"`` (with ``checkpoint``) trusts the checkpoint instead: entry ``size - 1`` must
        hold its hash, and only it and the entries after it are walked, so an edit before it that keeps the stored
        hashes goes unnoticed until a full ``verify()`` (docs/ENGINE.md, "Opening from a checkpoint").
        """
        check_ledger_id(ledger_id)
        if acl not in ACL_MODES:
            raise ConfigError(f"acl must be one of {', '.join(ACL_MODES)}, got {acl!r}")
        if owner is not None:
            check_oid(owner, "owner")
        registry = ModuleRegistry(module_from_config(m) for m in modules)
        opts = LedgerOptions.parse(options)
        kept = None if checkpoint is None else Checkpoint.parse(checkpoint)
        if verify not in VERIFY_MODES:
            raise ConfigError(f"verify must be one of {', '.join(map(repr, VERIFY_MODES))}, got {verify!r}")
        if verify == "from_checkpoint" and kept is None:
            raise ConfigError("verify='from_checkpoint' opens against a kept checkpoint: pass checkpoint= too")
        storage = MemoryStorage() if storage is None else storage
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                # Without an owner, access control can only use one the ledger already has: never create a file.
                meta = storage.open(ledger_id, create=acl == "none" or owner is not None)
            except StorageError as err:
                if err.details.get("reason") == "missing" and not storage.read_only:
                    raise ConfigError(
                        "access control needs an owner: open a new ledger with owner='oid:onoal:...'"
                    ) from None
                if _changed(err) and attempt + 1 < _OPEN_ATTEMPTS:
                    continue
                raise
            try:
                ledger = cls(ledger_id, storage, registry, acl != "none", opts, meta.format_version)
                ledger._tip = ledger._verify_stored(kept, verify)
                ledger._settle_owner(owner)
                if acl != "none" and ledger.acl.owner is None:
                    raise ConfigError("access control needs an owner: open the ledger with owner='oid:onoal:...'")
                fields = registry.filter_fields()
                index_fields = getattr(storage, "index_payload_fields", None)  # optional for a third-party storage
                if fields and index_fields is not None and not storage.read_only:
                    index_fields(fields)
                registry.start_all(ledger_id)
            except StorageError as err:
                storage.close()
                if _changed(err) and attempt + 1 < _OPEN_ATTEMPTS:
                    continue  # a writer checkpointed while a read-only open verified: read the new state whole
                raise
            except BaseException:
                storage.close()
                raise
            return ledger
        raise AssertionError("unreachable")  # every attempt returns or raises

    def _settle_owner(self, owner: str | None) -> None:
        """The owner asked for must be the chain's; a ledger without one gets it as an entry (at the last entry's
        timestamp, so that two new ledgers with the same id and owner start with the same entry)."""
        if owner is None:
            return
        if self._acl_state.owner is None:
            self._require_writable()

            def records() -> list[dict[str, Any]]:
                # Called again after a catch-up on shared storage: another process may have made the owner meanwhile.
                current = self._acl_state.owner
                if current is None:
                    return [owner_record(owner, self._tip.timestamp)]
                self._check_owner(current, owner)
                return []

            self._write_system(records)
        else:
            self._check_owner(self._acl_state.owner, owner)

    def _check_owner(self, current: str, owner: str) -> None:
        if current != owner:
            raise LedgerMismatch(
                f"ledger {self.id!r} is owned by {current}, not {owner}",
                details={"reason": "other_owner", "found": current},
            )

    # -- state -----------------------------------------------------------------------------------------

    def _require_open(self) -> None:
        if self._closed:
            raise LedgerClosed(f"ledger {self.id!r} is closed")

    def __len__(self) -> int:
        self._require_open()
        self._sync()
        return self._tip.size

    @property
    def latest_hash(self) -> str | None:
        """The hash of the last entry, or None when empty."""
        self._require_open()
        self._sync()
        return self._tip.hash

    def has_storage(self) -> bool:
        """Whether entries survive this process."""
        self._require_open()
        return self._storage.persistent

    @property
    def read_only(self) -> bool:
        """Whether the storage was opened read-only: every write is refused (``STORAGE_ERROR``, reason
        ``read_only_open``)."""
        return bool(getattr(self._storage, "read_only", False))

    @property
    def caveats(self) -> list[str]:
        """What this ledger cannot promise, in words (empty unless read-only): e.g. that another process may append
        meanwhile, or that a checkpoint by another process makes later reads fail. A new list on each call."""
        return list(getattr(self._storage, "caveats", []))

    def _require_read_write(self) -> None:
        if self.read_only:
            raise StorageError(
                f"ledger {self.id!r} was opened read-only: it serves reads and verification, and refuses every write; "
                "open it without read-only to write",
                details={"reason": "read_only_open"},
            )

    def _require_writable(self) -> None:
        self._require_read_write()
        if self.format_version != FORMAT_VERSION:
            raise LedgerMismatch(
                f"ledger {self.id!r} is stored in format {self.format_version}, which binds neither the ledger id "
                "nor access control into the chain: it can be read and verified, not appended to. Copy it into a "
                f"format-2 file with `nucleus upgrade <old.db> <new.db> --ledger {self.id}` "
                "(Python: nucleus.upgrade_file)",
                details={"reason": "old_format", "found": self.format_version, "supported": FORMAT_VERSION},
            )

    # -- appending -------------------------------------------------------------------------------------

    def append(self, record: dict[str, Any], context: RequestContext | dict[str, Any] | None = None) -> str:
        """Append one record; its entry hash."""
        return self._append([record], context, batch=False)[0]

    def append_batch(
        self, records: list[dict[str, Any]], context: RequestContext | dict[str, Any] | None = None
    ) -> list[str]:
        """Append records all-or-nothing (one storage transaction); their entry hashes in order."""
        if type(records) is not list and type(records) is not tuple:
            raise ValidationError(f"append_batch needs a list of records, got {type(records).__name__}")
        return self._append(list(records), context, batch=True)

    def _prepare(
        self, records: list[Any], ctx: RequestContext | None, batch: bool, json_decoded: bool
    ) -> tuple[list[PreparedRecord] | PreparedBatch, list[bool]]:
        """The records validated, enriched by the modules and canonicalized, and for each whether the engine stamped
        its timestamp (which a catch-up on shared storage may move up; a caller's own timestamp never moves).
        A batch from the bridge that needs no per-record step (no modules, unique ids or shared storage) is checked
        whole at C speed when it provably passes (``prepare_decoded_batch``); else record by record, which names
        the first fault."""
        prepared: list[PreparedRecord] = []
        # Only shared storage can see the tip move before chaining (the only time _restamp needs to know).
        stamped: list[bool] = []
        shared = self._shared
        floor = self._tip.timestamp
        now = _now_ms()
        strict = self.options.strict_validation
        unique = self.options.unique_ids
        seen_ids: set[str] = set()
        has_modules = bool(self.modules.list())
        if json_decoded and len(records) > 1 and not (has_modules or unique or shared):
            whole = prepare_decoded_batch(
                records, floor=floor, default_timestamp=now, require_timestamp=strict, reserved=RESERVED_PREFIX
            )
            if whole is not None:
                return whole, stamped
        for index, record in enumerate(records):
            stamp = now if now >= floor else floor
            try:
                p = prepare_record(record, default_timestamp=stamp, require_timestamp=strict, json_decoded=json_decoded)
                enriched = self.modules.before_append(p.fields, ctx) if has_modules else None
                if enriched is not None:
                    p = prepare_record(enriched, default_timestamp=p.timestamp, require_timestamp=True)
                if p.stream.startswith(RESERVED_PREFIX):
                    raise ValidationError(
                        f"record.stream {p.stream!r} is reserved: streams starting with {RESERVED_PREFIX!r} "
                        "hold the engine's own entries (access control)",
                        details={"field": "stream"},
                    )
                if p.timestamp < floor:
                    raise _too_early(p.timestamp, floor)
                if unique and (p.id in seen_ids or self._storage.latest_by_id(p.id, self._tip.size)):
                    raise ValidationError(
                        f"record id {p.id!r} exists already (uniqueIds is on)", details={"field": "id"}
                    )
            except NucleusError as err:
                if batch:
                    _at_index(err, index)
                raise
            if unique:
                seen_ids.add(p.id)
            floor = p.timestamp
            prepared.append(p)
            if shared:
                # The engine chose this timestamp (no module set another): it may move up, should another writer's.
                stamped.append(record.get("timestamp") is None and p.timestamp == stamp)
        return prepared, stamped

    def _append(self, records: list[Any], context: Any, batch: bool, json_decoded: bool = False) -> list[str]:
        self._require_open()
        self._require_writable()
        ctx = parse_context(context)
        self._sync()
        self.acl.require_write(ctx)
        if not records:
            return []
        self._check_room(len(records))
        prepared, stamped = self._prepare(records, ctx, batch, json_decoded)
        checked_at = self._tip

        def chain() -> list[Entry]:
            if self._tip != checked_at:
                # Another writer appended after the checks above: what depends on the chain is checked again.
                self.acl.require_write(ctx)
                self._check_room(len(prepared))
                self._check_ids_again(prepared, batch)
            return self._entries_for(self._restamp(prepared, stamped, batch))

        entries = self._write(chain)
        self._metrics["batches" if batch else "appends"] += 1
        self.modules.after_append(entries)
        return list(map(_hash_of, entries))

    def _restamp(
        self, prepared: list[PreparedRecord] | PreparedBatch, stamped: list[bool], batch: bool
    ) -> list[PreparedRecord] | PreparedBatch:
        """The records with every engine-stamped timestamp below the tip's moved up to it, so that timestamps stay
        non-decreasing whoever appended last; a caller's own timestamp below it is refused, as always. A no-op
        unless the tip moved since ``_prepare`` (another writer on shared storage)."""
        floor = self._tip.timestamp
        if isinstance(prepared, PreparedBatch) or not prepared or prepared[0].timestamp >= floor:
            return prepared  # _prepare kept them non-decreasing (always so on storage that is not shared)
        out = []
        for index, (p, auto) in enumerate(zip(prepared, stamped, strict=True)):
            if p.timestamp < floor:
                if not auto:
                    err = _too_early(p.timestamp, floor)
                    raise _at_index(err, index) if batch else err
                p = prepare_record({**p.fields, "timestamp": floor}, default_timestamp=floor, require_timestamp=True)
            floor = p.timestamp
            out.append(p)
        return out

    def _check_ids_again(self, prepared: list[PreparedRecord] | PreparedBatch, batch: bool) -> None:
        if not self.options.unique_ids or isinstance(prepared, PreparedBatch):
            return  # a PreparedBatch is only made without unique ids
        for index, p in enumerate(prepared):
            if self._storage.latest_by_id(p.id, self._tip.size):
                err = ValidationError(f"record id {p.id!r} exists already (uniqueIds is on)", details={"field": "id"})
                raise _at_index(err, index) if batch else err

    def _check_room(self, more: int) -> None:
        limit = self.options.max_entries
        if limit is not None and self._tip.size + more > limit:
            raise LedgerFull(
                f"ledger {self.id!r} holds {self._tip.size} of at most {limit} entries; {more} more do not fit",
                details={"maxEntries": limit},
            )

    def _entries_for(self, prepared: list[PreparedRecord] | PreparedBatch) -> list[Entry]:
        """Chain prepared records after the tip."""
        seq, prev = self._tip.size, self._tip.hash
        if isinstance(prepared, PreparedBatch):
            # The hot path of a batch: Entry tuples made by map and zip, no Python step per entry (tuple.__new__ is
            # what Entry._make does, less its length check: zip of seven columns makes seven fields).
            hashes = chain_hashes(self._template, seq, prev, prepared.canonical)
            columns = (prepared.ids, prepared.streams, prepared.timestamps, prepared.texts)
            rows = zip(itertools.count(seq), hashes, [prev, *hashes[:-1]], *columns)
            return list(map(tuple.__new__, itertools.repeat(Entry), rows))
        hashes = chain_hashes(self._template, seq, prev, [p.canonical for p in prepared])
        return [
            Entry(n, h, before, p.id, p.stream, p.timestamp, p.text)
            for n, p, h, before in zip(itertools.count(seq), prepared, hashes, [prev, *hashes[:-1]])
        ]

    def _acl_timestamp(self) -> int:
        # Access control decides on the state the chain holds now: on shared storage, take in other writers' first.
        self._sync()
        return self._tip.timestamp

    def _append_system(self, record: dict[str, Any], wanted: Callable[[], bool]) -> bool:
        """Append one of the engine's own records (access control), checked like any record, no modules, unless
        ``wanted()`` says otherwise when it is chained; whether it was written. It carries the previous entry's
        timestamp, which a catch-up on shared storage may have moved."""
        self._require_open()
        self._require_writable()
        return bool(self._write_system(lambda: [{**record, "timestamp": self._tip.timestamp}] if wanted() else []))

    def _write_records(self, records: list[dict[str, Any]]) -> None:
        """Append records as they are (timestamps included), without modules (``nucleus.upgrade_file``)."""
        self._write_system(lambda: records)

    def _write_system(self, records: Callable[[], list[dict[str, Any]]]) -> list[Entry]:
        """Append the records ``records()`` makes from the tip as it is when the entries are chained."""

        def chain() -> list[Entry]:
            made = records()
            if made:
                self._check_room(len(made))
            return self._entries_for([prepare_record(r, default_timestamp=0, require_timestamp=True) for r in made])

        return self._write(chain)

    def _next_state(self, entries: Sequence[Entry]) -> tuple[Tip, AclState]:
        """The tip and access-control state after ``entries``. The state moves with the chain: a copy takes the new
        entries first, so that a refused entry (which the chain could never hold) changes nothing."""
        tip = Tip(entries[-1].seq + 1, entries[-1].hash, entries[-1].timestamp)
        state = self._acl_state
        if ACL_STREAM in map(_stream_of, entries):
            state = state.copy()
            for e in entries:
                if e.stream == ACL_STREAM:
                    state.apply(e.seq, e.record, self.acl.resource)
        return tip, state

    def _write(self, chain: Callable[[], list[Entry]]) -> list[Entry]:
        """Write the entries ``chain()`` builds after the tip (none: nothing is written); the entries written.

        On shared storage ``chain`` runs inside the append transaction, once this ledger has taken in (and verified)
        what other writers committed after its tip, so it must build from the tip as it is when called."""
        if not self._shared:
            entries = chain()
            if entries:
                self._store(entries)
            return entries
        after: list[tuple[Tip, AclState, Frontier]] = []

        def build(head: Head, newer: Iterator[StoredRow]) -> tuple[list[Entry], list[TreeNode]]:
            self._catch_up(head, newer)
            entries = chain()
            nodes: list[TreeNode] = []
            if entries:
                try:
                    tip, state = self._next_state(entries)
                except ChainIntegrityError as err:  # an access-control entry the others' entries made impossible
                    raise AccessDenied(
                        f"access control changed while this was written (another writer's entries): {err.message}",
                        details={"reason": "changed_meanwhile"},
                    ) from None
                tree, nodes = self._tree.extended([e.hash for e in entries])
                after[:] = [(tip, state, tree)]
            return entries, nodes

        storage = cast("SharedStorage", self._storage)
        try:
            written = list(storage.append_after(self._tip.size, build))
        except StorageError as err:
            if err.details.get("committed") and after:
                self._set_state(*after[0])
            raise
        if written:
            self._set_state(*after[0])
        return written

    def _store(self, entries: list[Entry]) -> None:
        tip, state = self._next_state(entries)
        tree, nodes = self._tree.extended(list(map(_hash_of, entries)))
        try:
            self._storage.append(entries, nodes)
        except StorageError as err:
            if err.details.get("committed"):  # only the sync after the commit failed: storage holds them
                self._set_state(tip, state, tree)
            raise
        self._set_state(tip, state, tree)

    def _sync(self) -> None:
        """On shared storage, take in what other writers committed since this ledger's tip (one statement when
        nothing was). Elsewhere nobody else writes: a no-op."""
        if not self._shared:
            return
        head, rows = cast("SharedStorage", self._storage).snapshot(self._tip.size)
        if head.size == self._tip.size and head.hash == self._tip.hash:
            return
        self._catch_up(head, rows)

    def _catch_up(self, head: Head, rows: Iterable[StoredRow]) -> None:
        """Verify ``rows`` (other writers' entries after the tip, ending at ``head``) as opening does, and make
        them this ledger's: the tip moves to the head, and their access-control entries apply."""
        if head.size < self._tip.size:
            raise ChainIntegrityError(
                f"the ledger's head says it holds {head.size} entries, but this ledger verified {self._tip.size}: "
                "entries were removed (truncation or rollback)",
                seq=head.size,
                kind="checkpoint",
            )
        tree = tree_check(self._storage, self._tree)
        walk = ChainWalk(self.id, self.format_version, self._acl_state.copy(), tree)
        tip = walk.walk(rows, self._tip)
        check_head(tip, head)
        self._tip = tip
        self._tree = tree.frontier
        self._acl_state.adopt(walk.acl)

    def _set_state(self, tip: Tip, state: AclState, tree: Frontier) -> None:
        self._tip = tip
        self._tree = tree
        if state is not self._acl_state:
            self._acl_state.adopt(state)

    # -- reading ---------------------------------------------------------------------------------------

    @staticmethod
    def _check_key(value: Any, name: str) -> str:
        if type(value) is not str:
            raise ArgumentError(f"{name} must be a string, got {type(value).__name__}")
        return value

    def get(self, entry_hash: str) -> dict[str, Any] | None:
        """The record of the entry with this hash, or None."""
        entry = self.get_entry(entry_hash)
        return None if entry is None else entry.record

    def get_entry(self, entry_hash: str) -> Entry | None:
        """The entry (seq, hash, prev_hash, record) with this hash, or None."""
        self._require_open()
        key = self._check_key(entry_hash, "hash")
        self._sync()
        return self._storage.get(key, self._tip.size)

    def get_by_id(self, record_id: str) -> dict[str, Any] | None:
        """The latest record with this id, or None."""
        self._require_open()
        key = self._check_key(record_id, "id")
        self._sync()
        entry = self._storage.latest_by_id(key, self._tip.size)
        return None if entry is None else entry.record

    def query(self, filters: dict[str, Any] | None = None, **kwargs: Any) -> QueryResult:
        """Records matching every filter (``stream``, ``id``, ``timestamp_from``/``_to`` inclusive,
        ``module_filters``), in seq order (``order="desc"`` reverses), paged by ``offset`` and ``limit``
        (default 100, at most 10,000)."""
        self._require_open()
        if filters is not None and kwargs:
            raise ArgumentError("pass filters either as a dict or as keyword arguments, not both")
        parsed = parse_query(filters if filters is not None else kwargs, self.modules)
        self._sync()
        spec = dataclasses.replace(parsed, end=self._tip.size)
        page, total = self._storage.query(spec)
        self._metrics["queries"] += 1
        return QueryResult([e.record for e in page], total, spec.offset + len(page) < total)

    # -- verifying -------------------------------------------------------------------------------------

    def _verify_stored(self, kept: Checkpoint | None, mode: str = "full") -> Tip:
        """Verify the stored chain, whole or (``mode="from_checkpoint"``) from ``kept`` on; the tip, with the
        access-control state it builds now this ledger's."""
        if mode == "from_checkpoint" and kept is not None:
            tip, walk, walked = verify_from_checkpoint(self._storage, self.id, self.format_version, kept)
        else:
            walk = self._walk()
            tip, _ = verify_stored(self._storage, walk, kept)
            walked = tip.size
        self._metrics["verifications"] += 1
        self._metrics["verifiedEntries"] += walked
        self._acl_state.adopt(walk.acl)
        self._adopt_tree(walk)
        return tip

    def _walk(self) -> ChainWalk:
        """A walk of the whole stored chain, its tree included."""
        acl = AclState.from_legacy(*self._storage.legacy_acl())
        return ChainWalk(self.id, self.format_version, acl, tree_check(self._storage))

    def _adopt_tree(self, walk: ChainWalk) -> None:
        assert walk.tree is not None
        self._tree = walk.tree.frontier
        self._memory_tree = walk.tree.memory

    def verify(self, checkpoint: Checkpoint | dict[str, Any] | str | None = None) -> None:
        """Re-verify every stored entry (and a kept checkpoint); ``ChainIntegrityError`` names the first fault.
        Always the whole chain, also after ``Ledger.open(..., verify="from_checkpoint")``: the check that mode
        leaves out."""
        self._require_open()
        kept = None if checkpoint is None else Checkpoint.parse(checkpoint)
        before = self._tip
        self._storage.recheck()
        walk = self._walk()
        tip, _ = verify_stored(self._storage, walk, kept)
        self._metrics["verifications"] += 1
        self._metrics["verifiedEntries"] += tip.size
        if tip == before:
            self._acl_state.adopt(walk.acl)
            self._adopt_tree(walk)
            return
        if self._shared and tip.size > before.size:
            # Other writers appended since: the chain must extend what this ledger verified, and becomes its own.
            if before.size:
                check_checkpoint(self._storage.rows(before.size - 1), Checkpoint(before.size, before.hash), tip)
            self._tip = tip
            self._acl_state.adopt(walk.acl)
            self._adopt_tree(walk)
            return
        if self.read_only and tip.size > before.size:
            # Another process appended since this read-only open: the entries it serves must be a prefix of the file.
            check_checkpoint(self._storage.rows(before.size - 1), Checkpoint(before.size, before.hash), tip)
            return
        raise ChainIntegrityError(
            f"storage holds {tip.size} entries ending in {tip.hash}, but this ledger appended "
            f"{before.size} ending in {before.hash}: storage changed underneath",
            seq=min(tip.size, before.size),
            kind="checkpoint",
        )

    def verify_storage(self, checkpoint: Checkpoint | dict[str, Any] | str | None = None) -> bool:
        """False without persistent storage; else re-read and verify it from scratch (True, or raises)."""
        self._require_open()
        if not self._storage.persistent:
            return False
        self.verify(checkpoint)
        return True

    def checkpoint(self) -> Checkpoint:
        """The current ``{origin, size, root, hash}``: keep it elsewhere to detect truncation, rollback and forks
        later, and to check Merkle proofs against."""
        self._require_open()
        self._sync()
        return Checkpoint(self._tip.size, self._tip.hash, ORIGIN_PREFIX + self.id, encode_hash(self._tree.root()))

    # -- proofs ----------------------------------------------------------------------------------------

    def _tree_size(self, size: Any, low: int, what: str) -> int:
        """``size`` (None: the current length) checked to lie in ``low … length``."""
        length = self._tip.size
        if size is None:
            size = length
        if type(size) is not int or not low <= size <= length:
            raise ArgumentError(f"{what} must be an integer from {low} to {length} (the ledger's length), got {size!r}")
        return size

    def _reader(self) -> TreeReader:
        source = self._storage if self._memory_tree is None else self._memory_tree
        return TreeReader(source, self._tree)

    def inclusion_proof(self, seq: int, size: int | None = None) -> dict[str, Any]:
        """The RFC 9162 inclusion proof of entry ``seq`` in the tree of the first ``size`` entries (default: all),
        as JSON: ``{kind: "inclusion", index, size, path}`` (docs/FORMAT.md §9)."""
        self._require_open()
        self._sync()
        if type(seq) is not int or not 0 <= seq < self._tip.size:
            raise ArgumentError(f"seq must be an integer from 0 to {self._tip.size - 1}, got {seq!r}")
        size = self._tree_size(size, seq + 1, "size")
        return inclusion_json(seq, size, inclusion_path(seq, size, self._reader().subtree))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> dict[str, Any]:
        """The RFC 9162 consistency proof that the tree of ``new_size`` entries (default: all) extends the tree of
        ``old_size``, as JSON: ``{kind: "consistency", from, to, path}`` (docs/FORMAT.md §9)."""
        self._require_open()
        self._sync()
        new_size = self._tree_size(new_size, 1, "new size")
        if type(old_size) is not int or not 0 < old_size <= new_size:
            raise ArgumentError(
                f"old size must be an integer from 1 to {new_size} (an empty tree proves nothing), got {old_size!r}"
            )
        return consistency_json(old_size, new_size, consistency_path(old_size, new_size, self._reader().subtree))

    # -- moving ledgers --------------------------------------------------------------------------------

    def export_lines(self) -> Iterator[str]:
        """The export as lines (no newlines), streamed from storage."""
        self._require_open()
        self._sync()
        return export_lines(self.id, self._tip.size, itertools.islice(self._storage.entries(), self._tip.size))

    def export(self) -> str:
        """The whole ledger as JSON Lines text (docs/FORMAT.md, Export)."""
        return "".join(in_parts(self.export_lines()))

    def _export_part(self, start: Any, size: Any = None) -> dict[str, Any]:
        """One part of a streamed export (the bridge's ``exportStream``): ``{text, size, next}``, where ``size`` is the
        length exported (the current one when not given: the first part fixes it) and ``next`` where the next part
        starts (``size`` after the last). Entries below a length never change, so parts read one by one, appends in
        between, join to the export of that length."""
        self._require_open()
        self._sync()
        if size is None:
            size = self._tip.size
        if type(size) is not int or not 0 <= size <= self._tip.size:
            raise ArgumentError(f"export size must be an integer from 0 to {self._tip.size}, got {size!r}")
        if type(start) is not int or not 0 <= start <= size:
            raise ArgumentError(f"export part start must be an integer from 0 to {size}, got {start!r}")
        entries = self._storage.entries(start)
        try:
            text, stop = export_part(self.id, size, start, entries)
        finally:
            close = getattr(entries, "close", None)  # a generator's cursor, now rather than when collected
            if close is not None:
                close()
        return {"text": text, "size": size, "next": stop}

    def import_entries(self, data: str | Iterable[str], context: RequestContext | dict[str, Any] | None = None) -> int:
        """Add the entries of an export that this ledger lacks. The export must verify whole and extend this
        ledger's chain (it may be this ledger's own export, longer); nothing is written otherwise. Module
        hooks do not run: imported entries are final. Returns the number of entries added."""
        self._require_open()
        self._require_writable()
        self.acl.require_write(parse_context(context))
        entries = parse_export(data, self.id, ChainWalk(self.id, self.format_version))

        def chain() -> list[Entry]:
            size = self._tip.size
            if len(entries) < size or (size and entries[size - 1].hash != self._tip.hash):
                raise LedgerMismatch(
                    f"the export ({len(entries)} entries) does not extend this ledger ({size} entries): "
                    "the two have forked",
                    details={"reason": "fork"},
                )
            limit = self.options.max_entries
            if limit is not None and len(entries) > limit:
                raise LedgerFull(f"importing would grow ledger {self.id!r} past maxEntries {limit}")
            return entries[size:]  # the export verified whole, so its access-control entries replay here too

        return len(self._write(chain))

    # -- misc ------------------------------------------------------------------------------------------

    def metrics(self) -> dict[str, int]:
        """Operation counters (needs ``enableMetrics``)."""
        self._require_open()
        if not self.options.enable_metrics:
            raise ConfigError("metrics are off; open the ledger with options={'enableMetrics': True}")
        return {**self._metrics, "entries": self._tip.size}

    def close(self) -> None:
        """Stop modules and release storage. Idempotent; any later call raises ``LEDGER_CLOSED``."""
        if self._closed:
            return
        self._closed = True
        try:
            self.modules.stop_all()
        finally:
            self._storage.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{self._tip.size} entries"
        return f"<nucleus.Ledger {self.id!r} {state}>"


# -- operations --------------------------------------------------------------------------------------------

# Every operation of a ledger, named as the TypeScript API names it (js/src/types/ledger.ts): how the bridge runs it
# on the request's JSON arguments (docs/BRIDGE.md), giving JSON. The one list: tests_py/test_operations.py holds the
# TypeScript interface and BRIDGE.md to it. Records arrive straight from ``json.loads``, so their keys are strings by
# construction and canonicalization may skip its Python-level walk (``json_decoded``).
OPERATIONS: dict[str, Callable[[Ledger, dict[str, Any]], Any]] = {
    "append": lambda lg, a: lg._append([a.get("record")], a.get("context"), batch=False, json_decoded=True)[0],
    "appendBatch": lambda lg, a: lg._append(_batch(a.get("records")), a.get("context"), batch=True, json_decoded=True),
    "get": lambda lg, a: lg.get(a.get("hash")),
    "getById": lambda lg, a: lg.get_by_id(a.get("id")),
    "getEntry": lambda lg, a: _entry_json(lg.get_entry(a.get("hash"))),
    "query": lambda lg, a: lg.query(a.get("filters") or {}).to_json(),
    "verify": lambda lg, a: lg.verify(a.get("checkpoint")),
    "length": lambda lg, a: len(lg),
    "isEmpty": lambda lg, a: len(lg) == 0,
    "latestHash": lambda lg, a: lg.latest_hash,
    "hasStorage": lambda lg, a: lg.has_storage(),
    "verifyStorage": lambda lg, a: lg.verify_storage(a.get("checkpoint")),
    "checkpoint": lambda lg, a: lg.checkpoint().to_json(),
    "inclusionProof": lambda lg, a: lg.inclusion_proof(a.get("seq"), a.get("size")),
    "consistencyProof": lambda lg, a: lg.consistency_proof(a.get("from"), a.get("to")),
    "export": lambda lg, a: lg.export(),
    "exportStream": lambda lg, a: lg._export_part(a.get("from"), a.get("size")),
    "importEntries": lambda lg, a: {"imported": lg.import_entries(a.get("data"), a.get("context")), "length": len(lg)},
    "metrics": lambda lg, a: lg.metrics(),
    "close": lambda lg, a: lg.close(),
    "modules.list": lambda lg, a: lg.modules.list(),
    "modules.metadata": lambda lg, a: lg.modules.metadata(),
    "modules.getState": lambda lg, a: lg.modules.get_state(a.get("id")),  # a StrEnum: JSON text as its value
    "acl.grant": lambda lg, a: lg.acl.grant(a.get("grant"), parse_context(a.get("context"))),
    "acl.check": lambda lg, a: lg.acl.check(a.get("subjectOid"), a.get("resourceOid"), a.get("action")),
    "acl.revoke": lambda lg, a: lg.acl.revoke(
        a.get("subjectOid"), a.get("resourceOid"), a.get("action"), parse_context(a.get("context"))
    ),
    "acl.listGrants": lambda lg, a: lg.acl.list_grants(a.get("subjectOid")),
}


def _batch(records: Any) -> list[Any]:
    if type(records) is not list:
        raise ValidationError(f"appendBatch needs an array of records, got {type(records).__name__}")
    return records


def _entry_json(entry: Entry | None) -> dict[str, Any] | None:
    return None if entry is None else entry.to_json()
