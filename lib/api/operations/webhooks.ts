import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  rotateWebhookSecret,
  sendTestWebhook,
  updateWebhookEndpoint,
} from "@/lib/webhooks/core";
import { createWebhookSchema, listDeliveriesSchema, updateWebhookSchema } from "@/lib/validations/webhooks";
import type { z } from "zod";
import {
  webhookDeliveryPageSchema,
  webhookDeliveryViewSchema,
  webhookEndpointViewSchema,
  webhookEndpointListSchema,
  webhookEndpointResultSchema,
  webhookTestResultSchema,
  webhookWithSecretSchema,
} from "@/lib/validations/responses";
import { defineOperation } from "./define";

// The REST face of lib/webhooks/core.ts: the same core functions as the Settings page, so the
// owner must be allowed to change the workspace's settings (Admin) for reads as for changes.

const PERMISSION = "The key's owner must be allowed to manage the workspace's settings (Admin).";
const ENDPOINT_ID = { id: "The webhook endpoint's id." };
const PARAMS = { params: { id: "$WEBHOOK_ID" } };

const EXAMPLE_ENDPOINT: z.input<typeof webhookEndpointViewSchema> = {
  id: "3a7f1c9e-2b4d-4e6f-8a1b-5c7d9e0f1a2b",
  url: "https://hooks.example.com/latchkey",
  description: "Security alerts",
  events: ["api_key.created", "api_key.revoked", "api_key.leaked"],
  enabled: true,
  createdAt: "2026-03-01T10:00:00.000Z",
  updatedAt: "2026-03-01T10:00:00.000Z",
};
/** Not a usable secret: the real ones are 32 random bytes. */
const EXAMPLE_WEBHOOK_SECRET = "whsec_RXhhbXBsZU9ubHlOb3RBUmVhbFNlY3JldDAwMDA=";
const EXAMPLE_DELIVERY: z.input<typeof webhookDeliveryViewSchema> = {
  id: "6e2d4f8a-1c3b-4a5d-9e7f-0b1c2d3e4f5a",
  eventType: "api_key.revoked",
  messageId: "msg_2Yx8dK1qWzQ5vR7tL0pN3a",
  status: "delivered",
  attempts: 1,
  nextAttemptAt: "2026-03-15T08:00:00.000Z",
  lastAttemptAt: "2026-03-15T08:00:00.412Z",
  lastStatusCode: 200,
  lastError: null,
  createdAt: "2026-03-15T08:00:00.000Z",
  deliveredAt: "2026-03-15T08:00:00.412Z",
};

export const listWebhookEndpointsOperation = defineOperation({
  id: "listWebhookEndpoints",
  method: "GET",
  path: "/api/data/webhooks",
  tag: "Webhooks",
  summary: "List webhook endpoints",
  description: "The workspace's webhook endpoints, oldest first (at most 20). Signing secrets are never listed.",
  scope: "webhooks:write",
  permission: PERMISSION,
  output: { component: "WebhookEndpointList", schema: webhookEndpointListSchema, example: { items: [EXAMPLE_ENDPOINT] } },
  status: 200,
  handler: async ({ db, ctx }) => ({ items: await listWebhookEndpoints(db, ctx) }),
});

export const createWebhookEndpointOperation = defineOperation({
  id: "createWebhookEndpoint",
  method: "POST",
  path: "/api/data/webhooks",
  tag: "Webhooks",
  summary: "Create a webhook endpoint",
  description:
    "Adds an endpoint that is sent the chosen events, and returns its signing secret. The secret is in this response only: it is stored encrypted " +
    "and cannot be read again (roll it for a new one). A workspace can have at most 20 endpoints.",
  scope: "webhooks:write",
  permission: PERMISSION,
  body: { component: "CreateWebhookRequest", schema: createWebhookSchema, required: true, invalidExample: { url: "ftp://example.com", events: [] } },
  examples: { body: { url: "https://hooks.example.com/latchkey", description: "Security alerts", events: ["api_key.created", "api_key.revoked"] } },
  output: {
    component: "WebhookEndpointWithSecret",
    schema: webhookWithSecretSchema,
    example: { endpoint: EXAMPLE_ENDPOINT, secret: EXAMPLE_WEBHOOK_SECRET },
  },
  status: 201,
  location: (data) => `/api/data/webhooks/${data.endpoint.id}`,
  handler: async ({ db, ctx, input }) => createWebhookEndpoint(db, ctx, input),
});

export const getWebhookEndpointOperation = defineOperation({
  id: "getWebhookEndpoint",
  method: "GET",
  path: "/api/data/webhooks/{id}",
  tag: "Webhooks",
  summary: "Get a webhook endpoint",
  description: "One endpoint of the workspace, without its secret. An endpoint of another workspace is not found.",
  scope: "webhooks:write",
  permission: PERMISSION,
  params: ENDPOINT_ID,
  examples: PARAMS,
  output: { component: "WebhookEndpointResult", schema: webhookEndpointResultSchema, example: { endpoint: EXAMPLE_ENDPOINT } },
  status: 200,
  notFound: true,
  handler: async ({ db, ctx }, { id }) => ({ endpoint: await getWebhookEndpoint(db, ctx, id) }),
});

export const updateWebhookEndpointOperation = defineOperation({
  id: "updateWebhookEndpoint",
  method: "PATCH",
  path: "/api/data/webhooks/{id}",
  tag: "Webhooks",
  summary: "Update a webhook endpoint",
  description:
    "Changes the given fields and leaves the others as they are. Disabling an endpoint stops its sending: events meanwhile are not queued for it.",
  scope: "webhooks:write",
  permission: PERMISSION,
  params: ENDPOINT_ID,
  body: { component: "UpdateWebhookRequest", schema: updateWebhookSchema, required: false, invalidExample: { events: ["key.stolen"] } },
  examples: { ...PARAMS, body: { enabled: false } },
  output: {
    component: "WebhookEndpointResult",
    schema: webhookEndpointResultSchema,
    example: { endpoint: { ...EXAMPLE_ENDPOINT, enabled: false, updatedAt: "2026-03-15T08:00:00.000Z" } },
  },
  status: 200,
  notFound: true,
  handler: async ({ db, ctx, input }, { id }) => ({ endpoint: await updateWebhookEndpoint(db, ctx, id, input) }),
});

export const deleteWebhookEndpointOperation = defineOperation({
  id: "deleteWebhookEndpoint",
  method: "DELETE",
  path: "/api/data/webhooks/{id}",
  tag: "Webhooks",
  summary: "Delete a webhook endpoint",
  description: "Deletes the endpoint and its delivery history; deliveries still queued are not sent. Returns the endpoint as it was.",
  scope: "webhooks:write",
  permission: PERMISSION,
  params: ENDPOINT_ID,
  examples: PARAMS,
  output: { component: "WebhookEndpointResult", schema: webhookEndpointResultSchema, example: { endpoint: EXAMPLE_ENDPOINT } },
  status: 200,
  notFound: true,
  handler: async ({ db, ctx }, { id }) => ({ endpoint: await deleteWebhookEndpoint(db, ctx, id) }),
});

export const rotateWebhookSecretOperation = defineOperation({
  id: "rotateWebhookSecret",
  method: "POST",
  path: "/api/data/webhooks/{id}/rotate-secret",
  tag: "Webhooks",
  summary: "Roll a webhook endpoint's signing secret",
  description:
    "Gives the endpoint a new signing secret, returned in this response only. The old secret stops at once: deliveries still queued are signed with the new one when sent.",
  scope: "webhooks:write",
  permission: PERMISSION,
  params: ENDPOINT_ID,
  examples: PARAMS,
  output: {
    component: "WebhookEndpointWithSecret",
    schema: webhookWithSecretSchema,
    example: { endpoint: { ...EXAMPLE_ENDPOINT, updatedAt: "2026-03-15T08:00:00.000Z" }, secret: EXAMPLE_WEBHOOK_SECRET },
  },
  status: 200,
  notFound: true,
  handler: async ({ db, ctx }, { id }) => rotateWebhookSecret(db, ctx, id),
});

export const sendTestWebhookOperation = defineOperation({
  id: "sendTestWebhook",
  method: "POST",
  path: "/api/data/webhooks/{id}/test",
  tag: "Webhooks",
  summary: "Send a test event",
  description:
    "Queues a webhook.test event to the endpoint, whatever events it subscribes to; it is sent within a second or so and shows in its deliveries. " +
    "A disabled endpoint answers 409 conflict.",
  scope: "webhooks:write",
  permission: PERMISSION,
  params: ENDPOINT_ID,
  examples: PARAMS,
  output: {
    component: "WebhookTestResult",
    schema: webhookTestResultSchema,
    example: { deliveryId: EXAMPLE_DELIVERY.id, messageId: EXAMPLE_DELIVERY.messageId },
  },
  status: 200,
  notFound: true,
  handler: async ({ db, ctx }, { id }) => sendTestWebhook(db, ctx, id),
});

export const listWebhookDeliveriesOperation = defineOperation({
  id: "listWebhookDeliveries",
  method: "GET",
  path: "/api/data/webhooks/{id}/deliveries",
  tag: "Webhooks",
  summary: "List an endpoint's deliveries",
  description:
    "What was sent to one endpoint, newest first, paged on the server: each delivery's event, status, attempts and the receiver's last answer. " +
    "Payloads are not included. Finished deliveries are kept for 30 days.",
  scope: "webhooks:write",
  permission: PERMISSION,
  params: ENDPOINT_ID,
  query: listDeliveriesSchema,
  examples: { ...PARAMS, query: { page: "1", pageSize: "20" } },
  output: {
    component: "WebhookDeliveryPage",
    schema: webhookDeliveryPageSchema,
    example: { items: [EXAMPLE_DELIVERY], total: 1, page: 1, pageSize: 20 },
  },
  status: 200,
  notFound: true,
  async handler({ db, ctx, url }, { id }) {
    // ?key= is a credential, not a filter.
    const { key: _credential, ...query } = Object.fromEntries(url.searchParams);
    const page = await listWebhookDeliveries(db, ctx, id, query);
    return { items: page.rows, total: page.total, page: page.page, pageSize: page.pageSize };
  },
});
