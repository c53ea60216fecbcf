/** A TypeScript consumer of the installed package type-checks, as ESM (.mts) and as CommonJS (.cts). */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import { consumerDir } from "./helpers/consumer.mjs";

const usage = `
const ledger: Ledger = await createLedger({ id: "typed", storage: sqliteStorage("./t.db", { durability: "fast" }) });
const rec: NewRecord = { id: "a", stream: "s", payload: { n: 1 } };
const hash: string = await ledger.append(rec, createContext("oid:onoal:human:alice"));
const got: LedgerRecord | null = await ledger.get(hash);
const page: QueryResult = await ledger.query({ stream: "s", order: "desc", limit: 5 });
const cp: Checkpoint = await ledger.checkpoint();
try { await ledger.verify({ checkpoint: cp }); } catch (e) {
  if (e instanceof ChainIntegrityError) { const s: number = e.seq; const k: ChainBreakKind = e.kind; void s; void k; }
  if (e instanceof NucleusError) { const c: ErrorCode = e.code; void c; }
}
const built: Ledger = await ledgerBuilder("b").withModules([proofModule(), assetModule({ stream: "x" })]).withStorage(inMemoryStorage()).build();
const browserish: LedgerConfig = ledgerBuilder("w").withAssetsURL("/nucleus/").withAssetsURL(new URL("https://x.test/n/")).withWorker(false).buildConfig();
const st: StorageConfig = autoStorage();
// @ts-expect-error: a number id is a type error
await ledger.append({ id: 1, stream: "s", payload: {} });
const reader: Ledger = await createLedger({ id: "typed", storage: sqliteStorage("./t.db", { readOnly: true }) });
const readOnly: boolean = reader.readOnly;
const caveats: readonly string[] = reader.caveats;
// @ts-expect-error: caveats cannot be changed
reader.caveats.push("x");
// @ts-expect-error: readOnly is a boolean
sqliteStorage("./t.db", { readOnly: "yes" });
void got; void page; void built; void st; void browserish; void readOnly; void caveats;
await ledger.close();
`;
const names = "createLedger, sqliteStorage, inMemoryStorage, autoStorage, createContext, ledgerBuilder, proofModule, assetModule, ChainIntegrityError, NucleusError";
const types = "Ledger, LedgerConfig, NewRecord, LedgerRecord, QueryResult, Checkpoint, ChainBreakKind, ErrorCode, StorageConfig";

test("ESM and CommonJS TypeScript consumers type-check with tsc --noEmit (strict)", () => {
  const dir = join(consumerDir, "ts");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "esm.mts"), `import { ${names} } from "@onoal/nucleus";\nimport type { ${types} } from "@onoal/nucleus";\n${usage}\nexport {};\n`);
  writeFileSync(
    join(dir, "cjs.cts"),
    `import { ${names} } from "@onoal/nucleus";\nimport type { ${types} } from "@onoal/nucleus";\nasync function main(): Promise<void> {\n${usage}\n}\nvoid main();\n`,
  );
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
    compilerOptions: {
      target: "ES2022", module: "nodenext", moduleResolution: "nodenext", strict: true, noEmit: true,
      lib: ["ES2022", "ESNext.Disposable"], skipLibCheck: false, rootDir: ".",
      // a Node.js consumer has @types/node (public types mention URL); borrow ours
      typeRoots: [join(createRequire(import.meta.url).resolve("@types/node/package.json"), "..", "..")], types: ["node"],
    },
    include: ["*.mts", "*.cts"],
  }));
  const tsc = join(createRequire(import.meta.url).resolve("typescript/package.json"), "..", "bin", "tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
