/**
 * `sqliteStorage(path, { readOnly: true })`: an existing ledger opened without its lock and without creating
 * or changing any file; verified whole on open; reads, verify and export work; every write is refused with
 * STORAGE_ERROR (reason "read_only_open"); `caveats` says what it cannot promise. It works on read-only media
 * and beside a writer in another process (Node or CPython) whose write-ahead log holds entries not yet in the
 * database file: it serves one verified snapshot, and once that writer checkpoints, its reads fail with
 * STORAGE_ERROR (reason "changed") rather than mix two states. The writer's files are never touched.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { fingerprint, runCli } from "./helpers/cli.mjs";
import { consumerDir, loadPackage, tempDir } from "./helpers/consumer.mjs";

const { createLedger, sqliteStorage, NucleusError } = await loadPackage();

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const python = process.env.PYTHON || "python3";
const pyEnv = { ...process.env, PYTHONPATH: join(repo, "py") };
const hasEngine = spawnSync(python, ["-c", "import nucleus"], { env: pyEnv }).status === 0;

const T = Date.UTC(2025, 0, 1);
/** Records `from` … `from + n - 1`, big enough that a checkpoint grows the database file. */
const records = (from, n) => Array.from({ length: n }, (_, k) => ({ id: `r${from + k}`, stream: "s", timestamp: T + from + k, payload: { i: from + k, pad: "x".repeat(300) } }));

/** A ledger file `name` in `dir` holding `n` records, closed. */
async function made(dir, name, n, id = "ro") {
  const path = join(dir, name);
  const ledger = await createLedger({ id, storage: sqliteStorage(path) });
  const hashes = await ledger.appendBatch(records(0, n));
  await ledger.close();
  return { path, hashes };
}

/** Asserts that `promise` rejects with a NucleusError of `code` whose details.reason is `reason`. */
async function refused(promise, code, reason, label) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof NucleusError, `${label}: ${err?.stack ?? err}`);
    assert.equal(err.code, code, `${label}: ${err.message}`);
    if (reason !== undefined) assert.equal(err.details.reason, reason, `${label}: ${JSON.stringify(err.details)}`);
    return true;
  }, label);
}

/**
 * A child process driven line by line: each command written to its stdin is answered by one line on its
 * stdout. `next(command?)` sends `command` (when given) and resolves to the next line.
 */
function child(argv, options) {
  const proc = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "inherit"], ...options });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const closed = once(proc, "close");
  return {
    async next(command) {
      if (command !== undefined) proc.stdin.write(`${command}\n`);
      const line = await lines.next();
      if (line.done) throw new Error(`${argv.join(" ")} exited early`);
      return line.value;
    },
    async end() {
      proc.stdin.end();
      await closed;
    },
  };
}

/** A Node writer: opens `path` (taking its lock), appends `n` records, then obeys `append <k>` and `close`. */
const NODE_WRITER = `
import { createLedger, sqliteStorage } from "@onoal/nucleus";
import { createInterface } from "node:readline";
const T = ${T};
const ledger = await createLedger({ id: "held", storage: sqliteStorage(process.argv[2]) });
let n = 0;
const batch = async (k) => {
  await ledger.appendBatch(Array.from({ length: k }, (_, j) => ({ id: "r" + (n + j), stream: "s", timestamp: T + n + j, payload: { i: n + j, pad: "x".repeat(300) } })));
  n += k;
};
await batch(Number(process.argv[3]));
console.log("ready " + n);
for await (const line of createInterface({ input: process.stdin })) {
  const [command, arg] = line.split(" ");
  if (command === "append") { await batch(Number(arg)); console.log("ok " + n); }
  if (command === "close") { await ledger.close(); console.log("closed"); }
}
`;

/** The same writer in CPython, plus `checkpoint` (the engine's own, as after 4 MiB of log). */
const PYTHON_WRITER = `
import sys, nucleus
T = ${T}
ledger = nucleus.Ledger.open("held", nucleus.SqliteStorage(sys.argv[1]))
n = 0
def batch(k):
    global n
    ledger.append_batch([{"id": f"r{n + j}", "stream": "s", "timestamp": T + n + j, "payload": {"i": n + j, "pad": "x" * 300}} for j in range(k)])
    n += k
batch(int(sys.argv[2]))
print(f"ready {n}", flush=True)
for line in sys.stdin:
    command, *arg = line.split()
    if command == "append":
        batch(int(arg[0])); print(f"ok {n}", flush=True)
    elif command == "checkpoint":
        ledger._storage._checkpoint(); print("checkpointed", flush=True)
    elif command == "close":
        ledger.close(); print("closed", flush=True)
`;

// The Node writer runs as a script inside the consumer project, so that it imports the installed package.
const nodeWriter = `read-only-writer-${process.pid}.mjs`;
writeFileSync(join(consumerDir, nodeWriter), NODE_WRITER);
after(() => rmSync(join(consumerDir, nodeWriter), { force: true }));

test("sqliteStorage(path, { readOnly: true }): the configuration, and its refusal of bad values", () => {
  assert.deepEqual(sqliteStorage("l.db", { readOnly: true }), { type: "sqlite", path: "l.db", readOnly: true });
  assert.deepEqual(sqliteStorage("l.db", { readOnly: false }), { type: "sqlite", path: "l.db" });
  for (const bad of ["yes", 1, null]) {
    assert.throws(() => sqliteStorage("l.db", { readOnly: bad }), (e) => e.code === "INVALID_CONFIG" && /readOnly must be true or false/.test(e.message));
  }
});

test("a read-only ledger verifies, serves every read, refuses every write, and creates or changes no file", async () => {
  const dir = tempDir();
  const { path, hashes } = await made(dir, "l.db", 5);
  const [exported, writerCheckpoint] = await (async () => {
    const l = await createLedger({ id: "ro", storage: sqliteStorage(path) });
    try {
      return [await l.export(), await l.checkpoint()];
    } finally {
      await l.close();
    }
  })();
  const before = fingerprint(dir);
  const ledger = await createLedger({ id: "ro", storage: sqliteStorage(path, { readOnly: true }), checkpoint: { size: 5, hash: hashes[4] } });
  try {
    assert.equal(ledger.readOnly, true);
    assert.ok(ledger.caveats.length >= 1 && ledger.caveats.every((c) => typeof c === "string" && c.length > 20), JSON.stringify(ledger.caveats));
    assert.match(ledger.caveats[0], /no lock file is taken, so another process may append meanwhile/);
    assert.ok(Object.isFrozen(ledger.caveats));
    assert.deepEqual(fingerprint(dir), before, "opening created or changed a file (no -wal, -shm or .lock may appear)");
    assert.equal(existsSync(`${path}.lock`), false);

    assert.equal(await ledger.length(), 5);
    assert.equal(await ledger.latestHash(), hashes[4]);
    assert.equal((await ledger.get(hashes[2])).id, "r2");
    assert.equal((await ledger.getById("r3")).payload.i, 3);
    assert.equal((await ledger.getEntry(hashes[1])).seq, 1);
    assert.equal((await ledger.query({ stream: "s", limit: 2, order: "desc" })).records[0].id, "r4");
    await ledger.verify({ checkpoint: { size: 5, hash: hashes[4] } });
    assert.equal(await ledger.verifyStorage(), true);
    assert.equal(await ledger.export(), exported);
    const { root, ...checkpoint } = await ledger.checkpoint();
    assert.deepEqual(checkpoint, { origin: "nucleus/ro", size: 5, hash: hashes[4] });
    assert.equal(root, writerCheckpoint.root, "the Merkle root read from the file is the writer's");

    const grant = { subjectOid: "oid:onoal:human:a", resourceOid: "oid:onoal:ledger:ro", action: "write" };
    const writes = {
      append: () => ledger.append(records(5, 1)[0]),
      "append(not a record)": () => ledger.append("nonsense"),
      appendBatch: () => ledger.appendBatch(records(5, 2)),
      importEntries: () => ledger.importEntries(exported),
      "acl.grant": () => ledger.acl.grant(grant, { requesterOid: "oid:onoal:human:owner" }),
      "acl.revoke": () => ledger.acl.revoke(grant, { requesterOid: "oid:onoal:human:owner" }),
    };
    for (const [label, write] of Object.entries(writes)) await refused(write(), "STORAGE_ERROR", "read_only_open", label);
    assert.equal(await ledger.length(), 5);
  } finally {
    await ledger.close();
  }
  assert.deepEqual(fingerprint(dir), before, "a read-only ledger created or changed a file");

  const normal = await createLedger({ id: "ro", storage: sqliteStorage(path) });
  assert.equal(normal.readOnly, false);
  assert.deepEqual(normal.caveats, []);
  await normal.close();
});

test("read-only: a missing file (or directory) is an error and is never created; a tampered file does not open", async () => {
  const dir = tempDir();
  const { path } = await made(dir, "l.db", 3);
  const before = fingerprint(dir);
  await refused(createLedger({ id: "ro", storage: sqliteStorage(join(dir, "missing.db"), { readOnly: true }) }), "STORAGE_ERROR", "missing", "missing file");
  await refused(createLedger({ id: "ro", storage: sqliteStorage(join(dir, "sub", "missing.db"), { readOnly: true }) }), "STORAGE_ERROR", "missing", "missing directory");
  await refused(createLedger({ id: "other", storage: sqliteStorage(path, { readOnly: true }) }), "LEDGER_MISMATCH", "other_ledger", "another ledger's file");
  await refused(createLedger({ id: "ro", storage: { type: "sqlite", path, readOnly: "yes" } }), "INVALID_CONFIG", undefined, "readOnly not a boolean");
  assert.deepEqual(fingerprint(dir), before);

  const tampered = join(dir, "tampered.db");
  const bytes = readFileSync(path);
  const at = bytes.indexOf(Buffer.from('"i":1,'));
  assert.ok(at > 0);
  bytes[at + 4] = "7".charCodeAt(0);
  writeFileSync(tampered, bytes);
  await assert.rejects(createLedger({ id: "ro", storage: sqliteStorage(tampered, { readOnly: true }) }), (e) => e.code === "CHAIN_INVALID" && e.seq === 1);
});

test("read-only media: the API and every read-only command work on a read-only mount; nothing is written", async (t) => {
  // Not tempDir(): its clean-up would run before the unmount.
  const work = mkdtempSync(join(tmpdir(), "nucleus-js-ro-media-"));
  const ro = join(work, "ro");
  mkdirSync(ro);
  let undo = () => {};
  t.after(() => {
    undo();
    rmSync(work, { recursive: true, force: true });
  });
  // A closed ledger, and one whose log still holds entries (it is open, in this process, while it is copied).
  const src = join(work, "src");
  mkdirSync(src);
  const { path: closedSource, hashes } = await made(src, "closed.db", 4);
  const held = await createLedger({ id: "held", storage: sqliteStorage(join(src, "held.db")) });
  await held.appendBatch(records(0, 30));
  const copy = () => {
    copyFileSync(closedSource, join(ro, "closed.db"));
    copyFileSync(join(src, "held.db"), join(ro, "held.db"));
    copyFileSync(join(src, "held.db-wal"), join(ro, "held.db-wal"));
  };
  assert.ok(statSync(join(src, "held.db-wal")).size > 0, "the held ledger's log holds entries");
  if (process.getuid?.() === 0) {
    // chmod does not stop root: use a real read-only file system, a tmpfs mounted read-only.
    const mount = (...args) => spawnSync("mount", args, { encoding: "utf8" });
    const m = mount("-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", ro);
    if (m.status !== 0) {
      await held.close();
      return t.skip(`running as root and cannot mount a tmpfs (${m.stderr.trim()}); no honest way to make a directory unwritable`);
    }
    undo = () => spawnSync("umount", [ro]);
    copy();
    const r = mount("-o", "remount,ro", ro);
    assert.equal(r.status, 0, r.stderr);
    assert.throws(() => writeFileSync(join(ro, "probe"), "x"), /EROFS/, "the mount really is read-only");
  } else {
    copy();
    spawnSync("chmod", ["0555", ro]);
    undo = () => spawnSync("chmod", ["0755", ro]);
    assert.throws(() => writeFileSync(join(ro, "probe"), "x"), /EACCES/, "the directory really is unwritable");
  }
  await held.close();
  const before = fingerprint(ro);

  const closed = await createLedger({ id: "ro", storage: sqliteStorage(join(ro, "closed.db"), { readOnly: true }) });
  assert.equal(await closed.latestHash(), hashes[3]);
  await closed.verify();
  await closed.close();
  const logged = await createLedger({ id: "held", storage: sqliteStorage(join(ro, "held.db"), { readOnly: true }) });
  assert.equal(await logged.length(), 30, "the entries still in the write-ahead log are read");
  assert.equal((await logged.getById("r29")).payload.i, 29);
  await logged.close();
  await refused(createLedger({ id: "ro", storage: sqliteStorage(join(ro, "closed.db")) }), "STORAGE_ERROR", undefined, "a writable open of a read-only file");

  const results = await Promise.all([
    runCli(["verify", join(ro, "held.db"), "--json"]),
    runCli(["info", join(ro, "held.db"), "--json"]),
    runCli(["query", join(ro, "held.db"), "--json", "--limit", "5"]),
    runCli(["export", join(ro, "closed.db")]),
  ]);
  const [verify, info, query, exported] = results;
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  assert.equal(verify.json.entries, 30);
  assert.equal(info.json.entries, 30);
  assert.equal(query.json.total, 30);
  assert.equal(exported.stdout.trimEnd().split("\n").length, 5);
  for (const r of results) assert.match(r.stderr, /^note: opened read-only: no lock file is taken/m, "the caveats are on stderr");
  assert.deepEqual(fingerprint(ro), before, "a read-only open wrote on read-only media");
});

test("beside a Node writer holding the ledger with entries in its log: a verified snapshot, then a clear error", async () => {
  const dir = tempDir();
  const path = join(dir, "held.db");
  const writer = child([process.execPath, nodeWriter, path, "40"], { cwd: consumerDir });
  try {
    assert.equal(await writer.next(), "ready 40");
    assert.ok(statSync(`${path}-wal`).size > 0, "the writer's log holds entries not yet in the database file");
    assert.equal(existsSync(`${path}-shm`), false, "a Node writer keeps its WAL index in memory");
    await refused(createLedger({ id: "held", storage: sqliteStorage(path) }), "LEDGER_LOCKED", undefined, "a second writer");
    const writersFiles = fingerprint(dir);

    const reader = await createLedger({ id: "held", storage: sqliteStorage(path, { readOnly: true }) });
    try {
      assert.equal(await reader.length(), 40);
      assert.equal((await reader.query({ limit: 1000 })).total, 40);
      await reader.verify();
      assert.deepEqual(fingerprint(dir), writersFiles, "the reader changed the writer's files");
      assert.match(reader.caveats.join("\n"), /checkpoint/);

      // The writer appends: only its log grows; the reader keeps serving the snapshot it verified.
      assert.equal(await writer.next("append 10"), "ok 50");
      assert.equal(await reader.length(), 40);
      assert.equal(await reader.getById("r45"), null);
      assert.equal((await reader.getById("r39")).payload.i, 39);
      assert.equal((await reader.query({ limit: 1000 })).total, 40);
      await reader.verify();

      // The writer closes, which checkpoints its log into the database file: the reader's view is gone.
      assert.equal(await writer.next("close"), "closed");
      await refused(reader.getById("r1"), "STORAGE_ERROR", "changed", "a read after the writer's checkpoint");
      await refused(reader.query(), "STORAGE_ERROR", "changed", "a query after the writer's checkpoint");
      await refused(reader.verify(), "STORAGE_ERROR", "changed", "verify after the writer's checkpoint");
    } finally {
      await reader.close();
    }
  } finally {
    await writer.end();
  }
  const again = await createLedger({ id: "held", storage: sqliteStorage(path, { readOnly: true }) });
  assert.equal(await again.length(), 50, "a new read-only open reads the new state, verified whole");
  await again.close();
  const check = await createLedger({ id: "held", storage: sqliteStorage(path) });
  assert.equal(await check.length(), 50, "the writer's entries are all there");
  await check.verify();
  await check.close();
});

test("in the process that has the ledger open for writing: a read-only ledger opens beside it and reads a snapshot", async () => {
  const dir = tempDir();
  const path = join(dir, "same.db");
  const writer = await createLedger({ id: "same", storage: sqliteStorage(path) });
  try {
    await writer.appendBatch(records(0, 20));
    assert.ok(statSync(`${path}-wal`).size > 0, "the log holds entries not yet in the database file");
    const reader = await createLedger({ id: "same", storage: sqliteStorage(path, { readOnly: true }) });
    try {
      assert.equal(await reader.length(), 20);
      await writer.appendBatch(records(20, 5));
      assert.equal((await reader.query({ limit: 1000 })).total, 20, "the reader serves what it verified at open");
      assert.equal(await reader.getById("r22"), null);
      await reader.verify();
      assert.equal(await writer.length(), 25);
    } finally {
      await reader.close();
    }
  } finally {
    await writer.close();
  }
  const check = await createLedger({ id: "same", storage: sqliteStorage(path, { readOnly: true }) });
  assert.equal(await check.length(), 25);
  await check.close();
});

test(
  "beside a CPython writer with entries in its log and a -shm file: a verified snapshot, its files untouched, then a clear error",
  { skip: !hasEngine && `the Python engine is not importable with ${python}` },
  async () => {
    const dir = tempDir();
    const path = join(dir, "held.db");
    const writer = child([python, "-c", PYTHON_WRITER, path, "40"], { env: pyEnv });
    try {
      assert.equal(await writer.next(), "ready 40");
      assert.ok(statSync(`${path}-wal`).size > 0, "the writer's log holds entries not yet in the database file");
      assert.ok(existsSync(`${path}-shm`), "a CPython writer shares its WAL index through a -shm file");
      const writersFiles = fingerprint(dir);

      const reader = await createLedger({ id: "held", storage: sqliteStorage(path, { readOnly: true }) });
      try {
        assert.equal(await reader.length(), 40);
        assert.equal((await reader.getById("r39")).payload.i, 39);
        await reader.verify();
        // Pyodide's SQLite cannot share the -shm; it must not open it either (it would take it for a leftover
        // and rebuild it under the live writer).
        assert.deepEqual(fingerprint(dir), writersFiles, "the reader changed the writer's files");

        assert.equal(await writer.next("append 10"), "ok 50");
        assert.equal(await reader.getById("r45"), null);
        assert.equal((await reader.query({ limit: 1000 })).total, 40);

        assert.equal(await writer.next("checkpoint"), "checkpointed");
        await refused(reader.getById("r1"), "STORAGE_ERROR", "changed", "a read after the writer's checkpoint");
        await refused(reader.export(), "STORAGE_ERROR", "changed", "an export after the writer's checkpoint");
        assert.equal(await writer.next("append 10"), "ok 60", "the writer goes on undisturbed");
      } finally {
        await reader.close();
      }
      const again = await createLedger({ id: "held", storage: sqliteStorage(path, { readOnly: true }) });
      assert.equal(await again.length(), 60, "a new read-only open reads the new state, verified whole");
      await again.close();
      const cli = await runCli(["verify", path, "--json"]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.equal(cli.json.entries, 60);
      assert.equal(await writer.next("close"), "closed");
    } finally {
      await writer.end();
    }
    const r = spawnSync(python, ["-c", "import sys, nucleus\nwith nucleus.Ledger.open('held', nucleus.SqliteStorage(sys.argv[1])) as l:\n    l.verify(); print(len(l))", path], { env: pyEnv, encoding: "utf8" });
    assert.equal(r.stdout.trim(), "60", r.stderr);
    assert.deepEqual(readdirSync(dir).sort(), ["held.db"]);
  },
);
