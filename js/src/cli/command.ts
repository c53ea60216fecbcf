/** The shape of one `nucleus` command, and the help text made from it. */

import { COMMON_FLAGS, type ArgSpec, type FlagSpec, type Parsed } from "./args.js";
import type { Output } from "./output.js";

/** Exit statuses: success, a ledger that does not verify, anything that kept the command from running. */
export const EXIT = { ok: 0, broken: 1, unusable: 2 } as const;

/** One command: its words, its arguments, and what it does. */
export interface Command {
  /** The verb, as typed: `verify`. */
  name: string;
  /** One line for the overall help. */
  summary: string;
  /** Paragraphs shown under the usage line. */
  description: string;
  /** Positionals and flags (plus `--json` and `--help`, which every command has). */
  spec: ArgSpec;
  /** Example command lines. */
  examples: string[];
  /** Runs with parsed arguments; resolves to the exit status. */
  run(args: Parsed, out: Output): Promise<number>;
}

/** `nucleus <name> <positionals> [options]` and the flag table. */
export function commandHelp(cmd: Command): string {
  const positionals = cmd.spec.positionals.map((p) => (p.optional ? `[${p.name}]` : `<${p.name}>`)).join(" ");
  const lines = [`Usage: nucleus ${cmd.name} ${positionals} [options]`, "", cmd.summary, ""];
  if (cmd.description) lines.push(cmd.description, "");
  lines.push("Arguments:");
  const width = 26;
  for (const p of cmd.spec.positionals) lines.push(`  ${`<${p.name}>`.padEnd(width)}${p.help}`);
  lines.push("", "Options:");
  for (const [name, flag] of Object.entries({ ...cmd.spec.flags, ...COMMON_FLAGS })) {
    lines.push(`  ${flagLabel(name, flag).padEnd(width)}${flag.help}`);
  }
  if (cmd.examples.length) lines.push("", "Examples:", ...cmd.examples.map((e) => `  ${e}`));
  lines.push("", "Exit status: 0 success, 1 the ledger does not verify (CHAIN_INVALID), 2 usage error or unusable file.");
  return `${lines.join("\n")}\n`;
}

function flagLabel(name: string, flag: FlagSpec): string {
  const short = flag.short ? `-${flag.short}, ` : "";
  return `${short}--${name}${flag.type === "string" ? ` ${flag.value ?? "<value>"}` : ""}`;
}
