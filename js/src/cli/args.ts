/**
 * Argument parsing for the `nucleus` command: one small, strict parser shared by every command. Flags
 * are `--name value`, `--name=value` or bare booleans; `--` ends the flags. Anything unknown is a
 * {@link UsageError} (exit status 2) that names the flag and, when close, the one that was meant.
 */

import { closest } from "../suggest.js";

/** One flag of a command. */
export interface FlagSpec {
  /** `"string"` takes a value; `"boolean"` does not. */
  type: "string" | "boolean";
  /** Placeholder shown in help, e.g. `<id>`. */
  value?: string;
  /** One line of help. */
  help: string;
  /** A one-letter alias, e.g. `"o"` for `-o`. */
  short?: string;
}

/** One positional argument of a command. */
export interface PositionalSpec {
  name: string;
  help: string;
  optional?: boolean;
}

/** What a command accepts. */
export interface ArgSpec {
  positionals: PositionalSpec[];
  flags: Record<string, FlagSpec>;
}

/** Parsed arguments: positionals by name, flags by name (string, or true for booleans). */
export interface Parsed {
  positionals: Record<string, string>;
  flags: Record<string, string | true>;
}

/** A command line that cannot be run as written. Exit status 2. */
export class UsageError extends Error {
  /** @param message - what is wrong @param command - the command whose `--help` helps, if any */
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** Flags every command accepts. */
export const COMMON_FLAGS: Record<string, FlagSpec> = {
  json: { type: "boolean", help: "print one machine-readable JSON document on stdout" },
  help: { type: "boolean", short: "h", help: "show this help" },
};

/** Parses `argv` (the words after the command name) against `spec` plus {@link COMMON_FLAGS}. */
export function parseArgs(command: string, spec: ArgSpec, argv: string[]): Parsed {
  const flags: Record<string, FlagSpec> = { ...spec.flags, ...COMMON_FLAGS };
  const shorts = new Map(Object.entries(flags).flatMap(([name, f]) => (f.short ? [[f.short, name] as const] : [])));
  const out: Parsed = { positionals: {}, flags: {} };
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const key = arg.slice(arg.startsWith("--") ? 2 : 1, eq < 0 ? undefined : eq);
    const name = arg.startsWith("--") ? key : (shorts.get(key) ?? "");
    const flag = flags[name];
    if (!flag) {
      const guess = closest(key, Object.keys(flags));
      throw new UsageError(`unknown option ${arg.slice(0, eq < 0 ? undefined : eq)}${guess ? ` (did you mean --${guess}?)` : ""}`, command);
    }
    if (name in out.flags) throw new UsageError(`option --${name} was given twice`, command);
    if (flag.type === "boolean") {
      if (eq >= 0) throw new UsageError(`option --${name} takes no value`, command);
      out.flags[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    if (value === undefined) throw new UsageError(`option --${name} needs a value ${flag.value ?? ""}`.trimEnd(), command);
    out.flags[name] = value;
  }
  if (out.flags["help"]) return out;
  const required = spec.positionals.filter((p) => !p.optional).length;
  if (words.length < required) {
    const missing = spec.positionals[words.length] as PositionalSpec;
    throw new UsageError(`missing <${missing.name}> (${missing.help})`, command);
  }
  if (words.length > spec.positionals.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(words[spec.positionals.length])}`, command);
  }
  spec.positionals.forEach((p, i) => {
    const word = words[i];
    if (word !== undefined) out.positionals[p.name] = word;
  });
  return out;
}

/** A string flag's value, or undefined. */
export function stringFlag(parsed: Parsed, name: string): string | undefined {
  const v = parsed.flags[name];
  return typeof v === "string" ? v : undefined;
}

/** A non-negative integer flag (e.g. `--limit 10`), or undefined; a {@link UsageError} otherwise. */
export function intFlag(parsed: Parsed, name: string, command: string): number | undefined {
  const v = stringFlag(parsed, name);
  if (v === undefined) return undefined;
  if (!/^(0|[1-9][0-9]*)$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(`--${name} must be a non-negative integer, got ${JSON.stringify(v)}`, command);
  }
  return Number(v);
}

/**
 * A time flag: milliseconds since the epoch (`1700000000000`) or an ISO 8601 date/time
 * (`2024-05-01`, `2024-05-01T12:00:00Z`). Undefined when absent; a {@link UsageError} when unreadable.
 */
export function timeFlag(parsed: Parsed, name: string, command: string): number | undefined {
  const v = stringFlag(parsed, name);
  if (v === undefined) return undefined;
  if (/^-?[0-9]+$/.test(v)) {
    const n = Number(v);
    if (Number.isSafeInteger(n) && n >= 0) return n;
  } else if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(v)) {
    const ms = Date.parse(v);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  throw new UsageError(
    `--${name} must be milliseconds since the epoch or an ISO 8601 date like 2024-05-01T12:00:00Z, got ${JSON.stringify(v)}`,
    command,
  );
}

/** A JSON flag (e.g. `--payload '{"a":1}'`), parsed; a {@link UsageError} naming the flag otherwise. */
export function jsonFlag(parsed: Parsed, name: string, command: string): unknown {
  const v = stringFlag(parsed, name);
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch (err) {
    throw new UsageError(`--${name} is not valid JSON (${(err as Error).message}): ${v.length > 60 ? `${v.slice(0, 60)}…` : v}`, command);
  }
}
