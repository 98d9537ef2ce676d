import { sql } from "drizzle-orm";
import { getDatabase, type DatabaseKind } from "@/db";
import { accessLogStats } from "@/lib/access-log/writer";
import { redisStatus } from "@/lib/redis";
import { healthSchema, livenessSchema } from "@/lib/validations/responses";
import { ApiAnswer, ApiError } from "../envelope";
import { ERROR_MESSAGES } from "../errors";
import { defineOperation } from "./define";

/** How long the readiness check waits for the database: a probe must answer, not hang. */
export const HEALTH_TIMEOUT_MS = 2_000;

export const getHealthOperation = defineOperation({
  id: "getHealth",
  method: "GET",
  path: "/api/health",
  tag: "Service",
  summary: "Check readiness",
  description:
    `Whether the service can serve requests: it and its database answer. No key needed. 503 (degraded, with Retry-After) when the database ` +
    `does not answer within ${HEALTH_TIMEOUT_MS / 1000} s; a load balancer should send traffic elsewhere until it is 200 again.`,
  scope: null,
  permission: null,
  output: {
    component: "Health",
    schema: healthSchema,
    example: { status: "ok", database: { kind: "postgres", reachable: true }, accessLog: { pending: 12, dropped: 0 }, rateLimits: { redis: "ok" } },
  },
  status: 200,
  errorStatuses: [503],
  async handler() {
    // Stopping (scripts/server.mjs): not ready, so a load balancer moves traffic elsewhere first.
    if ((globalThis as { __latchkeyDraining?: boolean }).__latchkeyDraining)
      throw new ApiError(503, "shutting_down", ERROR_MESSAGES.shuttingDown, {}, { "retry-after": "1" });
    try {
      const kind = await probeDatabase();
      return { status: "ok", database: { kind, reachable: true }, accessLog: accessLogStats(), rateLimits: { redis: redisStatus() } };
    } catch {
      throw new ApiError(503, "database_unreachable", ERROR_MESSAGES.databaseUnreachable, {}, { "retry-after": "5" });
    }
  },
});

// Probes that arrive while one is running share its answer: a load balancer's (or a benchmark's)
// burst of health checks is one `select 1`, not one per request queued for the pool's connections.
// Each probe is at most HEALTH_TIMEOUT_MS old when it answers, and started no earlier than the
// previous one ended.
let probing: Promise<DatabaseKind> | null = null;

function probeDatabase(): Promise<DatabaseKind> {
  probing ??= (async () => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("the database did not answer in time")), HEALTH_TIMEOUT_MS);
    });
    try {
      const { db, kind } = await Promise.race([getDatabase(), late]);
      await Promise.race([db.execute(sql`select 1`), late]);
      return kind;
    } finally {
      clearTimeout(timer);
      probing = null;
    }
  })();
  return probing;
}

export const getLivenessOperation = defineOperation({
  id: "getLiveness",
  method: "GET",
  path: "/api/health/live",
  tag: "Service",
  summary: "Check liveness",
  description:
    "Whether this process answers at all; it never touches the database. For an orchestrator's liveness probe: restart the process " +
    "only when this fails, not when /api/health is degraded (a restart does not bring a database back).",
  scope: null,
  permission: null,
  output: { component: "Liveness", schema: livenessSchema, example: { status: "alive" } },
  status: 200,
  handler: async () => ({ status: "alive" }),
});

export const getOpenApiDocumentOperation = defineOperation({
  id: "getOpenApiDocument",
  method: "GET",
  path: "/api/openapi.json",
  tag: "Service",
  summary: "Get the OpenAPI document",
  description: "This API described as an OpenAPI 3.1 document (not wrapped in the envelope). No key needed.",
  scope: null,
  permission: null,
  status: 200,
  // Public, like the reference page it mirrors: the document holds no workspace data. Its server
  // URL comes from configuration, not from the request, so every client (and cache) sees the same.
  async handler() {
    // Loaded when asked: the document is built from the list this operation belongs to.
    const { openApiDocumentText } = await import("../openapi");
    return new ApiAnswer(
      200,
      { "content-type": "application/json; charset=utf-8", "cache-control": "public, max-age=300", "x-content-type-options": "nosniff" },
      openApiDocumentText(),
    );
  },
});
