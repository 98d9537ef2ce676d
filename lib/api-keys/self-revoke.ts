import { eq } from "drizzle-orm";
import type { Db, Tx } from "@/db";
import { apiKeys, type ApiKey } from "@/db/schema";
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
    await notifySelfRevocation(tx, key);
    return "revoked";
  });
}

/**
 * Where "and notified" of issue 13 will hook in: telling the key's owner and the workspace's
 * Admins that someone presented the key to /api/revoke. Latchkey has no notifications yet, so
 * it does nothing; it runs in the revocation's transaction, as an outbox write would.
 */
async function notifySelfRevocation(_tx: Tx, _key: ApiKey): Promise<void> {}
