/**
 * Output of the `nucleus` command: results on stdout (human text, or one JSON document with `--json`),
 * messages and progress on stderr, so that `nucleus export db > file` and `--json | jq` stay clean.
 */

import { writeSync } from "node:fs";

/** Where a command writes. Tests swap the streams; the CLI uses the process's. */
export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** Prints a command's result and messages. */
export class Output {
  /** Whether `--json` was given. */
  readonly json: boolean;
  readonly #streams: Streams;

  /** @param json - machine-readable mode @param streams - where to write */
  constructor(json: boolean, streams: Streams = { stdout: process.stdout, stderr: process.stderr }) {
    this.json = json;
    this.#streams = streams;
  }

  /** A line of the human result on stdout (ignored in JSON mode). */
  line(text = ""): void {
    if (!this.json) this.#streams.stdout.write(`${text}\n`);
  }

  /** Raw text on stdout, in every mode (e.g. an export). */
  raw(text: string): void {
    // fd 1 directly: a large export piped to another program must be complete when the process exits.
    if (this.#streams.stdout === process.stdout) writeAll(1, text);
    else this.#streams.stdout.write(text);
  }

  /** The JSON result on stdout (JSON mode only). */
  result(value: unknown): void {
    if (this.json) this.raw(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A message on stderr (both modes; stdout stays machine-readable). */
  note(text: string): void {
    this.#streams.stderr.write(`${text}\n`);
  }

  /** What a read-only reading cannot promise: one `note: …` line each on stderr (both modes). */
  caveats(caveats: readonly string[]): void {
    for (const caveat of caveats) this.note(`note: ${caveat}`);
  }

  /** A progress indicator on stderr, live only when stderr is a terminal (or `force`). */
  progress(force?: boolean): Progress {
    const live = force ?? Boolean(this.#streams.stderr.isTTY);
    return new Progress(this.#streams.stderr, live);
  }
}

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
 * One status line on stderr, redrawn in place: a spinner with elapsed time while a stage runs
 * (`stage`), or a bar once the amount of work is known (`bar`). Silent when not live.
 */
export class Progress {
  readonly #out: Streams["stderr"];
  readonly #live: boolean;
  #timer: ReturnType<typeof setInterval> | undefined;
  #label = "";
  #started = 0;
  #frame = 0;
  #shown = false;

  /** @param out - stderr @param live - whether to draw at all */
  constructor(out: Streams["stderr"], live: boolean) {
    this.#out = out;
    this.#live = live;
  }

  /** Starts a stage: `⠋ label 1.2 s`, animated while the event loop is free. */
  stage(label: string): void {
    if (!this.#live) return;
    this.#stopTimer();
    this.#label = label;
    this.#started = performance.now();
    this.#draw(`${SPINNER[0]} ${label}`);
    this.#timer = setInterval(() => {
      this.#frame = (this.#frame + 1) % SPINNER.length;
      this.#draw(`${SPINNER[this.#frame]} ${this.#label} ${seconds(performance.now() - this.#started)}`);
    }, 100);
    this.#timer.unref();
  }

  /** Draws `label [#####-----] 50% 5,000/10,000`. */
  bar(label: string, done: number, total: number): void {
    if (!this.#live) return;
    this.#stopTimer();
    const width = 24;
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const full = Math.round(ratio * width);
    const pct = `${Math.floor(ratio * 100)}%`.padStart(4);
    this.#draw(`${label} [${"█".repeat(full)}${"░".repeat(width - full)}] ${pct} ${count(done)}/${count(total)}`);
  }

  /** Clears the line; the next output starts clean. */
  done(): void {
    this.#stopTimer();
    if (this.#shown) this.#out.write("\r\x1b[2K");
    this.#shown = false;
  }

  #draw(text: string): void {
    const columns = this.#out.columns || 80; // 0 under some pseudo-terminals
    this.#out.write(`\r\x1b[2K${columns > 20 && text.length >= columns ? text.slice(0, columns - 1) : text}`);
    this.#shown = true;
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** `12,345`. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** `38 ms` below a second, `1.25 s` above. */
export function millis(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : seconds(ms);
}

/** `1.2 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** `4.0 KB`, `12.3 MB`. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** An ISO 8601 UTC time for a millisecond timestamp, or `—`. */
export function isoTime(ms: number | null | undefined): string {
  return typeof ms === "number" && Number.isFinite(ms) ? new Date(ms).toISOString() : "—";
}

/** The first and last characters of a hash: `4bdc3a95…4bd727`. */
export function shortHash(hash: string | null | undefined): string {
  return hash ? `${hash.slice(0, 8)}…${hash.slice(-6)}` : "—";
}
