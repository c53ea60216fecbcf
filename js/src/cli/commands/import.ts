/** `nucleus import <file> <db>`: add the entries of a JSON Lines export to a ledger file (creating it). */

import { readFileSync } from "node:fs";
import { stringFlag, UsageError, type Parsed } from "../args.js";
import { EXIT, type Command } from "../command.js";
import { dbFile, engine, UnusableError, validateExport, withLedger } from "../ledger-file.js";
import { count, millis, type Output } from "../output.js";

export const importCommand: Command = {
  name: "import",
  summary: "Import a JSON Lines export into a ledger file, creating the file when it does not exist.",
  description: [
    "The export is verified whole before anything is written; it must be of the same ledger and extend",
    "the file's chain (re-importing the same export adds nothing). The ledger id comes from --id, else",
    "from the export's header line.",
  ].join("\n"),
  spec: {
    positionals: [
      { name: "file", help: "a JSON Lines export (`-` for stdin)" },
      { name: "db", help: "the ledger's SQLite file (created when missing)" },
    ],
    flags: { id: { type: "string", value: "<ledger id>", help: "the ledger id (default: the export header's ledger_id)" } },
  },
  examples: ["nucleus import demo.jsonl ./restored.db", "nucleus import backup.jsonl ledger.db --id orders"],
  run,
};

async function run(args: Parsed, out: Output): Promise<number> {
  const file = args.positionals["file"] as string;
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (err) {
    throw new UnusableError(`${file}: cannot read the export (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, "NOT_FOUND");
  }
  const id = stringFlag(args, "id") ?? headerId(text, file);
  const db = dbFile(args.positionals["db"] as string, "import", true);
  const started = performance.now();
  // A new file is only created for an export that verifies; an existing one is never written before the
  // engine has verified the export whole.
  if (!db.exists) validateExport(await engine(), text, id);
  await withLedger(db, { createId: id, expectId: id }, async (ledger) => {
    const result = await ledger.importEntries(text);
    const ms = performance.now() - started;
    out.result({ path: db.path, ledgerId: ledger.id, created: !db.exists, ...result });
    out.line(
      `imported ${count(result.imported)} entries into ${db.arg} (ledger "${ledger.id}", now ${count(result.length)} entries${db.exists ? "" : ", new file"}) in ${millis(ms)}`,
    );
  });
  return EXIT.ok;
}

/** The `ledger_id` of an export's header line. */
function headerId(text: string, file: string): string {
  const end = text.indexOf("\n");
  const first = end < 0 ? text : text.slice(0, end);
  let header: unknown;
  try {
    header = JSON.parse(first);
  } catch {
    throw new UsageError(`${file} does not start with a Nucleus export header; pass --id <ledger id> or check the file`, "import");
  }
  const id = (header as { ledger_id?: unknown } | null)?.ledger_id;
  if (typeof id !== "string") {
    throw new UsageError(`${file}: the header line has no ledger_id; pass --id <ledger id>`, "import");
  }
  return id;
}
