"use server";

import { revalidatePath } from "next/cache";
import { getDb } from "@/db";
import { requestMeta, requireSessionUser, toActionError, type ActionResult } from "@/lib/actions";
import { bulkChangeKeys, type BulkKeyOperation, type BulkKeyOutcome } from "@/lib/admin/keys";

// Thin adapters: session here; Global Admin, the id list (≤ 500) and each key's own workspace
// context are checked in lib/admin/keys.ts, which changes every key through the audited core.

async function bulk(operation: BulkKeyOperation, ids: unknown): Promise<ActionResult<BulkKeyOutcome>> {
  try {
    const db = await getDb();
    const user = await requireSessionUser(db);
    const outcome = await bulkChangeKeys(db, user, operation, ids, await requestMeta());
    if (outcome.changed > 0) revalidatePath("/admin/keys");
    return { ok: true, data: outcome };
  } catch (err) {
    return toActionError(err);
  }
}

export async function bulkDisableKeysAction(ids: string[]): Promise<ActionResult<BulkKeyOutcome>> {
  return bulk("disable", ids);
}

export async function bulkRevokeKeysAction(ids: string[]): Promise<ActionResult<BulkKeyOutcome>> {
  return bulk("revoke", ids);
}
