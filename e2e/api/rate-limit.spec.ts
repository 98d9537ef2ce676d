import { api, expect, expectError, expectOk, test, wellFormedUnknownSecret, type MeView } from "./api-helpers";

// Repeated failed authentications from one address are rate limited (429 with Retry-After);
// the limit is per client address (the X-Forwarded-For entry appended by the trusted proxy, i.e.
// the last one by default), so others are unaffected.

const LIMIT = Number(process.env.LATCHKEY_AUTH_FAILURE_LIMIT ?? 20);
const WINDOW_SECONDS = Number(process.env.LATCHKEY_AUTH_FAILURE_WINDOW_SECONDS ?? 60);
const ATTACKER = "203.0.113.66";

test("more than the allowed failures from one address get 429 with Retry-After; other addresses are unaffected", async ({ request, acme }) => {
  const codes = ["unknown_key", "malformed_key", "missing_key"];
  for (let i = 0; i < LIMIT; i++) {
    const opts = [{ key: wellFormedUnknownSecret() }, { key: `lk_guess${i}` }, {}][i % 3];
    expectError(await api(request, "GET", "/api/data/me", { ...opts, xff: ATTACKER }), 401, codes[i % 3]);
  }

  const limited = await api(request, "GET", "/api/data/me", { key: wellFormedUnknownSecret(), xff: ATTACKER });
  const error = expectError(limited, 429, "rate_limited");
  const retryAfter = Number(limited.headers["retry-after"]);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
  expect(error.message).toMatch(/Too many failed authentication attempts/);

  // The address stays blocked, even with a valid key and on every endpoint…
  for (const via of ["x-apikey", "bearer", "query"] as const) {
    const res = await api(request, "GET", "/api/data/me", { key: acme.admin.secret, via, xff: ATTACKER });
    expectError(res, 429, "rate_limited");
    expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  }
  expectError(
    await api(request, "POST", "/api/data/verify", { key: acme.admin.secret, xff: ATTACKER, body: { token: acme.admin.secret } }),
    429,
    "rate_limited",
  );
  // …whatever the client writes in front of the address the proxy appended…
  expectError(await api(request, "GET", "/api/data/me", { key: acme.admin.secret, xff: `10.0.0.7, ${ATTACKER}` }), 429, "rate_limited");

  // …while a valid key from another address still works.
  expect(expectOk(await api<MeView>(request, "GET", "/api/data/me", { key: acme.admin.secret, xff: "203.0.113.67" })).key.id).toBe(acme.admin.keyId);
  expect(expectOk(await api<MeView>(request, "GET", "/api/data/me", { key: acme.admin.secret, xff: `${ATTACKER}, 203.0.113.68` })).key.id).toBe(
    acme.admin.keyId,
  );
});

test("successful requests do not count towards the limit", async ({ request, acme }) => {
  const xff = "203.0.113.68";
  for (let i = 0; i < LIMIT + 5; i++) expectOk(await api(request, "GET", "/api/data/me", { key: acme.admin.secret, xff }));
  expectError(await api(request, "GET", "/api/data/me", { xff }), 401, "missing_key");
});
