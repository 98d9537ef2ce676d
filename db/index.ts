import "server-only";
import fs from "node:fs";
import path from "node:path";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import * as schema from "./schema";
import { env } from "@/lib/env";
import { databaseUnavailable, isConnectionFailure, outcomeUnknown } from "@/lib/errors";
import { armQueryTimeout, watchedSocket } from "./socket";

export { schema };

/** One handle type for both drivers (PGlite embedded, postgres.js server). */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle; core functions accept either. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;

export type DatabaseKind = "pglite" | "postgres";

export interface OpenDatabase {
  db: Db;
  kind: DatabaseKind;
  /** Where the data lives, for the startup log (never includes a password). */
  location: string;
  /**
   * Subscribes to a PostgreSQL notification channel. `onReady` runs each time the subscription
   * is (re)established: notifications may have been missed before it, so treat it as one.
   * `onLost` runs the moment the listening connection closes (postgres.js then reconnects).
   */
  listen(channel: string, onNotify: (payload: string) => void, onReady?: () => void, onLost?: () => void): Promise<void>;
  /** Sends a notification on a channel (through the pool, not the listening connection). */
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

const MIGRATIONS_FOLDER = path.join(process.cwd(), "db", "migrations");

// Every change that can alter what a credential may do runs in a transaction (the audit event
// commits with it). Whoever caches anything derived from the database registers here and is
// told when a transaction has ended — committed, rolled back, or with its fate unknown — so no
// code path can forget to invalidate. On globalThis: Next may bundle this module more than once.
type TransactionListener = () => void;
const globalForTx = globalThis as unknown as { __latchkeyTxListeners?: Set<TransactionListener> };
const txListeners = (globalForTx.__latchkeyTxListeners ??= new Set());

/** Runs `listener` after every top-level transaction on any handle this process opens. */
export function onTransactionEnd(listener: TransactionListener): () => void {
  txListeners.add(listener);
  return () => txListeners.delete(listener);
}

/**
 * Every transaction: listeners told when it ends, and an honest error when the connection fails.
 * Lost before the transaction's work was done, nothing was committed (PostgreSQL rolls back an
 * unfinished transaction whose connection goes): "unavailable, nothing changed". Lost after it,
 * while COMMIT was under way, nobody here can know whether it committed: "outcome unknown",
 * never "nothing changed".
 */
function notifyingTransactions(db: Db): Db {
  const transaction = db.transaction.bind(db) as (fn: (tx: Tx) => Promise<unknown>, config?: unknown) => Promise<unknown>;
  db.transaction = (async (fn: (tx: Tx) => Promise<unknown>, config?: unknown) => {
    let workDone = false;
    try {
      return await transaction(async (tx) => {
        const result = await fn(tx);
        workDone = true;
        return result;
      }, config);
    } catch (err) {
      if (isConnectionFailure(err)) throw workDone ? outcomeUnknown() : databaseUnavailable();
      throw err;
    } finally {
      for (const listener of txListeners) listener();
    }
  }) as Db["transaction"];
  return db;
}

/** Refuse anything but a local server when a test asks for it. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres://${u.username ? `${u.username}@` : ""}${u.host}${u.pathname}`;
  } catch {
    return "postgres://(unparseable DATABASE_URL)";
  }
}

/**
 * Opens the database: postgres.js when `url` is given, otherwise PGlite in `dataDir`
 * ("memory" for an in-memory database, as the tests use). Applies migrations.
 */
export async function openDatabase(opts: {
  url?: string;
  dataDir?: string;
  migrate?: boolean;
  /** Overrides DATABASE_CONNECT_TIMEOUT_SECONDS and DATABASE_QUERY_TIMEOUT_SECONDS (fault tests). */
  timeouts?: { connectSeconds?: number; querySeconds?: number };
}): Promise<OpenDatabase> {
  const migrate = opts.migrate ?? true;
  if (opts.url) {
    const { default: postgres } = await import("postgres");
    const { drizzle } = await import("drizzle-orm/postgres-js");
    const queryTimeout = opts.timeouts?.querySeconds ?? env().DATABASE_QUERY_TIMEOUT_SECONDS;
    armQueryTimeout(false);
    const options = {
      max: env().DATABASE_POOL_SIZE,
      // postgres.js waits 30 s by default: an unreachable server must be a prompt 503 instead.
      connect_timeout: opts.timeouts?.connectSeconds ?? env().DATABASE_CONNECT_TIMEOUT_SECONDS,
      // A connection with no answer for the query timeout is dropped (db/socket.ts). The option
      // is postgres.js's own, missing from its type declarations.
      ...({ socket: watchedSocket(queryTimeout) } as object),
      // After a failed connection postgres.js waits before the next attempt, up to 20 s by
      // default; the first request after the database is back must not wait for that.
      backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 0.5),
      onnotice: () => {},
      connection: {
        application_name: "latchkey",
        // A connection that vanished mid-transaction (a partition: the server never hears it go)
        // would hold its row locks until TCP gave up, hours later. No request leaves its
        // transaction idle this long.
        idle_in_transaction_session_timeout: Math.max(10, 2 * queryTimeout) * 1000,
      },
    };
    const client = postgres(opts.url, options);
    // LISTEN runs on a client of its own, whose sockets say when they close: a lost listening
    // connection means notifications may be missed from that moment, and whoever relies on them
    // (the key cache) must know at once, not at the next late heartbeat.
    const lostListeners = new Set<() => void>();
    const listening = postgres(opts.url, {
      ...options,
      max: 1,
      ...({ socket: watchedSocket(queryTimeout, { onClose: () => lostListeners.forEach((f) => f()) }) } as object),
    });
    const db = notifyingTransactions(drizzle(client, { schema }) as unknown as Db);
    if (migrate) {
      const { migrate: run } = await import("drizzle-orm/postgres-js/migrator");
      // Several instances may start at once: serialise their migrations on an advisory lock
      // held by one reserved connection while the migrator runs on the pool.
      try {
        const lock = await client.reserve();
        try {
          await lock`select pg_advisory_lock(724411)`;
          await run(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
        } finally {
          await lock`select pg_advisory_unlock(724411)`.catch(() => {});
          lock.release();
        }
      } catch (err) {
        // This handle is given up (lib/boot.ts opens a new one when it tries again): close it.
        await client.end({ timeout: 0 }).catch(() => {});
        throw err;
      }
    }
    armQueryTimeout(true);
    return {
      db,
      kind: "postgres",
      location: describeUrl(opts.url),
      // postgres.js keeps a dedicated connection for LISTEN and re-subscribes after a reconnect.
      listen: async (channel, onNotify, onReady, onLost) => {
        if (onLost) lostListeners.add(onLost);
        await listening.listen(
          channel,
          (payload) => onNotify(payload),
          () => onReady?.(),
        );
      },
      notify: async (channel, payload) => {
        await client.notify(channel, payload);
      },
      close: async () => {
        lostListeners.clear();
        await Promise.all([client.end({ timeout: 5 }), listening.end({ timeout: 5 })]);
      },
    };
  }

  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const dataDir = opts.dataDir ?? "memory";
  let release = () => {};
  let client: InstanceType<typeof PGlite>;
  // PostgreSQL's default 128 MB of shared buffers is WebAssembly memory here, resident for the
  // life of the process (it never shrinks): 32 MB holds a 100,000-key working set's hot pages and
  // lowers the server's resident memory by about 125 MB. Pages beyond it come from the operating
  // system's file cache, as PostgreSQL's own do.
  const startParams = [...PGlite.defaultStartParams, "-c", "shared_buffers=32MB"];
  if (dataDir === "memory") {
    client = new PGlite({ startParams });
  } else {
    release = lockDataDir(dataDir);
    client = new PGlite(dataDir, { startParams });
  }
  const db = notifyingTransactions(drizzle(client, { schema }) as unknown as Db);
  if (migrate) {
    const { migrate: run } = await import("drizzle-orm/pglite/migrator");
    await run(drizzle(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
  }
  return {
    db,
    kind: "pglite",
    location: dataDir === "memory" ? "in memory" : path.resolve(dataDir),
    // One process: notifications arrive as the notifying statement completes.
    listen: async (channel, onNotify, onReady) => {
      await client.listen(channel, onNotify);
      onReady?.();
    },
    notify: async (channel, payload) => {
      await client.query("select pg_notify($1, $2)", [channel, payload]);
    },
    close: async () => {
      await client.close();
      release();
    },
  };
}

/**
 * PGlite has no lock between processes: two of them on one directory corrupt it silently.
 * A lock file beside the directory names the owning process; a stale one (dead pid) is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const dir = path.resolve(dataDir);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const lockFile = `${dir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      const release = () => {
        try {
          if (fs.readFileSync(lockFile, "utf8") === String(process.pid)) fs.unlinkSync(lockFile);
        } catch {
          /* already gone */
        }
      };
      process.once("exit", release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(fs.readFileSync(lockFile, "utf8"));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(
          `The embedded database at ${dir} is in use by another Latchkey process (pid ${pid}). ` +
            `Stop that process, or set LATCHKEY_DATA_DIR to another directory.`,
        );
      }
      fs.unlinkSync(lockFile); // stale lock from a process that died
    }
  }
  throw new Error(`Could not lock the embedded database at ${dir}.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function defaultDataDir(): string {
  return env().LATCHKEY_DATA_DIR ?? path.join(process.cwd(), ".data", "pglite");
}

// Next may bundle this module into several chunks: keep the one handle on globalThis.
const globalForDb = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase>; __latchkeyWaitingForDatabase?: boolean };

/**
 * Opens (and migrates) the process-wide database, once; a failed attempt is forgotten, so the
 * next call tries again. lib/boot.ts calls this, and retries it while the database is down.
 */
export function connectDatabase(): Promise<OpenDatabase> {
  globalForDb.__latchkeyDb ??= openDatabase({
    url: env().DATABASE_URL,
    dataDir: defaultDataDir(),
  }).catch((err) => {
    globalForDb.__latchkeyDb = undefined;
    throw err;
  });
  return globalForDb.__latchkeyDb;
}

/**
 * While set, the server has started but could not reach its database yet (lib/boot.ts retries
 * in the background): requests get a prompt 503 instead of each trying to open it themselves.
 */
export function setWaitingForDatabase(waiting: boolean): void {
  globalForDb.__latchkeyWaitingForDatabase = waiting;
}

/** The process-wide database, opened (and migrated) on first use. */
export function getDatabase(): Promise<OpenDatabase> {
  if (globalForDb.__latchkeyWaitingForDatabase) return Promise.reject(databaseUnavailable());
  return connectDatabase();
}

export async function getDb(): Promise<Db> {
  return (await getDatabase()).db;
}
