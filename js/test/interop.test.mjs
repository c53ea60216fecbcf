/** The lock protocol is shared with the Python engine on CPython: each side excludes the other. */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadPackage, runScript, tempDir } from "./helpers/consumer.mjs";

const { createLedger, sqliteStorage } = await loadPackage();
const pyPath = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "py");
const python = process.env.PYTHON || "python3";
const env = { ...process.env, PYTHONPATH: pyPath };
const hasEngine = spawnSync(python, ["-c", "import nucleus"], { env }).status === 0;

test("Python holds the lock → Node gets LEDGER_LOCKED; Node holds it → Python gets LEDGER_LOCKED", { skip: !hasEngine && "the Python engine is not importable" }, async () => {
  const path = join(tempDir(), "both.db");
  const py = spawn(python, ["-c", `
import sys, nucleus
ledger = nucleus.Ledger.open("both", nucleus.SqliteStorage(sys.argv[1]))
ledger.append({"id": "p", "stream": "s", "timestamp": 1, "payload": {"from": "python"}})
print("ready", flush=True)
sys.stdin.read()
ledger.close()
`, path], { env, stdio: ["pipe", "pipe", "inherit"] });
  await new Promise((res) => py.stdout.once("data", res));
  await assert.rejects(createLedger({ id: "both", storage: sqliteStorage(path) }), (e) => {
    assert.equal(e.code, "LEDGER_LOCKED");
    assert.match(e.message, new RegExp(`process ${py.pid}\\b`));
    return true;
  });
  py.stdin.end();
  await new Promise((res) => py.once("close", res));
  assert.equal(existsSync(`${path}.lock`), false);

  const ledger = await createLedger({ id: "both", storage: sqliteStorage(path) });
  assert.equal((await ledger.getById("p")).payload.from, "python");
  await ledger.append({ id: "n", stream: "s", timestamp: 2, payload: { from: "node" } });
  const r = spawnSync(python, ["-c", `
import sys, nucleus
try:
    nucleus.Ledger.open("both", nucleus.SqliteStorage(sys.argv[1]))
except nucleus.NucleusError as e:
    print(e.code)
`, path], { env, encoding: "utf8" });
  assert.equal(r.stdout.trim(), "LEDGER_LOCKED", r.stderr);
  await ledger.close();
  const check = spawnSync(python, ["-c", `
import sys, nucleus
with nucleus.Ledger.open("both", nucleus.SqliteStorage(sys.argv[1])) as l:
    l.verify(); print(len(l))
`, path], { env, encoding: "utf8" });
  assert.equal(check.stdout.trim(), "2", check.stderr);
});

test("a process that exits without close() leaves no lock behind", async () => {
  const path = join(tempDir(), "exit.db");
  const r = await runScript(`
import { createLedger, sqliteStorage } from "@onoal/nucleus";
const ledger = await createLedger({ id: "e", storage: sqliteStorage(${JSON.stringify(path)}) });
await ledger.append({ id: "a", stream: "s", payload: {} });
process.exit(0);
`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(`${path}.lock`), false);
  const ledger = await createLedger({ id: "e", storage: sqliteStorage(path) });
  assert.equal(await ledger.length(), 1);
  await ledger.close();
});
