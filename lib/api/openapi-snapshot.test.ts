import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "./openapi";

// The document is generated from the operation list and the zod schemas; this snapshot makes
// every change to what it says a reviewed diff. After a deliberate change, refresh it with
//   UPDATE_OPENAPI_SNAPSHOT=1 npx vitest run lib/api/openapi-snapshot.test.ts
// and commit the JSON with the change. Keys are sorted, so only content (not order) counts.

const SNAPSHOT = path.join(__dirname, "openapi.snapshot.json");

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
    );
  return value;
}

describe("the OpenAPI document snapshot", () => {
  it("is what openapi.snapshot.json holds", () => {
    const text = `${JSON.stringify(sorted(buildOpenApiDocument()), null, 2)}\n`;
    if (process.env.UPDATE_OPENAPI_SNAPSHOT === "1") fs.writeFileSync(SNAPSHOT, text);
    expect(text, "the OpenAPI document changed: review the diff, then refresh the snapshot (see this file's header)").toBe(
      fs.readFileSync(SNAPSHOT, "utf8"),
    );
  });
});
