/**
 * The lock protocol under real contention (docs/FORMAT.md §5): two Node and two CPython processes open the
 * same ledger file at the same instant, round after round. Most rounds start from a stale lock (a dead pid of
 * this host), some from no lock, an old unparsable lock, or a stale lock whose takeover claim was left by a
 * crashed process. Each round must have exactly one winner, the others get LEDGER_LOCKED, the lock on disk
 * names the winner, nothing is left behind, and at the end every ledger file verifies and holds the winner's
 * append. Processes stay up for all rounds, so a round costs milliseconds, not a Pyodide start.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { consumerDir, tempDir } from "./helpers/consumer.mjs";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const python = process.env.PYTHON || join(repo, ".venv", "bin", "python");
const env = { ...process.env, PYTHONPATH: join(repo, "py") };
const hasEngine = spawnSync(python, ["-c", "import nucleus"], { env }).status === 0;

/** Rounds per kind of starting state. */
const ROUNDS = { stale: 200, fresh: 40, garbage: 20, crashed: 20 };
const ID = "race";

// Every worker: print "ready"; then per line {"cmd":"go","path","tag"}: open the ledger (taking the lock),
// append record `tag` and print {"won":true}, or print {"won":false,"code"}; {"cmd":"close"}: close it.
const NODE_WORKER = `
import { createLedger, sqliteStorage } from "@onoal/nucleus";
import { createInterface } from "node:readline";
const [warmup, name] = process.argv.slice(2);
await (await createLedger({ id: "${ID}", storage: sqliteStorage(warmup) })).close(); // Pyodide is up
let ledger = null;
console.log("ready");
for await (const line of createInterface({ input: process.stdin })) {
  const msg = JSON.parse(line);
  if (msg.cmd === "go") {
    try {
      ledger = await createLedger({ id: "${ID}", storage: sqliteStorage(msg.path) });
    } catch (e) {
      console.log(JSON.stringify({ won: false, code: e.code ?? String(e), message: e.message }));
      continue;
    }
    await ledger.append({ id: msg.tag, stream: "race", payload: { worker: name } });
    console.log(JSON.stringify({ won: true }));
  } else if (msg.cmd === "close") {
    await ledger.close();
    ledger = null;
    console.log(JSON.stringify({ closed: true }));
  }
}
`;

const PY_WORKER = `
import json, sys
import nucleus
warmup, name = sys.argv[1:3]
nucleus.Ledger.open("${ID}", nucleus.SqliteStorage(warmup)).close()
ledger = None
print("ready", flush=True)
while line := sys.stdin.readline():
    msg = json.loads(line)
    if msg["cmd"] == "go":
        try:
            ledger = nucleus.Ledger.open("${ID}", nucleus.SqliteStorage(msg["path"]))
        except nucleus.NucleusError as e:
            print(json.dumps({"won": False, "code": e.code, "message": e.message}), flush=True)
            continue
        ledger.append({"id": msg["tag"], "stream": "race", "payload": {"worker": name}})
        print(json.dumps({"won": True}), flush=True)
    elif msg["cmd"] == "close":
        ledger.close()
        ledger = None
        print(json.dumps({"closed": True}), flush=True)
`;

/** A long-running worker process, spoken to in JSON lines. */
class Worker {
  constructor(name, argv, options) {
    this.name = name;
    this.child = spawn(argv[0], argv.slice(1), { ...options, stdio: ["pipe", "pipe", "pipe"] });
    this.stderr = "";
    this.child.stderr.on("data", (d) => (this.stderr += d));
    this.lines = [];
    this.waiting = null;
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      if (this.waiting) {
        const resolveLine = this.waiting;
        this.waiting = null;
        resolveLine(line);
      } else this.lines.push(line);
    });
    this.child.on("exit", (code) => this.waiting?.(`exited ${code}`));
  }

  get pid() {
    return this.child.pid;
  }

  send(msg) {
    this.child.stdin.write(`${JSON.stringify(msg)}\n`);
  }

  /** The next line it prints, within `ms`. */
  next(ms = 20_000) {
    if (this.lines.length) return Promise.resolve(this.lines.shift());
    return new Promise((resolveLine, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no answer in ${ms} ms; stderr:\n${this.stderr}`)), ms);
      this.waiting = (line) => {
        clearTimeout(timer);
        resolveLine(line);
      };
    });
  }

  async stop() {
    this.child.stdin.end();
    if (this.child.exitCode === null) await new Promise((r) => this.child.once("exit", r));
  }
}

/** A pid of this host that is certainly not running: a child that has exited and been reaped. */
function deadPid() {
  return spawnSync("true").pid;
}

/** A lock file as a holder of `pid` on this host writes it. */
function writeLock(lockPath, pid, tool) {
  writeFileSync(lockPath, JSON.stringify({ pid, hostname: hostname(), createdAt: Date.now(), tool }));
}

/** Names beside the ledger file that start like its lock's: temp files, claims, the lock itself. */
function lockFiles(dir) {
  return readdirSync(dir).filter((name) => name.startsWith("ledger.db.lock"));
}

/** The kinds of round in an interleaved order, so every kind meets every state of the workers. */
function schedule() {
  const kinds = Object.entries(ROUNDS).flatMap(([kind, n]) => Array(n).fill(kind));
  let seed = 12345; // a fixed shuffle: a failure can be rerun as it was
  for (let i = kinds.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  return kinds;
}

test(
  "Node and CPython processes racing for one stale (or absent) lock: exactly one winner every round",
  { skip: !hasEngine && `the Python engine is not importable with ${python}`, timeout: 120_000 },
  async (t) => {
    const started = performance.now();
    const work = tempDir();
    const template = join(work, "template.db");
    const made = spawnSync(python, ["-c", `
import sys, nucleus
with nucleus.Ledger.open("${ID}", nucleus.SqliteStorage(sys.argv[1])) as l:
    l.append({"id": "seed", "stream": "s", "payload": {}})
`, template], { env, encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
    assert.deepEqual(readdirSync(work), ["template.db"], "closed: no WAL, no lock to copy along");

    const script = join(consumerDir, `lock-race-worker-${process.pid}.mjs`);
    writeFileSync(script, NODE_WORKER);
    t.after(() => rmSync(script, { force: true }));
    const warm = (name) => {
      mkdirSync(join(work, `warmup-${name}`));
      return join(work, `warmup-${name}`, "w.db");
    };
    const workers = [
      new Worker("node-1", [process.execPath, script, warm("node-1"), "node-1"], { cwd: consumerDir }),
      new Worker("node-2", [process.execPath, script, warm("node-2"), "node-2"], { cwd: consumerDir }),
      new Worker("python-1", [python, "-c", PY_WORKER, warm("python-1"), "python-1"], { env }),
      new Worker("python-2", [python, "-c", PY_WORKER, warm("python-2"), "python-2"], { env }),
    ];
    t.after(() => Promise.all(workers.map((w) => w.stop())));
    for (const w of workers) assert.equal(await w.next(60_000), "ready", w.stderr);
    const ready = performance.now();

    const kinds = schedule();
    const wins = Object.fromEntries(workers.map((w) => [w.name, 0]));
    const rounds = [];
    for (const [i, kind] of kinds.entries()) {
      const dir = join(work, `r${i}`);
      mkdirSync(dir);
      const path = join(dir, "ledger.db");
      const lockPath = `${path}.lock`;
      copyFileSync(template, path);
      if (kind === "stale" || kind === "crashed") writeLock(lockPath, deadPid(), i % 2 ? "nucleus-js" : "nucleus-py");
      if (kind === "crashed") writeLock(`${lockPath}.takeover.${statSync(lockPath).ino}`, deadPid(), "nucleus-js");
      if (kind === "garbage") {
        writeFileSync(lockPath, ""); // a crash between create and write, long ago
        utimesSync(lockPath, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
      }

      const tag = `round-${i}`;
      const order = workers.map((_, k) => workers[(i + k) % workers.length]); // who hears "go" first rotates
      for (const w of order) w.send({ cmd: "go", path, tag });
      const answers = await Promise.all(order.map(async (w) => ({ w, ...JSON.parse(await w.next()) })));
      const winners = answers.filter((a) => a.won);
      const what = `round ${i} (${kind}): ${answers.map((a) => `${a.w.name} ${a.won ? "won" : a.code}`).join(", ")}`;
      assert.equal(winners.length, 1, what);
      for (const a of answers) if (!a.won) assert.equal(a.code, "LEDGER_LOCKED", `${what}: ${a.message}`);
      const [{ w: winner }] = winners;
      const holder = JSON.parse(readFileSync(lockPath, "utf8"));
      assert.equal(holder.pid, winner.pid, `${what}: the lock on disk names ${holder.pid}`);
      assert.deepEqual(lockFiles(dir), ["ledger.db.lock"], what);

      winner.send({ cmd: "close" });
      assert.deepEqual(JSON.parse(await winner.next()), { closed: true });
      assert.deepEqual(lockFiles(dir), [], `${what}: closing left lock files`);
      wins[winner.name]++;
      rounds.push({ path, tag, worker: winner.name });
    }
    const raced = performance.now();

    // No damage: every file opens, verifies, and holds the seed plus exactly the winner's append.
    const check = spawnSync(python, ["-c", `
import json, sys, nucleus
bad = []
for r in json.load(sys.stdin):
    with nucleus.Ledger.open("${ID}", nucleus.SqliteStorage(r["path"])) as l:
        l.verify()
        got = l.get_by_id(r["tag"])
        if len(l) != 2 or got is None or got["payload"] != {"worker": r["worker"]}:
            bad.append([r["path"], len(l), got])
print(json.dumps(bad))
`], { env, input: JSON.stringify(rounds), encoding: "utf8" });
    assert.equal(check.status, 0, check.stderr);
    assert.deepEqual(JSON.parse(check.stdout), []);

    const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
    t.diagnostic(`${kinds.length} rounds (${Object.entries(ROUNDS).map(([k, n]) => `${n} ${k}`).join(", ")}), 4 processes each`);
    t.diagnostic(`wins: ${Object.entries(wins).map(([k, n]) => `${k} ${n}`).join(", ")}`);
    t.diagnostic(`start ${s(ready - started)}, races ${s(raced - ready)}, verify ${s(performance.now() - raced)}`);
  },
);
