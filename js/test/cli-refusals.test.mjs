/**
 * A refused `nucleus` command creates nothing and changes nothing: no ledger file, no `.lock`, `-wal` or
 * `-shm`, no directory, and an existing ledger byte for byte as it was. Each case runs in a directory of
 * its own, compared before and after (every file's SHA-256, subdirectories included).
 */

import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
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

/** [label, argv, exit status]. Every command line here must be refused. */
const CASES = [
  ["append: payload is not JSON", append("new.db", "--payload", "{bad"), 2],
  ["append: payload is a string", append("new.db", "--payload", '"text"'), 2],
  ["append: payload is a string, in a new directory", append("sub/dir/new.db", "--payload", '"text"'), 2],
  ["append: an integer past 2^53 (the engine's rule)", append("new.db", "--payload", '{"n":9007199254740993}'), 2],
  ["append: an id past 256 characters (the engine's rule)", ["append", "new.db", "--ledger", "kept", "--stream", "s", "--id", "i".repeat(300), "--payload", "{}"], 2],
  ["append: meta is an array", append("new.db", "--payload", "{}", "--meta", "[1]"), 2],
  ["append: a malformed ledger id", ["append", "sub/new.db", "--ledger", "not an id!", "--stream", "s", "--id", "x", "--payload", "{}"], 2],
  ["append: an unknown option", append("new.db", "--payload", "{}", "--colour", "red"), 2],
  ["append: --stream missing", ["append", "new.db", "--ledger", "kept", "--id", "x", "--payload", "{}"], 2],
  ["append: no --ledger for a new file", ["append", "new.db", "--stream", "s", "--id", "x", "--payload", "{}"], 2],
  ["append: a bad record to an existing ledger", ["append", "kept.db", "--stream", "s", "--id", "x", "--payload", '"text"'], 2],
  ["append: a record that the existing ledger refuses (time going back)", ["append", "kept.db", "--stream", "s", "--id", "x", "--payload", "{}", "--timestamp", "1000"], 2],
  ["import: garbage into a new file", ["import", "garbage.jsonl", "new.db", "--id", "kept"], 2],
  ["import: garbage into a new directory", ["import", "garbage.jsonl", "sub/new.db", "--id", "kept"], 2],
  ["import: no header into a new file", ["import", "no-header.jsonl", "new.db"], 2],
  ["import: a tampered export into a new file", ["import", "tampered.jsonl", "sub/new.db"], 1],
  ["import: another ledger's id into a new file", ["import", "good.jsonl", "new.db", "--id", "other"], 2],
  ["import: a malformed --id into a new file", ["import", "good.jsonl", "sub/new.db", "--id", "not an id!"], 2],
  ["import: a missing export", ["import", "missing.jsonl", "new.db"], 2],
  ["import: a tampered export into an existing ledger", ["import", "tampered.jsonl", "kept.db"], 1],
  ...["query", "verify", "info", "export"].flatMap((cmd) => [
    [`${cmd}: a missing file`, [cmd, "missing.db"], 2],
    [`${cmd}: a file in a missing directory`, [cmd, "sub/missing.db"], 2],
  ]),
  ["export --out: a missing file", ["export", "missing.db", "--out", "out.jsonl"], 2],
  ["upgrade: the target exists", ["upgrade", "v1.db", "kept.db", "--ledger", "compat-v1"], 2],
  ["upgrade: the target is the source", ["upgrade", "v1.db", "v1.db", "--ledger", "compat-v1"], 2],
  ["upgrade: a missing source", ["upgrade", "missing.db", "new.db", "--ledger", "compat-v1"], 2],
  ["upgrade: a source that is not a ledger", ["upgrade", "good.jsonl", "new.db", "--ledger", "compat-v1"], 2],
  ["upgrade: a source in format 2 already", ["upgrade", "kept.db", "new.db", "--ledger", "kept"], 2],
  ["upgrade: another ledger's id", ["upgrade", "v1.db", "new.db", "--ledger", "other"], 2],
  ["upgrade: a malformed id", ["upgrade", "v1.db", "new.db", "--ledger", "not an id!"], 2],
  ["upgrade: no --ledger", ["upgrade", "v1.db", "new.db"], 2],
  ["upgrade: a target in a missing directory", ["upgrade", "v1.db", "sub/new.db", "--ledger", "compat-v1"], 2],
];

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
