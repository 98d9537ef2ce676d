import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "@/db";
import { apiKeys } from "@/db/schema";
import { INTEGRATION_NAME_MAX } from "@/lib/api/limits";

// Last-used is debounced: at most one write a minute per key per instance, never awaited by the
// request, so verification stays read-only on the hot path.
const USAGE_WRITE_INTERVAL_MS = 60_000;

// On globalThis, so every bundle of this module shares one debounce (see lib/api/rate-limit.ts).
const g = globalThis as unknown as { __latchkeyLastUseWritten?: Map<string, number> };
const lastWritten = (g.__latchkeyLastUseWritten ??= new Map<string, number>());

/** `ip` undefined leaves the last address as it was (e.g. a key checked through /verify). */
export function recordKeyUse(db: Db, keyId: string, meta: { ip?: string | null; integration: string | null }, now = Date.now()): void {
  const previous = lastWritten.get(keyId);
  if (previous !== undefined && now - previous < USAGE_WRITE_INTERVAL_MS) return;
  lastWritten.set(keyId, now);
  if (lastWritten.size > 100_000) lastWritten.clear(); // bounded memory; worst case one extra write per key
  void db
    .update(apiKeys)
    .set({
      lastUsedAt: new Date(now),
      ...(meta.ip !== undefined ? { lastUsedIp: meta.ip } : {}),
      lastUsedIntegration: meta.integration?.slice(0, INTEGRATION_NAME_MAX) ?? null,
    })
    .where(eq(apiKeys.id, keyId))
    .catch((err: Error) => console.error(`[usage] could not record key use: ${err.name}`));
}
