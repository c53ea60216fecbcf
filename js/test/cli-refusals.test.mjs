/**
 * A refused `nucleus` command creates nothing and changes nothing: no ledger file, no `.lock`, `-wal` or
 * `-shm`, no directory, and an existing ledger byte for byte as it was. Each case runs in a directory of
 * its own, compared before and after (every file's SHA-256, subdirectories included).
 */

import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fingerprint, mapLimit, runCli } from "./helpers/cli.mjs";
import { loadPackage, tempDir } from "./helpers/consumer.mjs";

const { createLedger, sqliteStorage } = await loadPackage();

const root = tempDir();
const T = Date.UTC(2025, 0, 1);

// Fixtures, copied into each case's directory: a ledger file, its export, and exports that must be refused.
const fixtures = join(root, "fixtures");
mkdirSync(fixtures);
const source = await createLedger({ id: "kept", storage: sqliteStorage(join(fixtures, "kept.db")) });
await source.appendBatch([0, 1, 2].map((i) => ({ id: `r${i}`, stream: "s", timestamp: T + i, payload: { i } })));
const good = await source.export();
await source.close();
const lines = good.trimEnd().split("\n");
// A format-1 ledger (Nucleus 0.1), for the upgrade.
copyFileSync(new URL("../../tests_py/fixtures/compat-v1.db", import.meta.url), join(fixtures, "v1.db"));
const FILES = {
  "kept.db": null,
  "v1.db": null,
  "good.jsonl": good,
  "garbage.jsonl": "not an export\n",
  "tampered.jsonl": [lines[0], lines[1], lines[2].replace('"i":1', '"i":7'), lines[3]].join("\n") + "\n",
  "no-header.jsonl": lines.slice(1).join("\n") + "\n",
};

const append = (db, ...extra) => ["append", db, "--ledger", "kept", "--stream", "s", "--id", "x", ...extra];

/**
 * [label, argv, exit status]. Every command line here must be refused. The cases are the CLI test table's
 * (tests_py/cli_table.json, "refusals"), which tests_py/test_cli.py runs against `python -m nucleus` as well.
 */
const TABLE = JSON.parse(readFileSync(new URL("../../tests_py/cli_table.json", import.meta.url), "utf8"));
const CASES = TABLE.refusals.cases.map((c) => [c.name, c.argv, c.exit]);

test("every refused command leaves its directory exactly as it was", async () => {
  const results = await mapLimit(CASES, 4, async ([label, args, status], n) => {
    const dir = join(root, `case-${n}`);
    mkdirSync(dir);
    for (const [name, text] of Object.entries(FILES)) {
      if (text === null) copyFileSync(join(fixtures, name), join(dir, name));
      else writeFileSync(join(dir, name), text);
    }
    const before = fingerprint(dir);
    return { label, status, r: await runCli([...args, "--json"], { cwd: dir }), dir, before };
  });
  for (const { label, status, r, dir, before } of results) {
    assert.equal(r.code, status, `${label}: exit ${r.code}: ${r.stderr}`);
    assert.equal(r.json?.ok, false, `${label}: ${r.stdout}`);
    assert.deepEqual(fingerprint(dir), before, `${label}: the directory changed (${r.json?.error?.code}: ${r.json?.error?.message})`);
  }
});

test("the same commands without the fault do create and change files (the cases above are real refusals)", async () => {
  const dir = join(root, "control");
  mkdirSync(dir);
  writeFileSync(join(dir, "good.jsonl"), good);
  copyFileSync(join(fixtures, "v1.db"), join(dir, "v1.db"));
  const [appended, imported, upgraded] = await Promise.all([
    runCli(append("sub/dir/new.db", "--payload", '{"n":1}'), { cwd: dir }),
    runCli(["import", "good.jsonl", "sub/imported.db"], { cwd: dir }),
    runCli(["upgrade", "v1.db", "new.db", "--ledger", "compat-v1"], { cwd: dir }),
  ]);
  assert.equal(appended.code, 0, appended.stderr);
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal(upgraded.code, 0, upgraded.stderr);
  const files = Object.keys(fingerprint(dir));
  assert.ok(files.includes("sub/dir/new.db") && files.includes("sub/imported.db") && files.includes("new.db"), files.join(", "));
  assert.ok(!files.some((f) => f.endsWith(".lock")), `no lock is left behind: ${files.join(", ")}`);
});
