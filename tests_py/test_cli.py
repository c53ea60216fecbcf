"""The ``nucleus`` command of the Python package (``python -m nucleus``, the console script), run against the CLI
test table tests_py/cli_table.json, which js/test/cli-table.test.mjs and js/test/cli-refusals.test.mjs run against
the npm package's bin: one table, both CLIs, the same commands, output and exit statuses.

The table: ``fixtures`` are made once (``ledger``: a SQLite ledger of those records; ``export``: another fixture's
export; ``from``: another fixture's bytes with ``replace`` [old, new] done everywhere or the first ``drop_lines``
lines dropped; ``text``; ``file``: a repository file). Each case runs in a directory of its own holding its ``files``
(a fixture name, or [name, fixture]) and ``dirs``, with the ledger ``hold`` open in the test process meanwhile, and
runs its ``steps`` (or itself, as one step) in order, there. A step runs ``argv`` (stdin: ``stdin_file``) and
asserts: ``exit``; ``stdout``/``stderr``: patterns that must match (multiline), ``stdout_not``/``stderr_not``:
patterns that must not; ``stdout_full``: a pattern matching all of stdout; ``stdout_starts``; ``stdout_file``: stdout
is that file's text; ``in_docs``: docs/CLI.md holds stdout; ``json``: {path: value} of stdout parsed (``a.0.b``;
``*`` maps a list; a missing key is null); ``json_match``: {path: pattern}; ``json_size``: {path: file}: that
file's size; ``same_json``: {path: step}: equal to that earlier step's; ``unchanged``: the directory is byte for
byte as before the step; ``unchanged_files``; ``exists``; ``absent``; ``same_files``: pairs with equal bytes;
``listing``: the directory holds exactly these; ``no_locks``: no ``.lock`` file anywhere; ``mode``: {file: octal
permission bits}. Around the run: ``edit`` [file, old, new] replaces the first ``old`` in that file before it (a
tampered input), ``save_stdout`` writes stdout to that file after it (an input of later steps). ``$DIR`` stands for the
case's directory, ``$PID`` for the test process's id. ``refusals`` are cases that must be refused: run with
``--json``, each must exit with its status, print ``"ok": false`` and leave its directory (``refusals.files``)
exactly as it was.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import nucleus
from nucleus import cli

ROOT = Path(__file__).resolve().parents[1]
TABLE: dict[str, Any] = json.loads((ROOT / "tests_py" / "cli_table.json").read_text(encoding="utf-8"))
DOCS = (ROOT / "docs" / "CLI.md").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Result:
    """One run of the command."""

    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except ValueError:
            return None


def run_cli(argv: list[str], cwd: Path, stdin: bytes = b"") -> Result:
    """``python -m nucleus ...argv`` in ``cwd``, the engine imported from this checkout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "py"), "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "nucleus", *argv], cwd=cwd, input=stdin, capture_output=True, env=env, timeout=300
    )
    return Result(done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))


# -- fixtures ---------------------------------------------------------------------------------------------


def _ledger_id(name: str) -> str:
    spec = TABLE["fixtures"][name]
    assert "ledger" in spec, f"fixture {name} is not a ledger"
    return spec["ledger"]


def build_fixtures(dest: Path) -> None:
    """Every fixture of the table, in ``dest``."""
    for name, spec in TABLE["fixtures"].items():
        path = dest / name
        if "ledger" in spec:
            with nucleus.Ledger.open(spec["ledger"], nucleus.SqliteStorage(path)) as ledger:
                ledger.append_batch(spec["records"])
        elif "export" in spec:
            source = nucleus.SqliteStorage(dest / spec["export"], read_only=True)
            with nucleus.Ledger.open(_ledger_id(spec["export"]), source) as ledger:
                path.write_bytes(ledger.export().encode("utf-8"))
        elif "from" in spec:
            data = (dest / spec["from"]).read_bytes()
            if "replace" in spec:
                old, new = (s.encode("utf-8") for s in spec["replace"])
                assert old in data, f"fixture {name}: {spec['replace'][0]} is not in {spec['from']}"
                data = data.replace(old, new)
            if "drop_lines" in spec:
                data = b"".join(data.splitlines(keepends=True)[spec["drop_lines"] :])
            path.write_bytes(data)
        elif "text" in spec:
            path.write_bytes(spec["text"].encode("utf-8"))
        else:
            shutil.copyfile(ROOT / spec["file"], path)


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("cli-fixtures")
    build_fixtures(dest)
    return dest


def fingerprint(directory: Path) -> dict[str, str]:
    """Every entry under ``directory`` (directories end in "/") and, for files, the SHA-256 of its bytes."""
    out = {}
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory).as_posix()
        if path.is_dir():
            out[rel + "/"] = ""
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# -- the assertions ---------------------------------------------------------------------------------------


def _subst(value: Any, d: Path) -> Any:
    """``value`` with ``$DIR`` and ``$PID`` put in (``"$PID"`` alone becomes the number)."""
    if value == "$PID":
        return os.getpid()
    if isinstance(value, str):
        return value.replace("$DIR", str(d))
    if isinstance(value, list):
        return [_subst(v, d) for v in value]
    if isinstance(value, dict):
        return {k: _subst(v, d) for k, v in value.items()}
    return value


def _pattern(pattern: str, d: Path) -> str:
    return pattern.replace("$DIR", re.escape(str(d))).replace("$PID", str(os.getpid()))


def json_get(value: Any, path: str) -> Any:
    """``value`` at ``path`` (``a.0.b``; ``*`` maps a list); None where a key is missing."""
    parts = path.split(".")
    for n, part in enumerate(parts):
        if part == "*":
            rest = ".".join(parts[n + 1 :])
            return [json_get(item, rest) if rest else item for item in value]
        if isinstance(value, list):
            value = value[int(part)] if int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def same(a: Any, b: Any) -> bool:
    """JSON equality: a boolean is not a number; 1 and 1.0 are one number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def check_step(step: dict[str, Any], r: Result, d: Path, before: dict[str, str], earlier: list[Result]) -> None:
    label = f"nucleus {' '.join(step['argv'])}: exit {r.code}\nstdout: {r.stdout[:2000]}\nstderr: {r.stderr[:2000]}"
    assert r.code == step["exit"], label
    for stream in ("stdout", "stderr"):
        text = getattr(r, stream)
        for p in step.get(stream, []):
            assert re.search(_pattern(p, d), text, re.M), f"{stream} lacks /{p}/: {label}"
        for p in step.get(f"{stream}_not", []):
            assert not re.search(_pattern(p, d), text, re.M), f"{stream} has /{p}/: {label}"
    if "stdout_full" in step:
        assert re.fullmatch(_pattern(step["stdout_full"], d), r.stdout), label
    if "stdout_starts" in step:
        assert r.stdout.startswith(step["stdout_starts"]), label
    if "stdout_file" in step:
        assert r.stdout == (d / step["stdout_file"]).read_text(encoding="utf-8"), label
    if step.get("in_docs"):
        assert r.stdout.rstrip() in DOCS, f"docs/CLI.md is out of date: run `node scripts/cli-docs.mjs` in js/\n{label}"
    for path, expected in step.get("json", {}).items():
        assert same(json_get(r.json, path), _subst(expected, d)), f"{path} is not {expected!r}: {label}"
    for path, p in step.get("json_match", {}).items():
        assert re.search(_pattern(p, d), str(json_get(r.json, path))), f"{path} lacks /{p}/: {label}"
    for path, file in step.get("json_size", {}).items():
        assert json_get(r.json, path) == (d / file).stat().st_size, label
    for path, n in step.get("same_json", {}).items():
        assert same(json_get(r.json, path), json_get(earlier[n].json, path)), f"{path} differs from step {n}: {label}"
    after = fingerprint(d)
    if step.get("unchanged"):
        assert after == before, f"the directory changed: {label}"
    for file in step.get("unchanged_files", []):
        assert after.get(file) == before[file], f"{file} changed: {label}"
    for file in step.get("exists", []):
        assert (d / file).exists(), f"{file} is missing: {label}"
    for file in step.get("absent", []):
        assert not (d / file).exists(), f"{file} exists: {label}"
    for a, b in step.get("same_files", []):
        assert (d / a).read_bytes() == (d / b).read_bytes(), f"{a} and {b} differ: {label}"
    if "listing" in step:
        assert sorted(os.listdir(d)) == sorted(step["listing"]), label
    if step.get("no_locks"):
        assert not [f for f in after if f.endswith(".lock")], f"a lock was left behind: {label}"
    for file, bits in step.get("mode", {}).items():
        assert oct((d / file).stat().st_mode & 0o777)[2:] == bits, f"{file} is not mode {bits}: {label}"


def run_case(case: dict[str, Any], fixtures: Path, d: Path) -> None:
    """Copies the case's files into ``d``, holds its ledger open, runs its steps there."""
    files = dict((entry, entry) if isinstance(entry, str) else entry for entry in case.get("files", []))
    for name, fixture in files.items():
        shutil.copyfile(fixtures / fixture, d / name)
    for sub in case.get("dirs", []):
        (d / sub).mkdir(parents=True)
    held = None
    if "hold" in case:
        held = nucleus.Ledger.open(_ledger_id(files[case["hold"]]), nucleus.SqliteStorage(d / case["hold"]))
    try:
        earlier: list[Result] = []
        for step in case.get("steps", [case]):
            if "edit" in step:
                file, old, new = step["edit"]
                data = (d / file).read_text(encoding="utf-8")
                assert old in data, f"{file} lacks {old!r} to edit"
                (d / file).write_text(data.replace(old, new, 1), encoding="utf-8")
            before = fingerprint(d)
            stdin = (d / step["stdin_file"]).read_bytes() if "stdin_file" in step else b""
            r = run_cli(step["argv"], d, stdin)
            check_step(step, r, d, before, earlier)
            if "save_stdout" in step:
                (d / step["save_stdout"]).write_text(r.stdout, encoding="utf-8")
            earlier.append(r)
    finally:
        if held is not None:
            held.close()


@pytest.mark.host_only
@pytest.mark.parametrize("case", TABLE["cases"], ids=[c["name"] for c in TABLE["cases"]])
def test_the_table(case: dict[str, Any], fixtures: Path, tmp_path: Path) -> None:
    run_case(case, fixtures, tmp_path.resolve())


@pytest.mark.host_only
@pytest.mark.parametrize("refusal", TABLE["refusals"]["cases"], ids=[c["name"] for c in TABLE["refusals"]["cases"]])
def test_every_refused_command_leaves_its_directory_as_it_was(
    refusal: dict[str, Any], fixtures: Path, tmp_path: Path
) -> None:
    step = {"argv": [*refusal["argv"], "--json"], "exit": refusal["exit"], "json": {"ok": False}, "unchanged": True}
    run_case({"files": TABLE["refusals"]["files"], "steps": [step]}, fixtures, tmp_path.resolve())


# -- in-process: the parts that need no process (these run inside Pyodide too) -------------------------------


def test_the_console_script_and_python_m_run_the_same_main() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"nucleus": "nucleus.cli:main"}
    main_module = (ROOT / "py" / "nucleus" / "__main__.py").read_text(encoding="utf-8")
    assert "from .cli import main" in main_module


def test_help_texts_are_in_the_docs_and_in_the_quick_answers() -> None:
    answers = cli.quick_answers()
    assert answers['["--help"]'] == {"stdout": cli.main_help(), "code": 0}
    assert answers["[]"]["code"] == 2
    assert answers['["--version"]']["stdout"] == f"{nucleus.__version__}\n"
    for command in cli.COMMANDS:
        text = answers[json.dumps([command.name, "--help"], separators=(",", ":"))]["stdout"]
        assert text.startswith(f"Usage: nucleus {command.name} ")
        assert text.rstrip() in DOCS, f"docs/CLI.md is out of date: run `node scripts/cli-docs.mjs` in js/\n{text}"
        assert answers[json.dumps(["help", command.name], separators=(",", ":"))]["stdout"] == text
    assert cli.main_help().rstrip() in DOCS


def test_text_is_spelt_as_javascript_spells_it() -> None:
    from nucleus.cli._output import iso_time, js_json, millis, seconds, size, to_fixed

    value = {"a": [1, 2.5, 1e21, 1e-7, 5.0, -0.0, True, None], "b": {}, "c": [], "d": 'q"\\\n\x01é'}
    assert js_json(value) == '{"a":[1,2.5,1e+21,1e-7,5,0,true,null],"b":{},"c":[],"d":"q\\"\\\\\\n\\u0001é"}'
    assert js_json({"a": [1, {"b": []}]}, 2) == '{\n  "a": [\n    1,\n    {\n      "b": []\n    }\n  ]\n}'
    assert [to_fixed(1.25, 1), to_fixed(1.35, 1), to_fixed(0.5, 0), to_fixed(2.5, 0)] == ["1.3", "1.4", "1", "3"]
    assert [size(1023), size(1280), size(5 * 1024**2)] == ["1023 B", "1.3 KB", "5.0 MB"]
    assert [millis(37.5), millis(1234), seconds(12_345)] == ["38 ms", "1.23 s", "12.3 s"]
    assert iso_time(0) == "1970-01-01T00:00:00.000Z"
    assert iso_time(1735689601234) == "2025-01-01T00:00:01.234Z"
    assert iso_time(-1) == "1969-12-31T23:59:59.999Z"
    assert iso_time(8.64e15) == "+275760-09-13T00:00:00.000Z"
    assert iso_time(2**53) == iso_time(None) == "—"


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2024-05-01", 1714521600000),
        ("2024-05-01T12:00:00Z", 1714564800000),
        ("2024-05-01t12:00:00z", 1714564800000),
        ("2024-05-01T12:00:00.123456Z", 1714564800123),
        ("2024-05-01T12:00:00.1Z", 1714564800100),
        ("2024-05-01T12:00:00+02:00", 1714557600000),
        ("2024-05-01T12:00:00.123+05:30", 1714545000123),
        ("2024-05-01T12:00:00+0200", 1714557600000),
        ("2024-05-01T24:00:00Z", 1714608000000),
        ("2024-05-01Z", 1714521600000),
        ("2024-02-29", 1709164800000),
        ("2024-02-30", None),
        ("2023-02-29", None),
        ("2024-13-01", None),
        ("2024-05-01T24:00:01Z", None),
        ("2024-05-01T12:60:00Z", None),
        ("2024-05-01T12Z", None),
        ("2024-05-01x", None),
        ("2024-05-01T12:00:00+02", None),
    ],
)
def test_iso_times_read_as_date_parse_reads_them(text: str, ms: int | None) -> None:
    from nucleus.cli._args import parse_time

    assert parse_time(text) == ms


def test_arguments_parse_strictly() -> None:
    from nucleus.cli._args import UsageError, closest, parse_args
    from nucleus.cli._commands import query

    spec = query.COMMAND.spec
    parsed = parse_args("query", spec, ["db", "--limit=3", "--desc"])
    assert parsed.positionals == {"db": "db"} and parsed.flags == {"limit": "3", "desc": True}
    assert parse_args("query", spec, ["--", "-"]).positionals == {"db": "-"}
    assert parse_args("query", spec, ["--help", "--desc"]).flags == {"help": True, "desc": True}
    assert closest("limt", ["limit", "offset"]) == "limit" and closest("xyz", ["limit"]) is None
    from nucleus.cli._commands import verify_proof

    keys = parse_args("verify-proof", verify_proof.COMMAND.spec, ["--key", "a", "--key=b", "--proof", "p"])
    assert keys.strings("key") == ["a", "b"] and keys.string("proof") == "p" and keys.strings("proof") == []
    with pytest.raises(UsageError, match="option --proof was given twice"):
        parse_args("verify-proof", verify_proof.COMMAND.spec, ["--proof", "p", "--proof", "q"])
    for argv, message in [
        (["db", "--lmit", "1"], "unknown option --lmit (did you mean --limit?)"),
        (["db", "-q=1"], "unknown option -q (did you mean --id?)"),
        (["db", "--desc", "--desc"], "option --desc was given twice"),
        (["db", "--stream"], "option --stream needs a value <name>"),
        (["db", "--desc=1"], "option --desc takes no value"),
        ([], "missing <db> (the ledger's SQLite file, or a postgresql:// URL)"),
        (["db", "two"], 'unexpected argument "two"'),
    ]:
        with pytest.raises(UsageError) as info:
            parse_args("query", spec, argv)
        assert info.value.message == message and info.value.command == "query"


@pytest.mark.host_only
def test_a_format_2_file_without_the_tree_is_not_upgraded_and_says_how_it_gets_the_tree(
    fixtures: Path, tmp_path: Path
) -> None:
    import sqlite3

    path = tmp_path / "old-schema.db"
    shutil.copyfile(fixtures / "good.db", path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE tree")
        conn.execute("PRAGMA user_version = 2")
    conn.close()
    before = fingerprint(tmp_path)
    refused = run_cli(["upgrade", "old-schema.db", "new.db", "--ledger", "cli-ledger", "--json"], tmp_path)
    assert refused.code == 2 and refused.json["error"]["details"]["reason"] == "not_format_1", refused.stdout
    assert "keeps no Merkle tree yet (SQLite schema 2)" in refused.json["error"]["message"]
    assert "`nucleus append`" in refused.json["error"]["message"]
    # Read-only, its tree is built in memory: the checkpoint and proofs are those of the file with the tree.
    checkpoint = run_cli(["checkpoint", "old-schema.db", "--json"], tmp_path)
    assert checkpoint.code == 0, checkpoint.stderr
    assert checkpoint.json["checkpoint"]["root"] == "1R4WBZZaw07n6Dmw8W2/2r+4aT2wsWfke4NwNtTHuf8="
    assert run_cli(["prove", "old-schema.db", "--seq", "7"], tmp_path).json["path"][0].startswith("otfVilho")
    assert fingerprint(tmp_path) == before
    intact = run_cli(["upgrade", "good.db", "new.db", "--ledger", "cli-ledger", "--json"], fixtures)
    assert intact.code == 2 and "Merkle tree" not in intact.json["error"]["message"]


# -- export in parts -----------------------------------------------------------------------------------------


def _in_process(argv: list[str], cwd: Path) -> tuple[int, list[str], str]:
    """``nucleus ...argv`` run in this process: its exit status, each write to stdout, and stderr."""
    from nucleus.cli._host import local_host

    stdout: list[str] = []
    stderr: list[str] = []
    host = dataclasses.replace(local_host(), write_out=stdout.append, write_err=stderr.append, cwd=str(cwd))
    return cli.main(argv, host), stdout, "".join(stderr)


def test_export_is_written_in_parts_that_join_to_the_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(nucleus._export, "EXPORT_CHUNK", 4)
    with nucleus.Ledger.open("parts", nucleus.SqliteStorage(tmp_path / "l.db")) as ledger:
        ledger.append_batch([{"id": f"r{i}", "stream": "s", "payload": {"i": i, "ü": "é"}} for i in range(10)])
        text = ledger.export()
    code, written, _ = _in_process(["export", "l.db"], tmp_path)
    assert code == 0 and len(written) == 3 and "".join(written) == text  # 11 lines in parts of 4
    code, written, _ = _in_process(["export", "l.db", "--out", "x.jsonl", "--json"], tmp_path)
    assert code == 0 and (tmp_path / "x.jsonl").read_text(encoding="utf-8") == text
    assert json.loads("".join(written))["bytes"] == len(text.encode("utf-8"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.db", "x.jsonl"]  # no temp file left


def test_a_file_changed_under_an_export_to_stdout_is_not_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A read-only reading retries when the file changes under it; once lines went to stdout it must not (they would
    be printed again), and with --out the retry starts the file again."""
    monkeypatch.setattr(nucleus._export, "EXPORT_CHUNK", 2)
    with nucleus.Ledger.open("parts", nucleus.SqliteStorage(tmp_path / "l.db")) as ledger:
        ledger.append_batch([{"id": f"r{i}", "stream": "s", "payload": {}} for i in range(5)])
        lines = ledger.export().splitlines()
    calls = []

    def changing(self: nucleus.Ledger) -> Iterator[str]:
        calls.append(1)
        yield from lines[:3]
        raise nucleus.StorageError("the file changed", details={"reason": "changed"})

    monkeypatch.setattr(nucleus.Ledger, "export_lines", changing)
    code, written, err = _in_process(["export", "l.db"], tmp_path)
    assert code != 0 and "the file changed" in err
    assert "".join(written) == lines[0] + "\n" + lines[1] + "\n" and len(calls) == 1
    calls.clear()
    code, written, err = _in_process(["export", "l.db", "--out", "x.jsonl"], tmp_path)
    assert code != 0 and len(calls) == 3  # retried, each time into a new temp file, then given up
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.db"]
