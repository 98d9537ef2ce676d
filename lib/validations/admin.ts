import { z } from "zod";
import { ADMIN_KEY_SORTS, ADMIN_KEY_STATES } from "@/lib/admin/params";
import { AUDIT_ACTIONS } from "@/lib/audit/record";

export * from "@/lib/admin/params";

// Filters for the Global Admin key inventory and the audit logs. They arrive as URL search
// params (strings), so every field coerces and an empty string means "not set".

const PAGE_SIZES = [10, 20, 50, 100] as const;

/** "" and undefined → undefined, so a cleared input in the URL is simply no filter. */
const blank = (v: unknown) => (v === "" || v === null ? undefined : v);

const searchText = (label: string) =>
  z.preprocess(
    blank,
    z
      .string({ error: `${label} must be text.` })
      .trim()
      .max(100, `${label} must be at most 100 characters.`)
      .transform((v) => (v === "" ? undefined : v))
      .optional(),
  );

const days = (label: string) =>
  z.preprocess(
    blank,
    z.coerce
      .number({ error: `${label} must be a number of days.` })
      .int(`${label} must be a whole number of days.`)
      .min(1, `${label} must be at least 1 day.`)
      .max(3650, `${label} must be at most 3650 days.`)
      .optional(),
  );

/** A checkbox in the URL: "1"/"true"/"on" is set, anything else (or absent) is not. */
const flag = z.preprocess((v) => v === true || v === "1" || v === "true" || v === "on", z.boolean());

const page = z.preprocess(blank, z.coerce.number().int().min(1).max(1_000_000).default(1));
const pageSize = z.preprocess(
  blank,
  z.coerce
    .number()
    .int()
    .refine((n) => (PAGE_SIZES as readonly number[]).includes(n), "Rows per page must be 10, 20, 50 or 100.")
    .default(20),
);
const dir = z.preprocess(blank, z.enum(["asc", "desc"]).optional());

export const adminKeyFiltersSchema = z.object({
  page,
  pageSize,
  sort: z.preprocess(blank, z.enum(ADMIN_KEY_SORTS).default("created")),
  dir,
  /** Workspace slug. */
  workspace: z.preprocess(blank, z.string().trim().max(100).optional()),
  /** Part of the owner's email. */
  owner: searchText("Owner"),
  state: z.preprocess(blank, z.enum(ADMIN_KEY_STATES, { error: "Choose a state from the list." }).default("live")),
  /** Expires in the future, within this many days. */
  expiringWithin: days("Expiring within"),
  /** Last used more than this many days ago, or never used and created more than this many days ago. */
  idleFor: days("Idle for"),
  neverUsed: flag,
  noExpiry: flag,
  /** Start of the key's name or display prefix. */
  q: searchText("Search"),
});
export type AdminKeyFiltersInput = z.input<typeof adminKeyFiltersSchema>;
export type AdminKeyFilters = z.output<typeof adminKeyFiltersSchema>;

const isoDay = (label: string) => z.preprocess(blank, z.iso.date({ error: `${label} must be a date (YYYY-MM-DD).` }).optional());

const auditFilterFields = {
  page,
  pageSize,
  dir,
  /** Workspace slug (global audit log only). */
  workspace: z.preprocess(blank, z.string().trim().max(100).optional()),
  /** Part of the actor's email. */
  actor: searchText("Actor"),
  action: z.preprocess(blank, z.enum(AUDIT_ACTIONS, { error: "Choose an action from the list." }).optional()),
  /** A key id, or the start of the key's name or display prefix. */
  key: searchText("Key"),
  /** Inclusive UTC days. */
  from: isoDay("From"),
  to: isoDay("To"),
};
const fromBeforeTo = (f: { from?: string; to?: string }) => !f.from || !f.to || f.from <= f.to;
const FROM_BEFORE_TO = { path: ["to"], message: "“To” must be on or after “From”." };

export const auditFiltersSchema = z.object(auditFilterFields).refine(fromBeforeTo, FROM_BEFORE_TO);

/**
 * The workspace audit log's filters over REST: no workspace (the key's own), and the key filter
 * named apiKey, since ?key= is where a request may carry its credential.
 */
const { workspace: _workspace, key: keyFilter, ...restAuditFields } = auditFilterFields;
export const restAuditFiltersSchema = z.object({ ...restAuditFields, apiKey: keyFilter }).refine(fromBeforeTo, FROM_BEFORE_TO);
export type AuditFiltersInput = z.input<typeof auditFiltersSchema>;
export type AuditFilters = z.output<typeof auditFiltersSchema>;

/** Reads a Next `searchParams` object or URLSearchParams into a plain record for the schemas. */
export function searchParamsRecord(params: URLSearchParams | Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (params instanceof URLSearchParams) {
    for (const [k, v] of params) if (!(k in out)) out[k] = v;
    return out;
  }
  for (const [k, v] of Object.entries(params)) out[k] = Array.isArray(v) ? v[0] : v;
  return out;
}

/**
 * Parses filters leniently for a page: a bad value is dropped (and reported) instead of failing
 * the whole page, so one mistyped number does not hide the table.
 */
export function parseFiltersLeniently<T extends z.ZodType>(
  schema: T,
  raw: Record<string, string | undefined>,
): { filters: z.output<T>; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const input: Record<string, string | undefined> = { ...raw };
  for (let attempt = 0; attempt < 12; attempt++) {
    const r = schema.safeParse(input);
    if (r.success) return { filters: r.data, errors };
    for (const issue of r.error.issues) {
      const field = String(issue.path[0] ?? "");
      if (!field || !(field in input)) return { filters: schema.parse({}), errors };
      errors[field] ??= issue.message;
      delete input[field];
    }
  }
  return { filters: schema.parse({}), errors };
}

export const bulkKeyIdsSchema = z
  .array(z.uuid({ error: "Unknown key." }), { error: "Choose the keys to change." })
  .min(1, "Choose at least one key.")
  .max(500, "Choose at most 500 keys at a time.")
  .transform((ids) => [...new Set(ids.map((id) => id.toLowerCase()))]);
