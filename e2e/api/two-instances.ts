import fs from "node:fs";
import { performance } from "node:perf_hooks";
import type { Browser } from "@playwright/test";
import { screensOf, test as base } from "../fixtures";
import { randomAddress, recordSecret, type Envelope } from "./api-helpers";
import { createDatabase, serverEnv, startServer, type ServerProcess, type TestDatabase } from "./server-process";

// What the specs that run several production servers of their own share (outage.spec.ts,
// propagation.spec.ts): cleanups that run after the test, a database and servers of the test's
// own, a key made in the console, and requests timed on one clock, with their answers shown on
// one line each for failure messages.

type Cleanup = () => unknown;
/** Registers a cleanup; they run after the test, pass or fail, the last registered first. */
export type Defer = (cleanup: Cleanup) => void;

export const test = base.extend<{ defer: Defer }>({
  defer: async ({}, provide) => {
    const cleanups: Cleanup[] = [];
    await provide((cleanup) => void cleanups.push(cleanup));
    const failures: unknown[] = [];
    for (const cleanup of cleanups.reverse())
      await Promise.resolve()
        .then(cleanup)
        .catch((err: unknown) => failures.push(err));
    if (failures.length) throw failures[0];
  },
});

// ── Servers, databases ───────────────────────────────────────────────────────────────────────

/** Keeps a text file among the test's results (test-results/<test>/), to read after a failure. */
export async function keep(name: string, text: string): Promise<void> {
  const file = test.info().outputPath(name);
  await fs.promises.writeFile(file, text);
  await test.info().attach(name, { path: file, contentType: "text/plain" });
}

/** A fresh database of the test's own, dropped after it. */
export async function databaseOf(defer: Defer, label: string): Promise<TestDatabase> {
  const database = await createDatabase(label);
  defer(database.drop);
  return database;
}

/**
 * A production server on `port` talking to `databaseUrl`, stopped after the test (its output kept
 * among the results). Instances behind one load balancer share their session secret: pass the
 * same `authSecret` to each.
 */
export async function startInstance(
  defer: Defer,
  port: number,
  databaseUrl: string,
  authSecret: string,
  { env = {}, readyMs }: { env?: Record<string, string>; readyMs?: number } = {},
): Promise<ServerProcess> {
  const server = await startServer(port, serverEnv({ DATABASE_URL: databaseUrl, AUTH_SECRET: authSecret, LATCHKEY_DRAIN_SECONDS: "0", ...env }), {
    readyMs,
  });
  defer(async () => {
    await server.stop(3_000);
    await keep(`server-${port}.log`, server.output());
  });
  return server;
}

/** Signs in to `baseURL` as a workspace's Admin and makes a key on its API tab; returns its secret. */
export async function makeKeyInConsole(
  browser: Browser,
  baseURL: string,
  name: string,
  { email = "admin@acme.test", slug = "acme" }: { email?: string; slug?: string } = {},
): Promise<string> {
  const context = await browser.newContext({ baseURL });
  try {
    const screens = screensOf(await context.newPage());
    await screens.loginPage.signIn(email);
    await screens.apiKeysPage.open(slug);
    const secret = await screens.apiKeysPage.createKey(name);
    recordSecret(secret);
    return secret;
  } finally {
    await context.close();
  }
}

// ── Requests, timed ──────────────────────────────────────────────────────────────────────────

export const clock = performance.now.bind(performance);

export interface Answer {
  server: string;
  method: string;
  path: string;
  /** ms on `clock`. */
  start: number;
  end: number;
  status?: number;
  retryAfter?: string | null;
  replayed?: string | null;
  contentType?: string | null;
  /** The parsed body; undefined when there was none or it was not JSON (see `problem`). */
  body?: Envelope<unknown>;
  /** No answer, or one that is not JSON. */
  problem?: string;
}

const isEnvelope = (body: unknown): body is Envelope<unknown> =>
  typeof body === "object" &&
  body !== null &&
  typeof (body as Envelope<unknown>).success === "boolean" &&
  typeof (body as Envelope<unknown>).hasError === "boolean" &&
  typeof (body as Envelope<unknown>).statusCode === "string";

export type SendOptions = { key?: string; headers?: Record<string, string>; body?: unknown; xff?: string };
export type Send = (server: ServerProcess, name: string, method: string, path: string, options?: SendOptions) => Promise<Answer>;

/**
 * A client that sends one request and records its answer, timed; an answer that has not come
 * after `giveUpMs` is recorded as none (a hang), and the client moves on. The key goes in X-ApiKey.
 */
export function sender(giveUpMs: number): Send {
  return async (server, name, method, path, { key, headers = {}, body, xff = randomAddress() } = {}) => {
    const start = clock();
    const answer: Answer = { server: name, method, path, start, end: start };
    try {
      const res = await fetch(`${server.baseURL}${path}`, {
        method,
        headers: {
          "x-forwarded-for": xff,
          ...(key ? { "x-apikey": key } : {}),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: "manual",
        signal: AbortSignal.timeout(giveUpMs),
      });
      const text = await res.text();
      Object.assign(answer, {
        status: res.status,
        retryAfter: res.headers.get("retry-after"),
        replayed: res.headers.get("idempotent-replayed"),
        contentType: res.headers.get("content-type"),
      });
      try {
        const parsed: unknown = JSON.parse(text);
        if (isEnvelope(parsed)) answer.body = parsed;
        else answer.problem = `JSON but not an envelope: ${text.slice(0, 160)}`;
      } catch {
        answer.problem = `not JSON (${res.headers.get("content-type")}): ${JSON.stringify(text.slice(0, 160))}`;
      }
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      answer.problem = e.name === "TimeoutError" ? `no answer in ${giveUpMs / 1000} s` : `no answer: ${e.cause?.code ?? e.message}`;
    }
    answer.end = clock();
    return answer;
  };
}

export const ms = (n: number) => `${Math.round(n)} ms`;

/** One answer on one line, for failure messages; times relative to `t0`. */
export function show(a: Answer, t0: number, extra = ""): string {
  const what = a.problem ?? `${a.status} ${a.body?.error?.code ?? a.body?.statusCode}`;
  return `${a.server} ${a.method} ${a.path}${extra} at ${ms(a.start - t0)} took ${ms(a.end - a.start)}: ${what}`;
}

/** A poll's answers, runs of the same outcome on one line each; times relative to `t0`. */
export function pollHistory(answers: Answer[], t0: number): string {
  const outcome = (a: Answer) => `${a.server} ${a.method} ${a.path}: ${a.problem ?? `${a.status} ${a.body?.error?.code ?? a.body?.statusCode}`}`;
  const lines: string[] = [];
  for (let i = 0; i < answers.length;) {
    let j = i;
    while (j + 1 < answers.length && outcome(answers[j + 1]) === outcome(answers[i])) j++;
    const run = answers.slice(i, j + 1);
    const longest = Math.max(...run.map((a) => a.end - a.start));
    lines.push(
      run.length === 1
        ? show(answers[i], t0)
        : `${run.length}× ${outcome(answers[i])}, sent from ${ms(answers[i].start - t0)} to ${ms(answers[j].start - t0)}, each within ${ms(longest)}`,
    );
    i = j + 1;
  }
  return lines.join("\n");
}

export const is2xx = (a: Answer) => a.status !== undefined && a.status >= 200 && a.status < 300;
export const codeOf = (a: Answer) => a.body?.error?.code;

export const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - clock())));

export interface Poll {
  /** How long after `since` the first request answered as wanted was sent; Infinity: none was. */
  ms: number;
  /** Was it the very first request? */
  first: boolean;
  /** Every answer, times from `since`. */
  history: string;
}

/**
 * Sends `request()` again and again until an answer is `wanted`, for at most `limitMs` after
 * `since`; stops early at an answer that is neither wanted nor `before` (what the change ends).
 */
export async function pollUntil(
  request: () => Promise<Answer>,
  wanted: (a: Answer) => boolean,
  before: (a: Answer) => boolean,
  since: number,
  limitMs = 5_000,
): Promise<Poll> {
  const answers: Answer[] = [];
  do {
    const answer = await request();
    answers.push(answer);
    if (wanted(answer)) return { ms: answer.start - since, first: answers.length === 1, history: pollHistory(answers, since) };
    if (!before(answer)) break;
  } while (clock() < since + limitMs);
  return { ms: Infinity, first: false, history: pollHistory(answers, since) };
}
