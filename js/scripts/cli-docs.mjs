/**
 * Writes docs/CLI.md from the real `--help` output of the built CLI (dist/cli.js), so the reference
 * cannot drift: test/cli.test.mjs fails when a command's help is missing from the file or differs.
 *
 *   npm run build && node scripts/cli-docs.mjs
 */

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "cli.js");
const help = (...args) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`nucleus ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
};
const commands = ["verify", "info", "export", "import", "query", "append", "upgrade"];

const text = `# The \`nucleus\` command

Installed with the npm package as \`nucleus\` (\`npx nucleus …\` in a project that depends on
\`@onoal/nucleus\`). It works on a ledger's SQLite file; the engine is the same one the library runs.
This page is generated from the real \`--help\` output by \`js/scripts/cli-docs.mjs\`; a test keeps it
in step.

- **Exit status**: \`0\` success; \`1\` the ledger does not verify (\`CHAIN_INVALID\`: the report names
  the first bad sequence number and what broke there); \`2\` a usage error (unknown command or option,
  missing or malformed value) or a file that cannot be used (missing, a directory, not a ledger,
  another ledger's file, locked by another process for a command that writes, a refused record, an
  existing upgrade target).
- **Output**: results go to stdout, messages and progress to stderr. With \`--json\` stdout carries
  exactly one JSON document, also on failure: \`{"ok": false, "error": {"code", "message", "details"?}}\`
  (\`code\` is one of the library's error codes, or \`USAGE\`, \`NOT_FOUND\`, \`IS_A_DIRECTORY\`,
  \`NOT_A_FILE\`, \`NOT_A_LEDGER\`, \`EXISTS\`). \`export\` always writes JSON Lines.
- **Read-only commands**: \`verify\`, \`info\`, \`export\` and \`query\` open the file read-only (the
  library's \`sqliteStorage(path, { readOnly: true })\`): no lock is taken and no file is created or
  changed (no \`-wal\`, \`-shm\` or \`.lock\`), so they work on read-only media and while another
  process has the ledger open (\`info\` reports who holds its lock). What such a reading cannot promise
  is printed on stderr as \`note: …\` lines and, with \`--json\`, listed under \`"caveats"\`: another
  process may append meanwhile (the result is for the entries present when the file was read), and
  should that process checkpoint the file's write-ahead log meanwhile, the reading starts again
  (up to three times) rather than mix two states. \`export\` and \`query\` verify the whole chain
  first, as opening a ledger does.
- **Commands that write**: \`import\` and \`append\` take the file's lock (\`<db>.lock\`, the same one
  the library takes), so they fail at once with \`LEDGER_LOCKED\` while another process has the ledger
  open, and commit durably before they exit. \`upgrade\` only reads the old file and holds the new
  file's lock while it writes it.
- **Progress**: on a terminal, \`verify\` shows a spinner while the engine starts and then a bar that
  moves every 10,000 entries (\`--progress\` forces it, \`--no-progress\` hides it).

## nucleus --help

\`\`\`text
${help("--help").trimEnd()}
\`\`\`
${commands.map((c) => `\n## nucleus ${c}\n\n\`\`\`text\n${help(c, "--help").trimEnd()}\n\`\`\`\n`).join("")}`;

const out = join(root, "..", "docs", "CLI.md");
writeFileSync(out, text);
console.log(`wrote ${out}`);
