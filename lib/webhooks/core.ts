import "server-only";
import { and, count, desc, eq } from "drizzle-orm";
import type { Db, DbOrTx, Tx } from "@/db";
import { webhookDeliveries, webhookEndpoints, workspaces, type WebhookDelivery, type WebhookEndpoint } from "@/db/schema";
import { isUuid } from "@/lib/api-keys/core";
import { assertCan, type WorkspaceContext } from "@/lib/auth/context";
import { diffFields, recordAudit } from "@/lib/audit/record";
import { now } from "@/lib/clock";
import { AppError, invalid, notFound } from "@/lib/errors";
import { fieldErrorsOf } from "@/lib/validations/api-keys";
import {
  createWebhookSchema,
  listDeliveriesSchema,
  updateWebhookSchema,
  type CreateWebhookInput,
  type ListDeliveriesInput,
  type UpdateWebhookInput,
} from "@/lib/validations/webhooks";
import { newMessageId, webhookPayload } from "./outbox";
import { encryptSecret } from "./secret-box";
import { generateWebhookSecret } from "./sign";

// Webhook endpoints of a workspace: its Admins' business, like the rest of its settings. The
// signing secret is shown once, when made or rotated, and stored only encrypted.

const DENIED = "Only workspace Admins can manage webhooks.";
const NOT_FOUND = "No such webhook endpoint in this workspace.";
/** Each endpoint is a query's row on every audited key event; a bound keeps that cheap. */
export const MAX_ENDPOINTS_PER_WORKSPACE = 20;

export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type WebhookDeliveryView = Omit<WebhookDelivery, "workspaceId" | "payload" | "endpointId">;

function toView(e: WebhookEndpoint): WebhookEndpointView {
  return { id: e.id, url: e.url, description: e.description, events: e.events, enabled: e.enabled, createdAt: e.createdAt, updatedAt: e.updatedAt };
}

function parse<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import("zod").ZodError } },
  input: unknown,
): T {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw invalid(fieldErrorsOf(r.error));
  return r.data;
}

/**
 * What the audit log keeps of a URL: its origin only. Receivers often carry their own credential
 * in the path or query (chat services do), and the log is read more widely than the endpoint.
 */
export function auditUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname === "/" && !u.search ? u.origin : `${u.origin}/…`;
  } catch {
    return "(invalid URL)";
  }
}

async function loadEndpoint(tx: DbOrTx, ctx: WorkspaceContext, id: string, lock = false): Promise<WebhookEndpoint> {
  if (!isUuid(id)) throw notFound(NOT_FOUND);
  const q = tx
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.workspaceId, ctx.workspace.id)));
  const [row] = lock ? await q.for("update") : await q;
  if (!row) throw notFound(NOT_FOUND);
  return row;
}

export async function createWebhookEndpoint(
  db: Db,
  ctx: WorkspaceContext,
  rawInput: CreateWebhookInput | unknown,
): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  assertCan(ctx, "workspace.settings", DENIED);
  const input = parse(createWebhookSchema, rawInput);
  const secret = generateWebhookSecret();
  return db.transaction(async (tx) => {
    // Locked: two creations at once cannot both pass the bound.
    await tx.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.id, ctx.workspace.id)).for("update");
    const [{ n }] = await tx.select({ n: count() }).from(webhookEndpoints).where(eq(webhookEndpoints.workspaceId, ctx.workspace.id));
    if (n >= MAX_ENDPOINTS_PER_WORKSPACE)
      throw invalid({ url: [`A workspace can have at most ${MAX_ENDPOINTS_PER_WORKSPACE} webhook endpoints; delete one first.`] });
    const [endpoint] = await tx
      .insert(webhookEndpoints)
      .values({ workspaceId: ctx.workspace.id, ...input, secretEncrypted: encryptSecret(secret), createdById: ctx.humanId })
      .returning();
    await recordAudit(tx, ctx, {
      action: "webhook.created",
      targetName: auditUrl(endpoint.url),
      changes: diffFields({}, { url: auditUrl(endpoint.url), description: endpoint.description, events: endpoint.events, enabled: endpoint.enabled }),
      metadata: { endpointId: endpoint.id },
    });
    return { endpoint: toView(endpoint), secret };
  });
}

export async function updateWebhookEndpoint(
  db: Db,
  ctx: WorkspaceContext,
  id: string,
  rawInput: UpdateWebhookInput | unknown,
): Promise<WebhookEndpointView> {
  assertCan(ctx, "workspace.settings", DENIED);
  const patch = parse(updateWebhookSchema, rawInput);
  return db.transaction(async (tx) => {
    const current = await loadEndpoint(tx, ctx, id, true);
    const changes = diffFields(current as unknown as Record<string, unknown>, patch);
    if (Object.keys(changes).length === 0) return toView(current);
    const fields = Object.keys(changes) as (keyof typeof patch)[];
    const written = Object.fromEntries(fields.map((f) => [f, patch[f]]));
    const [updated] = await tx
      .update(webhookEndpoints)
      .set({ ...written, updatedAt: new Date() })
      .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.workspaceId, ctx.workspace.id)))
      .returning();
    if (changes.url) changes.url = { from: auditUrl(current.url), to: auditUrl(updated.url) };
    await recordAudit(tx, ctx, { action: "webhook.updated", targetName: auditUrl(updated.url), changes, metadata: { endpointId: id } });
    return toView(updated);
  });
}

/** Deletes the endpoint and every delivery it had, sent or not; returns what it was. */
export async function deleteWebhookEndpoint(db: Db, ctx: WorkspaceContext, id: string): Promise<WebhookEndpointView> {
  assertCan(ctx, "workspace.settings", DENIED);
  return db.transaction(async (tx) => {
    const current = await loadEndpoint(tx, ctx, id, true);
    await tx.delete(webhookEndpoints).where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.workspaceId, ctx.workspace.id)));
    await recordAudit(tx, ctx, { action: "webhook.deleted", targetName: auditUrl(current.url), metadata: { endpointId: id } });
    return toView(current);
  });
}

/**
 * A new signing secret, shown once. The old one stops at once: deliveries still queued are signed
 * when sent, so with the new one.
 */
export async function rotateWebhookSecret(db: Db, ctx: WorkspaceContext, id: string): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  assertCan(ctx, "workspace.settings", DENIED);
  const secret = generateWebhookSecret();
  return db.transaction(async (tx) => {
    await loadEndpoint(tx, ctx, id, true);
    const [updated] = await tx
      .update(webhookEndpoints)
      .set({ secretEncrypted: encryptSecret(secret), updatedAt: new Date() })
      .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.workspaceId, ctx.workspace.id)))
      .returning();
    await recordAudit(tx, ctx, { action: "webhook.secret_rotated", targetName: auditUrl(updated.url), metadata: { endpointId: id } });
    return { endpoint: toView(updated), secret };
  });
}

/** One endpoint of the workspace; another workspace's is not found. */
export async function getWebhookEndpoint(db: DbOrTx, ctx: WorkspaceContext, id: string): Promise<WebhookEndpointView> {
  assertCan(ctx, "workspace.settings", DENIED);
  return toView(await loadEndpoint(db, ctx, id));
}

/** The workspace's endpoints, oldest first (bounded by MAX_ENDPOINTS_PER_WORKSPACE). */
export async function listWebhookEndpoints(db: DbOrTx, ctx: WorkspaceContext): Promise<WebhookEndpointView[]> {
  assertCan(ctx, "workspace.settings", DENIED);
  const rows = await db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.workspaceId, ctx.workspace.id))
    .orderBy(webhookEndpoints.createdAt, webhookEndpoints.id)
    .limit(MAX_ENDPOINTS_PER_WORKSPACE);
  return rows.map(toView);
}

export interface WebhookDeliveryPage {
  rows: WebhookDeliveryView[];
  total: number;
  page: number;
  pageSize: number;
}

/** One endpoint's deliveries, newest first, paged in SQL. */
export async function listWebhookDeliveries(
  db: DbOrTx,
  ctx: WorkspaceContext,
  endpointId: string,
  rawInput: ListDeliveriesInput | unknown = {},
): Promise<WebhookDeliveryPage> {
  assertCan(ctx, "workspace.settings", DENIED);
  const { page, pageSize } = parse(listDeliveriesSchema, rawInput);
  await loadEndpoint(db, ctx, endpointId);
  const where = and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.workspaceId, ctx.workspace.id));
  const [rows, [{ total }]] = await Promise.all([
    db
      .select({
        id: webhookDeliveries.id,
        eventType: webhookDeliveries.eventType,
        messageId: webhookDeliveries.messageId,
        status: webhookDeliveries.status,
        attempts: webhookDeliveries.attempts,
        nextAttemptAt: webhookDeliveries.nextAttemptAt,
        lastAttemptAt: webhookDeliveries.lastAttemptAt,
        lastStatusCode: webhookDeliveries.lastStatusCode,
        lastError: webhookDeliveries.lastError,
        createdAt: webhookDeliveries.createdAt,
        deliveredAt: webhookDeliveries.deliveredAt,
      })
      .from(webhookDeliveries)
      .where(where)
      .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ total: count() }).from(webhookDeliveries).where(where),
  ]);
  return { rows, total, page, pageSize };
}

/** Queues a `webhook.test` delivery to one endpoint, whatever it subscribes to; the worker sends it within a second or so. */
export async function sendTestWebhook(db: Db, ctx: WorkspaceContext, id: string): Promise<{ deliveryId: string; messageId: string }> {
  assertCan(ctx, "workspace.settings", DENIED);
  return db.transaction(async (tx: Tx) => {
    const endpoint = await loadEndpoint(tx, ctx, id);
    if (!endpoint.enabled) throw new AppError("conflict", "This endpoint is disabled: enable it to send a test event.");
    const at = now();
    const messageId = newMessageId();
    const [row] = await tx
      .insert(webhookDeliveries)
      .values({
        endpointId: id,
        workspaceId: ctx.workspace.id,
        eventType: "webhook.test",
        messageId,
        payload: webhookPayload("webhook.test", { workspaceId: ctx.workspace.id, endpointId: id }, at),
        nextAttemptAt: at,
        createdAt: at,
      })
      .returning({ id: webhookDeliveries.id });
    return { deliveryId: row.id, messageId };
  });
}
