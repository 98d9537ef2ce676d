import fs from "node:fs";
import path from "node:path";
import { randomInt } from "node:crypto";
import { crc32 } from "node:zlib";
import type { APIRequestContext, Browser, PlaywrightWorkerArgs, WorkerInfo } from "@playwright/test";
import { expect, screensOf, test as base } from "../fixtures";

// Shared helpers for the REST API tests: one `api()` call that presents a key on any channel and
// records every response for the secret scan in e2e/global-teardown.ts, envelope assertions,
// and worker fixtures holding an Admin key per workspace (on top of the screens of e2e/fixtures.ts).

export { expect };

// ── Recording for the secret scan ────────────────────────────────────────────────────────────

export const E2E_DIR = path.join(__dirname, "..", "..", ".e2e");
/** Every response body our API helper receives (the create responses with their new secret redacted). */
export const RESPONSES_LOG = path.join(E2E_DIR, "responses.log");
/** Every secret issued during the run, one per line. */
export const SECRETS_FILE = path.join(E2E_DIR, "secrets.txt");

/** Every secret this worker has received, for the secret scan. */
export const issuedSecrets: string[] = [];
/** Workspace keys created through the API during the current test, revoked after it. */
const createdKeyIds: string[] = [];

export function recordSecret(secret: string): void {
  issuedSecrets.push(secret);
  fs.mkdirSync(E2E_DIR, { recursive: true });
  fs.appendFileSync(SECRETS_FILE, `${secret}\n`);
}

function recordResponse(line: string, headers: Record<string, string>, body: string): void {
  fs.mkdirSync(E2E_DIR, { recursive: true });
  fs.appendFileSync(RESPONSES_LOG, `${line}\n${JSON.stringify(headers)}\n${body}\n\n`);
}

// ── Secrets the server has never issued ─────────────────────────────────────────────────────

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function base62(value: number, width: number): string {
  let n = value >>> 0;
  let out = "";
  do {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out.padStart(width, "0");
}

const randomBase62 = (length: number) => Array.from({ length }, () => BASE62[randomInt(62)]).join("");

/** A key in Latchkey's format with a correct checksum that no workspace has: unknown_key, not malformed_key. */
export function wellFormedUnknownSecret(random = randomBase62(32)): string {
  return `lk_${random}${base62(crc32(random), 6)}`;
}

/** lk_ + 38 base62 characters whose checksum is wrong. */
export function badChecksumSecret(): string {
  const good = wellFormedUnknownSecret();
  const last = good.at(-1)!;
  return good.slice(0, -1) + (last === "0" ? "1" : "0");
}

// ── Client addresses ─────────────────────────────────────────────────────────────────────────

/**
 * A random client address (198.18.0.0/15, the benchmarking range), used when a request names
 * none: failed authentications are counted per address, so no test's failures reach another's.
 */
export function randomAddress(): string {
  return `198.${18 + randomInt(2)}.${randomInt(256)}.${1 + randomInt(254)}`;
}

// ── The API call ─────────────────────────────────────────────────────────────────────────────

export type Via = "bearer" | "x-apikey" | "query" | "form" | "json";
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface EnvelopeError {
  message: string;
  code: string;
  technicalError?: string;
  additionalErrors?: string[];
  validationErrors?: Record<string, string[]>;
}

export interface Envelope<T> {
  success: boolean;
  hasError: boolean;
  statusCode: string;
  data?: T;
  error?: EnvelopeError;
}

export interface ApiOptions {
  /** The key to present, on the channel `via` (default X-ApiKey). */
  key?: string;
  via?: Via;
  headers?: Record<string, string>;
  query?: Record<string, string | string[]>;
  /** A JSON body. */
  body?: unknown;
  /** An urlencoded form body; arrays repeat the field. */
  form?: Record<string, string | string[]>;
  /** An exact body, sent with whatever content-type `headers` names (or none). */
  raw?: string | Buffer;
  /** X-Forwarded-For; a random address when omitted. */
  xff?: string;
}

export interface ApiResponse<T = unknown> {
  method: Method;
  path: string;
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The parsed body, or null when it is not JSON. */
  json: Envelope<T> | null;
}

export async function api<T = unknown>(request: APIRequestContext, method: Method, pathname: string, opts: ApiOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { "x-forwarded-for": opts.xff ?? randomAddress() };
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  const [pathOnly, search = ""] = pathname.split("?");
  const query = new URLSearchParams(search);
  for (const [k, v] of Object.entries(opts.query ?? {})) for (const x of [v].flat()) query.append(k, x);
  let form = opts.form;
  let body = opts.body;

  if (opts.key !== undefined) {
    const via = opts.via ?? "x-apikey";
    if (via === "bearer") headers.authorization = `Bearer ${opts.key}`;
    else if (via === "x-apikey") headers["x-apikey"] = opts.key;
    else if (via === "query") query.append("key", opts.key);
    else if (via === "form") form = { ...form, key: opts.key };
    else body = { ...(body as Record<string, unknown> | undefined), API_Key: opts.key };
  }

  let data: string | Buffer | undefined;
  if (form) {
    const f = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of [v].flat()) f.append(k, x);
    data = f.toString();
    headers["content-type"] ??= "application/x-www-form-urlencoded";
  } else if (body !== undefined) {
    data = JSON.stringify(body);
    headers["content-type"] ??= "application/json";
  } else if (opts.raw !== undefined) {
    data = opts.raw;
  }
  // As bytes: Playwright would re-encode a string that is not valid JSON under a JSON content type.
  if (typeof data === "string") data = Buffer.from(data, "utf8");

  const qs = query.toString();
  const url = qs ? `${pathOnly}?${qs}` : pathOnly;
  const res = await request.fetch(url, { method, headers, data, failOnStatusCode: false, maxRedirects: 0 });
  const text = await res.text();
  let json: Envelope<T> | null = null;
  try {
    json = JSON.parse(text) as Envelope<T>;
  } catch {
    json = null;
  }
  const responseHeaders = res.headers();

  // A create response legitimately carries its new secret once: keep the secret for the scan and
  // record the rest of the response, so a second secret in it would still be caught.
  const issued = res.status() === 201 ? (json?.data as { secret?: unknown } | undefined)?.secret : undefined;
  let recorded = text;
  if (typeof issued === "string" && issued) {
    recordSecret(issued);
    const createdId = (json?.data as { key?: { id?: unknown } } | undefined)?.key?.id;
    if (method === "POST" && pathOnly === "/api/data/api-keys" && typeof createdId === "string") createdKeyIds.push(createdId);
    recorded = text.split(issued).join("<the issued secret>");
  }
  recordResponse(`${method} ${pathOnly} → ${res.status()}`, responseHeaders, recorded);

  return { method, path: pathOnly, status: res.status(), headers: responseHeaders, text, json };
}

// ── Envelope assertions ──────────────────────────────────────────────────────────────────────

export const STATUS_NAMES: Record<number, string> = {
  200: "OK",
  201: "Created",
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
  429: "TooManyRequests",
};

const show = (res: ApiResponse) => `${res.method} ${res.path} → ${res.status}: ${res.text.slice(0, 600)}`;

/** Asserts a success envelope with this status and returns its data. */
export function expectOk<T>(res: ApiResponse<T>, status = 200): T {
  expect(res.status, show(res)).toBe(status);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  expect(res.json).toMatchObject({ success: true, hasError: false, statusCode: STATUS_NAMES[status] });
  expect(res.json).not.toHaveProperty("error");
  return res.json!.data as T;
}

/** Asserts a failure envelope with this status and code and returns its error. */
export function expectError(res: ApiResponse, status: number, code: string): EnvelopeError {
  expect(res.status, show(res)).toBe(status);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  expect(res.json, show(res)).toMatchObject({
    success: false,
    hasError: true,
    statusCode: STATUS_NAMES[status],
    error: { code, message: expect.any(String) },
  });
  expect(res.json).not.toHaveProperty("data");
  expect(res.json!.error!.message.length).toBeGreaterThan(0);
  return res.json!.error!;
}

/** Asserts a 400 validation envelope and returns its field errors. */
export function expectValidation(res: ApiResponse): Record<string, string[]> {
  const error = expectError(res, 400, "validation_failed");
  expect(error.validationErrors).toBeDefined();
  return error.validationErrors!;
}

// ── Keys ─────────────────────────────────────────────────────────────────────────────────────

export const SECRET_RE = /^lk_[0-9A-Za-z]{38}$/;
export const ALL_SCOPES = ["api_keys:read", "api_keys:write", "tokens:write", "me:read", "audit:read", "verify", "webhooks:write"] as const;

export interface KeyView {
  id: string;
  name: string;
  description: string | null;
  ownerId: string | null;
  ownerName: string | null;
  ownerEmail: string | null;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
  enabled: boolean;
  bearerAllowed: boolean;
  createdAt: string;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  lastUsedIntegration: string | null;
  revokedAt: string | null;
  state: "active" | "disabled" | "expired" | "revoked";
}

export interface KeyPage {
  items: KeyView[];
  total: number;
  page: number;
  pageSize: number;
}

export interface MeView {
  user: { id: string; email: string; name: string } | null;
  workspace: { id: string; slug: string; name: string };
  role: string | null;
  permissions: string[];
  key: {
    id: string;
    name: string;
    prefix: string;
    kind: string;
    serviceKey: boolean;
    scopes: string[];
    expiresAt: string | null;
    bearerAllowed: boolean;
  };
}

let nameCounter = 0;
/** A key name no other test uses (names are unique among a workspace's live keys). */
export function uniqueName(label: string): string {
  nameCounter += 1;
  return `${label} ${Date.now().toString(36)}${nameCounter}${randomInt(1000)}`;
}

/** Creates a key through the REST API with an Admin's key. */
export async function createApiKey(
  request: APIRequestContext,
  adminSecret: string,
  input: Record<string, unknown>,
): Promise<{ key: KeyView; secret: string }> {
  const body = { ...input, name: input.name ?? uniqueName("E2E key") };
  const data = expectOk(await api<{ key: KeyView; secret: string }>(request, "POST", "/api/data/api-keys", { key: adminSecret, body }), 201);
  expect(data.secret).toMatch(SECRET_RE);
  return data;
}

/** Reads a key through the REST API (with an Admin's key). */
export async function getApiKey(request: APIRequestContext, adminSecret: string, id: string): Promise<KeyView> {
  return expectOk(await api<{ key: KeyView }>(request, "GET", `/api/data/api-keys/${id}`, { key: adminSecret })).key;
}

// ── Worker fixtures: an Admin key per workspace ──────────────────────────────────────────────

export interface WorkspaceFixture {
  slug: string;
  adminEmail: string;
  /** An Admin-owned key with every scope, created through the console. */
  admin: { secret: string; keyId: string; userId: string };
  /** Member user ids by email, read from the create dialog's Owner list. */
  memberIds: Record<string, string>;
}

function baseUrlOf(workerInfo: WorkerInfo): string {
  return String(workerInfo.project.use.baseURL);
}

/** Signs in as the workspace's Admin, creates a key in the console dialog and reads the members' ids. */
export async function bootstrapWorkspace(
  browser: Browser,
  playwright: PlaywrightWorkerArgs["playwright"],
  baseURL: string,
  slug: string,
  adminEmail: string,
): Promise<WorkspaceFixture> {
  const context = await browser.newContext({ baseURL });
  const { loginPage, apiKeysPage } = screensOf(await context.newPage());
  await loginPage.signIn(adminEmail);
  await apiKeysPage.open(slug);
  const secret = await apiKeysPage.createKey(uniqueName(`E2E API admin (${slug})`));
  recordSecret(secret);
  await apiKeysPage.createButton.click();
  const owners = await apiKeysPage.ownerOptions();
  await context.close();

  const request = await playwright.request.newContext({ baseURL });
  try {
    const me = expectOk(await api<MeView>(request, "GET", "/api/data/me", { key: secret }));
    const memberIds: Record<string, string> = { [me.user!.email]: me.user!.id };
    for (const o of owners) {
      const email = o.text.split(" · ")[1];
      if (email && /^[0-9a-f-]{36}$/.test(o.value)) memberIds[email] = o.value;
    }
    return { slug, adminEmail, admin: { secret, keyId: me.key.id, userId: me.user!.id }, memberIds };
  } finally {
    await request.dispose();
  }
}

/** Replaces a workspace fixture's Admin key (after revoke-all has revoked it). */
export async function renewAdminKey(ws: WorkspaceFixture, browser: Browser, playwright: PlaywrightWorkerArgs["playwright"], baseURL: string) {
  const fresh = await bootstrapWorkspace(browser, playwright, baseURL, ws.slug, ws.adminEmail);
  ws.admin = fresh.admin;
}

/** When the worker is done, its Admin key goes too. */
async function revokeAdminKey(ws: WorkspaceFixture, playwright: PlaywrightWorkerArgs["playwright"], baseURL: string) {
  const request = await playwright.request.newContext({ baseURL });
  try {
    await api(request, "DELETE", `/api/data/api-keys/${ws.admin.keyId}/revoke`, { key: ws.admin.secret });
  } finally {
    await request.dispose();
  }
}

export const test = base.extend<{ revokeCreatedKeys: void }, { acme: WorkspaceFixture; globex: WorkspaceFixture }>({
  // Each test leaves the workspaces as it found them: the keys it created are revoked after it
  // (other suites count the live keys on the API tab).
  revokeCreatedKeys: [
    async ({ request, acme, globex }, use) => {
      createdKeyIds.length = 0;
      await use();
      for (const id of createdKeyIds.splice(0)) {
        for (const ws of [acme, globex]) {
          const res = await api(request, "DELETE", `/api/data/api-keys/${id}/revoke`, { key: ws.admin.secret });
          if (res.status !== 404) break;
        }
      }
    },
    { auto: true },
  ],
  acme: [
    async ({ browser, playwright }, use, workerInfo) => {
      const ws = await bootstrapWorkspace(browser, playwright, baseUrlOf(workerInfo), "acme", "admin@acme.test");
      await use(ws);
      await revokeAdminKey(ws, playwright, baseUrlOf(workerInfo));
    },
    { scope: "worker" },
  ],
  globex: [
    async ({ browser, playwright }, use, workerInfo) => {
      const ws = await bootstrapWorkspace(browser, playwright, baseUrlOf(workerInfo), "globex", "admin@globex.test");
      await use(ws);
      await revokeAdminKey(ws, playwright, baseUrlOf(workerInfo));
    },
    { scope: "worker" },
  ],
});
