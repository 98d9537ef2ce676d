import { randomBytes } from "node:crypto";
import { expect } from "../fixtures";
import { portAt } from "./server-process";
import { codeOf, databaseOf, is2xx, makeKeyInConsole, sender, show, startInstance, test, clock } from "./two-instances";

// Two production servers on one PostgreSQL database, as behind a load balancer, and a key with a
// rate limit: with Redis (LATCHKEY_REDIS_URL) they share one budget, so what A let through B
// refuses; without it each counts on its own, so together they let the key through twice (as the
// README says). Redis runs on 127.0.0.1:6379 here (npm test starts it when it is down).

test.skip(!process.env.DATABASE_URL, "two instances share a PostgreSQL database: set DATABASE_URL (a local server)");

const REDIS_URL = "redis://127.0.0.1:6379";
const send = sender(5_000);

for (const shared of [true, false]) {
  test(`two instances ${shared ? "with Redis share one rate limit" : "without Redis each allow the whole rate limit"}`, async ({
    browser,
    defer,
  }) => {
    const database = await databaseOf(defer, shared ? "limits_redis" : "limits_local");
    const authSecret = randomBytes(32).toString("base64url");
    const env: Record<string, string> = shared ? { LATCHKEY_REDIS_URL: REDIS_URL } : {};
    const a = await startInstance(defer, portAt(13), database.url, authSecret, { env });
    const b = await startInstance(defer, portAt(14), database.url, authSecret, { env });
    const admin = await makeKeyInConsole(browser, a.baseURL, `Limits admin ${randomBytes(3).toString("hex")}`);
    const made = await send(a, "A", "POST", "/api/data/api-keys", {
      key: admin,
      body: { name: `Four an hour ${randomBytes(3).toString("hex")}`, scopes: ["me:read"], rateLimit: { limit: 4, window: "hour" } },
    });
    expect(made.status, show(made, 0)).toBe(201);
    const secret = (made.body!.data as { secret: string }).secret;

    // A, B, A, B: four requests, the limit.
    const t0 = clock();
    const answers = [];
    for (const [server, name] of [
      [a, "A"],
      [b, "B"],
      [a, "A"],
      [b, "B"],
      [a, "A"],
      [b, "B"],
    ] as const)
      answers.push(await send(server, name, "GET", "/api/data/me", { key: secret }));
    const lines = answers.map((x) => show(x, t0)).join("\n");
    expect(answers.slice(0, 4).every(is2xx), lines).toBe(true);
    if (shared) {
      // The fifth and sixth, whichever instance they reach, are over the one shared budget.
      expect(answers.slice(4).map(codeOf), lines).toEqual(["rate_limited", "rate_limited"]);
    } else {
      // Each instance has let through two of its four: both still let the key through.
      expect(answers.slice(4).every(is2xx), lines).toBe(true);
    }
  });
}
