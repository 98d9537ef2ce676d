import net from "node:net";
import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type OpenDatabase } from "@/db";
import { apiKeys } from "@/db/schema";
import { DATABASE_UNAVAILABLE, OUTCOME_UNKNOWN } from "@/lib/errors";
import { contextFor, seedFixtures } from "@/lib/testing/fixtures";
import { createApiKey } from "./core";

// When the connection to PostgreSQL breaks in the middle of a change, the answer must say what
// is known: once COMMIT is on its way, nobody here can tell whether it committed, so the answer
// is never "nothing was changed". A TCP proxy between Latchkey and PostgreSQL cuts the connection
// at exactly those points. There is no connection to cut on the embedded database, so this file
// runs on PostgreSQL (CI's second pass sets DATABASE_URL).

type Cut = { when: "never" } | { when: "client-sends"; text: string; forward: boolean };

const url = process.env.DATABASE_URL;

describe.runIf(!!url)("a connection lost during a change gets an honest answer", () => {
  let direct: OpenDatabase;
  let proxied: OpenDatabase;
  let proxy: net.Server;
  let dbName: string;
  let cut: Cut = { when: "never" };

  beforeAll(async () => {
    const { default: postgres } = await import("postgres");
    dbName = `latchkey_outcome_${process.pid}_${randomBytes(3).toString("hex")}`;
    const admin = postgres(url!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${dbName}"`);
    await admin.end();
    const target = new URL(url!);
    target.pathname = `/${dbName}`;
    direct = await openDatabase({ url: target.toString() });
    await seedFixtures(direct.db);

    proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      const kill = () => {
        client.destroy();
        upstream.destroy();
      };
      let cutAfterReply = false;
      client.on("data", (chunk) => {
        if (cut.when === "client-sends" && chunk.toString("latin1").toLowerCase().includes(cut.text)) {
          if (!cut.forward) return kill();
          // Forward it, then drop whatever PostgreSQL answers: the change commits, unseen.
          cutAfterReply = true;
        }
        upstream.write(chunk);
      });
      upstream.on("data", (chunk) => (cutAfterReply ? kill() : client.write(chunk)));
      client.on("error", kill);
      upstream.on("error", kill);
      client.on("close", kill);
      upstream.on("close", kill);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const through = new URL(target);
    through.host = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    proxied = await openDatabase({ url: through.toString(), migrate: false });
  });

  afterAll(async () => {
    await proxied?.close();
    await direct?.close();
    proxy?.close();
    const { default: postgres } = await import("postgres");
    const admin = postgres(url!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
    await admin.end();
  });

  // Key names here never contain the word the proxy watches for ("commit").
  const keysNamed = async (name: string) => (await direct.db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.name, name))).length;

  /** After a cut, the pool may hand out the dead connection once: wait until one answers. */
  async function reconnected() {
    for (let attempt = 0; attempt < 50; attempt++) {
      if (
        await proxied.db.execute(sql`select 1`).then(
          () => true,
          () => false,
        )
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error("the proxied connection never came back");
  }

  async function createThroughProxy(name: string, during: Cut) {
    const ctx = await contextFor(direct.db, "admin@acme.test", "acme");
    await reconnected();
    cut = during;
    try {
      return await createApiKey(proxied.db, ctx, { name }).then(
        () => "created",
        (err: unknown) => err,
      );
    } finally {
      cut = { when: "never" };
    }
  }

  it("cut before the change reached the server: 'nothing was changed', and the process lives on", async () => {
    // postgres.js 3.4.9 then writes ROLLBACK to the closed socket from a setImmediate callback,
    // which threw outside any promise and killed the process (upstream #1154, #1208); the patch
    // in patches/ guards that write. An uncaught exception would fail this file.
    const outcome = await createThroughProxy("Never arrived", { when: "client-sends", text: "insert into", forward: false });
    expect(outcome).toMatchObject({ code: "unavailable", reason: "database_unavailable", message: DATABASE_UNAVAILABLE });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await keysNamed("Never arrived")).toBe(0);
  });

  it("cut as COMMIT is sent: 'outcome unknown', never 'nothing changed'", async () => {
    const outcome = await createThroughProxy("Cut at the end", { when: "client-sends", text: "commit", forward: false });
    expect(outcome).toMatchObject({ code: "outcome_unknown", message: OUTCOME_UNKNOWN });
  });

  it("cut after COMMIT reached the server: the key exists, and the answer did not deny it", async () => {
    const outcome = await createThroughProxy("Saved unseen", { when: "client-sends", text: "commit", forward: true });
    expect(outcome).toMatchObject({ code: "outcome_unknown", message: OUTCOME_UNKNOWN });
    expect(await keysNamed("Saved unseen")).toBe(1);
  });

  it("the next change after a cut goes through on a new connection", async () => {
    expect(await createThroughProxy("After the cuts", { when: "never" })).toBe("created");
    expect(await keysNamed("After the cuts")).toBe(1);
  });
});
