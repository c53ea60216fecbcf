/**
 * Writes docs/CLI.md from the real `--help` output of the command (`python -m nucleus` from this checkout's py/:
 * the npm bin prints the same texts, taken from the engine at build time), so the reference cannot drift:
 * test/cli.test.mjs, test/cli-table.test.mjs and tests_py/test_cli.py fail when a help text is missing from the
 * file or differs.
 *
 *   node scripts/cli-docs.mjs        (Python: $PYTHON, else python3)
 */

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { pythonExecutable } from "./lib/wheel.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const env = { ...process.env, PYTHONPATH: join(root, "..", "py"), PYTHONDONTWRITEBYTECODE: "1" };
const help = (...args) => {
  const r = spawnSync(pythonExecutable(), ["-m", "nucleus", ...args], { encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`nucleus ${args.join(" ")} exited ${r.status}: ${r.error ?? r.stderr}`);
  return r.stdout;
};
const commands = ["verify", "info", "export", "import", "query", "append", "upgrade", "checkpoint", "prove", "verify-proof", "keygen"];

const text = `# The \`nucleus\` command

One command for both packages, working on a ledger's SQLite file, or on a ledger in a PostgreSQL database,
with the same engine the libraries run:

- **npm**: installed with \`@onoal/nucleus\` as \`nucleus\` (\`npx nucleus …\` in a project that depends on it).
- **Python**: \`python -m nucleus …\`, or the \`nucleus\` script that \`pip install\` puts on the path (the same
  name as the npm bin's: whichever of the two a shell finds, it behaves the same).

Both print the same output and exit with the same statuses: the commands are written once, in the engine
(\`py/nucleus/cli/\`); the npm bin starts the engine in Pyodide and lends it the host's files, lock and
terminal. One test table (\`tests_py/cli_table.json\`) runs against both. This page is generated from the real
\`--help\` output by \`js/scripts/cli-docs.mjs\`; the tests keep it in step.

- **Exit status**: \`0\` success; \`1\` the ledger does not verify (\`CHAIN_INVALID\`: the report names
  the first bad sequence number and what broke there), or a proof or a signed checkpoint does not
  (\`PROOF_INVALID\`, \`SIGNATURE_INVALID\`, from \`verify-proof\`); \`2\` a usage error (unknown command or option,
  missing or malformed value) or a file that cannot be used (missing, a directory, not a ledger,
  another ledger's file, locked by another process for a command that writes, a refused record, an
  existing upgrade target).
- **Output**: results go to stdout, messages and progress to stderr. With \`--json\` stdout carries
  exactly one JSON document, also on failure: \`{"ok": false, "error": {"code", "message", "details"?}}\`
  (\`code\` is one of the library's error codes, or \`USAGE\`, \`NOT_FOUND\`, \`IS_A_DIRECTORY\`,
  \`NOT_A_FILE\`, \`NOT_A_LEDGER\`, \`EXISTS\`). \`export\` always writes JSON Lines.
- **Read-only commands**: \`verify\`, \`info\`, \`export\`, \`query\`, \`checkpoint\` and \`prove\` open the file read-only (the
  library's \`sqliteStorage(path, { readOnly: true })\`, in Python \`SqliteStorage(path, read_only=True)\`):
  no lock is taken and no file is created or changed (no \`-wal\`, \`-shm\` or \`.lock\`), so they work on
  read-only media and while another process has the ledger open (\`info\` reports who holds its lock).
  What such a reading cannot promise is printed on stderr as \`note: …\` lines and, with \`--json\`,
  listed under \`"caveats"\`: another process may append meanwhile (the result is for the entries
  present when the file was read), and should that process checkpoint the file's write-ahead log
  meanwhile, the reading starts again (up to three times) rather than mix two states. \`export\`,
  \`query\`, \`checkpoint\` and \`prove\` verify the whole chain first, as opening a ledger does.
- **Commands that write**: \`import\` and \`append\` take the file's lock (\`<db>.lock\`, the same one
  the library takes), so they fail at once with \`LEDGER_LOCKED\` while another process has the ledger
  open, and commit durably before they exit. \`upgrade\` only reads the old file and holds the new
  file's lock while it writes it.
- **PostgreSQL**: every command but \`upgrade\` takes a \`postgresql://\` (or \`postgres://\`) URL where it
  takes \`<db>\`, with \`--ledger <id>\` (required: a database holds many ledgers; \`USAGE\` without it) and
  \`--schema <name>\` (default \`nucleus\`): the library's \`PostgresStorage\` / \`postgresStorage\`, which
  needs psycopg 3 under Python and the \`pg\` package under Node.js. No lock is taken: the server serializes
  appends, so readers and any number of writers share a ledger. The read commands never create a schema or a
  ledger (\`NOT_FOUND\` when it is missing); \`append\` and \`import\` create them. \`info\` shows what the
  server holds (no file size or lock). The password (in the URL, or \`PGPASSWORD\`) is never printed: messages
  show the URL with \`***\` in its place, and a server that cannot be reached or refuses the login is
  \`STORAGE_ERROR\` (exit status 2) with \`details.reason\` (\`unreachable\`, \`auth\`, …). \`upgrade\` refuses
  URLs (\`USAGE\`): format 1 exists only as SQLite files.
- **Proofs and signed checkpoints** (docs/FORMAT.md §4b, §9, §10): \`checkpoint\` prints a ledger's
  checkpoint as C2SP tlog-checkpoint text, signed as a C2SP note with \`--sign\` and a key from \`keygen\`;
  \`prove\` prints an RFC 9162 inclusion or consistency proof as JSON; \`verify-proof\` checks one against a
  checkpoint (and its signatures) from files alone, with no ledger. A round trip:

  \`\`\`sh
  nucleus keygen log.example.com --out log.key > log.pub      # keep log.key secret, publish log.pub
  nucleus checkpoint ledger.db --sign log.key > checkpoint.note
  nucleus prove ledger.db --seq 7 > proof.json
  nucleus export ledger.db > ledger.jsonl                     # the entries (seq and hash) proofs are about
  nucleus verify-proof --proof proof.json --entry ledger.jsonl --checkpoint checkpoint.note --key @log.pub
  \`\`\`
- **Progress**: on a terminal, \`verify\` shows a bar that moves every 10,000 entries, after a spinner while
  the engine starts under Node.js (\`--progress\` forces them, \`--no-progress\` hides them).

## nucleus --help

\`\`\`text
${help("--help").trimEnd()}
\`\`\`
${commands.map((c) => `\n## nucleus ${c}\n\n\`\`\`text\n${help(c, "--help").trimEnd()}\n\`\`\`\n`).join("")}`;

const out = join(root, "..", "docs", "CLI.md");
writeFileSync(out, text);
console.log(`wrote ${out}`);
