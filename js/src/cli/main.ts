/**
 * The `nucleus` command: verify, info, export, import, query and append on a ledger's SQLite file, and
 * upgrade from format 1.
 * Exit status 0 on success, 1 when a ledger does not verify (`CHAIN_INVALID`), 2 for a usage error or
 * a file that cannot be used (missing, not a ledger, locked, another ledger's).
 */

import { NucleusError } from "../errors.js";
import { VERSION } from "../version.js";
import { closest } from "../suggest.js";
import { COMMON_FLAGS, parseArgs, UsageError } from "./args.js";
import { commandHelp, EXIT, type Command } from "./command.js";
import { appendCommand } from "./commands/append.js";
import { exportCommand } from "./commands/export.js";
import { importCommand } from "./commands/import.js";
import { infoCommand } from "./commands/info.js";
import { queryCommand } from "./commands/query.js";
import { upgradeCommand } from "./commands/upgrade.js";
import { verifyCommand } from "./commands/verify.js";
import { UnusableError } from "./ledger-file.js";
import { Output, type Streams } from "./output.js";

/** Every command, in the order the help lists them. */
export const COMMANDS: Command[] = [verifyCommand, infoCommand, exportCommand, importCommand, queryCommand, appendCommand, upgradeCommand];

/** The overall `nucleus --help`. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 4;
  return [
    `nucleus ${VERSION}: inspect and use Nucleus ledger files (tamper-evident, append-only, SQLite).`,
    "",
    "Usage: nucleus <command> <db> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Every command takes --json (one JSON document on stdout) and --help.",
    "Run `nucleus <command> --help` for its arguments and options.",
    "",
    "Exit status: 0 success, 1 the ledger does not verify (CHAIN_INVALID), 2 usage error or unusable file.",
    "",
  ].join("\n");
}

/** Runs one command line (the words after `nucleus`); resolves to the exit status. */
export async function main(argv: string[], streams?: Streams): Promise<number> {
  const [first, ...rest] = argv;
  const json = argv.includes("--json");
  const out = new Output(json, streams);
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    const topic = first === "help" ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    (streams?.stdout ?? process.stdout).write(topic ? commandHelp(topic) : mainHelp());
    return first === undefined ? EXIT.unusable : EXIT.ok;
  }
  if (first === "--version" || first === "-V") {
    (streams?.stdout ?? process.stdout).write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const cmd = COMMANDS.find((c) => c.name === first);
  try {
    if (!cmd) {
      if (first.startsWith("-") && COMMON_FLAGS[first.replace(/^-+/, "")] === undefined) {
        throw new UsageError(`unknown option ${first}; options go after the command, e.g. \`nucleus verify <db> --json\``);
      }
      const guess = closest(first, COMMANDS.map((c) => c.name));
      throw new UsageError(`unknown command "${first}"${guess ? ` (did you mean "${guess}"?)` : ""}`);
    }
    const parsed = parseArgs(cmd.name, cmd.spec, rest);
    if (parsed.flags["help"]) {
      (streams?.stdout ?? process.stdout).write(commandHelp(cmd));
      return EXIT.ok;
    }
    return await cmd.run(parsed, out);
  } catch (err) {
    return fail(out, cmd?.name, err);
  }
}

/** Prints `err` once (stderr, plus a JSON document on stdout with --json); its exit status. */
function fail(out: Output, command: string | undefined, err: unknown): number {
  const prefix = command ? `nucleus ${command}` : "nucleus";
  let code: string;
  let status: number = EXIT.unusable;
  let details: unknown;
  let hint = "";
  if (err instanceof UsageError) {
    code = "USAGE";
    hint = `\nRun \`nucleus ${err.command ?? ""}${err.command ? " " : ""}--help\` for usage.`;
  } else if (err instanceof UnusableError) {
    code = err.code;
  } else if (err instanceof NucleusError) {
    code = err.code;
    details = err.details;
    if (err.code === "CHAIN_INVALID") status = EXIT.broken;
  } else {
    code = "INTERNAL";
    details = { stack: err instanceof Error ? err.stack : String(err) };
  }
  const message = err instanceof Error ? err.message : String(err);
  out.result({ ok: false, error: { code, message, ...(details === undefined ? {} : { details }) } });
  out.note(`${prefix}: ${code === "USAGE" || code === "INTERNAL" ? "" : `${code}: `}${message}${hint}`);
  return status;
}
