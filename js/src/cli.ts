#!/usr/bin/env node
/** Entry of the `nucleus` command (npm `bin`), bundled to dist/cli.js. The commands live in cli/. */

import { main } from "./cli/main.js";

process.exitCode = await main(process.argv.slice(2));
