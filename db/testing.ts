import { randomBytes } from "node:crypto";
import { env } from "@/lib/env";
import { startTcpProxy, type TcpProxy } from "@/lib/testing/tcp-proxy";
import { describeUrl, openDatabase, type OpenDatabase } from "./index";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/**
 * A throwaway database for one test file: in-memory PGlite by default, or — when DATABASE_URL
 * is set — a fresh database created on that (local only) server and dropped afterwards.
 * A developer's own database is never used. `migrate: false` leaves it empty (migration tests
 * apply the migrations themselves).
 */
export async function createTestDatabase({ migrate = true }: { migrate?: boolean } = {}): Promise<OpenDatabase & { url?: string }> {
  const url = env().DATABASE_URL;
  if (!url) return openDatabase({ dataDir: "memory", migrate });

  const admin = new URL(url);
  const host = admin.hostname || "localhost";
  if (!LOCAL_HOSTS.has(host))
    throw new Error(`Refusing to create test databases on a non-local server (${describeUrl(url)}). Point DATABASE_URL at 127.0.0.1.`);
  const name = `latchkey_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const { default: postgres } = await import("postgres");
  const adminSql = postgres(url, { max: 1, onnotice: () => {} });
  await adminSql.unsafe(`create database "${name}"`);
  await adminSql.end();

  const testUrl = new URL(url);
  testUrl.pathname = `/${name}`;
  const opened = await openDatabase({ url: testUrl.toString(), migrate });
  return {
    ...opened,
    // For fault tests that open a second handle through a proxy.
    url: testUrl.toString(),
    close: async () => {
      await opened.close();
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists "${name}" with (force)`);
      await sql.end();
    },
  };
}

/**
 * For fault tests: a second handle on a test database (PostgreSQL), whose every connection goes
 * through a TCP proxy the test can cut, stall and restore. Close the handle, then the proxy.
 */
export async function openThroughProxy(
  direct: { url?: string },
  timeouts?: { connectSeconds?: number; querySeconds?: number },
): Promise<{ proxied: OpenDatabase; proxy: TcpProxy }> {
  if (!direct.url) throw new Error("openThroughProxy needs a PostgreSQL test database (DATABASE_URL).");
  const target = new URL(direct.url);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  target.host = `127.0.0.1:${proxy.port}`;
  const proxied = await openDatabase({ url: target.toString(), migrate: false, timeouts });
  return { proxied, proxy };
}
