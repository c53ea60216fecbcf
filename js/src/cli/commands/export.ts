/** `nucleus export <db>`: the ledger as JSON Lines (docs/FORMAT.md, Export), to stdout or a file. */

import { renameSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { stringFlag, type Parsed } from "../args.js";
import { EXIT, type Command } from "../command.js";
import { dbFile, withReadOnlyLedger } from "../ledger-file.js";
import { bytes, count, type Output } from "../output.js";

export const exportCommand: Command = {
  name: "export",
  summary: "Write the ledger as JSON Lines: a header line, then one line per entry in seq order.",
  description: [
    "Opens the ledger read-only (no lock is taken and no file beside it is created or changed) and verifies",
    "it first, so only a ledger that verifies is exported; what the read-only open cannot promise is printed",
    "on stderr. Without --out the lines go to stdout; with --out the file is written whole or not at all.",
  ].join("\n"),
  spec: {
    positionals: [{ name: "db", help: "the ledger's SQLite file" }],
    flags: { out: { type: "string", short: "o", value: "<file>", help: "write to this file instead of stdout" } },
  },
  examples: ["nucleus export ./data/demo.db > demo.jsonl", "nucleus export ledger.db --out backup.jsonl"],
  run,
};

async function run(args: Parsed, out: Output): Promise<number> {
  const db = dbFile(args.positionals["db"] as string, "export");
  const target = stringFlag(args, "out");
  const { ledgerId, text, entries, caveats } = await withReadOnlyLedger(db, async (ledger) => ({
    ledgerId: ledger.id,
    text: await ledger.export(),
    entries: await ledger.length(),
    caveats: ledger.caveats,
  }));
  out.caveats(caveats);
  if (target === undefined) {
    out.raw(text);
    return EXIT.ok;
  }
  const path = resolve(process.cwd(), target);
  const temp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temp, text);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  const size = Buffer.byteLength(text);
  out.result({ path, ledgerId, entries, bytes: size, caveats });
  out.line(`exported ${count(entries)} entries of ledger "${ledgerId}" to ${target} (${bytes(size)})`);
  return EXIT.ok;
}
