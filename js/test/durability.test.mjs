/**
 * Durability modes, seen from the kernel: under `strace -f -y -e trace=fsync,fdatasync`, N appends with
 * durability "full" sync the ledger's own files (db, -wal) at least N times; "fast" syncs them far less.
 * (process.test.mjs checks that durable appends survive SIGKILL.)
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { runScript, tempDir } from "./helpers/consumer.mjs";

const strace = spawnSync("strace", ["-V"]).status === 0;
const N = 25;

/** Syncs of `path`'s files (db, -wal, -journal) between the child's MARK lines, from strace's output. */
async function syncsDuringAppends(path, durability) {
  const { code, stderr } = await runScript(
    `
import { createLedger, sqliteStorage } from "@onoal/nucleus";
const ledger = await createLedger({ id: "sync", storage: sqliteStorage(${JSON.stringify(path)}, { durability: "${durability}" }) });
process.stderr.write("MARK-START\\n");
for (let i = 0; i < ${N}; i++) await ledger.append({ id: "r" + i, stream: "s", payload: { i } });
process.stderr.write("MARK-END\\n");
await ledger.close();
`,
    { prefix: ["strace", "-f", "-y", "-e", "trace=fsync,fdatasync,write", "-e", "signal=none"] },
  );
  assert.equal(code, 0, stderr.slice(-3000));
  const start = stderr.indexOf("MARK-START");
  const end = stderr.lastIndexOf("MARK-END");
  assert.ok(start >= 0 && end > start, "markers found in strace output");
  const name = path.split("/").pop();
  const lines = stderr.slice(start, end).split("\n");
  return lines.filter((l) => /\b(fsync|fdatasync)\(\d+</.test(l) && l.includes(`/${name}`)).length;
}

test(`durability "full": ${N} appends sync the ledger's files at least ${N} times; "fast" far fewer`, { skip: !strace && "strace is not installed (scripts/setup.sh --system installs it)" }, async (t) => {
  const dir = tempDir();
  const [full, fast] = await Promise.all([
    syncsDuringAppends(join(dir, "full.db"), "full"),
    syncsDuringAppends(join(dir, "fast.db"), "fast"),
  ]);
  assert.ok(full >= N, `only ${full} syncs of the ledger's files for ${N} durable appends`);
  assert.ok(fast < N / 2, `${fast} syncs for ${N} fast appends: the fast mode should not sync per commit`);
  t.diagnostic(`syncs of the ledger's files for ${N} appends: full ${full}, fast ${fast}`);
});

/** The syncs a process made of `dbPath` itself and of its directory while creating it, from strace's output. */
function creationSyncs(stderr, dbPath) {
  const dir = dbPath.slice(0, dbPath.lastIndexOf("/"));
  const before = stderr.slice(0, stderr.indexOf("MARK-START"));
  const synced = (target) => before.split("\n").filter((l) => /\b(fsync|fdatasync)\(\d+</.test(l) && l.includes(`<${target}>`)).length;
  return { file: synced(dbPath), dir: synced(dir) };
}

test("creating a ledger syncs the new database file and its directory before createLedger resolves", { skip: !strace && "strace is not installed (scripts/setup.sh --system installs it)" }, async (t) => {
  // Without both, a power cut after the first appends can leave a synced log beside a database file (or a
  // directory entry) that never reached the disk, and SQLite then drops the log: every append lost.
  const dir = tempDir();
  const path = join(dir, "new.db");
  const { code, stderr } = await runScript(
    `
import { createLedger, sqliteStorage } from "@onoal/nucleus";
const ledger = await createLedger({ id: "created", storage: sqliteStorage(${JSON.stringify(path)}) });
process.stderr.write("MARK-START\\n");
await ledger.close();
`,
    { prefix: ["strace", "-f", "-y", "-e", "trace=fsync,fdatasync,write", "-e", "signal=none"] },
  );
  assert.equal(code, 0, stderr.slice(-3000));
  const syncs = creationSyncs(stderr, path);
  assert.ok(syncs.file >= 1, `the new database file was not synced before createLedger resolved: ${JSON.stringify(syncs)}`);
  assert.ok(syncs.dir >= 1, `the directory of the new file was not synced before createLedger resolved: ${JSON.stringify(syncs)}`);
  t.diagnostic(`syncs while creating: ${JSON.stringify(syncs)}`);
});
