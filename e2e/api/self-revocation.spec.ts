import { api, badChecksumSecret, createApiKey, expect, expectError, expectOk, test, uniqueName, wellFormedUnknownSecret } from "./api-helpers";

// POST /api/revoke over HTTP (RFC 7009's shape): whoever holds a key revokes it by presenting
// it, with no other credential; every token gets the same answer; the audit log says the key
// revoked itself, as compromised, and from where.

const RECEIPT = { message: "If the token was a live Latchkey key, it has been revoked." };

interface AuditItem {
  action: string;
  apiKeyId: string | null;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  changes: Record<string, { from: unknown; to: unknown }> | null;
  metadata: Record<string, unknown> | null;
  ip: string | null;
}

test("a key found in the wild: it works, POST /api/revoke, 200, then it is refused as revoked and the audit log says the key revoked itself", async ({
  request,
  acme,
}) => {
  const { key, secret } = await createApiKey(request, acme.admin.secret, { name: uniqueName("Leaked in a gist") });
  expectOk(await api(request, "GET", "/api/data/me", { key: secret }));

  // No key, no session: the form RFC 7009 describes.
  const finder = "198.18.77.7";
  const res = await api(request, "POST", "/api/revoke", { form: { token: secret, token_type_hint: "access_token" }, xff: finder });
  expect(res.status).toBe(200);
  expect(expectOk(res)).toEqual(RECEIPT);

  expectError(await api(request, "GET", "/api/data/me", { key: secret }), 401, "key_revoked");
  const verdict = expectOk(await api(request, "POST", "/api/data/verify", { key: acme.admin.secret, body: { token: secret } }));
  expect(verdict).toMatchObject({ valid: false, reason: "key_revoked", revokedReason: "compromised" });

  const audit = expectOk(
    await api<{ items: AuditItem[] }>(request, "GET", "/api/data/audit", {
      key: acme.admin.secret,
      query: { apiKey: key.id, action: "api_key.revoked" },
    }),
  );
  expect(audit.items).toHaveLength(1);
  expect(audit.items[0]).toMatchObject({
    apiKeyId: key.id,
    actorUserId: null,
    actorApiKeyId: key.id,
    metadata: { via: "self_revocation" },
    changes: { revokedReason: { from: null, to: "compromised" } },
    ip: finder,
  });
  expect(JSON.stringify(audit)).not.toContain(secret.slice(3));
});

test("unknown, malformed and already revoked tokens get the very same 200, and nothing changes", async ({ request, acme }) => {
  const live = await createApiKey(request, acme.admin.secret, { name: uniqueName("Still live") });
  const gone = await createApiKey(request, acme.admin.secret, { name: uniqueName("Already gone") });
  expect((await api(request, "POST", "/api/revoke", { body: { token: gone.secret } })).status).toBe(200);

  const answers = [];
  for (const token of [wellFormedUnknownSecret(), badChecksumSecret(), "not a key at all", gone.secret])
    answers.push(await api(request, "POST", "/api/revoke", { form: { token } }));
  for (const answer of answers) {
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(answers[0].text);
  }
  expect(expectOk(answers[0])).toEqual(RECEIPT);
  expectOk(await api(request, "GET", "/api/data/me", { key: live.secret }));

  // Only a request without a token is refused, as RFC 7009 says.
  expectError(await api(request, "POST", "/api/revoke", { form: { token_type_hint: "access_token" } }), 400, "invalid_request");
  expectOk(await api(request, "GET", "/api/data/me", { key: live.secret }));
});
