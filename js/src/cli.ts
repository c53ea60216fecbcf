#!/usr/bin/env node
/**
 * Entry of the `nucleus` command (npm `bin`), bundled to dist/cli.js. A thin runner: the commands, their help,
 * output and exit statuses are the engine's (py/nucleus/cli, the same code `python -m nucleus` runs). This
 * file starts the engine, mounts the host's file system into it, lends it what Pyodide lacks (this process's
 * streams, id and host name, real paths, the host's file lock, a check for live processes), and exits with
 * the status it returns. Help and version lines are answered from a table the build took from the engine,
 * without starting it. docs/CLI.md is the reference.
 */

import { readFileSync, realpathSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import type { PyProxy } from "pyodide/ffi";
import { NucleusError } from "./errors.js";
import { acquireLock, type HeldLock, processAlive } from "./runtime/node/lock.js";
import { getRuntime, type Runtime } from "./runtime/runtime.js";

/** `nucleus.cli.quick_answers()`: argv as JSON → what the command prints; put in by the build. */
declare const __NUCLEUS_CLI_ANSWERS__: Record<string, { stdout: string; code: number }> | undefined;

/** Where the host's `/` is mounted in the engine's file system (`Host.root` in py/nucleus/cli/_host.py). */
const HOST_ROOT = "/nucleus/host/root";

/** The engine's CLI entry, `nucleus.cli.run_hosted(facts, io)`. */
type RunHosted = PyProxy & ((facts: string, io: HostIo) => number);

/** What the engine's CLI calls back for (see `hosted_host` in py/nucleus/cli/_host.py). */
interface HostIo {
  write(fd: number, text: string): void;
  readStdin(): string;
  realpath(path: string): string;
  /** Takes the lock of `path`: `""`, or the error as JSON (`{code, message, details}`). */
  lock(path: string): string;
  unlock(path: string): void;
  processAlive(pid: number): boolean;
}

/** Runs one command line (the words after `nucleus`); resolves to the exit status. */
async function main(argv: string[]): Promise<number> {
  const quick = typeof __NUCLEUS_CLI_ANSWERS__ === "object" ? __NUCLEUS_CLI_ANSWERS__[JSON.stringify(argv)] : undefined;
  if (quick) {
    writeAll(1, quick.stdout);
    return quick.code;
  }
  const spinner = startSpinner(argv);
  const started = performance.now();
  let runtime: Runtime;
  try {
    runtime = await getRuntime();
  } catch (err) {
    spinner?.stop();
    return failed(argv, err);
  }
  const engineMs = performance.now() - started;
  spinner?.stop();
  const locks = new Map<string, HeldLock>();
  const io: HostIo = {
    write: writeAll,
    readStdin: () => readFileSync(0, "utf8"),
    realpath: realPath,
    lock(path) {
      try {
        locks.set(path, acquireLock(path));
        return "";
      } catch (err) {
        const error = err instanceof NucleusError ? err : new NucleusError("STORAGE_ERROR", String(err));
        return JSON.stringify({ code: error.code, message: error.message, details: error.details });
      }
    },
    unlock(path) {
      locks.get(path)?.release();
      locks.delete(path);
    },
    processAlive,
  };
  const facts = {
    argv,
    cwd: process.cwd(),
    pid: process.pid,
    hostname: hostname(),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    columns: process.stderr.columns ?? 0,
    engineMs,
    root: HOST_ROOT,
  };
  try {
    runtime.pyodide.mountNodeFS(HOST_ROOT, "/");
    const cli = runtime.pyodide.pyimport("nucleus.cli") as PyProxy & { run_hosted: RunHosted };
    return cli.run_hosted(JSON.stringify(facts), io);
  } catch (err) {
    return failed(argv, err);
  } finally {
    for (const lock of locks.values()) lock.release();
  }
}

/** A failure before the engine's CLI could run (the engine did not start): printed as the CLI prints errors. */
function failed(argv: string[], err: unknown): number {
  const error = err instanceof NucleusError ? err : undefined;
  const code = error?.code ?? "INTERNAL";
  const message = err instanceof Error ? err.message : String(err);
  if (argv.includes("--json")) {
    writeAll(1, `${JSON.stringify({ ok: false, error: { code, message, details: error?.details ?? { stack: String((err as Error)?.stack) } } }, null, 2)}\n`);
  }
  writeAll(2, `nucleus: ${error ? `${code}: ` : ""}${message}\n`);
  return 2;
}

/** `path` with the symlinks of its existing part resolved (the engine's file system cannot follow host links). */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPath(parent), basename(path));
  }
}

/** Writes all of `text` to `fd` before returning (a large export piped elsewhere must be complete at exit). */
function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") continue; // non-blocking pipe is full: retry
      if (code === "EPIPE") return; // the reader went away (`nucleus export db | head`): not an error
      throw err;
    }
  }
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * `⠋ starting the engine 1.2 s` on stderr while the engine starts, for `verify` when its progress bar is drawn
 * (on a terminal, or with --progress; not with --no-progress): the bar then takes the line over.
 */
function startSpinner(argv: string[]): { stop(): void } | undefined {
  const live = argv.includes("--progress") || (!argv.includes("--no-progress") && Boolean(process.stderr.isTTY));
  if (argv[0] !== "verify" || !live) return undefined;
  const started = performance.now();
  let frame = 0;
  const draw = (text: string): void => {
    const columns = process.stderr.columns || 80;
    writeAll(2, `\r\x1b[2K${columns > 20 && text.length >= columns ? text.slice(0, columns - 1) : text}`);
  };
  draw(`${SPINNER[0]} starting the engine`);
  const timer = setInterval(() => {
    frame = (frame + 1) % SPINNER.length;
    const elapsed = (performance.now() - started) / 1000;
    draw(`${SPINNER[frame]} starting the engine ${elapsed.toFixed(elapsed < 10 ? 2 : 1)} s`);
  }, 100);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      writeAll(2, "\r\x1b[2K");
    },
  };
}

process.exitCode = await main(process.argv.slice(2));
