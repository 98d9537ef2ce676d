import { z } from "zod";
import type { DatabaseKind } from "@/db";
import { apiKeyKindEnum, apiKeySourceEnum, RETIRED_REASONS, ROTATION_MODES, roleEnum, webhookDeliveryStatusEnum } from "@/db/schema";
import type { ApiKeyState, ApiKeyView } from "@/lib/api-keys/core";
import type { PersonalTokenView } from "@/lib/api-keys/tokens";
import type { VerifyFailureCode } from "@/lib/api-keys/verify";
import { STATUS_NAMES } from "@/lib/api/envelope";
import { PERMISSIONS } from "@/lib/auth/permissions";
import type { WebhookDeliveryView, WebhookEndpointView } from "@/lib/webhooks/core";
import { WEBHOOK_EVENT_TYPES } from "@/lib/webhooks/events";
import { API_KEY_SCOPES } from "./api-keys";
import { REVOCATION_REASONS } from "./revocation";
import { QUOTA_PERIODS, RATE_LIMIT_WINDOWS } from "./limits";

// What the REST handlers send back, as zod schemas: the OpenAPI document is generated from these
// (lib/api/openapi.ts) and tests parse real responses with them. Objects are strict so that a
// field added to a handler without being added here fails a test instead of going undocumented.
// Dates leave the server through JSON.stringify, i.e. as ISO 8601 strings in UTC.

const isoDateTime = z.iso.datetime({ offset: true });
const id = z.guid();

// ── The envelope ────────────────────────────────────────────────────────────────────────────

const STATUS_VALUES = Object.values(STATUS_NAMES) as [string, ...string[]];
const statusNameSchema = z.enum(STATUS_VALUES);

export const envelopeErrorSchema = z.strictObject({
  message: z.string().meta({ description: "What went wrong, in words for a person." }),
  code: z.string().meta({ description: 'Machine-readable reason, e.g. "key_disabled" or "validation_failed".' }),
  technicalError: z.string().optional().meta({ description: "A hint for the developer: how to fix the request." }),
  additionalErrors: z.array(z.string()).optional(),
  validationErrors: z.record(z.string(), z.array(z.string())).optional().meta({ description: "Field name → messages, for 400 validation_failed." }),
});

/** Any response: success or failure. */
export const envelopeSchema = z.strictObject({
  success: z.boolean(),
  hasError: z.boolean(),
  statusCode: statusNameSchema,
  data: z.unknown().optional(),
  error: envelopeErrorSchema.optional(),
});

export const errorEnvelopeSchema = z.strictObject({
  success: z.literal(false),
  hasError: z.literal(true),
  statusCode: statusNameSchema,
  error: envelopeErrorSchema,
});

/** A success envelope carrying `data`; `statusCode` is "OK" (200) or "Created" (201). */
export function successEnvelope<T extends z.ZodType>(data: T, statusCode: "OK" | "Created" = "OK") {
  return z.strictObject({
    success: z.literal(true),
    hasError: z.literal(false),
    statusCode: z.literal(statusCode),
    data,
  });
}

// ── Keys and tokens ─────────────────────────────────────────────────────────────────────────

const scopeList = z.array(z.enum(API_KEY_SCOPES));
const API_KEY_STATES = ["active", "disabled", "expired", "revoked"] as const satisfies readonly ApiKeyState[];

export const apiKeyViewSchema = z.strictObject({
  id,
  name: z.string(),
  description: z.string().nullable(),
  ownerId: id.nullable().meta({ description: "null for a workspace service key (acts as a workspace Admin)." }),
  ownerName: z.string().nullable(),
  ownerEmail: z.string().nullable(),
  prefix: z.string().meta({ description: "The display prefix, e.g. lk_AbCd1234…; never the secret." }),
  source: z.enum(apiKeySourceEnum.enumValues),
  scopes: scopeList,
  expiresAt: isoDateTime.nullable().meta({ description: "null: never expires." }),
  enabled: z.boolean(),
  bearerAllowed: z.boolean(),
  logRequests: z.boolean(),
  logResponses: z.boolean(),
  createdAt: isoDateTime,
  createdById: id.nullable().meta({ description: "The person who made the key, also when it was minted through another key." }),
  createdViaKeyId: id.nullable().meta({ description: "The key it was minted through over the API, if any." }),
  permissionCeiling: z.array(z.string()).nullable().meta({
    description: "What the key may ever do: its maker's and owner's permissions when it was made. null for keys made before ceilings were recorded.",
  }),
  lastUsedAt: isoDateTime.nullable(),
  lastUsedIp: z.string().nullable(),
  lastUsedIntegration: z.string().nullable(),
  revokedAt: isoDateTime.nullable(),
  revokedReason: z.enum(REVOCATION_REASONS).nullable().meta({
    description: "Why the key was revoked; null while it is live, and when the revocation gave no reason.",
  }),
  revokedReasonText: z.string().nullable().meta({ description: 'What was written for the reason "other"; null otherwise.' }),
  ipAllow: z.array(z.string()).meta({
    description: "Addresses and CIDR ranges the key may be used from (canonical spelling); empty: any address not denied.",
  }),
  ipDeny: z.array(z.string()).meta({ description: "Addresses and CIDR ranges the key is refused from; deny wins over allow." }),
  notBefore: isoDateTime.nullable().meta({ description: "The key is refused (key_not_yet_valid) before this time; null: from its creation." }),
  rateLimit: z
    .strictObject({ limit: z.number().int().min(1), window: z.enum(RATE_LIMIT_WINDOWS) })
    .nullable()
    .meta({ description: "Requests per window (fixed windows aligned to the clock); over it: 429 rate_limited. null: no rate limit." }),
  quota: z
    .strictObject({
      limit: z.number().int().min(1),
      period: z.enum(QUOTA_PERIODS),
      used: z.number().int().min(0).meta({ description: "Requests counted in the current period (written within about a second)." }),
      resetsAt: isoDateTime.nullable().meta({ description: "When the period ends and the count starts again (UTC); null for a total quota." }),
    })
    .nullable()
    .meta({ description: "Requests per UTC day or month, or in total (topped up by hand); once used: 429 quota_exhausted. null: no quota." }),
  state: z.enum(API_KEY_STATES),
});

export const personalTokenViewSchema = z.strictObject({
  id,
  name: z.string(),
  prefix: z.string(),
  createdAt: isoDateTime,
  expiresAt: isoDateTime.nullable(),
  lastUsedAt: isoDateTime.nullable(),
});

export const apiKeyPageSchema = z.strictObject({
  items: z.array(apiKeyViewSchema),
  total: z.number().int().min(0),
  page: z.number().int().min(1),
  pageSize: z.number().int().min(1),
});

/** A secret a rotation replaced: never the secret or its hash. */
export const previousSecretViewSchema = z.strictObject({
  prefix: z.string().meta({ description: "The old secret's display prefix." }),
  newPrefix: z.string().meta({ description: "The display prefix of the secret that replaced it." }),
  mode: z.enum(ROTATION_MODES),
  rotatedAt: isoDateTime,
  retireAt: isoDateTime.meta({ description: "The hard deadline: the overlap's end, or the latest it is retired in quiet mode." }),
  quietMinutes: z.number().int().nullable().meta({ description: "Quiet mode: retired once unused this long. null for an overlap." }),
  requests: z.number().int().min(0).meta({ description: "Requests made with it since the rotation (written within a second)." }),
  lastUsedAt: isoDateTime.nullable(),
  retiredAt: isoDateTime.nullable().meta({ description: "When it stopped working; null while it is still accepted." }),
  retiredReason: z
    .enum(RETIRED_REASONS)
    .nullable()
    .meta({ description: "Why: its overlap ended, its quiet-mode deadline passed, it went quiet, or the key was rotated again." }),
});

/** POST /api/data/api-keys/{id}/rotate. */
export const rotatedApiKeySchema = z.strictObject({
  key: apiKeyViewSchema,
  secret: z
    .string()
    .nullable()
    .meta({ description: "The new plaintext secret. Shown once: store it now, it cannot be read again. null in a replay of an Idempotency-Key." }),
  previous: previousSecretViewSchema,
});

/** GET/PATCH /api/data/api-keys/{id}, DELETE …/{id}/revoke. */
export const apiKeyResultSchema = z.strictObject({ key: apiKeyViewSchema });

export const createdApiKeySchema = z.strictObject({
  key: apiKeyViewSchema,
  secret: z
    .string()
    .nullable()
    .meta({ description: "The plaintext secret. Shown once: store it now, it cannot be read again. null in a replay of an Idempotency-Key." }),
});

export const revokeAllResultSchema = z.strictObject({ revoked: z.number().int().min(0) });

export const tokenListSchema = z.strictObject({ items: z.array(personalTokenViewSchema) });

/** DELETE /api/data/me/tokens/{id}. */
export const tokenResultSchema = z.strictObject({ token: personalTokenViewSchema });

export const createdTokenSchema = z.strictObject({
  token: personalTokenViewSchema,
  secret: z
    .string()
    .nullable()
    .meta({ description: "The plaintext secret. Shown once: store it now, it cannot be read again. null in a replay of an Idempotency-Key." }),
});

export const deleteAllTokensResultSchema = z.strictObject({ deleted: z.number().int().min(0) });

// ── The caller, verification, health ────────────────────────────────────────────────────────

const role = z.enum(roleEnum.enumValues);
const person = z.strictObject({ id, email: z.string(), name: z.string() });

export const meSchema = z.strictObject({
  user: person.nullable().meta({ description: "The key's owner; null for a workspace service key." }),
  workspace: z.strictObject({ id, slug: z.string(), name: z.string() }),
  role: role.nullable().meta({ description: "The owner's role in the workspace now; null for a Global Admin who is not a member." }),
  permissions: z.array(z.enum(PERMISSIONS)),
  key: z.strictObject({
    id,
    name: z.string(),
    prefix: z.string(),
    kind: z.enum(apiKeyKindEnum.enumValues),
    serviceKey: z.boolean(),
    scopes: scopeList,
    expiresAt: isoDateTime.nullable(),
    bearerAllowed: z.boolean(),
  }),
});

/** Every reason lib/api-keys/verify.ts gives for refusing a key (kept equal to VerifyFailureCode below). */
const VERIFY_FAILURE_CODES = [
  "missing_key",
  "malformed_key",
  "unknown_key",
  "key_revoked",
  "key_expired",
  "key_not_yet_valid",
  "key_rotated",
  "key_disabled",
  "bearer_not_allowed",
  "api_keys_disabled",
  "personal_tokens_disabled",
  "owner_removed",
  "owner_disabled",
  "ip_not_allowed",
] as const;

const verifiedKey = z.strictObject({
  id,
  name: z.string(),
  prefix: z.string(),
  kind: z.enum(apiKeyKindEnum.enumValues),
  scopes: scopeList,
  expiresAt: isoDateTime.nullable(),
});
const verifiedWorkspace = z.strictObject({ slug: z.string(), name: z.string() });

const budgetSchema = z
  .strictObject({
    rateLimit: z
      .strictObject({
        limit: z.number().int().min(1),
        window: z.enum(RATE_LIMIT_WINDOWS),
        remaining: z.number().int().min(0),
        resetSeconds: z.number().int().min(0).meta({ description: "Seconds until the window ends and the count starts again." }),
      })
      .nullable(),
    quota: z
      .strictObject({
        limit: z.number().int().min(1),
        period: z.enum(QUOTA_PERIODS),
        remaining: z.number().int().min(0),
        resetsAt: isoDateTime.nullable().meta({ description: "When the period starts again (UTC); null for a total quota." }),
      })
      .nullable(),
  })
  .optional()
  .meta({
    description:
      "Present for a key with a rate limit or quota: this verification counted against them (as a request made with the key would), and this is what is left.",
  });

/** Why /verify refuses a key: a verification failure, or the verified key's own rate limit or quota. */
const VERIFY_REASONS = [...VERIFY_FAILURE_CODES, "rate_limited", "quota_exhausted"] as const;

export const verifyResultSchema = z.discriminatedUnion("valid", [
  z.strictObject({
    valid: z.literal(true),
    reason: z.null(),
    message: z.string(),
    ipRules: z.enum(["none", "passed", "not_evaluated"]).meta({
      description:
        'The key\'s IP rules: "none" (it has none), "passed" (the ip sent is allowed), "not_evaluated" (it has rules but no ip was sent: send the end client\'s address as ip to have them checked).',
    }),
    key: verifiedKey,
    workspace: verifiedWorkspace,
    owner: person.nullable(),
    role: role.nullable(),
    rotated: z
      .strictObject({
        currentPrefix: z.string().meta({ description: "The display prefix of the secret that replaced the one presented." }),
        mode: z.enum(ROTATION_MODES),
        stopsAt: isoDateTime.meta({
          description:
            "When the secret presented stops working if nothing else happens: the overlap's end, or in quiet mode the earlier of the deadline and a quiet window from now.",
        }),
      })
      .optional()
      .meta({ description: "Present when the secret presented is one a rotation replaced and is still accepted: tell its holder to switch." }),
    limits: budgetSchema,
  }),
  z
    .strictObject({
      valid: z.literal(false),
      reason: z.enum(VERIFY_REASONS),
      message: z.string(),
      ipRules: z
        .literal("refused")
        .optional()
        .meta({ description: "Present with reason ip_not_allowed: the ip sent is refused by the key's rules." }),
      // Described only when the key belongs to the caller's workspace (e.g. a disabled key).
      key: verifiedKey.optional(),
      workspace: verifiedWorkspace.optional(),
      owner: person.nullable().optional(),
      role: role.nullable().optional(),
      revokedReason: z.enum(REVOCATION_REASONS).nullable().optional().meta({
        description: "For key_revoked (of the caller's workspace): why it was revoked; null when no reason was given.",
      }),
      limits: budgetSchema,
    })
    .meta({ description: "The key is refused; key, workspace, owner and role are present only for a key of the caller's workspace." }),
]);

const DATABASE_KINDS = ["pglite", "postgres"] as const satisfies readonly DatabaseKind[];

// ── The audit log ───────────────────────────────────────────────────────────────────────────

const auditEventSchema = z.strictObject({
  id: z.number().int(),
  createdAt: isoDateTime,
  workspaceId: id.nullable(),
  workspaceSlug: z.string().nullable(),
  workspaceName: z.string().nullable(),
  actorUserId: id.nullable().meta({ description: "The person who acted; null for a system change." }),
  actorName: z.string().nullable(),
  actorEmail: z.string().nullable(),
  actorApiKeyId: id.nullable().meta({ description: "The key the change was made through, if it was made over the API." }),
  actorKeyPrefix: z.string().nullable(),
  action: z.string().meta({ description: 'What happened, e.g. "api_key.created" or "api_key.revoked".' }),
  apiKeyId: id.nullable().meta({ description: "The key the event is about, if any." }),
  targetName: z.string().nullable(),
  changes: z
    .record(z.string(), z.strictObject({ from: z.unknown(), to: z.unknown() }))
    .nullable()
    .meta({ description: "Field → its value before and after, for changes." }),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
});

export const auditEventPageSchema = z.strictObject({
  items: z.array(auditEventSchema),
  total: z.number().int().min(0),
  page: z.number().int().min(1),
  pageSize: z.number().int().min(1),
});

export const livenessSchema = z.strictObject({ status: z.literal("alive") });

export const healthSchema = z.strictObject({
  status: z.literal("ok"),
  database: z.strictObject({ kind: z.enum(DATABASE_KINDS), reachable: z.literal(true) }),
  accessLog: z
    .strictObject({ pending: z.number().int().min(0), dropped: z.number().int().min(0) })
    .meta({ description: "Entries waiting to be written, and entries this process could not keep since it started (should stay 0)." }),
  rateLimits: z.strictObject({ redis: z.enum(["off", "ok", "unreachable"]) }).meta({
    description:
      'Where per-key rate limits are counted: "off" (no LATCHKEY_REDIS_URL: in each process), "ok" (in Redis, shared by every instance), "unreachable" (configured but not answering: in each process until it does). Not a readiness failure.',
  }),
});

// ── Webhooks ────────────────────────────────────────────────────────────────────────────────

export const webhookEndpointViewSchema = z.strictObject({
  id,
  url: z.string().meta({ description: "Where events are POSTed." }),
  description: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).meta({ description: "The event types sent to it." }),
  enabled: z.boolean().meta({ description: "A disabled endpoint is sent nothing; events meanwhile are not queued for it." }),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});

/** Shown once, by creation and by rotation: the secret is stored encrypted and never sent again. */
const webhookSecret = z.string().nullable().meta({
  description:
    "The signing secret (whsec_…, Standard Webhooks). Shown once: store it now, it cannot be read again. null in a replay of an Idempotency-Key.",
});

/** POST /api/data/webhooks, POST …/{id}/secret/rotate. */
export const webhookWithSecretSchema = z.strictObject({ endpoint: webhookEndpointViewSchema, secret: webhookSecret });

/** GET/PATCH/DELETE /api/data/webhooks/{id}. */
export const webhookEndpointResultSchema = z.strictObject({ endpoint: webhookEndpointViewSchema });

export const webhookEndpointListSchema = z.strictObject({ items: z.array(webhookEndpointViewSchema) });

export const webhookTestResultSchema = z.strictObject({
  deliveryId: id.meta({ description: "The queued delivery; it shows in the endpoint's deliveries." }),
  messageId: z.string().meta({ description: "The webhook-id header the receiver will see." }),
});

export const webhookDeliveryViewSchema = z.strictObject({
  id,
  eventType: z.string(),
  messageId: z.string().meta({ description: "The webhook-id header: the same on every retry, for deduplication." }),
  status: z
    .enum(webhookDeliveryStatusEnum.enumValues)
    .meta({ description: "pending (queued or retrying), delivered (a 2xx) or failed (retries gave up)." }),
  attempts: z.number().int().min(0),
  nextAttemptAt: isoDateTime,
  lastAttemptAt: isoDateTime.nullable(),
  lastStatusCode: z.number().int().nullable().meta({ description: "The receiver's HTTP status on the last attempt; null if none answered." }),
  lastError: z.string().nullable(),
  createdAt: isoDateTime,
  deliveredAt: isoDateTime.nullable(),
});

export const webhookDeliveryPageSchema = z.strictObject({
  items: z.array(webhookDeliveryViewSchema),
  total: z.number().int().min(0),
  page: z.number().int().min(1),
  pageSize: z.number().int().min(1),
});

// ── Compile-time checks: the schemas describe exactly the handlers' TypeScript types ────────

type Jsonified<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Jsonified<U>[]
    : T extends object
      ? { [K in keyof T]: Jsonified<T[K]> }
      : T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function assertSame<_T extends true>() {}

assertSame<Same<z.output<typeof apiKeyViewSchema>, Jsonified<ApiKeyView>>>();
assertSame<Same<z.output<typeof personalTokenViewSchema>, Jsonified<PersonalTokenView>>>();
assertSame<Same<(typeof VERIFY_FAILURE_CODES)[number], VerifyFailureCode>>();
assertSame<Same<(typeof API_KEY_STATES)[number], ApiKeyState>>();
assertSame<Same<(typeof DATABASE_KINDS)[number], DatabaseKind>>();
// events is a string[] in the database and each one of WEBHOOK_EVENT_TYPES by validation.
assertSame<Same<Omit<z.output<typeof webhookEndpointViewSchema>, "events">, Omit<Jsonified<WebhookEndpointView>, "events">>>();
assertSame<Same<z.output<typeof webhookDeliveryViewSchema>, Jsonified<WebhookDeliveryView>>>();

export type ApiKeyViewJson = z.output<typeof apiKeyViewSchema>;
export type PersonalTokenViewJson = z.output<typeof personalTokenViewSchema>;
export type MeJson = z.output<typeof meSchema>;
export type VerifyResultJson = z.output<typeof verifyResultSchema>;
