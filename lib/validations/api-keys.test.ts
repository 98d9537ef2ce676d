import { describe, it, expect } from "vitest";
import type { z } from "zod";
import { API_KEY_SCOPES, apiKeyExpiry, createApiKeySchema, fieldErrorsOf, importedSecret, listApiKeysSchema, updateApiKeySchema } from "./api-keys";

/** The field errors a form would show for `input`, or null when it parses. */
function errorsOf(schema: z.ZodType, input: unknown): Record<string, string[]> | null {
  const r = schema.safeParse(input);
  return r.success ? null : fieldErrorsOf(r.error);
}

describe("createApiKeySchema: name", () => {
  it("is required", () => {
    expect(errorsOf(createApiKeySchema, {})).toEqual({ name: ["Name is required."] });
    expect(errorsOf(createApiKeySchema, { name: null })).toEqual({ name: ["Name is required."] });
    expect(errorsOf(createApiKeySchema, { name: "" })).toEqual({ name: ["Name is required."] });
  });

  it("must be text", () => {
    expect(errorsOf(createApiKeySchema, { name: 42 })).toEqual({ name: ["Name must be text."] });
    expect(errorsOf(createApiKeySchema, { name: ["a"] })).toEqual({ name: ["Name must be text."] });
  });

  it("treats whitespace only as missing", () => {
    expect(errorsOf(createApiKeySchema, { name: "  \t  " })).toEqual({ name: ["Name is required."] });
  });

  it("is trimmed", () => {
    expect(createApiKeySchema.parse({ name: "  Billing sync \n" }).name).toBe("Billing sync");
  });

  it("allows 100 characters and rejects 101 (after trimming)", () => {
    expect(createApiKeySchema.parse({ name: "n".repeat(100) }).name).toHaveLength(100);
    expect(createApiKeySchema.parse({ name: `  ${"n".repeat(100)}  ` }).name).toHaveLength(100);
    expect(errorsOf(createApiKeySchema, { name: "n".repeat(101) })).toEqual({ name: ["Name must be at most 100 characters."] });
  });
});

describe("createApiKeySchema: description", () => {
  it("allows 500 characters and rejects 501", () => {
    expect(createApiKeySchema.parse({ name: "k", description: "d".repeat(500) }).description).toHaveLength(500);
    expect(errorsOf(createApiKeySchema, { name: "k", description: "d".repeat(501) })).toEqual({
      description: ["Description must be at most 500 characters."],
    });
  });

  it("is trimmed, and blank means none", () => {
    expect(createApiKeySchema.parse({ name: "k", description: "  nightly export " }).description).toBe("nightly export");
    expect(createApiKeySchema.parse({ name: "k", description: "   " }).description).toBeNull();
    expect(createApiKeySchema.parse({ name: "k" }).description).toBeUndefined();
  });

  it("must be text", () => {
    expect(errorsOf(createApiKeySchema, { name: "k", description: 5 })).toEqual({ description: ["Description must be text."] });
  });
});

describe("createApiKeySchema: scopes", () => {
  it("rejects an unknown scope by name", () => {
    expect(errorsOf(createApiKeySchema, { name: "k", scopes: ["api_keys:read", "root"] })).toEqual({
      scopes: ['Unknown scope "root".'],
    });
  });

  it('rejects an empty list with "Choose at least one scope."', () => {
    expect(errorsOf(createApiKeySchema, { name: "k", scopes: [] })).toEqual({ scopes: ["Choose at least one scope."] });
  });

  it("rejects a non-list", () => {
    expect(errorsOf(createApiKeySchema, { name: "k", scopes: "verify" })).toEqual({ scopes: ["Scopes must be a list."] });
  });

  it("returns known scopes in canonical order without duplicates", () => {
    expect(createApiKeySchema.parse({ name: "k", scopes: ["verify", "me:read", "verify"] }).scopes).toEqual(["me:read", "verify"]);
    expect(createApiKeySchema.parse({ name: "k", scopes: [...API_KEY_SCOPES].reverse() }).scopes).toEqual([...API_KEY_SCOPES]);
  });
});

describe("createApiKeySchema: defaults and other fields", () => {
  it("defaults enabled and bearer to true and leaves the rest unset", () => {
    expect(createApiKeySchema.parse({ name: "k" })).toEqual({ name: "k", enabled: true, bearerAllowed: true });
  });

  it("names the field of a non-boolean flag", () => {
    expect(errorsOf(createApiKeySchema, { name: "k", enabled: "yes", bearerAllowed: 1 })).toEqual({
      enabled: ["Enabled must be true or false."],
      bearerAllowed: ["Bearer token must be true or false."],
    });
  });

  it("takes an owner id as a uuid, or null for a service key", () => {
    expect(createApiKeySchema.parse({ name: "k", ownerId: null }).ownerId).toBeNull();
    const id = "0b6a1e0e-8c1f-4d35-9a7e-3f6f2b1c4d5e";
    expect(createApiKeySchema.parse({ name: "k", ownerId: id }).ownerId).toBe(id);
    expect(errorsOf(createApiKeySchema, { name: "k", ownerId: "admin@acme.test" })).toEqual({ ownerId: ["Choose an owner from the list."] });
  });

  it("reports every bad field at once", () => {
    expect(Object.keys(errorsOf(createApiKeySchema, { name: "", description: "d".repeat(501), scopes: [] }) ?? {}).sort()).toEqual([
      "description",
      "name",
      "scopes",
    ]);
  });
});

describe("apiKeyExpiry", () => {
  it("reads a date as the end of that day, UTC", () => {
    expect(apiKeyExpiry.parse("2027-01-31")).toEqual(new Date("2027-01-31T23:59:59.999Z"));
  });

  it("reads a date-time with Z or an offset", () => {
    expect(apiKeyExpiry.parse("2027-01-31T10:00:00Z")).toEqual(new Date("2027-01-31T10:00:00.000Z"));
    expect(apiKeyExpiry.parse("2027-01-31T10:00:00+02:00")).toEqual(new Date("2027-01-31T08:00:00.000Z"));
    expect(apiKeyExpiry.parse("2027-01-31T10:00:00.250-05:00")).toEqual(new Date("2027-01-31T15:00:00.250Z"));
  });

  it("reads null as never", () => {
    expect(apiKeyExpiry.parse(null)).toBeNull();
  });

  it("rejects garbage, impossible dates and date-times without a zone", () => {
    const message = "Expiry must be a date (YYYY-MM-DD) or an ISO date-time.";
    for (const bad of ["garbage", "", "2027-02-30", "31/01/2027", "2027-01-31T10:00:00", 1767225600000, true]) {
      expect(errorsOf(createApiKeySchema, { name: "k", expiresAt: bad }), JSON.stringify(bad)).toEqual({ expiresAt: [message] });
    }
  });

  it("is optional on create (meaning the workspace maximum)", () => {
    expect("expiresAt" in createApiKeySchema.parse({ name: "k" })).toBe(false);
  });
});

describe("importedSecret", () => {
  it("accepts 32–256 printable characters, trimmed", () => {
    expect(importedSecret.parse("a".repeat(32))).toBe("a".repeat(32));
    expect(importedSecret.parse(`  ${"b".repeat(256)}\n`)).toBe("b".repeat(256));
  });

  it("says what is wrong", () => {
    expect(errorsOf(createApiKeySchema, { name: "k", importedSecret: "a".repeat(31) })).toEqual({
      importedSecret: ["An imported secret must be at least 32 characters."],
    });
    expect(errorsOf(createApiKeySchema, { name: "k", importedSecret: "a".repeat(257) })).toEqual({
      importedSecret: ["An imported secret must be at most 256 characters."],
    });
    expect(errorsOf(createApiKeySchema, { name: "k", importedSecret: "a".repeat(20) + " " + "a".repeat(20) })).toEqual({
      importedSecret: ["An imported secret may contain only printable characters without spaces."],
    });
    expect(errorsOf(createApiKeySchema, { name: "k", importedSecret: 12345 })).toEqual({
      importedSecret: ["The imported secret must be text."],
    });
  });
});

describe("updateApiKeySchema", () => {
  it("accepts a partial update", () => {
    expect(updateApiKeySchema.parse({ enabled: false })).toEqual({ enabled: false });
    expect(updateApiKeySchema.parse({ name: " New name ", description: null })).toEqual({ name: "New name", description: null });
  });

  it("rejects unknown fields (strict), e.g. an attempt to set the hash or the workspace", () => {
    for (const extra of [{ secretHash: "x" }, { workspaceId: "0b6a1e0e-8c1f-4d35-9a7e-3f6f2b1c4d5e" }, { revokedAt: null }, { ownerId: null }]) {
      const r = updateApiKeySchema.safeParse({ name: "ok", ...extra });
      expect(r.success, JSON.stringify(extra)).toBe(false);
      if (!r.success) expect(r.error.issues).toMatchObject([{ code: "unrecognized_keys", keys: Object.keys(extra) }]);
    }
  });

  it("applies the same field rules as create", () => {
    expect(errorsOf(updateApiKeySchema, { name: "   " })).toEqual({ name: ["Name is required."] });
    expect(errorsOf(updateApiKeySchema, { scopes: [] })).toEqual({ scopes: ["Choose at least one scope."] });
    expect(errorsOf(updateApiKeySchema, { logRequests: "on" })).toEqual({ logRequests: ["Request logging must be true or false."] });
  });
});

describe("listApiKeysSchema", () => {
  it("has defaults and coerces query-string numbers", () => {
    expect(listApiKeysSchema.parse({})).toEqual({ page: 1, pageSize: 20, sort: "created", dir: "desc", state: "all" });
    expect(listApiKeysSchema.parse({ page: "3", pageSize: "50" })).toMatchObject({ page: 3, pageSize: 50 });
  });

  it("caps the page size and rejects unknown sorts", () => {
    expect(listApiKeysSchema.safeParse({ pageSize: 101 }).success).toBe(false);
    expect(listApiKeysSchema.safeParse({ page: 0 }).success).toBe(false);
    expect(listApiKeysSchema.safeParse({ sort: "secretHash" }).success).toBe(false);
  });
});

describe("IP rules and not before", () => {
  it("stores addresses and ranges in their canonical spelling", () => {
    const parsed = createApiKeySchema.parse({
      name: "k",
      ipAllow: [" 10.0.0.0/8", "2001:DB8::/32", "203.0.113.7/32", "::ffff:192.0.2.1"],
      ipDeny: ["10.1.0.0/16"],
    });
    expect(parsed.ipAllow).toEqual(["10.0.0.0/8", "2001:db8::/32", "203.0.113.7", "192.0.2.1"]);
    expect(parsed.ipDeny).toEqual(["10.1.0.0/16"]);
    expect(updateApiKeySchema.parse({ ipAllow: [] }).ipAllow).toEqual([]);
  });

  it("names each bad entry in a field error of its list", () => {
    expect(errorsOf(updateApiKeySchema, { ipAllow: ["10.0.0.1/8", "ok?", "10.0.0.0/8"], ipDeny: ["1.2.3.4", "1.2.3.4/32"] })).toEqual({
      ipAllow: [
        'Allowed addresses: "10.0.0.1/8" has host bits set: the range is 10.0.0.0/8, or enter the single address without /8.',
        'Allowed addresses: "ok?" is not an IPv4 or IPv6 address or CIDR range.',
      ],
      ipDeny: ['Denied addresses: "1.2.3.4/32" is listed twice (as "1.2.3.4").'],
    });
    expect(errorsOf(updateApiKeySchema, { ipDeny: ["2001:db8::1", "2001:DB8::1"] })).toEqual({
      ipDeny: ['Denied addresses: "2001:DB8::1" is listed twice (as "2001:db8::1").'],
    });
    expect(errorsOf(updateApiKeySchema, { ipAllow: "10.0.0.0/8" })).toEqual({
      ipAllow: ["Allowed addresses must be a list of addresses and CIDR ranges."],
    });
    expect(errorsOf(updateApiKeySchema, { ipAllow: [42] })).toEqual({ ipAllow: ["Allowed addresses: each entry must be text."] });
  });

  it("allows 50 entries per list and refuses 51", () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => `192.0.2.${i}`);
    expect(updateApiKeySchema.parse({ ipAllow: list(50) }).ipAllow).toHaveLength(50);
    expect(errorsOf(updateApiKeySchema, { ipDeny: list(51) })).toEqual({ ipDeny: ["Denied addresses may hold at most 50 entries."] });
  });

  it("reads not before as an ISO date-time or null", () => {
    expect(updateApiKeySchema.parse({ notBefore: "2027-01-31T09:00:00+01:00" }).notBefore).toEqual(new Date("2027-01-31T08:00:00Z"));
    expect(updateApiKeySchema.parse({ notBefore: null }).notBefore).toBeNull();
    expect(errorsOf(updateApiKeySchema, { notBefore: "tomorrow" })).toEqual({
      notBefore: ["Not before must be an ISO date-time, e.g. 2027-01-31T09:00:00Z."],
    });
  });
});
