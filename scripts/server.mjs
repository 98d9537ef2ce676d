// The production server (`npm start`): Next for the console, and the REST API answered by
// lib/api/listener.ts without Next's per-request pipeline (see that file for why).
// Usage: node scripts/server.mjs [-p PORT] [-H HOSTNAME]   (or PORT / LATCHKEY_HOSTNAME in the environment;
// not HOSTNAME, which containers set to their own name)
// LATCHKEY_API_LISTENER=0 leaves the REST API to Next as well (same answers, more CPU each).
// LATCHKEY_WORKERS=N (PostgreSQL only) runs N such servers on the one port (node:cluster).
import cluster from "node:cluster";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { port: { type: "string", short: "p" }, hostname: { type: "string", short: "H" } },
});
const portText = values.port ?? process.env.PORT ?? "3000";
const port = Number(portText);
if (!/^\d+$/.test(portText) || port > 65535) {
  console.error(`Latchkey: the port must be a number from 0 to 65535 (got "${portText}").`);
  process.exit(1);
}
// More than one core: N identical server processes sharing the port, each with its own pool and
// LISTEN connection, nothing shared but the database. The embedded database is one process's.
if (cluster.isPrimary) {
  const workersText = process.env.LATCHKEY_WORKERS?.trim() || "1";
  const workers = Number(workersText);
  if (!/^\d+$/.test(workersText) || workers < 1 || workers > 64) {
    console.error(`Latchkey: LATCHKEY_WORKERS must be a whole number from 1 to 64 (got "${workersText}").`);
    process.exit(1);
  }
  if (workers > 1) await runWorkers(workers);
}

/** The primary of LATCHKEY_WORKERS: starts the workers, restarts one that dies, stops them all on a signal. */
async function runWorkers(count) {
  // Next reads .env files in each worker; the primary needs them to tell which database is used.
  const { default: nextEnv } = await import("@next/env");
  nextEnv.loadEnvConfig(process.cwd(), false, { info: () => {}, error: console.error });
  if (!process.env.DATABASE_URL?.trim()) {
    console.error(
      "Latchkey: LATCHKEY_WORKERS needs PostgreSQL (DATABASE_URL): the embedded database can be opened by one process only. " +
        "Unset LATCHKEY_WORKERS, or set DATABASE_URL.",
    );
    process.exit(1);
  }
  let stopping = false;
  const fork = (n) =>
    new Promise((resolve) => {
      const worker = cluster.fork({ LATCHKEY_WORKER: String(n) });
      let ready = false;
      worker.on("message", (m) => {
        if (m !== "latchkey:ready") return;
        ready = true;
        resolve(worker);
      });
      worker.on("exit", (code, signal) => {
        if (stopping) return;
        // One that never got ready would fail the same way again (it said why): stop them all.
        if (!ready) {
          console.error(`Latchkey: worker ${n} could not start (${signal ?? code}).`);
          return stopAll("SIGTERM", 1);
        }
        console.error(`Latchkey: worker ${n} exited (${signal ?? code}); starting it again.`);
        void fork(n);
      });
    });
  function stopAll(signal, exitCode = 0) {
    if (stopping) return;
    stopping = true;
    const alive = Object.values(cluster.workers ?? {}).filter((w) => !w.isDead());
    let left = alive.length;
    if (left === 0) process.exit(exitCode);
    let failed = false;
    for (const w of alive)
      w.on("exit", (code) => {
        failed ||= code !== 0;
        if (--left === 0) process.exit(exitCode || (failed ? 1 : 0));
      });
    for (const w of alive) w.process.kill(signal);
  }
  for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => stopAll(signal));
  // The first alone (migrations, a generated AUTH_SECRET in .env.local), then the others, which read it.
  await fork(1);
  await Promise.all(Array.from({ length: count - 1 }, (_, i) => fork(i + 2)));
  if (!stopping) console.log(`Latchkey: ${count} workers ready.`);
  await new Promise(() => {}); // the primary serves nothing itself
}

// Unset: this machine only. A fresh install holds demo accounts whose password is published;
// listening on other interfaces is the operator's choice (-H 0.0.0.0, LATCHKEY_HOSTNAME=::).
const hostname = values.hostname ?? (process.env.LATCHKEY_HOSTNAME || "127.0.0.1");
// Every request passes through the handler below, which sets x-latchkey-socket-address from the
// socket (discarding a client's own): lib/net/client-address.ts may read that header here.
globalThis.__latchkeySocketAddressHeader = true;
// This file handles SIGTERM and SIGINT (see the end), not lib/boot.ts.
globalThis.__latchkeyOwnsSignals = true;
process.env.PORT = String(port);
// Before Next and React load: they pick their production builds from it.
process.env.NODE_ENV = "production";
const { default: next } = await import("next");

const app = next({ dev: false, hostname: hostname ?? "localhost", port });
const handle = app.getRequestHandler();
await app.prepare();

// instrumentation.ts registers the listener once Next has run it (migrations, demo data, then
// the listener); until then Next serves /api itself, from the same route modules.
const useListener = process.env.LATCHKEY_API_LISTENER !== "0";
const listener = () => (useListener ? globalThis.__latchkeyServeApi : undefined);

/** The last resort, should Next or the listener fail outside their own error handling. */
function internalError(res, err) {
  console.error(`Latchkey: unexpected ${err?.name ?? "error"} while serving a request`);
  if (res.headersSent) return void res.destroy();
  res.writeHead(500, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(
    JSON.stringify({
      success: false,
      hasError: true,
      statusCode: "InternalServerError",
      error: {
        message: "Something went wrong on our side. If you were changing something, check whether it took effect before trying again.",
        code: "internal_error",
      },
    }),
  );
}

const toNext = (req, res) => Promise.resolve(handle(req, res)).catch((err) => internalError(res, err));

const isLoopback = (a) => typeof a === "string" && /^(?:127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/i.test(a);

/** lib/demo.ts decides once boot has checked the demo passwords; until then only this machine is answered. */
function demoRefusal(req) {
  const gate = globalThis.__latchkeyDemoGate;
  if (typeof gate === "function") return gate(req.socket.remoteAddress, req.url ?? "/");
  if (isLoopback(req.socket.remoteAddress)) return null;
  // Started without its database (lib/boot.ts retries): nothing can be read or changed, so every
  // client may have the honest 503 below or from the REST API, whoever it is.
  if (globalThis.__latchkeyWaitingForDatabase) return null;
  return {
    status: 503,
    headers: { "retry-after": "2", "cache-control": "no-store", "content-type": "text/plain; charset=utf-8" },
    body: "Latchkey is starting; try again in a moment.\n",
  };
}

// The console's answer while the server waits for its database: a page that says so and looks
// again by itself. The REST API (lib/api) answers its own 503 envelopes; Next's assets pass.
const DATABASE_DOWN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5"><title>Latchkey cannot reach its database</title>
<style>body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#fafafa;color:#171717}
main{max-width:32rem;padding:2rem}h1{font-size:1.25rem;margin:0 0 .5rem}p{margin:.5rem 0;color:#525252}
@media (prefers-color-scheme:dark){body{background:#0a0a0a;color:#fafafa}p{color:#a3a3a3}}</style></head>
<body><main role="main"><h1>Latchkey cannot reach its database</h1>
<p>The server is running, but its database does not answer, so nothing can be shown or changed right now. Nothing you did caused this.</p>
<p>This page tries again every 5 seconds and opens as soon as the database is back.</p>
<p>If you run this server: check that PostgreSQL is up and that <code>DATABASE_URL</code> points to it; the server log says what failed.</p>
</main></body></html>
`;

function databaseDownPage(req) {
  if (!globalThis.__latchkeyWaitingForDatabase) return false;
  const path = (req.url ?? "/").split("?")[0];
  return !path.startsWith("/_next/") && !(path.startsWith("/api/") && !path.startsWith("/api/auth/")) && path !== "/icon.svg";
}

function serve(req, res) {
  // Stopping: finish this request, but do not keep its connection for another.
  if (globalThis.__latchkeyDraining) res.setHeader("connection", "close");
  if (req.socket.remoteAddress) req.headers["x-latchkey-socket-address"] = req.socket.remoteAddress;
  else delete req.headers["x-latchkey-socket-address"];
  const refusal = demoRefusal(req);
  if (refusal) return void res.writeHead(refusal.status, refusal.headers).end(req.method === "HEAD" ? undefined : refusal.body);
  if (databaseDownPage(req))
    return void res
      .writeHead(503, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "retry-after": "5",
        "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        "x-content-type-options": "nosniff",
      })
      .end(req.method === "HEAD" ? undefined : DATABASE_DOWN_PAGE);
  const serveApi = listener();
  if (typeof serveApi !== "function") return void toNext(req, res);
  serveApi(req, res).then(
    (served) => (served ? undefined : toNext(req, res)),
    (err) => internalError(res, err),
  );
}
const server = createServer(serve);
server.on("error", (err) => {
  console.error(
    `Latchkey: cannot listen on ${hostname ?? "every interface"}, port ${port}: ${err.code === "EADDRINUSE" ? "the port is in use" : err.message}.`,
  );
  process.exit(1);
});
server.listen(port, hostname, async () => {
  const { port: bound } = server.address();
  const host = !hostname || hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname.includes(":") ? `[${hostname}]` : hostname;
  // One request through Next boots Latchkey now rather than on a user's first request. Sent to a
  // port of this process's own: with LATCHKEY_WORKERS the shared one may hand it to another worker.
  const warmUp = createServer(serve);
  await new Promise((resolve) => warmUp.listen({ port: 0, host: "127.0.0.1", exclusive: true }, resolve));
  const res = await fetch(`http://127.0.0.1:${warmUp.address().port}/api/health`).catch((err) => err);
  warmUp.close();
  if (useListener && typeof listener() !== "function")
    console.warn(
      `Latchkey: the REST API listener did not register (${res instanceof Error ? res.message : `health answered ${res.status}`}); Next serves /api.`,
    );
  const local = hostname === "127.0.0.1" && !values.hostname && !process.env.LATCHKEY_HOSTNAME;
  const worker = process.env.LATCHKEY_WORKER ? ` (worker ${process.env.LATCHKEY_WORKER})` : "";
  console.log(
    `Latchkey: ready on http://${local ? "localhost" : host}:${bound}${local ? " (this machine only: -H or LATCHKEY_HOSTNAME to listen on others)" : ""}${useListener ? "" : " (REST API through Next: LATCHKEY_API_LISTENER=0)"}${worker}`,
  );
  process.send?.("latchkey:ready");
});

// A graceful stop (SIGTERM from an orchestrator, Ctrl-C): GET /api/health answers 503 from now
// on and every response closes its connection; for LATCHKEY_DRAIN_SECONDS (default 2) new
// connections are still served, so a load balancer sees the 503 and moves traffic away before any
// is refused (closing the listening socket resets connections still queued in it). Then new
// connections are refused, the requests in flight finish (at most 10 s), the buffered access-log
// entries are written (at most 10 s more), and the process exits.
const drainText = process.env.LATCHKEY_DRAIN_SECONDS?.trim() || "2";
const drainSeconds = /^\d+$/.test(drainText) && Number(drainText) <= 60 ? Number(drainText) : 2;
let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  globalThis.__latchkeyDraining = true;
  // Ctrl-C at a terminal has no load balancer to wait for.
  const drain = signal === "SIGTERM" ? drainSeconds : 0;
  console.log(`Latchkey: ${signal}: ${drain ? `draining for ${drain} s, then ` : ""}finishing the requests in flight and stopping.`);
  await new Promise((resolve) => setTimeout(resolve, drain * 1000));
  // server.close() would also drop every connection with no request in progress, including one
  // accepted a moment ago whose request is still on its way: that client would see a reset. So
  // the idle ones are closed a second later instead (a keep-alive connection nobody uses), and
  // whatever is still open after 10 s is cut.
  const closeIdle = server.closeIdleConnections.bind(server);
  server.closeIdleConnections = () => {};
  const closed = new Promise((resolve) => server.close(resolve));
  const idle = setTimeout(closeIdle, 1_000);
  const late = setTimeout(() => server.closeAllConnections(), 10_000);
  await closed;
  clearTimeout(idle);
  clearTimeout(late);
  await globalThis.__latchkeyShutdown?.().catch((err) => console.error(`Latchkey: the final flush failed: ${err?.name ?? "error"}`));
  process.exit(0);
}
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => void stop(signal));
