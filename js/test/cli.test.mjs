/**
 * The `nucleus` command as installed from the tarball (`node_modules/.bin/nucleus`): every command, its
 * --json output, --help, usage errors, and the exit statuses 0 (ok), 1 (does not verify), 2 (unusable).
 * Independent invocations run concurrently: each one starts its own engine (~2 s).
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fingerprint, runCli } from "./helpers/cli.mjs";
import { loadPackage, tempDir } from "./helpers/consumer.mjs";

const { createLedger, sqliteStorage } = await loadPackage();

/** Every command the help lists. */
const COMMANDS = ["verify", "info", "export", "import", "query", "append", "upgrade", "checkpoint", "prove", "verify-proof", "keygen"];
/** The first caveat of every read-only reading, as stderr shows it. */
const CAVEAT_NOTE = /^note: opened read-only: no lock file is taken, so another process may append meanwhile/m;

/** Runs `nucleus ...args` in the test directory (see runCli). */
const nucleus = (args, options = {}) => runCli(args, { cwd: dir, ...options });

let copies = 0;
/** A copy of `file` alone in a new directory (commands that lock the file cannot share it concurrently). */
function copyOf(file) {
  const copyDir = join(dir, `copy-${copies++}`);
  mkdirSync(copyDir);
  const path = join(copyDir, file.split("/").pop());
  copyFileSync(file, path);
  return path;
}

const T = Date.UTC(2025, 0, 1);
const rec = (i) => ({ id: `r${i}`, stream: i % 2 ? "odd" : "even", timestamp: T + i * 1000, payload: { i, word: `w${i}` } });

test("the `node` that runs the bin (#!/usr/bin/env node) is the Node running these tests", () => {
  // scripts/test.mjs runs this suite on several Node versions; PATH must lead the bin to the same one.
  const r = spawnSync("node", ["-p", "process.execPath"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(realpathSync(r.stdout.trim()), realpathSync(process.execPath));
});

// Fixtures: a good ledger of 25 entries, a copy with one byte of entry 7 changed, a non-ledger, a directory.
const dir = tempDir();
const goodDir = join(dir, "good");
mkdirSync(goodDir);
const good = join(goodDir, "good.db");
const ledger = await createLedger({ id: "cli-ledger", storage: sqliteStorage(good) });
const hashes = await ledger.appendBatch(Array.from({ length: 25 }, (_, i) => rec(i)));
const goodCheckpoint = await ledger.checkpoint();
await ledger.close();
const brokenDir = join(dir, "broken");
mkdirSync(brokenDir);
const broken = join(brokenDir, "broken.db");
copyFileSync(good, broken);
{
  // SQLite may keep a stale copy of a page in free space: change every copy of entry 7's text.
  const bytes = readFileSync(broken);
  const needle = Buffer.from('"word":"w7"');
  let changed = 0;
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1), changed++) bytes[at + 9] = "8".charCodeAt(0); // w7 -> w8
  assert.ok(changed > 0, "entry 7's text is in the file");
  writeFileSync(broken, bytes);
}
const notLedger = join(dir, "notes.txt");
writeFileSync(notLedger, "just some text, not SQLite\n");

test("--help and --version: overall and for every command, without starting the engine", async () => {
  const [all, none, version, ...each] = await Promise.all([
    nucleus(["--help"]),
    nucleus([]),
    nucleus(["--version"]),
    ...COMMANDS.map((c) => nucleus([c, "--help"])),
  ]);
  assert.equal(all.code, 0);
  for (const c of COMMANDS) assert.match(all.stdout, new RegExp(`\\n  ${c} `));
  assert.equal(none.code, 2, "no command is a usage error");
  assert.match(none.stdout, /Usage: nucleus <command>/);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  for (const r of each) {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: nucleus [\w-]+ /);
    assert.match(r.stdout, /--json/);
    assert.match(r.stdout, /Exit status: 0 success, 1 /);
  }
  // docs/CLI.md is generated from this output (js/scripts/cli-docs.mjs); it must hold every help text.
  const docs = readFileSync(new URL("../../docs/CLI.md", import.meta.url), "utf8");
  for (const r of [all, ...each]) {
    assert.ok(docs.includes(r.stdout.trimEnd()), `docs/CLI.md is out of date: run \`node scripts/cli-docs.mjs\` in js/\n${r.stdout}`);
  }
});

test("usage errors exit 2 with a clear message, also as JSON", async () => {
  const cases = await Promise.all([
    nucleus(["verify", good, "--bogus"]),
    nucleus(["query", good, "--limt", "3"]),
    nucleus(["verfy", good]),
    nucleus(["verify"]),
    nucleus(["query", good, "--limit", "ten"]),
    nucleus(["query", good, "--from", "yesterday"]),
    nucleus(["append", good, "--stream", "s", "--id", "x", "--payload", "{not json"]),
    nucleus(["append", good, "--stream", "s", "--id", "x"]),
    nucleus(["verify", good, "extra"]),
    nucleus(["info", good, "--json", "--nope"]),
  ]);
  const [bogus, typo, command, missing, limit, from, payload, required, extra, json] = cases;
  for (const r of cases) assert.equal(r.code, 2, `${r.stderr}`);
  assert.match(bogus.stderr, /unknown option --bogus/);
  assert.match(bogus.stderr, /nucleus verify --help/);
  assert.match(typo.stderr, /unknown option --limt \(did you mean --limit\?\)/);
  assert.match(command.stderr, /unknown command "verfy" \(did you mean "verify"\?\)/);
  assert.match(missing.stderr, /missing <db>/);
  assert.match(limit.stderr, /--limit must be a non-negative integer/);
  assert.match(from.stderr, /--from must be milliseconds since the epoch or an ISO 8601 date/);
  assert.match(payload.stderr, /--payload is not valid JSON/);
  assert.match(required.stderr, /--payload is required/);
  assert.match(extra.stderr, /unexpected argument "extra"/);
  assert.equal(json.json.ok, false);
  assert.equal(json.json.error.code, "USAGE");
});

test("verify: 0 for an intact file (read-only: no byte changes), 1 naming the first bad seq, 2 when unusable", async () => {
  const [good1, good2, broken1] = [copyOf(good), copyOf(good), copyOf(broken)];
  const before = [good, good1, broken, broken1].map((f) => fingerprint(dirname(f)));
  const [ok, okJson, bad, badJson, missing, directory, notALedger] = await Promise.all([
    nucleus(["verify", good]),
    nucleus(["verify", good1, "--json"]),
    nucleus(["verify", broken]),
    nucleus(["verify", broken1, "--json"]),
    nucleus(["verify", join(dir, "nope.db")]),
    nucleus(["verify", dir]),
    nucleus(["verify", notLedger, "--json"]),
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /✓ .*good\.db verifies: ledger "cli-ledger", 25 entries/);
  assert.equal(okJson.code, 0);
  assert.equal(okJson.json.ok, true);
  assert.equal(okJson.json.entries, 25);
  assert.equal(okJson.json.latestHash, hashes[24]);
  // The full checkpoint, Merkle root included: the one the package's checkpoint() gives.
  assert.deepEqual(okJson.json.checkpoint, goodCheckpoint);
  assert.deepEqual([okJson.json.checkpoint.origin, okJson.json.checkpoint.size], ["nucleus/cli-ledger", 25]);
  assert.match(okJson.json.caveats[0], /no lock file is taken/);
  assert.match(ok.stderr, CAVEAT_NOTE);
  assert.match(okJson.stderr, CAVEAT_NOTE);

  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stdout, /does not verify: ledger "cli-ledger" breaks at seq 7 \(hash\)/);
  assert.match(bad.stdout, /entries 0–6 are intact/);
  assert.equal(badJson.code, 1);
  assert.equal(badJson.json.ok, false);
  assert.deepEqual([badJson.json.error.code, badJson.json.error.seq, badJson.json.error.kind], ["CHAIN_INVALID", 7, "hash"]);

  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.db: no such file/);
  assert.equal(directory.code, 2);
  assert.match(directory.stderr, /is a directory/);
  assert.equal(notALedger.code, 2);
  assert.equal(notALedger.json.error.code, "LEDGER_MISMATCH");
  assert.match(notALedger.json.error.message, /not a Nucleus ledger/);
  const after = [good, good1, broken, broken1].map((f) => fingerprint(dirname(f)));
  assert.deepEqual(after, before, "verify wrote to a file or left files behind");
});

test("verify --progress draws a bar on stderr; --checkpoint catches truncation and forks", async () => {
  const cp = JSON.stringify({ size: 25, hash: hashes[24] });
  const longer = JSON.stringify({ size: 30, hash: hashes[24] });
  const forked = JSON.stringify({ size: 10, hash: hashes[10] });
  const cpFile = join(dir, "cp.txt");
  writeFileSync(cpFile, `nucleus checkpoint v1\n25\n${hashes[24]}\n`);
  const [progress, truncated, fork, fromFile, malformed] = await Promise.all([
    nucleus(["verify", copyOf(good), "--progress", "--checkpoint", cp]),
    nucleus(["verify", copyOf(good), "--checkpoint", longer, "--json"]),
    nucleus(["verify", copyOf(good), `--checkpoint=${forked}`, "--json"]),
    nucleus(["verify", copyOf(good), "--checkpoint", `@${cpFile}`]),
    nucleus(["verify", copyOf(good), "--checkpoint", "nonsense", "--json"]),
  ]);
  assert.equal(progress.code, 0);
  assert.match(progress.stderr, /verifying 25 entries \[/);
  assert.match(progress.stderr, /100% 25\/25/);
  assert.equal(truncated.code, 1);
  assert.deepEqual([truncated.json.error.seq, truncated.json.error.kind], [25, "checkpoint"]);
  assert.equal(fork.code, 1);
  assert.deepEqual([fork.json.error.seq, fork.json.error.kind], [9, "checkpoint"]);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.equal(malformed.code, 2);
  assert.equal(malformed.json.error.code, "INVALID_ARGUMENT");
});

test("info: id, entries, latest hash, checkpoint, versions, size, lock holder; read-only", async () => {
  const before = fingerprint(goodDir);
  const [human, json, ofBroken] = await Promise.all([
    nucleus(["info", good]),
    nucleus(["info", good, "--json"]),
    nucleus(["info", broken, "--json"]),
  ]);
  assert.equal(human.code, 0, human.stderr);
  for (const line of [/ledger id\s+cli-ledger/, /entries\s+25/, new RegExp(`latest hash\\s+${hashes[24]}`), /hash format 2, SQLite schema 3/, /lock\s+none/]) {
    assert.match(human.stdout, line);
  }
  const info = json.json;
  assert.equal(info.ledgerId, "cli-ledger");
  assert.equal(info.entries, 25);
  assert.equal(info.latestHash, hashes[24]);
  assert.deepEqual(info.checkpoint, { size: 25, hash: hashes[24] });
  assert.equal(info.formatVersion, 2);
  assert.equal(info.schemaVersion, 3);
  assert.equal(info.fileSize, readFileSync(good).length);
  assert.equal(info.lock, null);
  assert.deepEqual(info.streams, [{ stream: "even", entries: 13 }, { stream: "odd", entries: 12 }]);
  assert.equal(info.firstTimestamp, T);
  assert.equal(info.lastTimestamp, T + 24_000);
  assert.match(info.caveats[0], /no lock file is taken/);
  assert.match(human.stderr, CAVEAT_NOTE);
  assert.equal(ofBroken.code, 0, "info reads a broken file (it does not verify)");
  assert.equal(ofBroken.json.entries, 25);
  assert.deepEqual(fingerprint(goodDir), before);
});

test("a ledger open in another process: verify, info, query and export read it (no LEDGER_LOCKED), append is refused", async () => {
  mkdirSync(join(dir, "held"));
  const path = join(dir, "held", "held.db");
  const held = await createLedger({ id: "held", storage: sqliteStorage(path) });
  await held.appendBatch([rec(0), rec(1), rec(2)]);
  const lock = readFileSync(`${path}.lock`);
  const before = fingerprint(dirname(path));
  try {
    const [verify, info, query, exported, append] = await Promise.all([
      nucleus(["verify", path, "--json"]),
      nucleus(["info", path, "--json"]),
      nucleus(["query", path, "--json"]),
      nucleus(["export", path]),
      nucleus(["append", path, "--stream", "s", "--id", "x", "--payload", "{}"]),
    ]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.deepEqual([verify.json.ok, verify.json.entries, verify.json.ledgerId], [true, 3, "held"]);
    assert.equal(info.code, 0, info.stderr);
    assert.equal(info.json.lock.pid, process.pid);
    assert.equal(info.json.lock.alive, true);
    assert.equal(query.code, 0, query.stderr);
    assert.deepEqual(query.json.records.map((r) => r.id), ["r0", "r1", "r2"]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(exported.stdout.trimEnd().split("\n").length, 4);
    for (const r of [verify, info, query, exported]) assert.match(r.stderr, CAVEAT_NOTE, "what a read-only reading cannot promise is said");
    for (const r of [verify, info, query]) assert.ok(r.json.caveats.length >= 1, JSON.stringify(r.json));
    assert.equal(append.code, 2);
    assert.match(append.stderr, /LEDGER_LOCKED/);
    assert.equal(await held.length(), 3);
    assert.deepEqual(readFileSync(`${path}.lock`), lock, "the holder's lock was never touched");
    assert.deepEqual(fingerprint(dirname(path)), before, "the readers created or changed a file");
    await held.append(rec(3)); // the holder goes on
  } finally {
    await held.close();
  }
});

test("export to stdout and --out, import into a new file (id from the header), re-import adds nothing", async () => {
  const out = join(dir, "export.jsonl");
  const restored = join(dir, "restored", "restored.db");
  const [stdout, toFile] = await Promise.all([nucleus(["export", copyOf(good)]), nucleus(["export", copyOf(good), "--out", out, "--json"])]);
  assert.equal(stdout.code, 0, stdout.stderr);
  const lines = stdout.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 26);
  assert.deepEqual(JSON.parse(lines[0]), { format: "nucleus-export", ledger_id: "cli-ledger", size: 25, version: 2 });
  assert.equal(JSON.parse(lines[25]).hash, hashes[24]);
  assert.equal(toFile.code, 0, toFile.stderr);
  assert.equal(toFile.json.entries, 25);
  assert.equal(readFileSync(out, "utf8"), stdout.stdout);

  mkdirSync(join(dir, "restored"));
  const first = await nucleus(["import", out, restored, "--json"]);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual([first.json.imported, first.json.length, first.json.ledgerId, first.json.created], [25, 25, "cli-ledger", true]);
  const [verify, other, fromStdin] = await Promise.all([
    nucleus(["verify", restored, "--json"]),
    nucleus(["import", out, join(dir, "other.db"), "--id", "another-ledger", "--json"]),
    nucleus(["import", "-", join(dir, "stdin.db"), "--json"], { input: stdout.stdout }),
  ]);
  const again = await nucleus(["import", out, restored]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /imported 0 entries .* now 25 entries/);
  assert.equal(other.code, 2);
  assert.equal(other.json.error.code, "LEDGER_MISMATCH");
  assert.equal(existsSync(join(dir, "other.db")), false, "a refused import leaves no new file");
  assert.equal(verify.json.latestHash, hashes[24]);
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  assert.equal(fromStdin.json.imported, 25);

  const [badExport, exportBroken] = await Promise.all([
    nucleus(["import", notLedger, join(dir, "x.db")]),
    nucleus(["export", copyOf(broken), "--json"]),
  ]);
  assert.equal(badExport.code, 2);
  assert.match(badExport.stderr, /does not start with a Nucleus export header/);
  assert.equal(existsSync(join(dir, "x.db")), false, "a failed import must not create the file");
  assert.equal(exportBroken.code, 1, "a ledger that does not verify is not exported");
  assert.equal(exportBroken.json.error.code, "CHAIN_INVALID");
  assert.equal(exportBroken.json.error.details.seq, 7);
});

test("query: filters, pagination, order, ISO and ms times; human and JSON output", async () => {
  const [page, human, times, none] = await Promise.all([
    nucleus(["query", copyOf(good), "--stream", "odd", "--limit", "2", "--offset", "1", "--desc", "--json"]),
    nucleus(["query", copyOf(good), "--stream", "even", "--limit", "3"]),
    nucleus(["query", copyOf(good), "--from", new Date(T + 5000).toISOString(), "--to", String(T + 7000), "--json"]),
    nucleus(["query", copyOf(good), "--id", "nope", "--json"]),
  ]);
  assert.equal(page.code, 0, page.stderr);
  assert.deepEqual(page.json.records.map((r) => r.id), ["r21", "r19"]);
  assert.equal(page.json.total, 12);
  assert.equal(page.json.hasMore, true);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /^2025-01-01T00:00:00\.000Z {2}even {2}r0 {2}\{"i":0,"word":"w0"\}$/m);
  assert.match(human.stdout, /\(1–3 of 13 matching records; more with --offset 3\)/);
  assert.deepEqual(times.json.records.map((r) => r.id), ["r5", "r6", "r7"]);
  assert.deepEqual({ ...none.json, caveats: [] }, { records: [], total: 0, hasMore: false, caveats: [] });
  assert.ok(none.json.caveats.length >= 1);
});

test("append: creates a file with --ledger, appends durably, refuses bad records with exit 2", async () => {
  const path = join(dir, "appended", "new.db");
  const noLedger = await nucleus(["append", path, "--stream", "s", "--id", "a", "--payload", "{}"]);
  assert.equal(noLedger.code, 2);
  assert.match(noLedger.stderr, /no such file/);
  mkdirSync(join(dir, "appended"));
  const created = await nucleus(["append", path, "--ledger", "made", "--stream", "s", "--id", "a", "--payload", '{"n":1}', "--timestamp", "2025-02-01T00:00:00Z", "--json"]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.json.seq, 0);
  assert.equal(created.json.ledgerId, "made");
  assert.equal(created.json.record.timestamp, Date.UTC(2025, 1, 1));
  const before = fingerprint(join(dir, "appended"));
  const [second, stringPayload, backwards, wrongLedger] = await Promise.all([
    nucleus(["append", path, "--stream", "s", "--id", "b", "--payload", "[1,2]", "--meta", '{"by":"cli"}']),
    nucleus(["append", join(dir, "other-new.db"), "--ledger", "x", "--stream", "s", "--id", "c", "--payload", '"text"', "--json"]),
    nucleus(["append", copyOf(good), "--stream", "s", "--id", "c", "--payload", "{}", "--timestamp", "1000", "--json"]),
    nucleus(["append", copyOf(good), "--ledger", "not-this-one", "--stream", "s", "--id", "c", "--payload", "{}", "--json"]),
  ]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /^[0-9a-f]{64}\n$/);
  assert.match(second.stderr, /appended seq 1 to ledger "made"/);
  assert.notDeepEqual(fingerprint(join(dir, "appended")), before, "the append reached the file");
  assert.equal(stringPayload.code, 2);
  assert.equal(stringPayload.json.error.code, "INVALID_RECORD");
  assert.equal(backwards.code, 2);
  assert.equal(backwards.json.error.code, "INVALID_RECORD");
  assert.match(backwards.json.error.message, /earlier than the ledger's last timestamp/);
  assert.equal(wrongLedger.code, 2);
  assert.equal(wrongLedger.json.error.code, "LEDGER_MISMATCH");
  const check = await nucleus(["query", path, "--json"]);
  assert.deepEqual(check.json.records.map((r) => [r.id, r.meta]), [["a", undefined], ["b", { by: "cli" }]]);
});

test("upgrade: a format-1 file (Nucleus 0.1) becomes a new format-2 file that verifies and keeps every record", async () => {
  const work = join(dir, "upgrade");
  mkdirSync(work);
  const old = join(work, "v1.db");
  copyFileSync(new URL("../../tests_py/fixtures/compat-v1.db", import.meta.url), old);
  const target = join(work, "v2.db");
  const [before, appendOld] = await Promise.all([
    nucleus(["query", old, "--json", "--limit", "10000"]),
    nucleus(["append", copyOf(old), "--stream", "events", "--id", "x", "--payload", "{}", "--json"]),
  ]);
  assert.equal(before.code, 0, before.stderr);
  assert.equal(before.json.total, 25);
  assert.equal(appendOld.code, 2, "a format-1 file refuses appends");
  assert.match(appendOld.json.error.message, /nucleus upgrade <old\.db> <new\.db> --ledger compat-v1/);
  const oldBytes = readFileSync(old);

  const up = await nucleus(["upgrade", old, target, "--ledger", "compat-v1", "--json"]);
  assert.equal(up.code, 0, up.stderr);
  assert.deepEqual([up.json.ledgerId, up.json.sourceEntries, up.json.entries, up.json.formatVersion], ["compat-v1", 25, 27, 2]);
  assert.deepEqual(readFileSync(old), oldBytes, "the old file was written to");
  assert.deepEqual(readdirSync(work).sort(), ["v1.db", "v2.db"], "the upgrade left files behind");

  const [verify, info, after, human] = await Promise.all([
    nucleus(["verify", target, "--json", "--checkpoint", JSON.stringify(up.json.checkpoint)]),
    nucleus(["info", target, "--json"]),
    nucleus(["query", target, "--json", "--limit", "10000"]),
    nucleus(["upgrade", old, join(work, "again.db"), "--ledger", "compat-v1"]),
  ]);
  assert.equal(verify.code, 0, verify.stderr);
  assert.deepEqual(verify.json.checkpoint, up.json.checkpoint);
  assert.deepEqual([info.json.formatVersion, info.json.owner], [2, "oid:onoal:user:owner"]);
  assert.deepEqual(after.json.records, before.json.records, "every record, in order, unchanged");
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^upgraded .*v1\.db \(format 1, 25 entries\) to .*again\.db \(format 2, 27 entries: 2 for the owner and grants/m);
  const appended = await nucleus(["append", target, "--stream", "events", "--id", "new", "--payload", "{}", "--json"]);
  assert.equal(appended.code, 0, appended.stderr);
  assert.equal(appended.json.seq, 27);
});
