"use server";

import { revalidatePath } from "next/cache";
import { globalAdminAction, type ActionResult } from "@/lib/actions";
import { parseRequiredRevocation } from "@/lib/api-keys/core";
import { bulkChangeKeys, type BulkKeyOperation, type BulkKeyOutcome } from "./keys";

// Thin adapters: the wrapper checks the session and Global Admin; lib/admin/keys.ts checks
// Global Admin again, the id list (≤ 500) and each key's own workspace context, and changes
// every key through the audited core.

async function bulk(operation: BulkKeyOperation, ids: unknown, revocation?: unknown): Promise<ActionResult<BulkKeyOutcome>> {
  return globalAdminAction("Only Global Admins can change keys across workspaces.", async (caller, db) => {
    if (operation === "revoke") parseRequiredRevocation(revocation);
    const outcome = await bulkChangeKeys(db, caller.user, operation, ids, caller, revocation);
    if (outcome.changed > 0) revalidatePath("/admin/keys");
    return outcome;
  });
}

export async function bulkDisableKeysAction(ids: string[]): Promise<ActionResult<BulkKeyOutcome>> {
  return bulk("disable", ids);
}

/** `revocation` is `{ reason, reasonText }`, which the console always asks for. */
export async function bulkRevokeKeysAction(ids: string[], revocation: unknown): Promise<ActionResult<BulkKeyOutcome>> {
  return bulk("revoke", ids, revocation);
}
