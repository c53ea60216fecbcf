/** `nucleus upgrade <old> <new> --ledger <id>`: copy a format-1 ledger file into a new format-2 file. */

import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigError, LedgerMismatchError } from "../../errors.js";
import { stringFlag, UsageError, type Parsed } from "../args.js";
import { EXIT, type Command } from "../command.js";
import { dbFile, engine, inspect, lockFile, UnusableError, upgradeFile } from "../ledger-file.js";
import { count, type Output } from "../output.js";

export const upgradeCommand: Command = {
  name: "upgrade",
  summary: "Copy a format-1 ledger file (Nucleus 0.1) into a new format-2 file; the old file is only read.",
  description: [
    "Format 1 bound neither the ledger id nor access control into its hashes, so its files can be read and",
    "verified but not appended to. The upgrade verifies the old file whole (read-only: nothing beside it is",
    "created or changed), then writes the new file under a temporary name and renames it into place once",
    "complete and synced, holding <new>'s lock meanwhile: a failure leaves no new file. The new ledger holds",
    "the old owner and grants as nucleus.acl entries, then every record in order. <new> must not exist; its",
    "directory must. --ledger must name the ledger id the old file holds (`nucleus info` shows it).",
  ].join("\n"),
  spec: {
    positionals: [
      { name: "old", help: "the format-1 ledger file (only read)" },
      { name: "new", help: "the format-2 ledger file to write (must not exist)" },
    ],
    flags: { ledger: { type: "string", value: "<ledger id>", help: "the ledger id the old file holds (required)" } },
  },
  examples: ["nucleus upgrade ./data/orders-v1.db ./data/orders.db --ledger orders", "nucleus upgrade old.db new.db --ledger orders --json"],
  run,
};

async function run(args: Parsed, out: Output): Promise<number> {
  const ledgerId = stringFlag(args, "ledger");
  if (ledgerId === undefined) throw new UsageError("--ledger is required: the ledger id the old file holds (`nucleus info <old>` shows it)", "upgrade");
  const source = dbFile(args.positionals["old"] as string, "upgrade");
  const target = dbFile(args.positionals["new"] as string, "upgrade", true);
  if (target.exists) {
    throw new UnusableError(`${target.arg} exists already; the upgrade writes a new file and never overwrites one`, "EXISTS");
  }
  if (!existsSync(dirname(target.path))) {
    throw new UnusableError(`${dirname(target.path)}: no such directory (the upgrade creates none)`, "NOT_FOUND");
  }
  const runtime = await engine();
  // Refused here, before <new>'s lock is taken, whatever can be: a refused upgrade creates no file at all.
  const old = inspect(runtime, source);
  if (old.ledgerId !== ledgerId) {
    throw new LedgerMismatchError(`${source.arg} holds ledger ${JSON.stringify(old.ledgerId)}, not ${JSON.stringify(ledgerId)}`, {
      reason: "other_ledger",
      found: old.ledgerId,
      expected: ledgerId,
    });
  }
  if (old.formatVersion !== 1) {
    throw new ConfigError(`${source.arg} is in format ${old.formatVersion} already; nothing to upgrade`, { reason: "not_format_1", found: old.formatVersion });
  }
  const started = performance.now();
  const lock = lockFile(target);
  let checkpoint: { size: number; hash: string | null };
  try {
    checkpoint = upgradeFile(runtime, source, target, ledgerId);
  } finally {
    lock.release();
  }
  const ms = Math.round(performance.now() - started);
  out.result({ source: source.path, target: target.path, ledgerId, formatVersion: 2, sourceEntries: old.entries, entries: checkpoint.size, checkpoint });
  out.line(
    `upgraded ${source.arg} (format 1, ${count(old.entries)} entries) to ${target.arg} (format 2, ${count(checkpoint.size)} entries: ` +
      `${count(checkpoint.size - old.entries)} for the owner and grants, then the records) in ${ms} ms`,
  );
  out.line(`  checkpoint ${JSON.stringify(checkpoint)}`);
  return EXIT.ok;
}
