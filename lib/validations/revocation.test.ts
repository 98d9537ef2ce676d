import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { fieldErrorsOf } from "./api-keys";
import { describeRevocation, optionalRevocationSchema, REVOCATION_REASONS, revocationSchema } from "./revocation";

function errorsOf(schema: z.ZodType, input: unknown): Record<string, string[]> | null {
  const r = schema.safeParse(input);
  return r.success ? null : fieldErrorsOf(r.error);
}

describe("revocationSchema (the console: a reason is required)", () => {
  it("takes every reason of the list", () => {
    for (const reason of REVOCATION_REASONS.filter((r) => r !== "other")) expect(revocationSchema.parse({ reason })).toEqual({ reason, text: null });
  });

  it("asks for a reason when none is chosen", () => {
    for (const input of [{}, { reason: "" }, { reason: null }])
      expect(errorsOf(revocationSchema, input)).toEqual({ reason: ["Choose a reason for revoking."] });
  });

  it("names the reasons it knows when given another", () => {
    expect(errorsOf(revocationSchema, { reason: "stolen" })).toEqual({
      reason: ['Unknown reason "stolen": use one of compromised, superseded, no_longer_needed, owner_left, other.'],
    });
  });

  it('needs 1–200 characters of text for "other", trimmed', () => {
    const why = 'Say why in a few words (up to 200 characters) when the reason is "other".';
    expect(errorsOf(revocationSchema, { reason: "other" })).toEqual({ reasonText: [why] });
    expect(errorsOf(revocationSchema, { reason: "other", reasonText: "   " })).toEqual({ reasonText: [why] });
    expect(errorsOf(revocationSchema, { reason: "other", reasonText: "x".repeat(201) })).toEqual({
      reasonText: ["The reason text must be at most 200 characters."],
    });
    expect(revocationSchema.parse({ reason: "other", reasonText: "  moved to the vault \n" })).toEqual({
      reason: "other",
      text: "moved to the vault",
    });
    expect(revocationSchema.parse({ reason: "other", reasonText: "x".repeat(200) }).text).toHaveLength(200);
  });

  it('refuses a text with any reason but "other" rather than dropping it', () => {
    expect(errorsOf(revocationSchema, { reason: "compromised", reasonText: "leaked in a gist" })).toEqual({
      reasonText: ['A reason text goes only with the reason "other".'],
    });
    // An empty text field (the form sends one) is no text.
    expect(revocationSchema.parse({ reason: "compromised", reasonText: "" })).toEqual({ reason: "compromised", text: null });
  });
});

describe("optionalRevocationSchema (REST: the reason may be omitted)", () => {
  it("stores no reason when none is given, and invents none", () => {
    expect(optionalRevocationSchema.parse({})).toEqual({ reason: null, text: null });
    expect(optionalRevocationSchema.parse({ reason: null })).toEqual({ reason: null, text: null });
  });

  it("still refuses a bad reason, and a text without a reason", () => {
    expect(errorsOf(optionalRevocationSchema, { reason: 3 })).toEqual({
      reason: ['Unknown reason "3": use one of compromised, superseded, no_longer_needed, owner_left, other.'],
    });
    expect(errorsOf(optionalRevocationSchema, { reasonText: "because" })).toEqual({ reasonText: ['A reason text needs the reason "other".'] });
  });
});

describe("describeRevocation", () => {
  it("reads as a person would say it", () => {
    expect(describeRevocation({ reason: "no_longer_needed", text: null })).toBe("No longer needed");
    expect(describeRevocation({ reason: "other", text: "moved to the vault" })).toBe("Other: moved to the vault");
    expect(describeRevocation({ reason: null, text: null })).toBe("No reason recorded");
  });
});
