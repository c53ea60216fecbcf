/**
 * Every code example says what works: each `@example` of the TSDoc (and so of docs/API.md) and each ```js
 * block of README.md and js/README.md is type-checked by tsc against the installed package's declarations
 * (strict; the browser ones against its `browser` export), and each Node.js one is run against the installed
 * package, in a fresh working directory. tests_browser/test_examples.py runs the browser ones in Chromium.
 * scripts/lib/examples.mjs finds them.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { collectExamples, runnable } from "../scripts/lib/examples.mjs";
import { consumerDir, loadPackage } from "./helpers/consumer.mjs";

const exported = Object.keys(await loadPackage());
const examples = collectExamples();
const require = createRequire(import.meta.url);
const tsc = join(dirname(require.resolve("typescript/package.json")), "bin", "tsc");
const nodeTypes = dirname(dirname(require.resolve("@types/node/package.json")));

// The examples live inside the consumer project, so that "@onoal/nucleus" resolves to the installed package.
const dir = mkdtempSync(join(consumerDir, "examples-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
const fileOf = new Map(examples.map((e, i) => [e, `${String(i).padStart(2, "0")}-${e.id.replace(/[^\w]+/g, "_")}`]));
for (const example of examples) {
  const code = `// ${example.id}\n${runnable(example, exported)}`;
  writeFileSync(join(dir, `${fileOf.get(example)}.mts`), code);
  writeFileSync(join(dir, `${fileOf.get(example)}.mjs`), code);
}

/** Type-checks the examples of `platform` with tsc; returns its diagnostics. */
function typecheck(platform) {
  const files = examples.filter((e) => e.platform === platform).map((e) => `${fileOf.get(e)}.mts`);
  const config = join(dir, `tsconfig.${platform}.json`);
  const compilerOptions = {
    target: "es2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    ...(platform === "browser"
      ? { lib: ["es2023", "dom", "esnext.disposable"], types: [], customConditions: ["browser"] }
      : { lib: ["es2023", "esnext.disposable"], types: ["node"], typeRoots: [nodeTypes] }),
  };
  writeFileSync(config, JSON.stringify({ compilerOptions, files }, null, 2));
  const r = spawnSync(process.execPath, [tsc, "-p", config], { cwd: dir, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}`, count: files.length };
}

test("there are examples to check, of both platforms", () => {
  assert.ok(examples.filter((e) => e.platform === "node").length >= 10, examples.map((e) => e.id).join(", "));
  assert.ok(examples.some((e) => e.platform === "browser"));
});

for (const platform of ["node", "browser"]) {
  test(`every ${platform} example type-checks against the installed package's declarations`, () => {
    const { status, output, count } = typecheck(platform);
    assert.ok(count > 0);
    assert.equal(status, 0, `tsc found errors in the examples (files in ${dir}, first line names the source):\n${output}`);
  });
}

test("every Node.js example runs against the installed package", async () => {
  const sessions = new Map();
  for (const e of examples.filter((e) => e.platform === "node")) sessions.set(e.session, [...(sessions.get(e.session) ?? []), e]);
  for (const [session, group] of sessions) {
    const cwd = mkdtempSync(join(tmpdir(), "nucleus-example-"));
    try {
      for (const example of group) {
        const r = spawnSync(process.execPath, [join(dir, `${fileOf.get(example)}.mjs`)], { cwd, encoding: "utf8", timeout: 60_000 });
        assert.equal(r.status, 0, `${example.id} (session ${session}) failed:\n${r.stderr}\n${example.code}`);
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }
});
