import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { OpenDatabase } from "@/db";
import { createTestDatabase } from "@/db/testing";
import { flushAccessLogs } from "@/lib/access-log/writer";
import { serveApiRequest } from "@/lib/api/listener";
import { SOCKET_ADDRESS_HEADER } from "./client-address";

// Through the real REST listener on a real socket: what a client writes in X-Forwarded-For (or
// in the private socket-address header) must not buy it a fresh failure budget.

const LIMIT = 20;
let opened: OpenDatabase;
let server: http.Server;
let base: string;
const g = globalThis as unknown as { __latchkeyDb?: Promise<OpenDatabase> };
const saved = process.env.LATCHKEY_AUTH_FAILURE_LIMIT;
let seq = 0;

beforeAll(async () => {
  process.env.LATCHKEY_AUTH_FAILURE_LIMIT = String(LIMIT);
  opened = await createTestDatabase();
  g.__latchkeyDb = Promise.resolve(opened);
  server = http.createServer((req, res) => {
    void serveApiRequest(req, res).then((served) => {
      if (!served) res.writeHead(418).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  delete process.env.LATCHKEY_TRUSTED_PROXY_HOPS;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  g.__latchkeyDb = undefined;
  await flushAccessLogs();
  await opened?.close();
  if (saved === undefined) delete process.env.LATCHKEY_AUTH_FAILURE_LIMIT;
  else process.env.LATCHKEY_AUTH_FAILURE_LIMIT = saved;
});

/** A failed authentication (an unknown key) claiming to come from somewhere new each time. */
async function failWithFreshHeaders(extra: Record<string, string> = {}) {
  seq++;
  const res = await fetch(`${base}/api/data/me`, {
    headers: {
      "x-apikey": `lk_${"A".repeat(38)}`,
      "x-forwarded-for": `198.18.${seq >> 8}.${seq & 255}`,
      "x-real-ip": `198.19.${seq >> 8}.${seq & 255}`,
      ...extra,
    },
  });
  await res.arrayBuffer();
  return res.status;
}

describe("the auth-failure limit through the listener socket", () => {
  it("limits 40 failures that each name a new X-Forwarded-For: the socket is the address", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push(await failWithFreshHeaders({ [SOCKET_ADDRESS_HEADER]: `203.0.113.${i}` }));
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
    expect(statuses.slice(LIMIT)).toEqual(Array(40 - LIMIT).fill(429));
  });
});
