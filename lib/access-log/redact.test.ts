import { describe, it, expect } from "vitest";
import { generateSecret } from "@/lib/api-keys/format";
import { BODY_CAP_BYTES, REDACTED, cap, redactBody, redactHeaders, redactPath } from "./redact";

const TRUNCATED = "…[truncated]";

/** True when the text survives a UTF-8 round trip, i.e. no surrogate pair was cut in half. */
const isWellFormed = (text: string) => Buffer.from(text, "utf8").toString("utf8") === text;

describe("redactBody: JSON", () => {
  it("keeps the key a create response describes, and blanks its secret", () => {
    const secret = generateSecret();
    const response = { success: true, data: { key: { id: "k1", name: "Sync", prefix: "lk_AbCd1234…" }, secret } };
    const out = JSON.parse(redactBody(JSON.stringify(response), "application/json"));
    expect(out.data).toEqual({ key: { id: "k1", name: "Sync", prefix: "lk_AbCd1234…" }, secret: REDACTED });
  });

  it("replaces secret-bearing fields at any depth when they hold a value, and looks inside objects", () => {
    const body = {
      API_Key: generateSecret(),
      name: "Nightly sync",
      count: 3,
      on: true,
      nothing: null,
      key: "legacy-imported-secret-that-does-not-look-like-ours",
      nested: {
        token: { anything: "goes" },
        secret: 42,
        list: [{ importedSecret: "old-system-secret-0123456789abcdef" }, { password: "hunter2" }, { keep: "me" }],
        deeper: { deeper: { deeper: { PASSWORD: "Tr0ub4dor&3", Api_Key: "x" } } },
      },
    };
    const out = JSON.parse(redactBody(JSON.stringify(body), "application/json"));
    expect(out).toEqual({
      API_Key: REDACTED,
      name: "Nightly sync",
      count: 3,
      on: true,
      nothing: null,
      key: REDACTED,
      nested: {
        token: { anything: "goes" },
        secret: REDACTED,
        list: [{ importedSecret: REDACTED }, { password: REDACTED }, { keep: "me" }],
        deeper: { deeper: { deeper: { PASSWORD: REDACTED, Api_Key: REDACTED } } },
      },
    });
  });

  it("removes a generated secret from any value, keeping the text around it", () => {
    const a = generateSecret();
    const b = generateSecret();
    const body = { note: `old key ${a}, new key ${b}.`, items: [`${a}`, "plain"], description: "lk_ but not a key" };
    const text = redactBody(JSON.stringify(body), "application/json; charset=utf-8");
    expect(text).not.toContain(a);
    expect(text).not.toContain(b);
    expect(JSON.parse(text)).toEqual({
      note: `old key ${REDACTED}, new key ${REDACTED}.`,
      items: [REDACTED, "plain"],
      description: "lk_ but not a key",
    });
  });

  it("redacts a JSON body whatever content type was declared (a response, or a mislabelled request)", () => {
    const secret = generateSecret();
    for (const type of [null, "text/plain", "application/vnd.api+json"]) {
      expect(JSON.parse(redactBody(JSON.stringify({ data: { key: "x", prefix: "lk_AbCd1234…" }, note: secret }), type))).toEqual({
        data: { key: REDACTED, prefix: "lk_AbCd1234…" },
        note: REDACTED,
      });
    }
  });

  it("redacts a JSON array or a bare string", () => {
    const secret = generateSecret();
    expect(JSON.parse(redactBody(JSON.stringify([{ token: "t" }, secret]), "application/json"))).toEqual([{ token: REDACTED }, REDACTED]);
    expect(JSON.parse(redactBody(JSON.stringify(`Bearer ${secret}`), "application/json"))).toBe(`Bearer ${REDACTED}`);
  });
});

describe("redactBody: forms and other text", () => {
  it("replaces the key field (and other secret fields) of a form body and keeps the rest", () => {
    const secret = generateSecret();
    const other = generateSecret();
    const text = redactBody(`key=${secret}&name=Deploy+bot&password=p%40ss&comment=see+${other}`, "application/x-www-form-urlencoded; charset=UTF-8");
    expect(text).not.toContain(secret);
    expect(text).not.toContain(other);
    expect(text).not.toContain("p%40ss");
    const params = new URLSearchParams(text);
    expect(params.get("key")).toBe(REDACTED);
    expect(params.get("password")).toBe(REDACTED);
    expect(params.get("name")).toBe("Deploy bot");
    expect(params.get("comment")).toBe(`see ${REDACTED}`);
  });

  it("replaces every value of a repeated key field", () => {
    const text = redactBody("key=imported-secret-one-0123456789abcdef&key=imported-secret-two-0123456789abcdef", "application/x-www-form-urlencoded");
    expect(new URLSearchParams(text).getAll("key")).toEqual([REDACTED]);
    expect(text).not.toContain("imported-secret");
  });

  it("removes the secret pattern from text that is not JSON", () => {
    const secret = generateSecret();
    const text = redactBody(`GET with ${secret}\nand again:${secret}; done`, "text/plain");
    expect(text).toBe(`GET with ${REDACTED}\nand again:${REDACTED}; done`);
    // Broken JSON falls back to the pattern.
    const broken = redactBody(`{"API_Key": "${secret}", `, "application/json");
    expect(broken).toBe(`{"API_Key": "${REDACTED}", `);
  });

  it("leaves a body without secrets as it was", () => {
    expect(redactBody("hello, world", "text/plain")).toBe("hello, world");
    expect(redactBody("", null)).toBe("");
  });
});

describe("cap", () => {
  it("keeps a body of exactly 8 KiB whole", () => {
    const text = "a".repeat(BODY_CAP_BYTES);
    expect(redactBody(text, "text/plain")).toBe(text);
  });

  it("truncates a larger body to at most 8 KiB and says so", () => {
    const text = "abcdefgh".repeat(2000);
    const out = redactBody(text, "text/plain");
    expect(out.endsWith(TRUNCATED)).toBe(true);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(BODY_CAP_BYTES);
    expect(Buffer.byteLength(out)).toBeGreaterThan(BODY_CAP_BYTES - 200);
    expect(text.startsWith(out.slice(0, -TRUNCATED.length))).toBe(true);
  });

  it("caps after redacting, so a secret at the cut is never half-kept", () => {
    const secret = generateSecret();
    const text = "x".repeat(BODY_CAP_BYTES - 60) + secret + "y".repeat(100);
    const out = redactBody(text, "text/plain");
    expect(out).not.toContain(secret.slice(0, 20));
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(BODY_CAP_BYTES);
  });

  it.each([
    ["3-byte characters", "€".repeat(5000)],
    ["4-byte characters (surrogate pairs)", "😀".repeat(5000)],
    ["4-byte characters at an odd offset", "a" + "😀".repeat(5000)],
    ["mixed widths", "aé€😀".repeat(2000)],
  ])("never splits a character: %s", (_label, text) => {
    const out = cap(text);
    expect(out.endsWith(TRUNCATED)).toBe(true);
    expect(isWellFormed(out)).toBe(true);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(BODY_CAP_BYTES);
    expect(text.startsWith(out.slice(0, -TRUNCATED.length))).toBe(true);
  });
});

describe("redactPath", () => {
  it("replaces the value of ?key= and keeps the rest of the query", () => {
    const secret = generateSecret();
    const out = redactPath(new URL(`https://latchkey.example/api/data/api-keys?page=2&key=${secret}&sort=name`));
    expect(out).not.toContain(secret);
    expect(out.startsWith("/api/data/api-keys?")).toBe(true);
    const params = new URLSearchParams(out.split("?")[1]);
    expect([...params.entries()]).toEqual([
      ["page", "2"],
      ["key", REDACTED],
      ["sort", "name"],
    ]);
  });

  it("replaces an imported secret under key, and a generated secret under any name", () => {
    const secret = generateSecret();
    const out = redactPath(new URL(`https://latchkey.example/api/data/me?KEY=legacy-secret-0123456789abcdef0123&q=${secret}`));
    expect(out).not.toContain("legacy-secret");
    expect(out).not.toContain(secret);
    const params = new URLSearchParams(out.split("?")[1]);
    expect(params.get("KEY")).toBe(REDACTED);
    expect(params.get("q")).toBe(REDACTED);
  });

  it("removes a generated secret pasted into the path itself", () => {
    const secret = generateSecret();
    const out = redactPath(new URL(`https://latchkey.example/api/data/api-keys/${secret}/revoke`));
    expect(out).not.toContain(secret);
    expect(out).toBe(`/api/data/api-keys/${REDACTED}/revoke`);
  });

  it("keeps a path without a query as it is", () => {
    expect(redactPath(new URL("https://latchkey.example/api/data/me"))).toBe("/api/data/me");
    expect(redactPath(new URL("https://latchkey.example/api/data/api-keys?page=3"))).toBe("/api/data/api-keys?page=3");
  });
});

describe("redactHeaders", () => {
  it("keeps the Authorization scheme but not the credential, and replaces X-ApiKey", () => {
    const secret = generateSecret();
    const out = JSON.parse(
      redactHeaders(
        new Headers({
          authorization: `Bearer ${secret}`,
          "x-apikey": secret,
          "content-type": "application/json",
          "user-agent": "curl/8.5.0",
          "x-integration-name": "ledger-sync",
          accept: "application/json",
          cookie: "authjs.session-token=very-secret-session",
          "x-forwarded-for": "203.0.113.9",
        }),
      ),
    );
    expect(out).toEqual({
      authorization: `Bearer ${REDACTED}`,
      "x-apikey": REDACTED,
      "content-type": "application/json",
      "user-agent": "curl/8.5.0",
      "x-integration-name": "ledger-sync",
      accept: "application/json",
      // Named like a credential: shown as sent, never its value.
      cookie: REDACTED,
    });
  });

  it("replaces an imported secret in X-ApiKey and any Authorization credential", () => {
    const out = JSON.parse(
      redactHeaders(new Headers({ authorization: "Basic dXNlcjpwYXNzd29yZA==", "x-apikey": "legacy-secret-0123456789abcdef0123" })),
    );
    expect(out).toEqual({ authorization: `Basic ${REDACTED}`, "x-apikey": REDACTED });
  });

  it("replaces an Authorization value that has no scheme at all", () => {
    const secret = generateSecret();
    for (const value of [secret, "legacy-secret-0123456789abcdef0123"]) {
      const text = redactHeaders(new Headers({ authorization: value }));
      expect(text).not.toContain(value);
      expect(JSON.parse(text)).toEqual({ authorization: REDACTED });
    }
  });

  it("removes a generated secret from any other kept header", () => {
    const secret = generateSecret();
    const text = redactHeaders(new Headers({ "user-agent": `my-script (key ${secret})`, "x-integration-name": secret }));
    expect(text).not.toContain(secret);
    expect(JSON.parse(text)).toEqual({ "user-agent": `my-script (key ${REDACTED})`, "x-integration-name": REDACTED });
  });
});

describe("redactHeaders: the Authorization scheme", () => {
  it.each(["Bearer", "bearer", "BASIC", "Digest", "Token", "ApiKey", "Negotiate", "DPoP", "AWS4-HMAC-SHA256"])(
    "keeps the known scheme %s and nothing after it",
    (scheme) => {
      const value = `${scheme} legacy-secret-0123456789abcdef0123 second-part`;
      const text = redactHeaders(new Headers({ authorization: value }));
      expect(text).not.toContain("legacy-secret");
      expect(text).not.toContain("second-part");
      expect(JSON.parse(text)).toEqual({ authorization: `${scheme} ${REDACTED}` });
    },
  );

  it("redacts an unknown first word too: it may be the secret itself", () => {
    const secret = generateSecret();
    for (const value of [`${secret} x`, "hunter2-password trailing", "s3cr3t:with:colons extra words"]) {
      const text = redactHeaders(new Headers({ authorization: value }));
      expect(text).not.toContain(value.split(" ")[0]);
      expect(JSON.parse(text)).toEqual({ authorization: REDACTED });
    }
  });

  it("keeps a bare known scheme, which carries nothing secret", () => {
    expect(JSON.parse(redactHeaders(new Headers({ authorization: "Bearer" })))).toEqual({ authorization: "Bearer" });
  });
});

describe("secret names by pattern", () => {
  const NAMES = [
    "x-api-key",
    "X-Auth-Token",
    "api_key",
    "apiKey",
    "access_token",
    "refresh-token",
    "client_secret",
    "passwd",
    "Password2",
    "session_id",
    "sessionId",
    "cookie",
    "authCode",
  ];

  it("redacts every header named like a credential, and says it was sent", () => {
    for (const name of NAMES) {
      const text = redactHeaders(new Headers({ [name]: "some-credential-0123456789", "user-agent": "curl/8.5.0" }));
      expect(text, name).not.toContain("some-credential");
      expect(JSON.parse(text), name).toEqual({ [name.toLowerCase()]: REDACTED, "user-agent": "curl/8.5.0" });
    }
  });

  it("redacts JSON fields named like a credential at any depth, but keeps flags", () => {
    const body = Object.fromEntries(NAMES.map((n) => [n, `value-of-${n}`]));
    const out = JSON.parse(
      redactBody(JSON.stringify({ outer: { list: [body] }, apiKeysEnabled: true, personalTokensAllowed: false, name: "kept" }), "application/json"),
    );
    expect(out.outer.list[0]).toEqual(Object.fromEntries(NAMES.map((n) => [n, REDACTED])));
    // A boolean cannot carry a secret, and the workspace settings read better with it.
    expect(out).toMatchObject({ apiKeysEnabled: true, personalTokensAllowed: false, name: "kept" });
  });

  it("redacts form fields named like a credential", () => {
    const form = new URLSearchParams([...NAMES.map((n) => [n, `value-of-${n}`]), ["name", "kept"]]).toString();
    const params = new URLSearchParams(redactBody(form, "application/x-www-form-urlencoded"));
    for (const n of NAMES) expect(params.get(n), n).toBe(REDACTED);
    expect(params.get("name")).toBe("kept");
  });

  it("redacts query parameters named like a credential", () => {
    const url = new URL("https://latchkey.example/api/data/me");
    for (const n of NAMES) url.searchParams.set(n, `value-of-${n}`);
    url.searchParams.set("page", "2");
    const out = redactPath(url);
    expect(out).not.toContain("value-of-");
    const params = new URLSearchParams(out.split("?")[1]);
    for (const n of NAMES) expect(params.get(n), n).toBe(REDACTED);
    expect(params.get("page")).toBe("2");
  });
});

describe("secret-shaped values under any name", () => {
  it("removes a truncated or altered lk_ key, a JWT and a long random token, but keeps display prefixes and ids", () => {
    const secret = generateSecret();
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    const random = "Zk3q9XvR2mT8wLp4Yb6Nc1Hd7Jf5Gs0A";
    const body = {
      shortened: secret.slice(0, 30),
      jwt: `prefix ${jwt} suffix`,
      random,
      prefix: "lk_AbCd1234…",
      id: "3f2b8c1e-0000-4000-8000-000000000001",
      path: "/api/data/api-keys/3f2b8c1e-0000-4000-8000-000000000001/revoke",
      when: "2031-05-04T10:00:00.000Z",
    };
    const out = JSON.parse(redactBody(JSON.stringify(body), "application/json"));
    expect(out).toEqual({
      shortened: REDACTED,
      jwt: `prefix ${REDACTED} suffix`,
      random: REDACTED,
      prefix: "lk_AbCd1234…",
      id: body.id,
      path: body.path,
      when: body.when,
    });
    const text = redactHeaders(new Headers({ "user-agent": `bot ${jwt}` }));
    expect(text).not.toContain(jwt.slice(0, 20));
  });
});
