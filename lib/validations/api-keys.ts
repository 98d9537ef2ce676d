import { z } from "zod";
import { IP_RULES_MAX, parseIpRule } from "@/lib/net/ip-rules";
import { quotaSchema, rateLimitSchema } from "./limits";

export const API_KEY_SCOPES = ["api_keys:read", "api_keys:write", "tokens:write", "me:read", "audit:read", "verify", "webhooks:write"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const SCOPE_LABELS: Record<ApiKeyScope, string> = {
  "api_keys:read": "Read API keys",
  "api_keys:write": "Create, change and revoke API keys",
  "tokens:write": "Manage the owner's personal tokens",
  "me:read": "Read the caller (user, workspace, key)",
  "audit:read": "Read the audit log",
  verify: "Verify keys for other services",
  "webhooks:write": "Read and manage webhook endpoints",
};

const text = (field: string) =>
  z.string({
    error: (iss) => (iss.input === undefined || iss.input === null ? `${field} is required.` : `${field} must be text.`),
  });

const apiKeyName = text("Name").trim().min(1, "Name is required.").max(100, "Name must be at most 100 characters.");

const apiKeyDescription = text("Description")
  .trim()
  .max(500, "Description must be at most 500 characters.")
  .transform((v) => (v === "" ? null : v));

const apiKeyScopes = z
  .array(z.enum(API_KEY_SCOPES, { error: (iss) => `Unknown scope "${String(iss.input)}".` }), {
    error: "Scopes must be a list.",
  })
  .min(1, "Choose at least one scope.")
  .transform((s) => API_KEY_SCOPES.filter((x) => s.includes(x)));

/**
 * Expiry: an ISO date ("2027-01-31", meaning the end of that day, UTC) or date-time;
 * null for "never"; omitted for the workspace's maximum lifetime.
 */
export const apiKeyExpiry = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: "Expiry must be a date (YYYY-MM-DD) or an ISO date-time.",
  })
  .nullable()
  .transform((v) => (v === null ? null : v.length === 10 ? new Date(`${v}T23:59:59.999Z`) : new Date(v)));

/**
 * An allow or deny list: IPv4/IPv6 addresses and CIDR ranges, stored in their canonical spelling
 * (lib/net/ip-rules.ts). Each bad entry gets its own message naming it; a range with host bits
 * set is refused, not widened; the same entry twice (in any spelling) is refused.
 */
const ipRuleList = (label: string) =>
  z
    .array(z.string({ error: `${label}: each entry must be text.` }), { error: `${label} must be a list of addresses and CIDR ranges.` })
    .max(IP_RULES_MAX, `${label} may hold at most ${IP_RULES_MAX} entries.`)
    .transform((entries, ctx) => {
      const seen = new Map<string, string>();
      const out: string[] = [];
      entries.forEach((entry, i) => {
        const parsed = parseIpRule(entry);
        if (!parsed.ok) return ctx.addIssue({ code: "custom", message: `${label}: ${parsed.error}`, path: [i] });
        const first = seen.get(parsed.rule.text);
        if (first !== undefined)
          return ctx.addIssue({
            code: "custom",
            message: `${label}: "${entry.trim()}" is listed twice${first === entry.trim() ? "" : ` (as "${first}")`}.`,
            path: [i],
          });
        seen.set(parsed.rule.text, entry.trim());
        out.push(parsed.rule.text);
      });
      return out;
    });

export const ipAllowList = ipRuleList("Allowed addresses");
export const ipDenyList = ipRuleList("Denied addresses");

/** Not before: an ISO date-time (with an offset) from which the key works; null for "at once". */
export const apiKeyNotBefore = z.iso
  .datetime({ offset: true, error: "Not before must be an ISO date-time, e.g. 2027-01-31T09:00:00Z." })
  .nullable()
  .transform((v) => (v === null ? null : new Date(v)));

export const importedSecret = z
  .string({ error: "The imported secret must be text." })
  .trim()
  .min(32, "An imported secret must be at least 32 characters.")
  .max(256, "An imported secret must be at most 256 characters.")
  .regex(/^[\x21-\x7e]+$/, "An imported secret may contain only printable characters without spaces.");

export const createApiKeySchema = z.object({
  name: apiKeyName,
  description: apiKeyDescription.optional(),
  /** A user id; null for a workspace service key; omitted for "me". */
  ownerId: z.uuid({ error: "Choose an owner from the list." }).nullable().optional(),
  expiresAt: apiKeyExpiry.optional(),
  bearerAllowed: z.boolean({ error: "Bearer token must be true or false." }).default(true),
  enabled: z.boolean({ error: "Enabled must be true or false." }).default(true),
  scopes: apiKeyScopes.optional(),
  importedSecret: importedSecret.optional(),
  ipAllow: ipAllowList.optional(),
  ipDeny: ipDenyList.optional(),
  notBefore: apiKeyNotBefore.optional(),
  /** Omitted: the workspace's default; null: none. */
  rateLimit: rateLimitSchema.optional(),
  quota: quotaSchema.optional(),
});
export type CreateApiKeyInput = z.input<typeof createApiKeySchema>;

export const updateApiKeySchema = z
  .object({
    name: apiKeyName.optional(),
    description: apiKeyDescription.nullable().optional(),
    enabled: z.boolean({ error: "Enabled must be true or false." }).optional(),
    bearerAllowed: z.boolean({ error: "Bearer token must be true or false." }).optional(),
    scopes: apiKeyScopes.optional(),
    expiresAt: apiKeyExpiry.optional(),
    logRequests: z.boolean({ error: "Request logging must be true or false." }).optional(),
    logResponses: z.boolean({ error: "Response logging must be true or false." }).optional(),
    ipAllow: ipAllowList.optional(),
    ipDeny: ipDenyList.optional(),
    notBefore: apiKeyNotBefore.optional(),
    rateLimit: rateLimitSchema.optional(),
    quota: quotaSchema.optional(),
  })
  .strict();
export type UpdateApiKeyInput = z.input<typeof updateApiKeySchema>;

const API_KEY_SORTS = ["name", "owner", "created", "expires", "lastUsed"] as const;
/** The expiry presets the create and edit dialogs offer, in days (the workspace's maximum caps them). */
export const EXPIRY_PRESET_DAYS = [7, 30, 60, 90, 365] as const;
/** A live key expiring within this many days is flagged in the grid and found by state=expiring. */
export const EXPIRING_SOON_DAYS = 14;
export const API_KEY_LIST_STATES = ["all", "active", "disabled", "expiring", "expired"] as const;

export const listApiKeysSchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  sort: z.enum(API_KEY_SORTS).default("created"),
  dir: z.enum(["asc", "desc"]).default("desc"),
  state: z.enum(API_KEY_LIST_STATES).default("all"),
  ownerId: z.uuid().optional(),
});
export type ListApiKeysInput = z.input<typeof listApiKeysSchema>;

/** zod issues → { field: [messages] } for forms and the REST envelope. */
export function fieldErrorsOf(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? String(issue.path[0]) : "_form";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

// Personal tokens (TeamGantt): the name is required and must be a string, in these words.
export const createTokenSchema = z.object({
  name: z
    .string({
      error: (iss) => (iss.input === undefined || iss.input === null ? "Token name is required." : "Token name must be a string."),
    })
    .trim()
    .min(1, "Token name is required.")
    .max(100, "Token name must be at most 100 characters."),
  expiresAt: apiKeyExpiry.optional(),
});
export type CreateTokenInput = z.input<typeof createTokenSchema>;

/** Rotation's fixed overlaps, in seconds: how long the old secret keeps working. */
export const ROTATION_OVERLAPS = { now: 0, "1h": 3_600, "24h": 86_400, "7d": 604_800 } as const;
export type RotationOverlap = keyof typeof ROTATION_OVERLAPS;
/** The longest overlap or quiet-mode deadline: 30 days. */
export const MAX_ROTATION_SECONDS = 30 * 86_400;
export const DEFAULT_QUIET_MINUTES = 60;
export const DEFAULT_DEADLINE_DAYS = 7;

const OVERLAP_CHOICES = `"now", "1h", "24h", "7d" or {"seconds": n} with n from 1 to ${MAX_ROTATION_SECONDS} (30 days)`;

/**
 * How the old secret is retired: `{"overlap": "now" | "1h" | "24h" | "7d" | {"seconds": n}}`, or
 * `{"mode": "quiet", "quietMinutes": 60, "deadlineDays": 7}`: once unused for quietMinutes after
 * the rotation, and at the deadline whatever its traffic.
 */
export const rotateApiKeySchema = z
  .object({
    mode: z.enum(["overlap", "quiet"], { error: 'Mode must be "overlap" or "quiet".' }).optional(),
    overlap: z
      .union(
        [
          z.enum(["now", "1h", "24h", "7d"]),
          z
            .object({
              seconds: z
                .number({ error: `Overlap must be ${OVERLAP_CHOICES}.` })
                .int(`Overlap must be ${OVERLAP_CHOICES}.`)
                .min(1, `Overlap must be ${OVERLAP_CHOICES}.`)
                .max(MAX_ROTATION_SECONDS, `Overlap must be ${OVERLAP_CHOICES}.`),
            })
            .strict(),
        ],
        {
          error: `Overlap must be ${OVERLAP_CHOICES}.`,
        },
      )
      .optional(),
    quietMinutes: z
      .number({ error: "Quiet minutes must be a whole number." })
      .int("Quiet minutes must be a whole number.")
      .min(1, "Quiet minutes must be at least 1.")
      .max(MAX_ROTATION_SECONDS / 60, "Quiet minutes must be at most 43200 (30 days).")
      .optional(),
    deadlineDays: z
      .number({ error: "The deadline must be a whole number of days." })
      .int("The deadline must be a whole number of days.")
      .min(1, "The deadline must be at least 1 day.")
      .max(MAX_ROTATION_SECONDS / 86_400, "The deadline must be at most 30 days.")
      .optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.mode === "quiet") {
      if (v.overlap !== undefined) ctx.addIssue({ code: "custom", path: ["overlap"], message: 'Choose an overlap or "mode": "quiet", not both.' });
      const quiet = v.quietMinutes ?? DEFAULT_QUIET_MINUTES;
      const deadline = v.deadlineDays ?? DEFAULT_DEADLINE_DAYS;
      if (quiet * 60 >= deadline * 86_400)
        ctx.addIssue({ code: "custom", path: ["quietMinutes"], message: "The quiet period must be shorter than the deadline." });
      return;
    }
    if (v.overlap === undefined)
      ctx.addIssue({ code: "custom", path: ["overlap"], message: `Choose an overlap (${OVERLAP_CHOICES}) or "mode": "quiet".` });
    for (const field of ["quietMinutes", "deadlineDays"] as const)
      if (v[field] !== undefined) ctx.addIssue({ code: "custom", path: [field], message: `${field} applies only with "mode": "quiet".` });
  });
export type RotateApiKeyInput = z.input<typeof rotateApiKeySchema>;
