/**
 * PostgreSQL under Node.js: a synchronous channel from the engine (Pyodide, no sockets, synchronous storage
 * calls) to node-postgres (`pg`) in a worker thread. Not public.
 *
 * The engine's `nucleus.storage._pg_host` calls `call(request, waitMs)` (JSON text); this posts the request to the
 * worker, which owns the connections, and blocks on `Atomics.wait` until the worker has posted its answer on a
 * `MessagePort` and bumped a counter in a `SharedArrayBuffer`; `receiveMessageOnPort` then takes the answer
 * synchronously, whatever its size. An answer that does not come within `waitMs` (the storage's timeout plus a
 * margin: the server's own timeouts report first) is a coded timeout, and the connection is dropped.
 * docs/ARCHITECTURE.md ("PostgreSQL under Node.js") gives the cost: about one local round trip per statement.
 */

import { createRequire } from "node:module";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import type { PyodideAPI } from "pyodide";
import { ConfigError } from "../../errors.js";

/** The name the engine imports the channel under (`nucleus.storage._pg_host.HOST_MODULE`). */
const HOST_MODULE = "_nucleus_pg_host";
/** What to install when `pg` is missing. */
export const PG_INSTALL = "npm install pg";

/**
 * The worker, as CommonJS source (run with `eval: true`, so the package needs no extra file). Every value comes
 * back as the server's text (the engine converts by type OID), rows as arrays.
 */
const WORKER_SOURCE = `
"use strict";
const { workerData, parentPort } = require("node:worker_threads");
const pg = require(workerData.pgPath);
const signal = new Int32Array(workerData.signal);
const port = workerData.port;
const asText = { getTypeParser: () => (value) => value };
const sessions = new Map();
let next = 1;
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOENT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);
const LOST = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

function failure(err, broken) {
  const code = err && typeof err.code === "string" ? err.code : undefined;
  const sqlstate = code && /^[0-9A-Z]{5}$/.test(code) ? code : null;
  const message = String((err && err.message) || err || "PostgreSQL failed");
  let reason = null;
  if (!sqlstate) {
    if (UNREACHABLE.has(code)) reason = "unreachable";
    else if (LOST.has(code)) reason = "connection_lost";
    else if (/timeout/i.test(message)) reason = "timeout";
  }
  const fatal = err && (err.severity === "FATAL" || err.severity === "PANIC");
  return { error: { message, sqlstate, reason }, broken: Boolean(broken || fatal || !sqlstate) };
}

function config(params, timeoutMs, applicationName) {
  const out = { types: asText, connectionTimeoutMillis: timeoutMs, application_name: applicationName };
  if (params.host !== undefined || params.hostaddr !== undefined) out.host = params.hostaddr || params.host;
  if (params.port !== undefined) out.port = Number(params.port);
  if (params.user !== undefined) out.user = params.user;
  if (params.password !== undefined) out.password = params.password;
  if (params.dbname !== undefined) out.database = params.dbname;
  const ssl = params.sslmode;
  if (ssl === "require") out.ssl = { rejectUnauthorized: false };
  else if (ssl === "verify-ca" || ssl === "verify-full") out.ssl = true;
  return out;
}

async function handle(request) {
  if (request.op === "connect") {
    const client = new pg.Client(config(request.params, request.timeoutMs, request.applicationName));
    const session = { client, dead: false };
    client.on("error", () => { session.dead = true; });
    client.on("end", () => { session.dead = true; });
    try {
      await client.connect();
      const shown = await client.query({ text: "SHOW server_encoding", rowMode: "array" });
      const id = next++;
      sessions.set(id, session);
      return { conn: id, encoding: shown.rows[0][0] };
    } catch (err) {
      client.end().catch(() => {});
      return failure(err, true);
    }
  }
  const session = sessions.get(request.conn);
  if (request.op === "close") {
    sessions.delete(request.conn);
    if (session) await session.client.end().catch(() => {});
    return {};
  }
  if (request.op !== "query") return { error: { message: "unknown channel op " + request.op, sqlstate: null, reason: null }, broken: false };
  if (!session || session.dead) {
    if (session) sessions.delete(request.conn);
    return { error: { message: "the connection to the server was lost", sqlstate: null, reason: "connection_lost" }, broken: true };
  }
  try {
    const query = { text: request.sql, rowMode: "array" };
    if (request.params) query.values = request.params;
    let result = await session.client.query(query);
    if (Array.isArray(result)) result = result[result.length - 1];
    return { fields: (result.fields || []).map((f) => f.dataTypeID), rows: result.rows || [] };
  } catch (err) {
    const answer = failure(err, session.dead);
    if (answer.broken) {
      sessions.delete(request.conn);
      session.client.end().catch(() => {});
    }
    return answer;
  }
}

parentPort.on("message", async ({ id, request }) => {
  let answer;
  try {
    answer = await handle(JSON.parse(request));
  } catch (err) {
    answer = failure(err, false);
  }
  port.postMessage({ id, answer: JSON.stringify(answer) });
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;

/** The worker and what the calling thread waits on. */
interface Channel {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
  next: number;
}

let channel: Channel | undefined;

/**
 * Where `pg` is installed (resolved from this package, as a peer dependency is); `INVALID_CONFIG` naming the
 * package to install when it is not.
 */
export function resolvePg(): string {
  try {
    return createRequire(import.meta.url).resolve("pg");
  } catch {
    throw new ConfigError(
      `postgresStorage needs the PostgreSQL driver "pg" (node-postgres), which is not installed: ${PG_INSTALL}`,
      { reason: "missing_driver", package: "pg", install: PG_INSTALL },
    );
  }
}

function start(): Channel {
  const pgPath = resolvePg();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { pgPath, signal: signal.buffer, port: port2 },
    transferList: [port2],
  });
  // Neither keeps the process alive: a ledger left open does not stop a script from ending.
  worker.unref();
  port1.unref();
  worker.on("error", () => {
    if (channel?.worker === worker) channel = undefined;
  });
  worker.on("exit", () => {
    if (channel?.worker === worker) channel = undefined;
  });
  return { worker, port: port1, signal, next: 1 };
}

function timedOut(waitMs: number): string {
  return JSON.stringify({
    error: {
      message: `no answer from the PostgreSQL connection within ${Math.round(waitMs / 1000)} s (timeout expired)`,
      sqlstate: null,
      reason: "timeout",
    },
    broken: true,
  });
}

/** One request to the worker, answered synchronously (the engine's storage calls are synchronous). */
export function callPg(request: string, waitMs: number): string {
  channel ??= start();
  const current = channel;
  const id = current.next++;
  let seen = Atomics.load(current.signal, 0);
  current.worker.postMessage({ id, request });
  const deadline = performance.now() + waitMs;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) {
      // The connection may still be busy with it: drop it, so that no late answer is taken for another's.
      const conn = (JSON.parse(request) as { conn?: number }).conn;
      if (conn !== undefined) current.worker.postMessage({ id: 0, request: JSON.stringify({ op: "close", conn }) });
      return timedOut(waitMs);
    }
    Atomics.wait(current.signal, 0, seen, left);
    seen = Atomics.load(current.signal, 0);
    for (let message = receiveMessageOnPort(current.port); message; message = receiveMessageOnPort(current.port)) {
      const answer = message.message as { id: number; answer: string };
      if (answer.id === id) return answer.answer;
    }
  }
}

/** Lets the engine in `pyodide` reach PostgreSQL through the channel (the worker starts on first use). */
export function installPgChannel(pyodide: PyodideAPI): void {
  pyodide.registerJsModule(HOST_MODULE, { call: callPg });
}
