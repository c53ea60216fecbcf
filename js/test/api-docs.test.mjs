/**
 * docs/API.md, the TypeScript reference, is what scripts/api-docs.mjs writes from the installed package's
 * declarations and their TSDoc (as docs/CLI.md is kept in step with `--help` by cli.test.mjs): a changed
 * signature or doc comment without a regenerated reference fails here.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { apiDocs } from "../scripts/api-docs.mjs";
import { consumerDir } from "./helpers/consumer.mjs";

test("docs/API.md is generated from the installed package's declarations", () => {
  const expected = apiDocs(join(consumerDir, "node_modules", "@onoal", "nucleus"));
  const actual = readFileSync(new URL("../../docs/API.md", import.meta.url), "utf8");
  if (actual === expected) return;
  const a = actual.split("\n");
  const e = expected.split("\n");
  const line = a.findIndex((text, i) => text !== e[i]);
  assert.fail(
    `docs/API.md is out of date: run \`npm run build && node scripts/api-docs.mjs\` in js/. ` +
      `First difference at line ${line + 1}:\n  docs/API.md: ${a[line]}\n  generated:   ${e[line]}`,
  );
});
