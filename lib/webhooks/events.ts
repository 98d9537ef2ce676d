// The event types a webhook endpoint can subscribe to: the one list the schema, validation, the
// outbox and the settings page read. `webhook.test` is only ever sent by "Send test event".
export const WEBHOOK_EVENT_TYPES = [
  "api_key.created",
  "api_key.rotated",
  "api_key.expiring",
  "api_key.expired",
  "api_key.revoked",
  "api_key.disabled",
  "api_key.enabled",
  "api_key.leaked",
  "api_key.quota_threshold",
  "webhook.test",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_EVENT_LABELS: Record<WebhookEventType, string> = {
  "api_key.created": "Key created",
  "api_key.rotated": "Key rotated",
  "api_key.expiring": "Key expiring soon",
  "api_key.expired": "Key expired",
  "api_key.revoked": "Key revoked",
  "api_key.disabled": "Key disabled",
  "api_key.enabled": "Key enabled",
  "api_key.leaked": "Key reported leaked (self-revoked)",
  "api_key.quota_threshold": "Quota threshold reached",
  "webhook.test": "Test event",
};

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return typeof value === "string" && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * The webhook event an audit entry stands for, or null. A revocation through POST /api/revoke
 * (someone presented the secret, so it is out in the world) is `api_key.leaked`, not a plain
 * revocation. A revoke-all records one `api_key.revoked` per key as well as its summary, so the
 * summary sends nothing: each key's event already did.
 */
export function webhookEventFor(action: string, metadata: Record<string, unknown> | null | undefined): WebhookEventType | null {
  switch (action) {
    case "api_key.revoked":
      return metadata?.via === "self_revocation" ? "api_key.leaked" : "api_key.revoked";
    case "api_key.created":
    case "api_key.rotated":
    case "api_key.expiring":
    case "api_key.expired":
    case "api_key.disabled":
    case "api_key.enabled":
    case "api_key.quota_threshold":
      return action;
    default:
      return null;
  }
}
