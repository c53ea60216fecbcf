/**
 * Errors name the user's own file, never the path the runtime mounted it at (`/nucleus/host/<n>/...`):
 * through the API (message and details) and through the `nucleus` command (stderr and --json).
 */

import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { mapLimit, runCli } from "./helpers/cli.mjs";
import { loadPackage } from "./helpers/consumer.mjs";

const { createLedger, sqliteStorage, NucleusError } = await loadPackage();

const MOUNT = "/nucleus/host";
// Real path: the test passes exactly the path the messages should name (tmpdir may be a symlink). Not
// tempDir(): its clean-up could run before the directory below is writable again.
const dir = realpathSync(mkdtempSync(join(tmpdir(), "nucleus-js-paths-")));
const garbage = join(dir, "garbage.db");
writeFileSync(garbage, "this is not a database, only text\n".repeat(100));

// A read-only directory holding a ledger. Under root, chmod does not stop Node (which takes the lock), but
// the runtime's file system honours the mode bits it sees when it first mounts the directory, so the
// engine itself fails to open the file: the case whose message named the mount. As another user, Node
// already fails to create the lock. Both must name the user's path. The ledger is made elsewhere and
// copied in, so that no mount of the directory predates the chmod.
mkdirSync(join(dir, "source"));
const made = await createLedger({ id: "paths", storage: sqliteStorage(join(dir, "source", "ledger.db")) });
await made.append({ id: "a", stream: "s", payload: {} });
await made.close();
const readOnly = [];
after(() => {
  for (const d of readOnly) chmodSync(d, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

/** A new read-only directory (under `parent`) holding a copy of the ledger; its path. */
function closedDir(parent) {
  const closed = join(parent, "closed");
  mkdirSync(closed, { recursive: true });
  copyFileSync(join(dir, "source", "ledger.db"), join(closed, "ledger.db"));
  chmodSync(closed, 0o555);
  readOnly.push(closed);
  return closed;
}
const closed = closedDir(dir);
const existing = join(closed, "ledger.db");

/** Asserts `err` is a NucleusError whose message names `path` and which mentions no mount point anywhere. */
function namesUserPath(err, path, label) {
  assert.ok(err instanceof NucleusError, `${label}: ${err?.stack ?? err}`);
  assert.ok(err.message.includes(path), `${label}: the message names ${path}: ${err.message}`);
  const all = `${err.message} ${JSON.stringify(err.details)} ${err.stack}`;
  assert.ok(!all.includes(MOUNT), `${label}: mentions the runtime's mount: ${all}`);
  return true;
}

test("API: a garbage file, files in a read-only directory, a path under a file", async () => {
  const cases = [
    ["garbage file", garbage, "LEDGER_MISMATCH"],
    ["new file in a read-only directory", join(closed, "new.db"), "STORAGE_ERROR"],
    ["existing ledger in a read-only directory", existing, "STORAGE_ERROR"],
    ["directory that cannot be created", join(garbage, "sub", "l.db"), "STORAGE_ERROR"],
  ];
  for (const [label, path, code] of cases) {
    await assert.rejects(createLedger({ id: "paths", storage: sqliteStorage(path) }), (err) => {
      assert.equal(err.code, code, `${label}: ${err.message}`);
      return namesUserPath(err, path, label);
    });
  }
  // details name the file too, where they name one at all
  await assert.rejects(createLedger({ id: "paths", storage: sqliteStorage(join(closed, "new.db")) }), (err) => {
    if (err.details.path !== undefined) assert.ok(String(err.details.path).startsWith(closed), JSON.stringify(err.details));
    return true;
  });
});

test("CLI: every command on a garbage file, and those that write on a read-only directory, name the user's path; those that read work there", async () => {
  const exportFile = join(dir, "export.jsonl");
  const source = await createLedger({ id: "paths" });
  await source.append({ id: "a", stream: "s", payload: {} });
  writeFileSync(exportFile, await source.export());
  await source.close();
  const append = ["--stream", "s", "--id", "x", "--payload", "{}"];
  // Each run gets its own directory: commands that lock a file must not meet each other's locks.
  let n = 0;
  const own = (name) => {
    const runDir = join(dir, `run-${n++}`);
    mkdirSync(runDir);
    if (name === "garbage.db") {
      copyFileSync(garbage, join(runDir, name));
      return join(runDir, name);
    }
    return join(closedDir(runDir), name);
  };
  const runs = [];
  for (const json of [[], ["--json"]]) {
    runs.push(
      ...["info", "verify", "query", "export"].map((cmd) => [cmd, own("garbage.db"), ...json]),
      ["append", own("garbage.db"), ...append, ...json],
      ["import", exportFile, own("garbage.db"), ...json],
      ["append", own("ledger.db"), ...append, ...json],
      ["append", own("new.db"), "--ledger", "paths", ...append, ...json],
    );
  }
  const results = await mapLimit(runs, 4, (args) => runCli(args, { cwd: dir }));
  results.forEach((r, i) => {
    const args = runs[i];
    const label = `nucleus ${args.join(" ")}`;
    const path = args[0] === "import" ? args[2] : args[1];
    assert.equal(r.code, 2, `${label}: ${r.stderr}`);
    assert.ok(r.stderr.includes(path), `${label}: stderr names ${path}: ${r.stderr}`);
    assert.ok(!(r.stdout + r.stderr).includes(MOUNT), `${label}: mentions the runtime's mount: ${r.stdout}${r.stderr}`);
    if (args.includes("--json")) assert.ok(r.json.error.message.includes(path), `${label}: ${JSON.stringify(r.json)}`);
  });
  // The commands that only read open the file read-only: a read-only directory is no obstacle to them.
  const reads = ["verify", "info", "query", "export"].map((cmd) => [cmd, own("ledger.db"), "--json"]);
  const read = await mapLimit(reads, 4, (args) => runCli(args, { cwd: dir }));
  read.forEach((r, i) => {
    assert.equal(r.code, 0, `nucleus ${reads[i].join(" ")}: ${r.stderr}`);
    assert.ok(!(r.stdout + r.stderr).includes(MOUNT), `nucleus ${reads[i].join(" ")}: mentions the runtime's mount`);
  });
});
