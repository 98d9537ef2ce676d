import "server-only";
import { sql } from "drizzle-orm";
import type { Db } from "@/db";
import { apiKeyQuotaAlerts } from "@/db/schema";
import { notifyAboutKey } from "@/lib/notifications/key-events";
import { clean } from "@/lib/reminders/run";
import { recordAudit } from "@/lib/audit/record";
import { isConnectionFailure } from "@/lib/errors";
import { redisClient } from "@/lib/redis";
import {
  describeQuota,
  describeRateLimit,
  quotaPeriodEnd,
  quotaPeriodKey,
  quotaPeriodSeconds,
  QUOTA_THRESHOLDS,
  RATE_WINDOW_SECONDS,
  type Quota,
  type RateLimit,
} from "@/lib/validations/limits";
import type { VerifiedKey } from "./verify";

// Per-key rate limits and quotas, checked on every request a key authenticates (after its IP
// rules: a refused address never spends the budget).
//
// Rate limits count requests in fixed windows aligned to the epoch (a minute's window starts on
// the minute), so every instance means the same window. With LATCHKEY_REDIS_URL the counters
// live in Redis, one Lua script per request that checks the rate and the quota atomically (the
// client pipelines concurrent requests); without it, or while Redis is unreachable, each process
// counts in memory.
//
// Quotas are kept in PostgreSQL too (api_key_quota_usage), in batches once a second as last-used
// times are: each process adds what it counted and reads back the total, so without Redis the
// instances share a quota within about a second, and with Redis (which keeps no data here across
// a restart) the counter starts again from that total when its Redis key is missing.

export type LimitRefusal = "rate_limited" | "quota_exhausted";

export interface LimitOutcome {
  refused: null | { code: LimitRefusal; message: string; hint: string; retryAfter: number | null };
  /** RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers), on every answer to the key. */
  headers: Record<string, string>;
  /** The same, as data: POST /api/data/verify tells a service its client's budget. */
  budget: KeyBudget;
}

export interface KeyBudget {
  rateLimit: (RateLimit & { remaining: number; resetSeconds: number }) | null;
  quota: (Quota & { remaining: number; resetsAt: Date | null }) | null;
}

type LimitedKey = Pick<
  VerifiedKey["key"],
  "id" | "name" | "kind" | "ownerId" | "createdById" | "rateLimit" | "rateLimitWindow" | "quotaLimit" | "quotaPeriod"
>;

export const hasLimits = (key: Pick<LimitedKey, "rateLimit" | "quotaLimit">): boolean => key.rateLimit !== null || key.quotaLimit !== null;

const rateOf = (key: LimitedKey): RateLimit | null =>
  key.rateLimit !== null && key.rateLimitWindow !== null ? { limit: key.rateLimit, window: key.rateLimitWindow } : null;
const quotaOf = (key: LimitedKey): Quota | null =>
  key.quotaLimit !== null && key.quotaPeriod !== null ? { limit: key.quotaLimit, period: key.quotaPeriod } : null;

interface Window {
  index: number;
  /** When the window ends (ms). */
  ends: number;
  count: number;
}

interface QuotaState {
  periodKey: string;
  /** The total as PostgreSQL last said (or Redis, which is ahead of it), without what follows. */
  base: number;
  /** Counted here, not yet sent to PostgreSQL. */
  pending: number;
  /** Sent, not yet answered. */
  inflight: number;
}

interface LimitState {
  db: Db | null;
  windows: Map<string, Window>;
  quotas: Map<string, QuotaState>;
  /** Thresholds this process already had claimed (or saw claimed): key|period|limit|percent. */
  announced: Set<string>;
  timer: NodeJS.Timeout | null;
  flushing: Promise<void> | null;
  scriptSha: string | null;
  /** Until when Redis is skipped after a command failed or took too long (ms). */
  redisPausedUntil: number;
}

// On globalThis, so every bundle of this module shares one state (see lib/api/rate-limit.ts).
const g = globalThis as unknown as { __latchkeyLimits?: LimitState };
const state: LimitState = (g.__latchkeyLimits ??= {
  db: null,
  windows: new Map(),
  quotas: new Map(),
  announced: new Set(),
  timer: null,
  flushing: null,
  scriptSha: null,
  redisPausedUntil: 0,
});

const MAX_TRACKED = 100_000;
const FLUSH_INTERVAL_MS = 1_000;
const REDIS_TIMEOUT_MS = 250;
const REDIS_PAUSE_MS = 5_000;

/**
 * Counts this request against the key's rate limit and quota, and says whether it may go on.
 * A refused request is not counted against the quota (a rate-limited one still fills its window).
 */
export function consumeLimits(
  db: Db,
  auth: Pick<VerifiedKey, "key" | "workspace" | "quotaUsage">,
  now: number,
): LimitOutcome | Promise<LimitOutcome> {
  const rate = rateOf(auth.key);
  const quota = quotaOf(auth.key);
  state.db = db;
  startFlushing();
  const q = quota ? quotaState(auth, quota, now) : null;
  const redis = Date.now() >= state.redisPausedUntil ? redisClient() : null;
  if (redis)
    return consumeInRedis(redis, auth, rate, quota, q, now).catch((err: unknown) => {
      // A Redis that fails or answers slowly would delay every limited request: counted here for a while instead.
      if (Date.now() >= state.redisPausedUntil)
        console.error(
          `[limits] Redis did not answer in time (${(err as Error)?.message ?? "error"}); counting in this process for ${REDIS_PAUSE_MS / 1000} s.`,
        );
      state.redisPausedUntil = Date.now() + REDIS_PAUSE_MS;
      return consumeLocally(auth, rate, quota, q, now);
    });
  return consumeLocally(auth, rate, quota, q, now);
}

function consumeLocally(
  auth: Pick<VerifiedKey, "key" | "workspace">,
  rate: RateLimit | null,
  quota: Quota | null,
  q: QuotaState | null,
  now: number,
): LimitOutcome {
  let rateCount = 0;
  if (rate) {
    const seconds = RATE_WINDOW_SECONDS[rate.window];
    const index = Math.floor(now / (seconds * 1000));
    let w = state.windows.get(auth.key.id);
    if (!w || w.index !== index) {
      if (!w && state.windows.size >= MAX_TRACKED) pruneWindows(now);
      state.windows.set(auth.key.id, (w = { index, ends: (index + 1) * seconds * 1000, count: 0 }));
    }
    rateCount = ++w.count;
    if (rateCount > rate.limit) return outcome(auth, rate, rateCount, quota, q ? used(q) : 0, now, "rate_limited");
  }
  if (quota && q) {
    if (used(q) >= quota.limit) return outcome(auth, rate, rateCount, quota, used(q), now, "quota_exhausted");
    q.pending++;
    noteThresholds(auth, quota, q.periodKey, used(q));
  }
  return outcome(auth, rate, rateCount, quota, q ? used(q) : 0, now, null);
}

// KEYS[1]: the rate window's counter ("" for none); KEYS[2]: the quota period's counter ("" for none).
// ARGV: rate limit (0: none), window ms, quota limit (0: none), quota counter ms to live, what the quota used before Redis knew.
// Returns {verdict (1 ok, 0 rate limited, 2 quota exhausted), rate count, quota used}.
const SCRIPT = `
local rate = 0
if ARGV[1] ~= '0' then
  rate = redis.call('INCR', KEYS[1])
  if rate == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
  if rate > tonumber(ARGV[1]) then
    local q = 0
    if ARGV[3] ~= '0' then q = tonumber(redis.call('GET', KEYS[2]) or ARGV[5]) end
    return {0, rate, q}
  end
end
local used = 0
if ARGV[3] ~= '0' then
  redis.call('SET', KEYS[2], ARGV[5], 'NX', 'PX', ARGV[4])
  used = redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  if used > tonumber(ARGV[3]) then
    redis.call('DECR', KEYS[2])
    return {2, rate, used - 1}
  end
end
return {1, rate, used}`;

async function consumeInRedis(
  redis: NonNullable<ReturnType<typeof redisClient>>,
  auth: Pick<VerifiedKey, "key" | "workspace">,
  rate: RateLimit | null,
  quota: Quota | null,
  q: QuotaState | null,
  now: number,
): Promise<LimitOutcome> {
  const id = auth.key.id;
  const rateMs = rate ? RATE_WINDOW_SECONDS[rate.window] * 1000 : 0;
  const rateKey = rate ? `latchkey:{${id}}:rate:${rate.window}:${Math.floor(now / rateMs)}` : "";
  const quotaKey = quota && q ? `latchkey:{${id}}:quota:${q.periodKey}` : "";
  // A period's counter outlives the period by an hour; a total quota's lives a day from its last use (then it starts again from the database's count).
  const end = quota ? quotaPeriodEnd(quota.period, now) : null;
  const quotaTtl = quota ? (end === null ? 86_400_000 : end - now + 3_600_000) : 0;
  const args = [
    "2",
    rateKey || `latchkey:{${id}}:none`,
    quotaKey || `latchkey:{${id}}:none`,
    String(rate?.limit ?? 0),
    String(rateMs),
    String(quota?.limit ?? 0),
    String(quotaTtl),
    String(q ? used(q) : 0),
  ];
  const reply = await evalScript(redis, args);
  const [verdict, rateCount, quotaUsed] = reply.map(Number);
  if (verdict === 0) return outcome(auth, rate, rateCount, quota, quotaUsed, now, "rate_limited");
  if (q) {
    // Redis is ahead of this process's view: keep it, so a later fall-back to counting here starts from it.
    q.base = Math.max(0, quotaUsed - q.pending - q.inflight - (verdict === 1 ? 1 : 0));
    if (verdict === 2) return outcome(auth, rate, rateCount, quota, quotaUsed, now, "quota_exhausted");
    q.pending++;
    noteThresholds(auth, quota!, q.periodKey, quotaUsed);
  }
  return outcome(auth, rate, rateCount, quota, quotaUsed, now, null);
}

async function evalScript(redis: NonNullable<ReturnType<typeof redisClient>>, args: string[]): Promise<unknown[]> {
  const options = { timeout: REDIS_TIMEOUT_MS };
  if (state.scriptSha) {
    try {
      return await redis.sendCommand<unknown[]>(["EVALSHA", state.scriptSha, ...args], options);
    } catch (err) {
      // A Redis that restarted has forgotten the script: load it again below.
      if (!String((err as Error)?.message).startsWith("NOSCRIPT")) throw err;
    }
  }
  state.scriptSha = String(await redis.sendCommand(["SCRIPT", "LOAD", SCRIPT], options));
  return redis.sendCommand<unknown[]>(["EVALSHA", state.scriptSha, ...args], options);
}

const used = (q: QuotaState) => q.base + q.pending + q.inflight;

function quotaState(auth: Pick<VerifiedKey, "key" | "quotaUsage">, quota: Quota, now: number): QuotaState {
  const periodKey = quotaPeriodKey(quota.period, now);
  const current = state.quotas.get(auth.key.id);
  if (current && current.periodKey === periodKey) return current;
  // The period turned: uses of the old one not written yet no longer count for anything.
  if (!current && state.quotas.size >= MAX_TRACKED) pruneQuotas();
  // What the database said when the key was looked up; a new period starts from nothing.
  const seed = auth.quotaUsage && auth.quotaUsage.periodKey === periodKey ? auth.quotaUsage.used : 0;
  const fresh: QuotaState = { periodKey, base: seed, pending: 0, inflight: 0 };
  state.quotas.set(auth.key.id, fresh);
  return fresh;
}

function outcome(
  auth: Pick<VerifiedKey, "key" | "workspace">,
  rate: RateLimit | null,
  rateCount: number,
  quota: Quota | null,
  quotaUsed: number,
  now: number,
  refused: LimitRefusal | null,
): LimitOutcome {
  const policy: string[] = [];
  const remaining: string[] = [];
  let rateReset = 0;
  if (rate) {
    const seconds = RATE_WINDOW_SECONDS[rate.window];
    const windowEnd = (Math.floor(now / (seconds * 1000)) + 1) * seconds * 1000;
    rateReset = Math.max(1, Math.ceil((windowEnd - now) / 1000));
    policy.push(`"rate";q=${rate.limit};w=${seconds}`);
    remaining.push(`"rate";r=${Math.max(0, rate.limit - rateCount)};t=${rateReset}`);
  }
  let quotaReset: number | null = null;
  if (quota) {
    const periodSeconds = quotaPeriodSeconds(quota.period, now);
    const end = quotaPeriodEnd(quota.period, now);
    quotaReset = end === null ? null : Math.max(1, Math.ceil((end - now) / 1000));
    policy.push(`"quota";q=${quota.limit}${periodSeconds === null ? "" : `;w=${periodSeconds}`}`);
    remaining.push(`"quota";r=${Math.max(0, quota.limit - quotaUsed)}${quotaReset === null ? "" : `;t=${quotaReset}`}`);
  }
  const headers = { "ratelimit-policy": policy.join(", "), ratelimit: remaining.join(", ") };
  const quotaEnd = quota ? quotaPeriodEnd(quota.period, now) : null;
  const budget: KeyBudget = {
    rateLimit: rate ? { ...rate, remaining: Math.max(0, rate.limit - rateCount), resetSeconds: rateReset } : null,
    quota: quota ? { ...quota, remaining: Math.max(0, quota.limit - quotaUsed), resetsAt: quotaEnd === null ? null : new Date(quotaEnd) } : null,
  };
  if (!refused) return { refused: null, headers, budget };
  if (refused === "rate_limited")
    return {
      refused: {
        code: refused,
        message: `This API key is limited to ${describeRateLimit(rate!)}; try again in ${rateReset} second${rateReset === 1 ? "" : "s"}.`,
        hint: "Slow down, or ask a workspace admin to raise the key's rate limit on its page.",
        retryAfter: rateReset,
      },
      headers,
      budget,
    };
  if (quota) noteThresholds(auth, quota, quotaPeriodKey(quota.period, now), quota.limit);
  const end = quotaPeriodEnd(quota!.period, now);
  return {
    refused: {
      code: refused,
      message:
        end === null
          ? `This API key has used its quota of ${describeQuota(quota!)}.`
          : `This API key has used its quota of ${describeQuota(quota!)}; it starts again at ${new Date(end).toISOString().replace(".000Z", "Z")}.`,
      hint: end === null ? "A workspace admin can top the quota up on the key's page." : "A workspace admin can raise the key's quota on its page.",
      retryAfter: quotaReset,
    },
    headers,
    budget,
  };
}

// ── Thresholds: 80 % and 100 % of a quota, announced once per key, period and limit ─────────────

function noteThresholds(auth: Pick<VerifiedKey, "key" | "workspace">, quota: Quota, periodKey: string, usedNow: number): void {
  for (const percent of QUOTA_THRESHOLDS) {
    if (usedNow < Math.ceil((quota.limit * percent) / 100)) continue;
    const mark = `${auth.key.id}|${periodKey}|${quota.limit}|${percent}`;
    if (state.announced.has(mark)) continue;
    if (state.announced.size >= MAX_TRACKED) state.announced.clear();
    state.announced.add(mark);
    if (state.db) void announce(state.db, auth, quota, periodKey, percent, usedNow);
  }
}

/** Claims the threshold (several instances may cross it at once) and records it, in one transaction. */
async function announce(
  db: Db,
  auth: Pick<VerifiedKey, "key" | "workspace">,
  quota: Quota,
  periodKey: string,
  percent: number,
  usedNow: number,
): Promise<void> {
  try {
    await db.transaction(async (tx) => {
      const claimed = await tx
        .insert(apiKeyQuotaAlerts)
        .values({ apiKeyId: auth.key.id, periodKey, quotaLimit: quota.limit, percent })
        .onConflictDoNothing()
        .returning({ percent: apiKeyQuotaAlerts.percent });
      if (claimed.length === 0) return;
      // The owner, the creator and the workspace's Admins are told: in the console, and by email when it is configured.
      const name = clean(auth.key.name);
      const title = percent >= 100 ? `"${name}" has used its whole quota` : `"${name}" has used ${percent} % of its quota`;
      const body =
        percent >= 100
          ? `The API key "${name}" has used its quota of ${describeQuota(quota)}; its requests are refused with quota_exhausted ${quota.period === "total" ? "until it is topped up" : "until the period starts again"}.`
          : `The API key "${name}" has used ${Math.min(usedNow, quota.limit).toLocaleString("en-US")} of its quota of ${describeQuota(quota)}.`;
      await notifyAboutKey(tx, auth.key, auth.workspace, { kind: "key_quota_threshold", title, body, subject: title });
      await recordAudit(
        tx,
        { userId: null, workspace: { id: auth.workspace.id } },
        {
          action: "api_key.quota_threshold",
          apiKeyId: auth.key.id,
          targetName: auth.key.name,
          metadata: { percent, used: Math.min(usedNow, quota.limit), limit: quota.limit, period: quota.period, periodKey },
        },
      );
    });
  } catch (err) {
    // Announced by the next request that crosses it, here or on another instance.
    state.announced.delete(`${auth.key.id}|${periodKey}|${quota.limit}|${percent}`);
    if (!isConnectionFailure(err)) console.error(`[limits] could not record a quota threshold: ${(err as Error).name}`);
  }
}

// ── Writing quota use to PostgreSQL ─────────────────────────────────────────────────────────────

function startFlushing(): void {
  if (state.timer) return;
  state.timer = setInterval(() => void flushQuotaUse(), FLUSH_INTERVAL_MS);
  state.timer.unref();
}

/** Adds every quota use counted here to PostgreSQL's totals and reads them back (the timer, shutdown and tests call it). */
export async function flushQuotaUse(): Promise<void> {
  if (state.flushing) return state.flushing.then(() => flushQuotaUse());
  const db = state.db;
  if (!db) return;
  const batch: { id: string; period: string; n: number }[] = [];
  for (const [id, q] of state.quotas)
    if (q.pending > 0) {
      batch.push({ id, period: q.periodKey, n: q.pending });
      q.inflight += q.pending;
      q.pending = 0;
    }
  if (batch.length === 0) return;
  state.flushing = (async () => {
    try {
      const totals = await addQuotaUse(db, batch);
      for (const row of batch) {
        const q = state.quotas.get(row.id);
        if (q && q.periodKey === row.period) {
          q.inflight -= row.n;
          const total = totals.get(row.id);
          if (total && total.periodKey === row.period) q.base = total.used - q.inflight;
        }
      }
      raiseRedisCounters(totals);
    } catch (err) {
      // Kept for the next batch: nothing counted is dropped because the database blinked.
      for (const row of batch) {
        const q = state.quotas.get(row.id);
        if (q && q.periodKey === row.period) {
          q.inflight -= row.n;
          q.pending += row.n;
        }
      }
      if (!isConnectionFailure(err)) console.error(`[limits] could not record quota use of ${batch.length} keys: ${(err as Error).name}`);
    } finally {
      state.flushing = null;
    }
  })();
  return state.flushing;
}

/**
 * One statement for the batch: each key's use is added to its total for the same period; a newer
 * period (another instance got there first, or this is the first use) starts from this count; use
 * of an older period than the one recorded no longer matters. Uses counted under another kind of
 * period than the key's quota has now (it was changed meanwhile), and keys deleted meanwhile, are
 * skipped; a row left from another kind of period is replaced.
 */
async function addQuotaUse(db: Db, batch: { id: string; period: string; n: number }[]): Promise<Map<string, { periodKey: string; used: number }>> {
  const result = (await db.execute(sql`
    insert into api_key_quota_usage as q (api_key_id, period_key, used, updated_at)
    select u.id, u.period, u.n, now()
      from json_to_recordset(${JSON.stringify(batch)}::json) as u(id uuid, period text, n bigint)
      join api_keys k on k.id = u.id and left(u.period, 1) = left(k.quota_period, 1)
    on conflict (api_key_id) do update set
      used = case when q.period_key = excluded.period_key then q.used + excluded.used
                  when left(q.period_key, 1) <> left(excluded.period_key, 1) or q.period_key < excluded.period_key then excluded.used
                  else q.used end,
      period_key = case when left(q.period_key, 1) <> left(excluded.period_key, 1) then excluded.period_key
                        else greatest(q.period_key, excluded.period_key) end,
      updated_at = now()
    returning api_key_id, period_key, used`)) as unknown as Row[] | { rows: Row[] };
  const rows = Array.isArray(result) ? result : result.rows;
  return new Map(rows.map((r) => [r.api_key_id, { periodKey: r.period_key, used: Number(r.used) }]));
}

// Raises a Redis quota counter that is lower than the database's total (KEEPTTL: it keeps its expiry). A
// counter seeded by an instance whose view was old (it had not served the key for a while) is so
// corrected within a second, by whichever instance writes the key's use next. A missing one is left
// to the next request, which seeds it from the total just read.
const RAISE = `local c = tonumber(redis.call('GET', KEYS[1]) or '-1')
if c >= 0 and c < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') end
return 0`;

function raiseRedisCounters(totals: Map<string, { periodKey: string; used: number }>): void {
  const redis = Date.now() >= state.redisPausedUntil ? redisClient() : null;
  if (!redis) return;
  for (const [id, total] of totals)
    void redis
      .sendCommand(["EVAL", RAISE, "1", `latchkey:{${id}}:quota:${total.periodKey}`, String(total.used)], { timeout: REDIS_TIMEOUT_MS })
      .catch(() => {
        // The next flush tries again.
      });
}

interface Row {
  api_key_id: string;
  period_key: string;
  used: number | string;
}

/** Forgets windows that have ended; if that is not enough, the oldest ones (their keys start a fresh window). */
function pruneWindows(now: number): void {
  for (const [id, w] of state.windows) if (w.ends <= now) state.windows.delete(id);
  for (const id of state.windows.keys()) {
    if (state.windows.size < MAX_TRACKED * 0.9) break;
    state.windows.delete(id);
  }
}

function pruneQuotas(): void {
  for (const [id, q] of state.quotas) {
    if (state.quotas.size < MAX_TRACKED * 0.9) break;
    if (q.pending === 0 && q.inflight === 0) state.quotas.delete(id);
  }
}

/** For tests: forgets every counter of this process (as a restart would). */
export function resetLimitsForTests(): void {
  state.windows.clear();
  state.quotas.clear();
  state.announced.clear();
}

/** For tests and the key's page: what this process has counted of a key's quota and not yet written. */
export function unwrittenQuotaUse(keyId: string): number {
  const q = state.quotas.get(keyId);
  return q ? q.pending + q.inflight : 0;
}
