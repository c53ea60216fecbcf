/** Across processes: locks, stale locks, tamper detection, SIGKILL mid-stream, fsync under strace, CJS. */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadPackage, runScript, tempDir } from "./helpers/consumer.mjs";

const { createLedger, sqliteStorage } = await loadPackage();

/** A child that opens `path`, appends `n` records, prints "ready", waits for stdin or a timeout. */
const holder = (path, ms) => `
import { createLedger, sqliteStorage } from "@onoal/nucleus";
const ledger = await createLedger({ id: "shared", storage: sqliteStorage(${JSON.stringify(path)}) });
console.log("ready");
await new Promise((r) => setTimeout(r, ${ms}));
await ledger.close();
`;

test("a second process gets LEDGER_LOCKED naming the holder; a stale lock is recovered", async () => {
  const path = join(tempDir(), "shared.db");
  const mine = await createLedger({ id: "shared", storage: sqliteStorage(path) });
  const child = await runScript(`
import { createLedger, sqliteStorage } from "@onoal/nucleus";
try { await createLedger({ id: "shared", storage: sqliteStorage(${JSON.stringify(path)}) }); console.log("opened"); }
catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
`);
  const out = JSON.parse(child.stdout.trim());
  assert.equal(out.code, "LEDGER_LOCKED");
  assert.match(out.message, new RegExp(`locked by process ${process.pid} \\(${hostname()}`));
  await mine.close();

  // A lock left by a dead process (pid of a finished child) is stale.
  const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
  writeFileSync(`${path}.lock`, JSON.stringify({ pid: dead, hostname: hostname(), createdAt: Date.now(), tool: "nucleus-py" }));
  const reopened = await createLedger({ id: "shared", storage: sqliteStorage(path) });
  await reopened.close();
  assert.equal(existsSync(`${path}.lock`), false);
});

test("tampering with a stored record is refused at open with CHAIN_INVALID and the first bad seq", async () => {
  const dir = tempDir();
  const path = join(dir, "t.db");
  const ledger = await createLedger({ id: "t", storage: sqliteStorage(path) });
  for (let i = 0; i < 5; i++) await ledger.append({ id: `r${i}`, stream: "s", timestamp: 1000 + i, payload: { n: i } });
  await ledger.close();
  const copy = join(dir, "copy.db");
  copyFileSync(path, copy);
  const py = spawnSync("python3", ["-c", `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("update entries set record = replace(record, '\\"n\\":2', '\\"n\\":9') where seq = 2")
c.commit(); print(c.total_changes)`, copy], { encoding: "utf8" });
  assert.equal(py.stdout.trim(), "1", py.stderr);
  await assert.rejects(createLedger({ id: "t", storage: sqliteStorage(copy) }), (e) => {
    assert.equal(e.code, "CHAIN_INVALID", e.message);
    assert.equal(e.seq, 2);
    assert.equal(typeof e.kind, "string");
    return true;
  });
  assert.equal(existsSync(`${copy}.lock`), false);
  const good = await createLedger({ id: "t", storage: sqliteStorage(path) });
  assert.equal(await good.length(), 5);
  await good.close();
});

test("forged indexes (no hash covers them) change no answer: a read-only open walks the entries, a writable one rebuilds them", async () => {
  const path = join(tempDir(), "forged.db");
  const ledger = await createLedger({ id: "t", storage: sqliteStorage(path) });
  await ledger.appendBatch(Array.from({ length: 30 }, (_, i) => ({ id: `r${i % 5}`, stream: `s${i % 3}`, timestamp: 1000 + i, payload: { n: i } })));
  await ledger.close();
  const answers = async (readOnly) => {
    const l = await createLedger({ id: "t", storage: sqliteStorage(path, { readOnly }) });
    try {
      await l.verify();
      const s1 = await l.query({ stream: "s1", limit: 100 });
      return { s1: s1.records.map((r) => r.payload.n), total: s1.total, r4: (await l.getById("r4"))?.payload.n, zz: await l.getById("zz") };
    } finally {
      await l.close();
    }
  };
  const honest = await answers(true);
  assert.deepEqual(honest, { s1: [1, 4, 7, 10, 13, 16, 19, 22, 25, 28], total: 10, r4: 29, zz: null });
  // The attacker's edit (CPython's sqlite3): each index gets the b-tree of one built from another definition.
  const forge = (check) => spawnSync("python3", ["-c", `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "forge":
    for name, definition in [("entries_by_stream", "(stream, seq) WHERE seq % 3 <> 1"),
                             ("entries_by_record_id", "(CASE WHEN seq = 29 THEN 'zz' ELSE record_id END, seq)")]:
        c.execute("CREATE INDEX forged ON entries" + definition)
        root = c.execute("SELECT rootpage FROM sqlite_master WHERE name = 'forged'").fetchone()[0]
        c.execute("PRAGMA writable_schema = ON")
        c.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = ?", (root, name))
        c.execute("DELETE FROM sqlite_master WHERE name = 'forged'")
        c.execute("PRAGMA writable_schema = OFF")
        c.close()
        c = sqlite3.connect(sys.argv[1], isolation_level=None)
print(c.execute("SELECT count(*) FROM entries WHERE stream = 's1'").fetchone()[0],
      c.execute("SELECT count(*) FROM entries WHERE record_id = 'zz'").fetchone()[0])`, path, check ? "check" : "forge"], { encoding: "utf8" });
  const forged = forge(false);
  assert.equal(forged.stdout.trim(), "0 1", forged.stderr); // SQLite itself now answers wrongly
  assert.deepEqual(await answers(true), honest);
  assert.equal(forge(true).stdout.trim(), "0 1"); // a read-only open wrote nothing
  assert.deepEqual(await answers(false), honest);
  assert.equal(forge(true).stdout.trim(), "10 0"); // the writable open rebuilt both
});

test("SIGKILL in the middle of appends: every resolved append survives and verifies", async () => {
  const path = join(tempDir(), "kill.db");
  const child = runScript(`
import { createLedger, sqliteStorage } from "@onoal/nucleus";
const ledger = await createLedger({ id: "k", storage: sqliteStorage(${JSON.stringify(path)}) });
for (let i = 0; ; i++) {
  await ledger.append({ id: "r" + i, stream: "s", payload: { i } });
  process.stdout.write(i + "\\n");
  if (i === 40) process.kill(process.pid, "SIGKILL");
}
`);
  const { signal, stdout } = await child;
  assert.equal(signal, "SIGKILL");
  const resolved = stdout.trim().split("\n").length;
  const ledger = await createLedger({ id: "k", storage: sqliteStorage(path) });
  assert.ok((await ledger.length()) >= resolved, `${await ledger.length()} < ${resolved}`);
  await ledger.verify();
  await ledger.close();
});

const strace = spawnSync("strace", ["-V"]).status === 0;

test("durable appends reach the disk: N appends show at least N fsyncs (strace)", { skip: !strace && "strace not installed" }, async () => {
  const path = join(tempDir(), "sync.db");
  const N = 20;
  const run = (durability) => runScript(`
import { createLedger, sqliteStorage } from "@onoal/nucleus";
const ledger = await createLedger({ id: "f", storage: sqliteStorage(${JSON.stringify(path)}, { durability: "${durability}" }) });
process.stderr.write("MARK-START\\n");
for (let i = 0; i < ${N}; i++) await ledger.append({ id: "r" + i, stream: "s", payload: { i } });
process.stderr.write("MARK-END\\n");
await ledger.close();
`, { prefix: ["strace", "-f", "-e", "trace=fsync,fdatasync,write", "-e", "signal=none"] });
  const { stderr, code } = await run("full");
  assert.equal(code, 0, stderr.slice(-2000));
  const window = stderr.slice(stderr.indexOf("MARK-START"), stderr.lastIndexOf("MARK-END"));
  const syncs = window.split("\n").filter((l) => /\b(fsync|fdatasync)\(/.test(l)).length;
  assert.ok(syncs >= N, `only ${syncs} syncs for ${N} durable appends`);
});

test("the package works from CommonJS", async () => {
  const { stdout, stderr, code } = await runScript(`
const { createLedger, ChainIntegrityError, NucleusError } = require("@onoal/nucleus");
(async () => {
  const ledger = await createLedger({ id: "cjs" });
  const h = await ledger.append({ id: "a", stream: "s", payload: { ok: true } });
  console.log(JSON.stringify({ h: h.length, rec: await ledger.get(h), sub: new ChainIntegrityError("x", { seq: 1, kind: "link" }) instanceof NucleusError }));
  await ledger.close();
})();
`, { ext: "cjs" });
  assert.equal(code, 0, stderr);
  const out = JSON.parse(stdout);
  assert.equal(out.h, 64);
  assert.equal(out.rec.payload.ok, true);
  assert.equal(out.sub, true);
});
