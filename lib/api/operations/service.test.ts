import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type OpenDatabase } from "@/db";
import { createTestDatabase } from "@/db/testing";
import { callApi } from "@/lib/testing/api";
import { selectsDuring } from "@/lib/testing/queries";
import { successSchemaOf } from "../openapi";
import { HEALTH_TIMEOUT_MS } from "./service";

// Readiness and liveness as an orchestrator sees them: /api/health answers promptly whatever the
// database does (200, or 503 degraded with Retry-After), and /api/health/live never needs it.
// The unreachable databases here are real sockets: a port that refuses, and a server that
// accepts connections and never says a word (a partition, or a firewall dropping packets).

const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
const get = (path: string) => callApi(new Request(`http://localhost${path}`));

async function timed(path: string) {
  const started = performance.now();
  const res = await get(path);
  return { res, body: (await res.json()) as { data?: unknown; error?: { code: string; message: string } }, ms: performance.now() - started };
}

let silent: net.Server;
let silentPort: number;
const held: net.Socket[] = [];
let refusedPort: number;

beforeAll(async () => {
  silent = net.createServer((socket) => void held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  silentPort = (silent.address() as net.AddressInfo).port;
  // A port that was just free: nothing listens there.
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  refusedPort = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
});

afterEach(() => {
  g.__latchkeyDb = undefined;
});

afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

/** A postgres.js handle on a server that is not there, closed without waiting on it. */
async function unreachable(port: number): Promise<OpenDatabase> {
  return openDatabase({ url: `postgres://latchkey@127.0.0.1:${port}/latchkey`, migrate: false });
}

describe("GET /api/health", () => {
  it("is 200 with the database's kind when it answers", async () => {
    const opened = await createTestDatabase();
    g.__latchkeyDb = Promise.resolve(opened);
    try {
      const { res, body } = await timed("/api/health");
      expect(res.status).toBe(200);
      expect(successSchemaOf("getHealth").safeParse(body).error?.issues ?? []).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it("answers a burst of probes with one query, and the next probe after it with a query of its own", async () => {
    const opened = await createTestDatabase();
    g.__latchkeyDb = Promise.resolve(opened);
    try {
      let burst: Response[] = [];
      const during = await selectsDuring(opened.db, async () => {
        burst = await Promise.all(Array.from({ length: 20 }, () => get("/api/health")));
      });
      expect(burst.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(during).toBe(1);
      expect(await selectsDuring(opened.db, () => get("/api/health"))).toBe(1);
    } finally {
      await opened.close();
    }
  });

  it("is 503 degraded with Retry-After, at once, when the database refuses connections", async () => {
    const db = await unreachable(refusedPort);
    g.__latchkeyDb = Promise.resolve(db);
    const { res, body, ms } = await timed("/api/health");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(body.error).toMatchObject({ code: "database_unreachable", message: expect.stringMatching(/^Degraded/) });
    expect(ms).toBeLessThan(HEALTH_TIMEOUT_MS);
    void db.close();
  });

  it("is 503 within its timeout, not a hang, when the database accepts and never answers", async () => {
    const db = await unreachable(silentPort);
    g.__latchkeyDb = Promise.resolve(db);
    const { res, body, ms } = await timed("/api/health");
    expect(res.status).toBe(503);
    expect(body.error?.code).toBe("database_unreachable");
    expect(ms).toBeGreaterThanOrEqual(HEALTH_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(HEALTH_TIMEOUT_MS + 1_500);
    void db.close();
  });

  it("is 503 within its timeout while the database is still being opened", async () => {
    g.__latchkeyDb = new Promise(() => {});
    const { res, ms } = await timed("/api/health");
    expect(res.status).toBe(503);
    expect(ms).toBeLessThan(HEALTH_TIMEOUT_MS + 1_500);
  });
});

describe("GET /api/health while the instance stops", () => {
  it("is 503 shutting_down, so a load balancer drains it, while liveness stays 200", async () => {
    const opened = await createTestDatabase();
    g.__latchkeyDb = Promise.resolve(opened);
    const flag = globalThis as { __latchkeyDraining?: boolean };
    flag.__latchkeyDraining = true;
    try {
      const { res, body } = await timed("/api/health");
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(body.error?.code).toBe("shutting_down");
      expect((await get("/api/health/live")).status).toBe(200);
    } finally {
      flag.__latchkeyDraining = undefined;
      await opened.close();
    }
  });
});

describe("GET /api/health/live", () => {
  it("answers 200 without the database, even one that never opens", async () => {
    g.__latchkeyDb = new Promise(() => {});
    const { res, body } = await timed("/api/health/live");
    expect(res.status).toBe(200);
    expect(successSchemaOf("getLiveness").safeParse(body).error?.issues ?? []).toEqual([]);
  });
});
