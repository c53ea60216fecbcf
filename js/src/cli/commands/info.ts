/** `nucleus info <db>`: what a ledger file holds and who holds its lock, read without verifying or writing. */

import { statSync } from "node:fs";
import type { Parsed } from "../args.js";
import { EXIT, type Command } from "../command.js";
import { dbFile, engine, inspect, lockHolder, type LockHolder } from "../ledger-file.js";
import { bytes, count, isoTime, type Output } from "../output.js";

export const infoCommand: Command = {
  name: "info",
  summary: "Show a ledger file's id, entries, latest hash, checkpoint, versions, size and lock holder.",
  description: [
    "Reads the file read-only, without taking its lock and without verifying the chain (use",
    "`nucleus verify`), so it also works on read-only media, while another process has the ledger open,",
    "and on a broken file. What that reading cannot promise is printed on stderr.",
  ].join("\n"),
  spec: { positionals: [{ name: "db", help: "the ledger's SQLite file" }], flags: {} },
  examples: ["nucleus info ./data/demo.db", "nucleus info ledger.db --json"],
  run,
};

async function run(args: Parsed, out: Output): Promise<number> {
  const db = dbFile(args.positionals["db"] as string, "info");
  const runtime = await engine();
  const info = inspect(runtime, db);
  const size = statSync(db.path).size;
  const wal = fileSize(`${db.path}-wal`);
  const lock = lockHolder(db);
  const checkpoint = { size: info.entries, hash: info.latestHash };
  out.result({ path: db.path, ...info, checkpoint, fileSize: size, walSize: wal, lock });
  out.caveats(info.caveats);

  out.line(db.arg);
  const row = (k: string, v: string): void => out.line(`  ${k.padEnd(14)}${v}`);
  row("ledger id", info.ledgerId ?? "—");
  row("entries", count(info.entries));
  row("latest hash", info.latestHash ?? "— (empty)");
  row("checkpoint", JSON.stringify(checkpoint));
  row("time span", info.entries ? `${isoTime(info.firstTimestamp)} → ${isoTime(info.lastTimestamp)}` : "—");
  const streams = info.streams.map((s) => `${s.stream} (${count(s.entries)})`);
  row("streams", streams.length ? streams.join(", ") + (streams.length === 50 ? ", …" : "") : "—");
  row("format", `hash format ${info.formatVersion}, SQLite schema ${info.schemaVersion}`);
  if (info.owner) row("owner", info.owner);
  row("file size", `${bytes(size)}${wal ? ` + ${bytes(wal)} write-ahead log` : ""}`);
  row("lock", describeLock(lock));
  out.line("  (not verified here: run `nucleus verify` to check the chain)");
  return EXIT.ok;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function describeLock(lock: LockHolder | null): string {
  if (!lock) return "none (no process has it open)";
  const who = `process ${lock.pid ?? "?"}${lock.hostname ? ` on ${lock.hostname}` : ""}${lock.tool ? ` (${lock.tool})` : ""}`;
  const since = lock.createdAt ? ` since ${isoTime(lock.createdAt)}` : "";
  if (lock.alive === false) return `stale: ${who} is gone; the next opener replaces the lock`;
  if (lock.alive === null) return `held by ${who}${since} (cannot check a process on another host)`;
  return `held by ${who}${since}`;
}
