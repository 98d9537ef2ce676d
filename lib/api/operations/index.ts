import {
  createApiKeyOperation,
  getApiKeyOperation,
  listApiKeysOperation,
  revokeAllApiKeysOperation,
  revokeApiKeyOperation,
  rotateApiKeyOperation,
  searchApiKeysOperation,
  topUpQuotaOperation,
  updateApiKeyOperation,
} from "./api-keys";
import { listAuditEventsOperation } from "./audit";
import { getMeOperation } from "./caller";
import type { Operation } from "./define";
import { revokeTokenOperation } from "./revoke";
import { getHealthOperation, getLivenessOperation, getOpenApiDocumentOperation } from "./service";
import { createMyTokenOperation, deleteAllMyTokensOperation, deleteMyTokenOperation, listMyTokensOperation } from "./tokens";
import { verifyApiKeyOperation } from "./verify";
import {
  createWebhookEndpointOperation,
  deleteWebhookEndpointOperation,
  getWebhookEndpointOperation,
  listWebhookDeliveriesOperation,
  listWebhookEndpointsOperation,
  rotateWebhookSecretOperation,
  sendTestWebhookOperation,
  updateWebhookEndpointOperation,
} from "./webhooks";

export type { HttpMethod, KeyOperation, Operation, PublicOperation } from "./define";
export { API_TAGS, type ApiTag } from "./define";

/**
 * Every endpoint of the REST API, in the order of the reference page. The dispatcher routes
 * these (under Next and in the lean listener alike), the OpenAPI document and the reference
 * page describe them. Adding an endpoint is one entry here plus its core function.
 */
export const OPERATIONS: readonly Operation[] = [
  listApiKeysOperation,
  createApiKeyOperation,
  searchApiKeysOperation,
  getApiKeyOperation,
  updateApiKeyOperation,
  revokeApiKeyOperation,
  rotateApiKeyOperation,
  topUpQuotaOperation,
  revokeAllApiKeysOperation,
  getMeOperation,
  listMyTokensOperation,
  createMyTokenOperation,
  deleteAllMyTokensOperation,
  deleteMyTokenOperation,
  verifyApiKeyOperation,
  listAuditEventsOperation,
  listWebhookEndpointsOperation,
  createWebhookEndpointOperation,
  getWebhookEndpointOperation,
  updateWebhookEndpointOperation,
  deleteWebhookEndpointOperation,
  rotateWebhookSecretOperation,
  sendTestWebhookOperation,
  listWebhookDeliveriesOperation,
  revokeTokenOperation,
  getHealthOperation,
  getLivenessOperation,
  getOpenApiDocumentOperation,
];

/** The operation with this operationId; throws for a name that is not one (a test's typo). */
export function operationById(id: string): Operation {
  const op = OPERATIONS.find((o) => o.id === id);
  if (!op) throw new Error(`No operation ${id}`);
  return op;
}
