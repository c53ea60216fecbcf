/**
 * The `nucleus` command as installed from the tarball, against the CLI test table tests_py/cli_table.json, which
 * tests_py/test_cli.py runs against `python -m nucleus`: one table, both CLIs, the same commands, output and exit
 * statuses. The table's keys are described in tests_py/test_cli.py; its refusals run in cli-refusals.test.mjs.
 * Cases run concurrently (each command starts its own engine); the steps of a case run in order.
 */

import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fingerprint, runCli } from "./helpers/cli.mjs";
import { loadPackage, tempDir } from "./helpers/consumer.mjs";

const { createLedger, sqliteStorage } = await loadPackage();

const TABLE = JSON.parse(readFileSync(new URL("../../tests_py/cli_table.json", import.meta.url), "utf8"));
const DOCS = readFileSync(new URL("../../docs/CLI.md", import.meta.url), "utf8");
const root = realpathSync(tempDir());

/** The ledger id of a `ledger` fixture. */
function ledgerId(name) {
  const id = TABLE.fixtures[name]?.ledger;
  assert.ok(id, `fixture ${name} is not a ledger`);
  return id;
}

// The fixtures, made once with this package (the Python run makes them with the Python package).
const fixtures = join(root, "fixtures");
mkdirSync(fixtures);
for (const [name, spec] of Object.entries(TABLE.fixtures)) {
  const path = join(fixtures, name);
  if (spec.ledger) {
    const ledger = await createLedger({ id: spec.ledger, storage: sqliteStorage(path) });
    await ledger.appendBatch(spec.records);
    await ledger.close();
  } else if (spec.export) {
    const ledger = await createLedger({ id: ledgerId(spec.export), storage: sqliteStorage(join(fixtures, spec.export), { readOnly: true }) });
    writeFileSync(path, await ledger.export());
    await ledger.close();
  } else if (spec.from) {
    let data = readFileSync(join(fixtures, spec.from));
    if (spec.replace) {
      const [old, now] = spec.replace.map((s) => Buffer.from(s));
      assert.ok(data.includes(old), `fixture ${name}: ${spec.replace[0]} is not in ${spec.from}`);
      const parts = [];
      for (let at = data.indexOf(old), from = 0; ; at = data.indexOf(old, from)) {
        if (at < 0) {
          parts.push(data.subarray(from));
          break;
        }
        parts.push(data.subarray(from, at), now);
        from = at + old.length;
      }
      data = Buffer.concat(parts);
    }
    if (spec.drop_lines) data = Buffer.from(data.toString("utf8").split(/(?<=\n)/).slice(spec.drop_lines).join(""));
    writeFileSync(path, data);
  } else if (spec.text !== undefined) {
    writeFileSync(path, spec.text);
  } else {
    copyFileSync(new URL(`../../${spec.file}`, import.meta.url), path);
  }
}

/** `value` with `$DIR` and `$PID` put in (`"$PID"` alone becomes the number). */
function subst(value, dir) {
  if (value === "$PID") return process.pid;
  if (typeof value === "string") return value.replaceAll("$DIR", dir);
  if (Array.isArray(value)) return value.map((v) => subst(v, dir));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, subst(v, dir)]));
  return value;
}

/** A pattern of the table with `$DIR` and `$PID` put in. */
function pattern(p, dir, flags = "m") {
  return new RegExp(p.replaceAll("$DIR", dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).replaceAll("$PID", String(process.pid)), flags);
}

/** `value` at `path` (`a.0.b`; `*` maps a list); null where a key is missing. */
function jsonGet(value, path) {
  const parts = path.split(".");
  for (let n = 0; n < parts.length; n++) {
    if (parts[n] === "*") {
      const rest = parts.slice(n + 1).join(".");
      return value.map((item) => (rest ? jsonGet(item, rest) : item));
    }
    value = value !== null && typeof value === "object" ? value[parts[n]] : undefined;
    if (value === undefined) return null;
  }
  return value;
}

/** Asserts what the table says of one step's result `r`. */
function checkStep(step, r, dir, before, earlier) {
  const label = `nucleus ${step.argv.join(" ")}: exit ${r.code}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`;
  assert.equal(r.code, step.exit, label);
  for (const stream of ["stdout", "stderr"]) {
    for (const p of step[stream] ?? []) assert.match(r[stream], pattern(p, dir), `${stream}: ${label}`);
    for (const p of step[`${stream}_not`] ?? []) assert.doesNotMatch(r[stream], pattern(p, dir), `${stream}: ${label}`);
  }
  if (step.stdout_full !== undefined) assert.match(r.stdout, pattern(`^(?:${step.stdout_full})$`, dir, ""), label);
  if (step.stdout_starts !== undefined) assert.ok(r.stdout.startsWith(step.stdout_starts), label);
  if (step.stdout_file !== undefined) assert.equal(r.stdout, readFileSync(join(dir, step.stdout_file), "utf8"), label);
  if (step.in_docs) assert.ok(DOCS.includes(r.stdout.trimEnd()), `docs/CLI.md is out of date: run \`node scripts/cli-docs.mjs\` in js/\n${label}`);
  for (const [path, expected] of Object.entries(step.json ?? {})) assert.deepEqual(jsonGet(r.json, path), subst(expected, dir), `${path}: ${label}`);
  for (const [path, p] of Object.entries(step.json_match ?? {})) assert.match(String(jsonGet(r.json, path)), pattern(p, dir, ""), `${path}: ${label}`);
  for (const [path, file] of Object.entries(step.json_size ?? {})) assert.equal(jsonGet(r.json, path), statSync(join(dir, file)).size, label);
  for (const [path, n] of Object.entries(step.same_json ?? {})) assert.deepEqual(jsonGet(r.json, path), jsonGet(earlier[n].json, path), `${path}: ${label}`);
  const after = fingerprint(dir);
  if (step.unchanged) assert.deepEqual(after, before, `the directory changed: ${label}`);
  for (const file of step.unchanged_files ?? []) assert.equal(after[file], before[file], `${file} changed: ${label}`);
  for (const file of step.exists ?? []) assert.ok(existsSync(join(dir, file)), `${file} is missing: ${label}`);
  for (const file of step.absent ?? []) assert.ok(!existsSync(join(dir, file)), `${file} exists: ${label}`);
  for (const [a, b] of step.same_files ?? []) assert.deepEqual(readFileSync(join(dir, a)), readFileSync(join(dir, b)), `${a} and ${b} differ: ${label}`);
  if (step.listing) assert.deepEqual(readdirSync(dir).sort(), [...step.listing].sort(), label);
  if (step.no_locks) assert.deepEqual(Object.keys(after).filter((f) => f.endsWith(".lock")), [], `a lock was left behind: ${label}`);
  for (const [file, bits] of Object.entries(step.mode ?? {})) assert.equal((statSync(join(dir, file)).mode & 0o777).toString(8), bits, `${file}: ${label}`);
}

let cases = 0;
/** Copies the case's files into a directory of its own, holds its ledger open, runs its steps there. */
async function runCase(c) {
  const dir = join(root, `case-${cases++}`);
  mkdirSync(dir);
  const files = new Map((c.files ?? []).map((entry) => (typeof entry === "string" ? [entry, entry] : entry)));
  for (const [name, fixture] of files) copyFileSync(join(fixtures, fixture), join(dir, name));
  for (const sub of c.dirs ?? []) mkdirSync(join(dir, sub), { recursive: true });
  const held = c.hold ? await createLedger({ id: ledgerId(files.get(c.hold)), storage: sqliteStorage(join(dir, c.hold)) }) : undefined;
  try {
    const earlier = [];
    for (const step of c.steps ?? [c]) {
      if (step.edit) {
        const [file, old, now] = step.edit;
        const data = readFileSync(join(dir, file), "utf8");
        assert.ok(data.includes(old), `${file} lacks ${old} to edit`);
        writeFileSync(join(dir, file), data.replace(old, () => now));
      }
      const before = fingerprint(dir);
      const input = step.stdin_file === undefined ? undefined : readFileSync(join(dir, step.stdin_file), "utf8");
      const r = await runCli(step.argv, { cwd: dir, input });
      checkStep(step, r, dir, before, earlier);
      if (step.save_stdout !== undefined) writeFileSync(join(dir, step.save_stdout), r.stdout);
      earlier.push(r);
    }
  } finally {
    await held?.close();
  }
}

test("the CLI test table (tests_py/cli_table.json)", { concurrency: 4 }, async (t) => {
  await Promise.all(TABLE.cases.map((c) => t.test(c.name, () => runCase(c))));
});
