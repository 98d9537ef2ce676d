import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { apiKeys } from "@/db/schema";
import { recordKeyUse } from "@/lib/api-keys/usage";
import { recordPreviousSecretUse } from "@/lib/api-keys/previous-use";
import { consumeLimits, hasLimits } from "@/lib/api-keys/limits";
import { previousSecretStopsAt, verifyApiKey, type VerifiedKey } from "@/lib/api-keys/verify";
import { now as clockNow } from "@/lib/clock";
import { hasRules } from "@/lib/net/ip-rules";
import { invalid } from "@/lib/errors";
import { fieldErrorsOf } from "@/lib/validations/api-keys";
import { verifyResultSchema } from "@/lib/validations/responses";
import { verifyRequestSchema } from "@/lib/validations/verify";
import { defineOperation } from "./define";
import { EXAMPLE_KEY_ID, EXAMPLE_OWNER } from "./examples";

function describe(v: VerifiedKey) {
  return {
    key: { id: v.key.id, name: v.key.name, prefix: v.key.prefix, kind: v.key.kind, scopes: v.key.scopes, expiresAt: v.key.expiresAt },
    workspace: { slug: v.workspace.slug, name: v.workspace.name },
    owner: v.owner ? { id: v.owner.id, email: v.owner.email, name: v.owner.name } : null,
    role: v.role,
  };
}

function ipRulesOf(v: VerifiedKey, ip: string | undefined) {
  const restricted = hasRules({ allow: v.key.ipAllow, deny: v.key.ipDeny });
  return !restricted ? "none" : ip !== undefined ? "passed" : "not_evaluated";
}

function validAnswer(v: VerifiedKey, ip: string | undefined) {
  const ipRules = ipRulesOf(v, ip);
  const message =
    ipRules === "not_evaluated"
      ? "The API key is valid. It has IP rules, which were not evaluated: send the client's address as ip to have them checked."
      : "The API key is valid.";
  return { valid: true as const, reason: null, message, ipRules, ...describe(v) };
}

async function revokedReasonOf(db: DbOrTx, keyId: string, workspaceId: string) {
  const [row] = await db
    .select({ reason: apiKeys.revokedReason })
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.workspaceId, workspaceId)));
  return row?.reason ?? null;
}

export const verifyApiKeyOperation = defineOperation({
  id: "verifyApiKey",
  method: "POST",
  path: "/api/data/verify",
  tag: "Verification",
  summary: "Verify a presented key",
  description:
    "For a service that receives Latchkey keys from its own clients: is this key good, and if not, why? Answers 200 either way; valid says which. " +
    "Only keys of the caller's own workspace are described; any other key is reported as unknown_key. via \"bearer\" also checks the key's bearer flag. " +
    "A revoked key's answer (key_revoked) says why it was revoked in revokedReason (compromised, superseded, no_longer_needed, owner_left, other; null when no reason was given). " +
    "Send the end client's address as ip to have the key's IP rules evaluated (a refusal is ip_not_allowed); without it they are not, and ipRules says \"not_evaluated\" for a key that has rules. " +
    'A secret a rotation replaced is valid until it is retired; its answer then has rotated (the current secret\'s prefix, the mode, when it stops working), and the use counts for "retire when quiet". ' +
    "A key with a rate limit or quota spends it on each verification, as a request made with it would: limits says what is left, and once it is spent the answer is valid: false with reason rate_limited or quota_exhausted.",
  scope: "verify",
  permission: null,
  body: { component: "VerifyRequest", schema: verifyRequestSchema, required: true, invalidExample: {} },
  examples: { body: { token: "<the key your client presented>", via: "bearer", ip: "203.0.113.7" } },
  readOnly: true,
  output: {
    component: "VerifyResult",
    schema: verifyResultSchema,
    example: {
      valid: true,
      reason: null,
      message: "The API key is valid.",
      ipRules: "passed",
      key: {
        id: EXAMPLE_KEY_ID,
        name: "CI deploy",
        prefix: "lk_Ab3dE9xQ…",
        kind: "workspace",
        scopes: ["api_keys:read", "me:read"],
        expiresAt: "2027-01-31T23:59:59.999Z",
      },
      workspace: { slug: "acme", name: "Acme Inc." },
      owner: EXAMPLE_OWNER,
      role: "admin",
    },
  },
  status: 200,
  // Only keys of the caller's own workspace are described; any other key is simply unknown.
  async handler({ db, ctx, input, req, countGuess, answerFor }) {
    const parsed = verifyRequestSchema.safeParse(input);
    if (!parsed.success) throw invalid(fieldErrorsOf(parsed.error));
    const { token, via, ip } = parsed.data;
    const at = clockNow();
    const result = await verifyApiKey(db, token, { via, now: at, ...(ip !== undefined ? { ip } : {}) });
    const found = result.ok ? result.value : result.found;
    if (!found || found.workspace.id !== ctx.workspace.id) {
      // Otherwise a verify key would be a free oracle for guessing other keys.
      await countGuess();
      if (!result.ok && result.code === "malformed_key") return { valid: false, reason: result.code, message: result.message };
      return { valid: false, reason: "unknown_key", message: "The API key is not recognised." };
    }
    if (!result.ok) {
      // Why a revoked key was revoked: read only for those (the hot path's lookup carries no reason).
      const revoked = result.code === "key_revoked" ? { revokedReason: await revokedReasonOf(db, found.key.id, ctx.workspace.id) } : {};
      return {
        valid: false,
        reason: result.code,
        message: result.message,
        ...(result.code === "ip_not_allowed" ? { ipRules: "refused" as const } : {}),
        ...describe(found),
        ...revoked,
      };
    }
    // The ip sent is the integrating service's word, not an address Latchkey saw: not the key's last use.
    recordKeyUse(db, found.key.id, { integration: req.headers.get("x-integration-name") });
    // A use through a service's /verify is a use: "retire when quiet" must not retire a secret still in use behind it.
    if (found.previous) recordPreviousSecretUse(db, found.previous.id, at.getTime());
    // A key with a rate limit or quota spends it here as it would calling Latchkey itself, so a service
    // that verifies its clients' keys enforces their limits (shared by every instance with Redis).
    const spent = hasLimits(found.key) ? await consumeLimits(db, found, at.getTime()) : null;
    if (spent?.refused) return { valid: false, reason: spent.refused.code, message: spent.refused.message, ...describe(found), limits: spent.budget };
    const limits = spent ? { limits: spent.budget } : {};
    if (found.previous)
      return {
        ...validAnswer(found, ip),
        rotated: { currentPrefix: found.key.prefix, mode: found.previous.mode, stopsAt: previousSecretStopsAt(found.previous, at) },
        ...limits,
      };
    // Its budget changes with every request: never kept.
    if (spent) return { ...validAnswer(found, ip), ...limits };
    // A valid current secret's answer is a function of its cache entry and ipRules alone (the
    // checks that depend on the moment, expiry among them, ran above): made once per entry and kept.
    return answerFor(found.key, ipRulesOf(found, ip), () => validAnswer(found, ip));
  },
});
