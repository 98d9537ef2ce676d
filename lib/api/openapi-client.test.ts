import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "./openapi";

// A client generated from the document with openapi-typescript's default flags must compile
// under strict TypeScript, and calls written the way the reference page shows them must type:
// optional fields (those with defaults included) are optional, responses carry the envelope.

const CLIENT = `
import type { paths } from "./latchkey";

type Body<P extends keyof paths, M extends "post" | "patch"> = NonNullable<paths[P][M] extends { requestBody?: infer B } ? B : never> extends {
  content: { "application/json": infer J };
}
  ? J
  : never;

const create: Body<"/api/data/api-keys", "post"> = { name: "CI deploy" };
const createWithKeyInBody: Body<"/api/data/api-keys", "post"> = { name: "CI deploy", scopes: ["me:read"], API_Key: "lk_…" };
const patch: Body<"/api/data/api-keys/{id}", "patch"> = { enabled: false };
const search: Body<"/api/data/api-keys/search", "post"> = {};
const token: Body<"/api/data/me/tokens", "post"> = { name: "Laptop" };
const verify: Body<"/api/data/verify", "post"> = { token: "lk_…" };
type ListQuery = NonNullable<paths["/api/data/api-keys"]["get"]["parameters"]["query"]>;
const query: ListQuery = { state: "active" };
const emptyQuery: ListQuery = {};

type Created = paths["/api/data/api-keys"]["post"]["responses"][201]["content"]["application/json"];
declare const created: Created;
const id: string = created.data.key.id;
const secret: string | null = created.data.secret;
type Me = paths["/api/data/me"]["get"]["responses"][200]["content"]["application/json"];
declare const me: Me;
const slug: string = me.data.workspace.slug;
type Refused = paths["/api/data/me"]["get"]["responses"][401]["content"]["application/json"];
declare const refused: Refused;
const reason: string = refused.error.code;

// @ts-expect-error name is required
const nameless: Body<"/api/data/api-keys", "post"> = {};
// @ts-expect-error scopes are the documented enum
const badScope: Body<"/api/data/api-keys", "post"> = { name: "x", scopes: ["everything"] };

export const used = [create, createWithKeyInBody, patch, search, token, verify, query, emptyQuery, id, secret, slug, reason, nameless, badScope];
`;

describe("a typed client generated from the OpenAPI document", () => {
  it("compiles under strict TypeScript with openapi-typescript's default flags", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-client-"));
    try {
      const ast = await openapiTS(JSON.parse(JSON.stringify(buildOpenApiDocument())));
      fs.writeFileSync(path.join(dir, "latchkey.ts"), astToString(ast));
      fs.writeFileSync(path.join(dir, "client.ts"), CLIENT);
      const program = ts.createProgram([path.join(dir, "client.ts")], {
        strict: true,
        noEmit: true,
        noUnusedLocals: true,
        exactOptionalPropertyTypes: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        skipLibCheck: true,
        types: [],
      });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .map(
          (d) =>
            `${d.file ? path.basename(d.file.fileName) : ""}:${d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : ""} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
        );
      expect(problems).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
