/**
 * Writes docs/API.md, the TypeScript reference, from the package's declarations (dist/index.d.ts and
 * dist/browser.d.ts, as tsc emits them from src/ with their TSDoc), so the reference cannot drift:
 * test/api-docs.test.mjs fails when docs/API.md is not what this script writes from the installed package.
 *
 *   npm run build && node scripts/api-docs.mjs
 *
 * It reads the declarations with the TypeScript compiler's API (the `typescript` devDependency): every
 * export of the package, its declaration as tsc emitted it, and its doc comment. An export or a member
 * without a doc comment, or a declaration file no section below names, stops it.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SyntaxKind } from "typescript/unstable/ast";
import { API, SymbolFlags } from "typescript/unstable/sync";

const jsRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Sections of the reference: the declaration files each holds, in order. Every export's file must be here. */
const SECTIONS = [
  ["Opening a ledger", ["create-ledger.d.ts", "builder.d.ts"]],
  ["The ledger", ["types/ledger.d.ts"]],
  ["Records, queries and entries", ["types/record.d.ts"]],
  ["Configuration", ["types/config.d.ts"]],
  ["Storage", ["storage.d.ts"]],
  ["Modules", ["modules.d.ts", "types/module.d.ts"]],
  ["Request contexts", ["context.d.ts", "types/context.d.ts"]],
  ["Access control", ["types/acl.d.ts"]],
  ["Proofs and signed checkpoints", ["proofs/verify.d.ts", "proofs/checkpoint.d.ts", "proofs/note.d.ts", "types/proof.d.ts"]],
  ["Errors", ["errors.d.ts", "generated/engine-rules.d.ts"]],
  ["JSON types", ["json.d.ts"]],
  ["Runtime", ["runtime-info.d.ts", "version.d.ts"]],
];
/** Tags rendered after the summary; any other `@word` is text. */
const TAGS = ["param", "returns", "throws", "example", "see", "deprecated"];

/** Exports and members found without a doc comment by the current {@link readApi}; reported all at once. */
let undocumented = [];

/**
 * @typedef {{ name: string, text: string }} Tag
 * @typedef {{ summary: string, tags: Tag[] }} Doc
 * @typedef {{ name: string, signature: string, doc: Doc }} Member
 * @typedef {{ name: string, kind: string, file: string, pos: number, declaration: string, doc: Doc,
 *   members: Member[] }} Entry
 * @typedef {{ intro: Doc, entries: Entry[], browser: Entry[] }} ApiModel
 */

/**
 * The package's public API as its declarations say it.
 * @param {string} packageDir - a built package: js/, or the installed `node_modules/@onoal/nucleus`
 * @returns {ApiModel}
 */
export function readApi(packageDir = jsRoot) {
  const dist = join(resolve(packageDir), "dist");
  const work = mkdtempSync(join(tmpdir(), "nucleus-api-docs-"));
  const api = new API({ cwd: work });
  undocumented = [];
  try {
    const compilerOptions = {
      module: "nodenext",
      moduleResolution: "nodenext",
      target: "es2022",
      lib: ["es2023", "esnext.disposable", "dom"],
      types: [],
      skipLibCheck: true,
      noEmit: true,
    };
    const files = [join(dist, "index.d.ts"), join(dist, "browser.d.ts")];
    writeFileSync(join(work, "tsconfig.json"), JSON.stringify({ compilerOptions, files }));
    const project = api.updateSnapshot({ openProject: join(work, "tsconfig.json") }).getProjects()[0];
    const { checker, emitter, program } = project;
    const exportsOf = (file) => {
      const source = program.getSourceFile(file);
      const symbols = checker.getExportsOfModule(checker.getSymbolAtLocation(source));
      return { source, symbols: symbols.map((s) => ({ name: s.name, target: (s.flags & SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(s) : s })) };
    };
    const entryOf = ({ name, target }) => describeSymbol(name, target, dist, emitter);
    const node = exportsOf(files[0]);
    const browser = exportsOf(files[1]);
    const nodeIds = new Map(node.symbols.map((s) => [s.name, s.target.id]));
    const intro = parseDoc(node.source.statements[0]?.jsDoc?.[0]?.getText() ?? "");
    const model = {
      intro,
      entries: node.symbols.map(entryOf),
      // The browser build re-exports the Node.js one but for a few names: those are documented apart.
      browser: browser.symbols.filter((s) => nodeIds.get(s.name) !== s.target.id).map(entryOf),
    };
    if (undocumented.length > 0) {
      throw new Error(`no doc comment on these (every export and member needs one):\n  ${undocumented.join("\n  ")}`);
    }
    return model;
  } finally {
    api.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** One export: its declaration as emitted (without its doc comment and `export declare`), its doc, its members. */
function describeSymbol(name, symbol, dist, emitter) {
  const handle = symbol.declarations[0];
  const node = handle.resolve();
  const file = relative(dist, handle.path).replaceAll("\\", "/");
  let declaration = emitter.printNode(node);
  let kind;
  let docNode = node;
  switch (node.kind) {
    case SyntaxKind.VariableDeclaration: // the doc is on its statement; shown as `const <exported name>: <type>`
      kind = "const";
      docNode = node.parent.parent;
      declaration = `const ${name}${declaration.slice(declaration.indexOf(":"))};`;
      break;
    case SyntaxKind.FunctionDeclaration:
      kind = "function";
      break;
    case SyntaxKind.ClassDeclaration:
      kind = "class";
      break;
    case SyntaxKind.InterfaceDeclaration:
      kind = "interface";
      break;
    case SyntaxKind.TypeAliasDeclaration:
      kind = "type";
      break;
    default:
      throw new Error(`${file}: export ${name} is a declaration of kind ${node.kind}, which api-docs.mjs does not know`);
  }
  declaration = declaration.replace(/^export (declare )?/, "").replace(/^\s*#private;\n/m, "");
  const doc = docOf(docNode, `${file}: ${name}`);
  const members = [];
  if (kind === "class" || kind === "interface") {
    for (const member of symbol.getMembers().values()) {
      if (member.name.startsWith("__#")) continue; // `#private`: not API
      for (const handle of member.declarations) {
        const memberNode = handle.resolve();
        const signature = emitter.printNode(memberNode).replace(/;$/, "").replace(/\s*\n\s*/g, " ");
        members.push({ name: member.name, signature, doc: docOf(memberNode, `${file}: ${name}.${member.name}`) });
      }
    }
  }
  return { name, kind, file, pos: node.pos, declaration, doc, members };
}

/** The doc comment right before `node` (the last one: a file's header comment may precede it), parsed. */
function docOf(node, where) {
  const comments = node.jsDoc ?? [];
  if (comments.length === 0) {
    undocumented.push(where);
    return { summary: "", tags: [] };
  }
  return parseDoc(comments[comments.length - 1].getText());
}

/**
 * A `/** … *\/` comment as a summary and tags. Tags start with `@name` at the start of the text or after
 * whitespace (a one-line comment may hold several); `{@link X}` stays in the text for rendering.
 * @returns {Doc}
 */
function parseDoc(raw) {
  const text = raw
    .replace(/^\/\*\*\s?/, "")
    .replace(/\s*\*\/$/, "")
    .split("\n")
    .map((line) => line.replace(/^\s*\* ?/, ""))
    .join("\n");
  const parts = text.split(new RegExp(`(?:^|(?<=\\s))@(${TAGS.join("|")})\\b`));
  const tags = [];
  for (let i = 1; i < parts.length; i += 2) tags.push({ name: parts[i], text: parts[i + 1].replace(/^ /, "").trimEnd() });
  return { summary: parts[0].trim(), tags };
}

/** GitHub's anchor for a heading. */
const anchor = (heading) => heading.toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-");

/**
 * docs/API.md as Markdown.
 * @param {ApiModel} model
 */
export function renderApi(model) {
  const byFile = new Map();
  for (const entry of model.entries) {
    if (!SECTIONS.some(([, files]) => files.includes(entry.file))) {
      throw new Error(`${entry.file} (export ${entry.name}) is in no section of api-docs.mjs: add it to SECTIONS`);
    }
    byFile.set(entry.file, [...(byFile.get(entry.file) ?? []), entry]);
  }
  // Headings name the kind too (`function createLedger`, `class LedgerBuilder`): names that differ only in
  // case would otherwise share an anchor.
  const heading = (entry, suffix = "") => `${entry.kind} \`${entry.name}\`${suffix}`;
  const anchors = new Map(model.entries.map((e) => [e.name, anchor(heading(e))]));
  const link = (name) => (anchors.has(name) ? `[\`${name}\`](#${anchors.get(name)})` : `\`${name}\``);
  const prose = (text) =>
    text.replace(/\{@link\s+([\w$]+)(?:\.([\w$]+))?\s*\}/g, (_, name, member) => (member ? `${link(name)}.\`${member}\`` : link(name)));
  const inline = (text) => prose(text).replace(/\s*\n\s*/g, " ");
  /** `@param name - text` as "`name`: text". */
  const param = (t) => {
    const m = /^([\w$.]+)\s*(?:-\s*)?([\s\S]*)$/.exec(t.text);
    return `\`${m[1]}\`: ${inline(m[2])}`;
  };
  /** `@throws {Class} text` as a link to the class, then the text. */
  const thrown = (t) => inline(t.text.replace(/^\{([\w$]+)\}\s*/, (_, name) => `${link(name)} `));
  const tagLines = (tags) => {
    const out = [];
    const params = tags.filter((t) => t.name === "param");
    if (params.length > 0) out.push("", "Parameters:", "", ...params.map((t) => `- ${param(t)}`));
    for (const t of tags.filter((t) => t.name === "returns")) out.push("", `Returns ${inline(t.text)}`);
    const throws = tags.filter((t) => t.name === "throws");
    if (throws.length > 0) out.push("", "Throws:", "", ...throws.map((t) => `- ${thrown(t)}`));
    for (const t of tags.filter((t) => t.name === "see" || t.name === "deprecated")) out.push("", `${t.name === "see" ? "See" : "Deprecated:"} ${inline(t.text)}`);
    for (const t of tags.filter((t) => t.name === "example")) out.push("", "```ts", t.text.trim(), "```");
    return out;
  };
  /** A member's tags, run into its bullet: "Parameters: `a`: …; `b`: …. Throws: …". */
  const memberTags = (tags) => {
    const parts = [];
    const params = tags.filter((t) => t.name === "param").map(param);
    if (params.length > 0) parts.push(`Parameters: ${params.join("; ")}.`);
    for (const t of tags.filter((t) => t.name === "returns")) parts.push(`Returns ${inline(t.text)}.`);
    const throws = tags.filter((t) => t.name === "throws").map(thrown);
    if (throws.length > 0) parts.push(`Throws ${throws.join("; ")}.`);
    if (tags.some((t) => t.name === "example")) throw new Error("an @example on a member is not rendered; put it on the export");
    return parts.join(" ");
  };
  const renderEntry = (entry, title) => {
    const out = [`### ${title}`, "", "```ts", entry.declaration.trim(), "```", "", prose(entry.doc.summary), ...tagLines(entry.doc.tags)];
    if (entry.members.length > 0) {
      out.push("", "Members:", "");
      for (const m of entry.members) {
        const text = [inline(m.doc.summary), memberTags(m.doc.tags)].filter((t) => t !== "").join(" ");
        out.push(`- \`${m.signature}\`: ${text}`);
      }
    }
    return out.join("\n");
  };

  const lines = [
    "# The TypeScript API",
    "",
    "The reference of `@onoal/nucleus`: every export, with its declaration as TypeScript sees it and its",
    "documentation. Generated from the package's declarations and their TSDoc by `js/scripts/api-docs.mjs`",
    "(`npm run build && node scripts/api-docs.mjs` in js/); a test keeps it in step, and another type-checks and",
    "runs every example. The engine's Python API is in [ENGINE.md](ENGINE.md); how the layers fit together is in",
    "[ARCHITECTURE.md](ARCHITECTURE.md).",
    "",
    prose(model.intro.summary),
    ...tagLines(model.intro.tags),
    "",
    "## Contents",
    "",
    ...SECTIONS.map(([title, files]) => {
      const names = files.flatMap((f) => (byFile.get(f) ?? []).sort((a, b) => a.pos - b.pos)).map((e) => link(e.name));
      return `- [${title}](#${anchor(title)}): ${names.join(", ")}`;
    }),
    "- [The browser build](#the-browser-build)",
  ];
  for (const [title, files] of SECTIONS) {
    lines.push("", `## ${title}`);
    for (const file of files) {
      for (const entry of (byFile.get(file) ?? []).sort((a, b) => a.pos - b.pos)) lines.push("", renderEntry(entry, heading(entry)));
    }
  }
  lines.push(
    "",
    "## The browser build",
    "",
    "The package's `browser` export (`dist/browser/nucleus.js`, docs/BROWSER.md) has every export above; these",
    "differ from the Node.js build's:",
  );
  for (const entry of model.browser) lines.push("", renderEntry(entry, heading(entry, " (browser)")));
  return `${lines.join("\n")}\n`;
}

/** docs/API.md for the built package at `packageDir`. */
export function apiDocs(packageDir = jsRoot) {
  return renderApi(readApi(packageDir));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = join(jsRoot, "..", "docs", "API.md");
  writeFileSync(out, apiDocs());
  console.log(`wrote ${out}`);
}
