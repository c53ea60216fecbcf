/** `nucleus verify <db>`: re-verify a ledger file from scratch, read-only, with a progress bar on a terminal. */

import { readFileSync } from "node:fs";
import { ChainIntegrityError } from "../../errors.js";
import type { JsonValue } from "../../json.js";
import { stringFlag, UsageError, type Parsed } from "../args.js";
import { EXIT, type Command } from "../command.js";
import { dbFile, engine, inspect, verifyChunk, type VerifiedPrefix } from "../ledger-file.js";
import { count, millis, shortHash, type Output } from "../output.js";

/** Entries per engine call: the bar moves between calls (about every 100 ms on a laptop). */
const CHUNK = 10_000;

export const verifyCommand: Command = {
  name: "verify",
  summary: "Verify every entry of a ledger file: hashes, links, sequence, timestamps, index columns.",
  description: [
    "Reads the file read-only: no lock is taken and no file is created or changed, so it works on",
    "read-only media and while another process has the ledger open; what that cannot promise is printed",
    "on stderr (and under \"caveats\" with --json). Reports the first bad sequence number and what broke",
    "there. On a terminal, stderr shows the engine starting and then a bar as the chain is checked.",
  ].join("\n"),
  spec: {
    positionals: [{ name: "db", help: "the ledger's SQLite file" }],
    flags: {
      checkpoint: {
        type: "string",
        value: "<cp>",
        help: "also check a kept checkpoint: JSON {size, hash}, its text form, or @file",
      },
      progress: { type: "boolean", help: "draw the progress bar even when stderr is not a terminal" },
      "no-progress": { type: "boolean", help: "never draw the progress bar" },
    },
  },
  examples: ["nucleus verify ./data/demo.db", "nucleus verify ledger.db --checkpoint @checkpoint.txt --json"],
  run,
};

async function run(args: Parsed, out: Output): Promise<number> {
  const db = dbFile(args.positionals["db"] as string, "verify");
  const checkpoint = readCheckpoint(stringFlag(args, "checkpoint"));
  const progress = out.progress(args.flags["progress"] ? true : args.flags["no-progress"] ? false : undefined);
  const started = performance.now();
  progress.stage("starting the engine");
  const runtime = await engine();
  const engineMs = performance.now() - started;
  let info;
  let at: VerifiedPrefix | null = null;
  const verifyStarted = performance.now();
  try {
    info = inspect(runtime, db);
    const total = info.entries;
    const label = `verifying ${count(total)} entries`;
    progress.bar(label, 0, total);
    do {
      at = verifyChunk(runtime, db, at, CHUNK, checkpoint);
      progress.bar(label, at.size, total);
    } while (!at.done);
  } catch (err) {
    progress.done();
    if (err instanceof ChainIntegrityError && info) {
      reportBroken(out, db.arg, info.ledgerId, info.entries, err, info.caveats);
      return EXIT.broken;
    }
    throw err;
  } finally {
    progress.done();
  }
  const verifyMs = performance.now() - verifyStarted;
  out.result({
    ok: true,
    path: db.path,
    ledgerId: info.ledgerId,
    entries: at.size,
    latestHash: at.hash,
    checkpoint: { size: at.size, hash: at.hash },
    timings: { engineMs: round(engineMs), verifyMs: round(verifyMs) },
    caveats: at.caveats,
  });
  out.line(`✓ ${db.arg} verifies: ledger "${info.ledgerId}", ${count(at.size)} entries, latest ${shortHash(at.hash)}`);
  out.line(`  checked in ${millis(verifyMs)} (engine start ${millis(engineMs)})`);
  out.caveats(at.caveats);
  return EXIT.ok;
}

function reportBroken(out: Output, arg: string, ledgerId: string | null, entries: number, err: ChainIntegrityError, caveats: string[]): void {
  out.result({
    ok: false,
    path: arg,
    ledgerId,
    entries,
    error: { code: err.code, seq: err.seq, kind: err.kind, message: err.message },
    caveats,
  });
  out.line(`✗ ${arg} does not verify: ledger "${ledgerId}" breaks at seq ${err.seq} (${err.kind})`);
  out.line(`  ${err.message}`);
  if (["sequence", "link", "hash", "timestamp"].includes(err.kind)) {
    out.line(err.seq > 0 ? `  entries 0–${err.seq - 1} are intact; the file holds ${count(entries)}` : `  the file holds ${count(entries)} entries`);
  }
}

/** `--checkpoint`: JSON `{size, hash}`, the text form, or `@file` holding either. The engine checks it. */
function readCheckpoint(value: string | undefined): JsonValue | undefined {
  if (value === undefined) return undefined;
  let text = value;
  if (value.startsWith("@")) {
    try {
      text = readFileSync(value.slice(1), "utf8");
    } catch (err) {
      throw new UsageError(`--checkpoint ${value}: cannot read the file (${(err as Error).message})`, "verify");
    }
  }
  if (text.trimStart().startsWith("{")) {
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      throw new UsageError("--checkpoint is not valid JSON; give {\"size\": n, \"hash\": \"…\"} or the text form", "verify");
    }
  }
  return text;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
