import { eq } from "drizzle-orm";
import type { Db, Tx } from "@/db";
import { apiKeys, workspaces, type ApiKey } from "@/db/schema";
import { notifyAboutKey } from "@/lib/notifications/key-events";
import { clean } from "@/lib/reminders/run";
import { hashSecret, isWellFormedSecret } from "./format";
import { revokeKeysInTx } from "./core";

// Self-revocation (RFC 7009's shape, POST /api/revoke): whoever holds a key's secret may revoke
// it, with no other credential: presenting it proves possession. The key itself is the actor
// (no person is), the reason is "compromised" (someone found it where it should not be), and the
// audit event records the address it came from. The caller learns nothing: every outcome answers
// alike, so this is never an oracle for which secrets exist (lib/api/operations/revoke.ts).

export type SelfRevocationOutcome = "revoked" | "malformed" | "unknown" | "already_revoked";

export interface SelfRevocationMeta {
  ip: string | null;
  userAgent: string | null;
}

/**
 * Revokes the key whose secret this is, whatever its state (disabled, expired, its owner gone),
 * unless it is revoked already. The secret is only hashed: it is never stored, logged or audited.
 */
export async function revokeKeyBySecret(db: Db, secret: string, meta: SelfRevocationMeta): Promise<SelfRevocationOutcome> {
  // The checksum rejects what can be no key without a query.
  if (!isWellFormedSecret(secret)) return "malformed";
  const hash = hashSecret(secret);
  return db.transaction(async (tx) => {
    // Locked: of two revocations at once, the second finds it revoked.
    const [key] = await tx.select().from(apiKeys).where(eq(apiKeys.secretHash, hash)).for("update");
    if (!key) return "unknown";
    if (key.revokedAt) return "already_revoked";
    await revokeKeysInTx(tx, { userId: null, apiKeyId: key.id, ip: meta.ip, userAgent: meta.userAgent }, eq(apiKeys.id, key.id), {
      revokedById: null,
      revocation: { reason: "compromised", text: null },
      metadata: { via: "self_revocation" },
    });
    await notifySelfRevocation(tx, key, meta);
    return "revoked";
  });
}

/**
 * Tells the key's owner, its creator and the workspace's Admins that someone presented the key to
 * /api/revoke (it was found somewhere it should not be), in the revocation's transaction. The
 * webhook (api_key.leaked) goes out through the audit event the revocation wrote.
 */
async function notifySelfRevocation(tx: Tx, key: ApiKey, meta: SelfRevocationMeta): Promise<void> {
  const [workspace] = await tx
    .select({ id: workspaces.id, slug: workspaces.slug, name: workspaces.name })
    .from(workspaces)
    .where(eq(workspaces.id, key.workspaceId));
  if (!workspace) return;
  const name = clean(key.name);
  const noun = key.kind === "personal" ? "personal token" : "API key";
  const title = `${noun[0].toUpperCase()}${noun.slice(1)} "${name}" was reported leaked and is revoked`;
  const body = `Someone presented the secret of the ${noun} "${name}" to Latchkey's public revocation endpoint${meta.ip ? ` from ${meta.ip}` : ""}, so it was revoked at once as compromised. Whoever had it can no longer use it. Find where it was exposed, and give the integrations that used it a new key.`;
  await notifyAboutKey(tx, key, workspace, { kind: "key_leaked", title, body, subject: title });
}
