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
