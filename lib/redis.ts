import "server-only";
import { createClient } from "@redis/client";
import { env } from "./env";

// The one Redis connection of this process, when LATCHKEY_REDIS_URL is set: opened on first use,
// reconnected with backoff by the client. Callers never wait for it: while it is not ready they
// get null and count on their own (lib/api-keys/limits.ts), so a Redis outage costs accuracy
// across instances, never an answer.

function connectTo(url: string) {
  return createClient({
    url,
    // A command sent while disconnected fails at once instead of waiting for the connection.
    disableOfflineQueue: true,
    socket: { connectTimeout: 2_000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5_000) },
  });
}
type Client = ReturnType<typeof connectTo>;

interface RedisState {
  url: string | null;
  client: Client | null;
  /** Whether the outage now going on was already reported. */
  reported: boolean;
}

// On globalThis: Next may bundle this module more than once, and one connection must serve them all.
const g = globalThis as unknown as { __latchkeyRedis?: RedisState };
const state: RedisState = (g.__latchkeyRedis ??= { url: null, client: null, reported: false });

/** The connected client, or null when Redis is not configured or not reachable right now. */
export function redisClient(): Client | null {
  const url = env().LATCHKEY_REDIS_URL ?? null;
  if (!url) return null;
  if (state.url !== url) open(url);
  return state.client?.isReady ? state.client : null;
}

/** Opens the connection at start-up, so the first requests are counted in Redis too; returns where it goes (null: not configured). */
export function connectRedis(): string | null {
  const url = env().LATCHKEY_REDIS_URL;
  if (!url) return null;
  redisClient();
  return hostOf(url);
}

/** "off" (not configured), "ok", or "unreachable": for /api/health and the startup line. */
export function redisStatus(): "off" | "ok" | "unreachable" {
  if (!env().LATCHKEY_REDIS_URL) return "off";
  return redisClient() ? "ok" : "unreachable";
}

function open(url: string): void {
  if (state.client) void state.client.destroy();
  state.url = url;
  const client = connectTo(url);
  client.on("error", (err: Error) => {
    if (state.reported) return;
    state.reported = true;
    // The URL may hold a password: only its host is named.
    console.error(`[redis] ${hostOf(url)} is unreachable (${err.message}); rate limits are counted per process until it answers.`);
  });
  client.on("ready", () => {
    if (state.reported) console.log(`[redis] ${hostOf(url)} answers again; rate limits are shared.`);
    state.reported = false;
  });
  state.client = client;
  client.connect().catch(() => {
    // Reported by the error handler; the client keeps reconnecting.
  });
}

function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "6379"}`;
  } catch {
    return "Redis";
  }
}

/** For tests: closes the connection, so the next use opens a new one. */
export async function closeRedis(): Promise<void> {
  const client = state.client;
  state.client = null;
  state.url = null;
  state.reported = false;
  if (client) await client.destroy();
}
