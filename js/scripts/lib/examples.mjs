/**
 * The package's code examples, as the tests run them: every `@example` of the TSDoc in js/src (and so of
 * docs/API.md, which is generated from it) and every ```js / ```ts block of README.md and js/README.md.
 * test/examples.test.mjs type-checks each against the installed package's declarations and runs the Node.js
 * ones; tests_browser/test_examples.py runs the browser ones in Chromium, listing them with
 *
 *   node js/scripts/lib/examples.mjs browser     the browser examples, runnable, as JSON
 *
 * An example may use any value the package exports without importing it (a TSDoc example stays short):
 * {@link runnable} adds the import. It must be plain JavaScript (it is run as it is), and a README's blocks
 * run in order in one working directory, as a reader would run them; each TSDoc example runs alone.
 */

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const jsRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const repoRoot = resolve(jsRoot, "..");
const PACKAGE = "@onoal/nucleus";
const READMES = ["README.md", "js/README.md"];

/**
 * @typedef {object} Example
 * @property {string} id - where it is, `path:line` (the line of `@example` or of the opening fence)
 * @property {"node" | "browser"} platform - browser for src/browser.ts and src/runtime/browser/
 * @property {string} session - examples with the same session run in order in one working directory
 * @property {string} code - the example's text
 */

/** Every example, in file order. @returns {Example[]} */
export function collectExamples() {
  const out = [];
  for (const file of sourceFiles(join(jsRoot, "src"))) out.push(...tsdocExamples(file));
  for (const readme of READMES) out.push(...markdownExamples(join(repoRoot, readme)));
  return out;
}

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return entry.name.endsWith(".ts") ? [path] : [];
    });
}

/** The `@example` sections of a TypeScript file's doc comments. */
function tsdocExamples(file) {
  const text = readFileSync(file, "utf8");
  const rel = relative(repoRoot, file);
  const platform = /^js\/src\/(browser\.ts|runtime\/browser\/)/.test(rel) ? "browser" : "node";
  const out = [];
  for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const lines = comment[0].split("\n").map((line) => line.replace(/^\s*\/?\*+\/?\s?/, "").replace(/\s*\*\/$/, ""));
    const firstLine = text.slice(0, comment.index).split("\n").length;
    for (let i = 0; i < lines.length; i++) {
      if (!/^@example\b/.test(lines[i])) continue;
      const body = [];
      let j = i + 1;
      for (; j < lines.length && !/^@\w/.test(lines[j]); j++) body.push(lines[j]);
      const id = `${rel}:${firstLine + i}`;
      out.push({ id, platform, session: id, code: body.join("\n").trim() + "\n" });
      i = j - 1;
    }
  }
  return out;
}

/** The ```js and ```ts blocks of a Markdown file: one session per file. */
function markdownExamples(file) {
  const text = readFileSync(file, "utf8");
  const rel = relative(repoRoot, file);
  const out = [];
  for (const block of text.matchAll(/^```(js|ts|javascript|typescript)\n([\s\S]*?)^```$/gm)) {
    const line = text.slice(0, block.index).split("\n").length;
    out.push({ id: `${rel}:${line}`, platform: "node", session: rel, code: block[2] });
  }
  return out;
}

/**
 * The example as a module that runs: the values of the package it uses without importing or declaring
 * them are imported first. `exported` is the package's value exports (`Object.keys` of the module).
 * @param {Example} example
 * @param {string[]} exported
 */
export function runnable(example, exported) {
  const { code } = example;
  const have = new Set();
  for (const m of code.matchAll(/import\s*\{([^}]*)\}\s*from\s*["']@onoal\/nucleus["']/g)) {
    for (const name of m[1].split(",")) have.add(name.trim().split(/\s+as\s+/).pop());
  }
  for (const m of code.matchAll(/\b(?:const|let|var|function|class)\s+([A-Za-z_$][\w$]*)/g)) have.add(m[1]);
  const needed = exported.filter((name) => !have.has(name) && new RegExp(`(?<![\\w$.])${name}\\b`).test(code));
  return needed.length === 0 ? code : `import { ${needed.join(", ")} } from "${PACKAGE}";\n${code}`;
}

// `node js/scripts/lib/examples.mjs browser`: the browser examples, ready to run, as JSON (for Python).
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const platform = process.argv[2] ?? "browser";
  // The browser build exports the same names as the Node.js one (src/browser.ts re-exports src/index.ts),
  // and importing the Node.js build starts nothing.
  const exported = Object.keys(await import(pathToFileURL(join(jsRoot, "dist", "index.js")).href));
  const examples = collectExamples().filter((e) => e.platform === platform);
  process.stdout.write(JSON.stringify(examples.map((e) => ({ ...e, code: runnable(e, exported) })), null, 2) + "\n");
}
