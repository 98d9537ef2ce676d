import { z } from "zod";

// Every environment variable Latchkey reads, parsed with one schema. The README's Configuration
// table is rendered from the descriptions here (lib/env.test.ts keeps the two identical).
//
// Each variable is parsed the first time it is read and again only when its raw text changes:
// tests set process.env between cases, and AUTH_SECRET is filled in at startup after the first
// reads. Re-reading one variable per use costs what the old direct process.env reads cost; a
// whole-environment snapshot per call would cost microseconds on every request.
// checkEnv() parses them all at once at server start, so a bad value stops the server there
// with every problem named, instead of surfacing on some later request.

// A blank value counts as unset: `FOO=` in a shell or an env file means "not set".
const blankIsUnset = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);

function wholeNumber(min: number, max: number, fallback: number) {
  const accepts = `a whole number from ${min} to ${max}`;
  return z.preprocess(
    blankIsUnset,
    z
      .string()
      .trim()
      .regex(/^\d+$/, accepts)
      .transform(Number)
      .refine((n) => n >= min && n <= max, accepts)
      .optional()
      .transform((n) => n ?? fallback),
  );
}

const text = () => z.preprocess(blankIsUnset, z.string().optional());

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const accepts = values.length === 2 ? `"${values[0]}" or "${values[1]}"` : `one of ${values.map((v) => `"${v}"`).join(", ")}`;
  return z.preprocess(blankIsUnset, z.enum(values, { error: accepts }).optional());
}

function url(protocols: string[], accepts: string) {
  const valid = (value: string) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  };
  return z.preprocess(blankIsUnset, z.string().refine(valid, accepts).optional());
}

const httpUrl = () => url(["http:", "https:"], "an http:// or https:// URL");

const shape = {
  DATABASE_URL: url(["postgres:", "postgresql:"], "a postgres:// or postgresql:// URL").describe(
    "a PostgreSQL server, e.g. `postgres://postgres@127.0.0.1:5432/latchkey`. Unset: the embedded database. Tests accept only a local server.",
  ),
  DATABASE_POOL_SIZE: wholeNumber(1, 1000, 10).describe("connections each server process keeps open to PostgreSQL (default 10)"),
  DATABASE_CONNECT_TIMEOUT_SECONDS: wholeNumber(1, 120, 5).describe(
    "seconds to wait for a new PostgreSQL connection before giving up on it (default 5); requests then get a 503",
  ),
  DATABASE_QUERY_TIMEOUT_SECONDS: wholeNumber(1, 600, 5).describe(
    "seconds PostgreSQL may stay silent while it owes an answer before the connection counts as lost (default 5); requests then get a 503, or `outcome_unknown` for an unanswered COMMIT",
  ),
  LATCHKEY_DATA_DIR: text().describe("where the embedded database lives (default `.data/pglite`)"),
  LATCHKEY_DEMO: oneOf(["0", "1"]).describe(
    "`1` seeds demo data into an empty database (also on PostgreSQL); `0` never seeds; unset: seeds the embedded database only",
  ),
  AUTH_SECRET: text().describe("session signing secret; generated into `.env.local` when absent"),
  AUTH_URL: httpUrl().describe("Auth.js's own setting; its origin is the OpenAPI server when `LATCHKEY_PUBLIC_URL` is unset"),
  LATCHKEY_PUBLIC_URL: httpUrl().describe(
    "the address clients use, e.g. `https://keys.example.com`; `/api/openapi.json` names it as its server (else `AUTH_URL`'s origin, else a relative `/`; never the request's Host)",
  ),
  PORT: wholeNumber(0, 65535, 3000).describe("HTTP port (default 3000); `npm start -- -p 8080` works too"),
  LATCHKEY_HOSTNAME: text().describe(
    "address to listen on (default 127.0.0.1, this machine only; not `HOSTNAME`, which containers set); `npm start -- -H 0.0.0.0` works too",
  ),
  LATCHKEY_DRAIN_SECONDS: wholeNumber(0, 60, 2).describe(
    "seconds a stopping `npm start` keeps accepting, with `/api/health` at 503, so a load balancer can move traffic away before connections are refused (default 2)",
  ),
  LATCHKEY_WORKERS: wholeNumber(1, 64, 1).describe(
    "server processes `npm start` runs on its port, one per core to use (default 1); more than 1 needs PostgreSQL (`DATABASE_URL`)",
  ),
  LATCHKEY_API_LISTENER: oneOf(["0", "1"]).describe(
    "`0` sends the REST API through Next's route pipeline too (same answers, about 5× the CPU per request); default on",
  ),
  LATCHKEY_AUTH_FAILURE_LIMIT: wholeNumber(0, 1_000_000_000, 20).describe("failed authentications per address per window before 429 (default 20)"),
  LATCHKEY_AUTH_FAILURE_WINDOW_SECONDS: wholeNumber(1, 604_800, 60).describe("the rate-limit window in seconds (default 60)"),
  LATCHKEY_TRUSTED_PROXY_HOPS: wholeNumber(0, 99, 0).describe(
    "how many reverse proxies append to `X-Forwarded-For` (default 0: the header is ignored)",
  ),
  LATCHKEY_REDIS_URL: url(["redis:", "rediss:"], "a redis:// or rediss:// URL").describe(
    "a Redis server, e.g. `redis://127.0.0.1:6379`, that holds the per-key rate-limit and quota counters for every instance. Unset: each process counts on its own (with several instances, each allows a key its whole rate limit; quotas are still shared through the database, within about a second)",
  ),
  LATCHKEY_ACCESS_LOG_RETENTION_DAYS: wholeNumber(1, 36_500, 30).describe("how long access-log entries are kept, in days (default 30)"),
  LATCHKEY_SMTP_URL: url(["smtp:", "smtps:"], "an smtp:// or smtps:// URL").describe(
    "the mail server expiry reminders are emailed through, e.g. `smtp://user:pass@mail.example.com:587` (`smtps://` for TLS from the start); unset: no email, the console's notifications only",
  ),
  LATCHKEY_SMTP_FROM: z
    .preprocess(
      blankIsUnset,
      z
        .string()
        .trim()
        .regex(/^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, "an address, e.g. `Latchkey <keys@example.com>` or `keys@example.com`")
        .optional(),
    )
    .transform((v) => v ?? "Latchkey <latchkey@localhost>")
    .describe("the From of every email (default `Latchkey <latchkey@localhost>`)"),
  NODE_ENV: oneOf(["development", "production", "test"]).describe("set by Next (`next dev`: development; `npm start`: production) and Vitest"),
  // Read by the tests and benchmarks only.
  E2E_PORT: wholeNumber(1, 65535, 3210).describe("tests: the port of the end-to-end server (default 3210)"),
  E2E_SERVER_LOG: text().describe("tests: where the end-to-end server's output goes (set by `playwright.config.ts`)"),
  PLAYWRIGHT_CHROMIUM_PATH: text().describe("tests: the Chromium Playwright drives (default `/usr/bin/chromium`)"),
  LATCHKEY_TEST_CLOCK_FILE: text().describe(
    "tests: a file holding seconds to add to the server's clock (key rotation's overlaps and deadlines, expiry), read on every request; never set it in production",
  ),
  LATCHKEY_TEST_WORKER_INTERVAL_MS: z
    .preprocess(
      blankIsUnset,
      z
        .string()
        .trim()
        .regex(/^\d+$/, "a whole number from 100 to 60000")
        .transform(Number)
        .refine((n) => n >= 100 && n <= 60_000, "a whole number from 100 to 60000")
        .optional(),
    )
    .describe(
      "tests: milliseconds between rounds of the expiry-reminder and email workers (unset: every 60 s and 15 s), so an end-to-end spec sees a reminder within a second of moving the clock; never set it in production",
    ),
  CI: text().describe("tests: set on CI, where a left-over `test.only` fails the run"),
  FC_SEED: text().describe("tests: the seed of the API fuzz test (default 20261122)"),
  FC_RUNS: text().describe("tests: how many cases the API fuzz test tries (default 150)"),
  BENCH_ADMIN_URL: text().describe(
    "benchmarks: the PostgreSQL server their throwaway databases are made on (default `postgres://postgres@127.0.0.1:5432/postgres`)",
  ),
};

export const envSchema = z.object(shape);
export type Env = z.output<typeof envSchema>;
export type EnvName = keyof typeof shape;
export const ENV_NAMES = Object.keys(shape) as EnvName[];

// Their values never appear in a message: a database URL may carry a password.
const SECRET: ReadonlySet<EnvName> = new Set(["DATABASE_URL", "AUTH_SECRET", "BENCH_ADMIN_URL", "LATCHKEY_SMTP_URL"]);

/** A variable holds a value its schema refuses; the message names it and what it accepts. */
export class EnvError extends Error {
  override name = "EnvError";
}

const parsed = new Map<EnvName, { raw: string | undefined; value: unknown }>();

function read<K extends EnvName>(name: K): Env[K] {
  const raw = process.env[name];
  const hit = parsed.get(name);
  if (hit && hit.raw === raw) return hit.value as Env[K];
  const result = shape[name].safeParse(raw);
  if (!result.success) {
    const accepts = result.error.issues[0]?.message ?? "a valid value";
    throw new EnvError(`${name} must be ${accepts}${SECRET.has(name) ? "" : ` (got ${JSON.stringify(raw)})`}`);
  }
  parsed.set(name, { raw, value: result.data });
  return result.data as Env[K];
}

const view = Object.defineProperties(
  {},
  Object.fromEntries(ENV_NAMES.map((name) => [name, { get: () => read(name), enumerable: true }])),
) as Readonly<Env>;

/** The parsed environment; each property is read (and parsed when it changed) on access. */
export function env(): Readonly<Env> {
  return view;
}

/** Parses every variable; throws one EnvError naming each invalid one (the server calls it at start). */
export function checkEnv(): void {
  const problems: string[] = [];
  for (const name of ENV_NAMES) {
    try {
      read(name);
    } catch (err) {
      if (!(err instanceof EnvError)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length > 0) throw new EnvError(`Latchkey: invalid configuration.\n  ${problems.join("\n  ")}`);
}

/** The README's Configuration table, one row per variable in the schema's order. */
export function configurationTable(): string {
  const rows = ENV_NAMES.map((name) => `| \`${name}\` | ${shape[name].description} |`);
  return ["| variable | meaning |", "|---|---|", ...rows].join("\n");
}
