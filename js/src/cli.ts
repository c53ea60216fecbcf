#!/usr/bin/env node
/**
 * The `nucleus` command. Placeholder: the CLI (verify, info, export, import, query, append) is written
 * separately; until then it says so and exits with status 2 ("unusable").
 */

process.stderr.write("nucleus: the command-line interface is not yet available in this version of @onoal/nucleus\n");
process.exitCode = 2;
