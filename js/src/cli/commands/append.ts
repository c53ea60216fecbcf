/** `nucleus append <db>`: append one record from the command line. */

import type { NewRecord, RecordMetadata, RecordPayload } from "../../types/record.js";
import { jsonFlag, stringFlag, timeFlag, UsageError, type Parsed } from "../args.js";
import { EXIT, type Command } from "../command.js";
import { dbFile, engine, validateRecord, withLedger } from "../ledger-file.js";
import { isoTime, type Output } from "../output.js";

export const appendCommand: Command = {
  name: "append",
  summary: "Append one record and print its entry hash. The commit is durable before this returns.",
  description: [
    "Opens the ledger (taking its lock and verifying it first). A file that does not exist is created",
    "when --ledger names the new ledger's id. Without --timestamp the engine stamps the current time.",
  ].join("\n"),
  spec: {
    positionals: [{ name: "db", help: "the ledger's SQLite file" }],
    flags: {
      stream: { type: "string", value: "<name>", help: "the record's stream (required)" },
      id: { type: "string", value: "<record id>", help: "the record's id (required)" },
      payload: { type: "string", value: "<json>", help: "the payload: a JSON object or array (required)" },
      meta: { type: "string", value: "<json>", help: "optional metadata: a JSON object" },
      timestamp: { type: "string", value: "<time>", help: "ms since the epoch or ISO 8601 (default: now)" },
      ledger: { type: "string", value: "<ledger id>", help: "create the file as this ledger when it does not exist" },
    },
  },
  examples: [
    `nucleus append ./data/demo.db --stream orders --id order-9 --payload '{"total": 12}'`,
    `nucleus append new.db --ledger orders --stream orders --id o-1 --payload '[1,2]' --json`,
  ],
  run,
};

async function run(args: Parsed, out: Output): Promise<number> {
  const record = {} as NewRecord;
  for (const name of ["stream", "id", "payload"] as const) {
    if (stringFlag(args, name) === undefined) throw new UsageError(`--${name} is required`, "append");
  }
  record.id = stringFlag(args, "id") as string;
  record.stream = stringFlag(args, "stream") as string;
  record.payload = jsonFlag(args, "payload", "append") as RecordPayload;
  const meta = jsonFlag(args, "meta", "append");
  if (meta !== undefined) record.meta = meta as RecordMetadata;
  const timestamp = timeFlag(args, "timestamp", "append");
  if (timestamp !== undefined) record.timestamp = timestamp;
  const ledgerId = stringFlag(args, "ledger");
  const db = dbFile(args.positionals["db"] as string, "append", ledgerId !== undefined);
  // Before the file is opened (or created, with its directory and lock): a refused record changes nothing.
  validateRecord(await engine(), record, ledgerId);
  await withLedger(db, ledgerId === undefined ? {} : { createId: ledgerId, expectId: ledgerId }, async (ledger) => {
    const hash = await ledger.append(record);
    const entry = await ledger.getEntry(hash);
    out.result({ path: db.path, ledgerId: ledger.id, hash, seq: entry?.seq, record: entry?.record });
    out.line(hash);
    out.note(`appended seq ${entry?.seq} to ledger "${ledger.id}" (${isoTime(entry?.record.timestamp)})`);
  });
  return EXIT.ok;
}
