"use server";

import { workspaceAction, type ActionResult, type Requirement } from "@/lib/actions";
import type { CreateWebhookInput, UpdateWebhookInput } from "@/lib/validations/webhooks";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookDeliveries,
  rotateWebhookSecret,
  sendTestWebhook,
  updateWebhookEndpoint,
  type WebhookDeliveryPage,
  type WebhookEndpointView,
} from "./core";

// Thin adapters: the wrapper checks session, membership and the permission; the core checks
// it again and the input, writes the change and its audit event.

const WEBHOOKS: Requirement = { permission: "workspace.settings", denied: "Only workspace Admins can manage webhooks." };

function run<T>(slug: string, fn: Parameters<typeof workspaceAction<T>>[2]): Promise<ActionResult<T>> {
  return workspaceAction(slug, WEBHOOKS, fn, { revalidate: { path: `/w/${slug}/settings`, type: "page" } });
}

export async function createWebhookAction(
  slug: string,
  input: CreateWebhookInput,
): Promise<ActionResult<{ endpoint: WebhookEndpointView; secret: string }>> {
  return run(slug, (ctx, db) => createWebhookEndpoint(db, ctx, input));
}

export async function updateWebhookAction(slug: string, id: string, input: UpdateWebhookInput): Promise<ActionResult<WebhookEndpointView>> {
  return run(slug, (ctx, db) => updateWebhookEndpoint(db, ctx, id, input));
}

export async function deleteWebhookAction(slug: string, id: string): Promise<ActionResult<WebhookEndpointView>> {
  return run(slug, (ctx, db) => deleteWebhookEndpoint(db, ctx, id));
}

export async function rotateWebhookSecretAction(slug: string, id: string): Promise<ActionResult<{ endpoint: WebhookEndpointView; secret: string }>> {
  return run(slug, (ctx, db) => rotateWebhookSecret(db, ctx, id));
}

export async function sendTestWebhookAction(slug: string, id: string): Promise<ActionResult<{ deliveryId: string; messageId: string }>> {
  return run(slug, (ctx, db) => sendTestWebhook(db, ctx, id));
}

export async function listWebhookDeliveriesAction(slug: string, id: string, page: number): Promise<ActionResult<WebhookDeliveryPage>> {
  return workspaceAction(slug, WEBHOOKS, (ctx, db) => listWebhookDeliveries(db, ctx, id, { page, pageSize: 10 }));
}
