import type { AuditChanges } from "@/db/schema";
import type { AuditAction } from "./record";
import { describeRevocation, NO_REASON_GIVEN, REVOCATION_REASONS, type RevocationReason } from "@/lib/validations/revocation";

// How an audit event reads, on the audit pages and in their CSV export alike.

// Partial: an action added elsewhere still reads well through the fallback below.
const AUDIT_ACTION_LABELS: Partial<Record<AuditAction, string>> = {
  "api_key.created": "Key created",
  "api_key.updated": "Key updated",
  "api_key.enabled": "Key enabled",
  "api_key.disabled": "Key disabled",
  "api_key.bearer_enabled": "Bearer allowed",
  "api_key.bearer_disabled": "Bearer refused",
  "api_key.revoked": "Key revoked",
  "api_key.revoked_all": "All keys revoked",
  "api_key.rotated": "Key rotated",
  "api_key.expiring": "Expiry reminder sent",
  "api_key.expired": "Key expired",
  "api_key.quota_threshold": "Quota threshold reached",
  "personal_token.created": "Token created",
  "personal_token.deleted": "Token deleted",
  "personal_token.deleted_all": "All tokens deleted",
  "workspace.settings_updated": "Settings updated",
  "member.role_changed": "Role changed",
  "member.grant_changed": "Grant changed",
  "member.added": "Member added",
  "member.removed": "Member removed",
  "user.deleted": "User deleted",
  "user.created": "User created",
  "user.disabled": "User disabled",
  "user.enabled": "User re-enabled",
  "user.password_changed": "Password changed",
  "user.signed_out_everywhere": "Signed out everywhere",
  "user.profile_updated": "Profile updated",
  "webhook.created": "Webhook endpoint added",
  "webhook.updated": "Webhook endpoint updated",
  "webhook.deleted": "Webhook endpoint deleted",
  "webhook.secret_rotated": "Webhook signing secret rolled",
};

export function auditActionLabel(action: string): string {
  const label = AUDIT_ACTION_LABELS[action as AuditAction];
  if (label) return label;
  // "member.grant_changed" → "Member grant changed"
  const text = action.replace(/[._]+/g, " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const MAX_VALUE = 60;

/** One before/after value, short: dates to the minute (UTC), lists joined, long text cut. */
export function formatAuditValue(value: unknown): string {
  if (value === null || value === undefined) return "none";
  if (value instanceof Date) return formatInstant(value);
  if (typeof value === "string") {
    if (ISO_DATE_TIME.test(value)) {
      const d = new Date(value);
      if (!Number.isNaN(d.getTime())) return formatInstant(d);
    }
    return clip(value === "" ? '""' : value);
  }
  if (Array.isArray(value)) return clip(value.length === 0 ? "[]" : value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(", "));
  if (typeof value === "object") return clip(JSON.stringify(value));
  return String(value);
}

function formatInstant(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function clip(text: string): string {
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

// A revocation's reason has a column of its own (describeRevocationReason), not a line here.
const SHOWN_AS_REASON = new Set(["revokedReason", "revokedReasonText"]);

/** ["enabled: true → false", "name: Old → New"], in the order the fields were recorded. */
export function formatChanges(changes: AuditChanges | null | undefined): string[] {
  if (!changes) return [];
  return Object.entries(changes)
    .filter(([field]) => !SHOWN_AS_REASON.has(field))
    .map(([field, c]) => `${field}: ${formatAuditValue(c?.from)} → ${formatAuditValue(c?.to)}`);
}

const asReason = (v: unknown): RevocationReason | null => (REVOCATION_REASONS.includes(v as RevocationReason) ? (v as RevocationReason) : null);
const asText = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/**
 * Why a revocation happened, for an event that records one: "Compromised", "Other: …", or "No
 * reason given" (a REST revoke without one). null for any other event, and for revocations
 * recorded before reasons were kept.
 */
export function describeRevocationReason(e: { changes: AuditChanges | null; metadata: Record<string, unknown> | null }): string | null {
  if (e.changes && "revokedReason" in e.changes)
    return describeRevocation({ reason: asReason(e.changes.revokedReason?.to), text: asText(e.changes.revokedReasonText?.to) }, NO_REASON_GIVEN);
  // Revoke-all and delete-all record theirs with the count.
  if (e.metadata && "reason" in e.metadata && "count" in e.metadata)
    return describeRevocation({ reason: asReason(e.metadata.reason), text: asText(e.metadata.reasonText) }, NO_REASON_GIVEN);
  return null;
}

export interface AuditActorFields {
  actorUserId: string | null;
  actorName: string | null;
  actorEmail: string | null;
  actorApiKeyId: string | null;
  actorKeyPrefix: string | null;
  metadata?: Record<string, unknown> | null;
}

/** "API key lk_AbCd1234…" when the change came through the REST API, else the user, else "System". */
export function describeActor(e: AuditActorFields): { primary: string; secondary: string | null } {
  // Whoever held the key presented it to POST /api/revoke: the key is the actor, and no person.
  if (e.actorApiKeyId && e.metadata?.via === "self_revocation")
    return { primary: `API key ${e.actorKeyPrefix ?? "(deleted)"}`, secondary: "revoked by the key itself" };
  if (e.actorApiKeyId) {
    return {
      primary: `API key ${e.actorKeyPrefix ?? "(deleted)"}`,
      secondary: e.actorName ? `as ${e.actorName}` : e.actorUserId ? null : "service key",
    };
  }
  if (e.actorUserId) return { primary: e.actorName ?? "Deleted user", secondary: e.actorEmail };
  return { primary: "System", secondary: null };
}

/** What the event was about: the key's name at the time, or a count for the "all" actions. */
export function describeTarget(e: { action: string; targetName: string | null; metadata: Record<string, unknown> | null }): string | null {
  if (e.targetName) return e.targetName;
  const n = e.metadata?.count;
  if (typeof n !== "number") return null;
  const noun = e.action.startsWith("personal_token.") ? "token" : "key";
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
