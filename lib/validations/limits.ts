import { z } from "zod";

/** A per-key rate limit counts requests in fixed windows of one of these lengths. */
export const RATE_LIMIT_WINDOWS = ["second", "minute", "hour"] as const;
export type RateLimitWindow = (typeof RATE_LIMIT_WINDOWS)[number];
export const RATE_WINDOW_SECONDS: Record<RateLimitWindow, number> = { second: 1, minute: 60, hour: 3_600 };

/** A quota counts requests per UTC day, per UTC calendar month, or in total (topped up by hand). */
export const QUOTA_PERIODS = ["day", "month", "total"] as const;
export type QuotaPeriod = (typeof QUOTA_PERIODS)[number];

/** The most a limit or quota may be: well inside a 32-bit counter, far beyond any real budget. */
export const LIMIT_MAX = 1_000_000_000;
/** Quota thresholds that notify (in percent of the quota). */
export const QUOTA_THRESHOLDS = [80, 100] as const;

export interface RateLimit {
  limit: number;
  window: RateLimitWindow;
}
export interface Quota {
  limit: number;
  period: QuotaPeriod;
}

const count = (what: string) =>
  z
    .number({ error: `${what} must be a whole number of requests.` })
    .int(`${what} must be a whole number of requests.`)
    .min(1, `${what} must be at least 1 request.`)
    .max(LIMIT_MAX, `${what} can be at most ${LIMIT_MAX.toLocaleString("en-US")} requests.`);

/** `{"limit": 100, "window": "minute"}`; null for no rate limit. */
export const rateLimitSchema = z
  .strictObject(
    {
      limit: count("The rate limit"),
      window: z.enum(RATE_LIMIT_WINDOWS, { error: 'The rate limit\'s window must be "second", "minute" or "hour".' }),
    },
    { error: 'The rate limit must be {"limit": n, "window": "second" | "minute" | "hour"} or null.' },
  )
  .nullable();

/** `{"limit": 10000, "period": "day"}`; null for no quota. */
export const quotaSchema = z
  .strictObject(
    {
      limit: count("The quota"),
      period: z.enum(QUOTA_PERIODS, { error: 'The quota\'s period must be "day", "month" or "total".' }),
    },
    { error: 'The quota must be {"limit": n, "period": "day" | "month" | "total"} or null.' },
  )
  .nullable();

/** POST /api/data/api-keys/{id}/quota/top-up: requests added to a total quota. */
export const topUpSchema = z.strictObject({ requests: count("A top-up") }, { error: 'A top-up must be {"requests": n}.' });
export type TopUpInput = z.input<typeof topUpSchema>;

/** Reads a console form's limit fields ("" for none) into the REST shape. */
export function limitsFromForm(form: FormData): { rateLimit?: unknown; quota?: unknown } {
  const pair = (amountField: string, unitField: string, unitName: "window" | "period") => {
    if (!form.has(amountField)) return undefined;
    const amount = String(form.get(amountField) ?? "").trim();
    if (amount === "") return null;
    // A number the schema can judge, or the text itself (which it refuses with the field's own message).
    const n = /^\d+$/.test(amount) ? Number(amount) : amount;
    return { limit: n, [unitName]: String(form.get(unitField) ?? "") };
  };
  const out: { rateLimit?: unknown; quota?: unknown } = {};
  const rate = pair("rateLimit", "rateLimitWindow", "window");
  const quota = pair("quotaLimit", "quotaPeriod", "period");
  if (rate !== undefined) out.rateLimit = rate;
  if (quota !== undefined) out.quota = quota;
  return out;
}

/** The period a quota counts in at `now`: "d2026-12-02", "m2026-12" or "t" (UTC). */
export function quotaPeriodKey(period: QuotaPeriod, now: number): string {
  if (period === "total") return "t";
  const iso = new Date(now).toISOString();
  return period === "day" ? `d${iso.slice(0, 10)}` : `m${iso.slice(0, 7)}`;
}

/** When the quota's current period ends (UTC); null for a total quota, which never resets. */
export function quotaPeriodEnd(period: QuotaPeriod, now: number): number | null {
  if (period === "total") return null;
  const d = new Date(now);
  return period === "day" ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The length of the quota's current period in seconds (a month's varies); null for total. */
export function quotaPeriodSeconds(period: QuotaPeriod, now: number): number | null {
  if (period === "total") return null;
  const d = new Date(now);
  const start = period === "day" ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return (quotaPeriodEnd(period, now)! - start) / 1000;
}

const WINDOW_WORDS: Record<RateLimitWindow, string> = { second: "second", minute: "minute", hour: "hour" };
const PERIOD_WORDS: Record<QuotaPeriod, string> = { day: "per day", month: "per month", total: "in total" };

/** "100 requests per minute". */
export function describeRateLimit(r: RateLimit): string {
  return `${r.limit.toLocaleString("en-US")} request${r.limit === 1 ? "" : "s"} per ${WINDOW_WORDS[r.window]}`;
}

/** "10,000 requests per day". */
export function describeQuota(q: Quota): string {
  return `${q.limit.toLocaleString("en-US")} request${q.limit === 1 ? "" : "s"} ${PERIOD_WORDS[q.period]}`;
}
