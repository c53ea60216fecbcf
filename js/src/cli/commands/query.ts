/** `nucleus query <db>`: records by stream, id and time, paged, oldest or newest first. */

import type { QueryFilters } from "../../types/record.js";
import { intFlag, stringFlag, timeFlag, type Parsed } from "../args.js";
import { EXIT, type Command } from "../command.js";
import { dbFile, withReadOnlyLedger } from "../ledger-file.js";
import { count, isoTime, type Output } from "../output.js";

export const queryCommand: Command = {
  name: "query",
  summary: "List records matching every filter given, oldest first (or newest with --desc).",
  description: [
    "Opens the ledger read-only (no lock is taken and no file beside it is created or changed) and verifies",
    "it first; what the read-only open cannot promise is printed on stderr. Times are milliseconds since",
    "the epoch or ISO 8601 (2024-05-01, 2024-05-01T12:00:00Z); --from and --to are inclusive.",
    "Human output is one line per record: time, stream, id, payload.",
  ].join("\n"),
  spec: {
    positionals: [{ name: "db", help: "the ledger's SQLite file" }],
    flags: {
      stream: { type: "string", value: "<name>", help: "only records of this stream" },
      id: { type: "string", value: "<record id>", help: "only records with this id" },
      from: { type: "string", value: "<time>", help: "only records at or after this time" },
      to: { type: "string", value: "<time>", help: "only records at or before this time" },
      limit: { type: "string", value: "<n>", help: "at most n records (default 100, at most 10000)" },
      offset: { type: "string", value: "<n>", help: "skip the first n matches" },
      desc: { type: "boolean", help: "newest first" },
    },
  },
  examples: [
    "nucleus query ./data/demo.db --stream orders --limit 5",
    "nucleus query ledger.db --from 2024-05-01 --to 2024-05-31T23:59:59Z --desc --json",
  ],
  run,
};

async function run(args: Parsed, out: Output): Promise<number> {
  const db = dbFile(args.positionals["db"] as string, "query");
  const filters: QueryFilters = {};
  const stream = stringFlag(args, "stream");
  const id = stringFlag(args, "id");
  const from = timeFlag(args, "from", "query");
  const to = timeFlag(args, "to", "query");
  const limit = intFlag(args, "limit", "query");
  const offset = intFlag(args, "offset", "query");
  if (stream !== undefined) filters.stream = stream;
  if (id !== undefined) filters.id = id;
  if (from !== undefined) filters.timestampFrom = from;
  if (to !== undefined) filters.timestampTo = to;
  if (limit !== undefined) filters.limit = limit;
  if (offset !== undefined) filters.offset = offset;
  if (args.flags["desc"]) filters.order = "desc";
  const { result, caveats } = await withReadOnlyLedger(db, async (ledger) => ({ result: await ledger.query(filters), caveats: ledger.caveats }));
  out.result({ ...result, caveats });
  out.caveats(caveats);
  for (const r of result.records) {
    out.line(`${isoTime(r.timestamp)}  ${r.stream}  ${r.id}  ${JSON.stringify(r.payload)}${r.meta ? `  meta ${JSON.stringify(r.meta)}` : ""}`);
  }
  const first = (offset ?? 0) + 1;
  const shown = result.records.length;
  const range = shown ? `${count(first)}–${count(first + shown - 1)} of ${count(result.total)}` : `0 of ${count(result.total)}`;
  out.line(`(${range} matching records${result.hasMore ? `; more with --offset ${(offset ?? 0) + shown}` : ""})`);
  return EXIT.ok;
}
