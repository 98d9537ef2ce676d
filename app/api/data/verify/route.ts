// POST /api/data/verify
import { ok } from "@/lib/api/envelope";
import { apiRoute, routeMethods } from "@/lib/api/handler";
import { recordKeyUse } from "@/lib/api-keys/usage";
import { verifyApiKey, type VerifiedKey } from "@/lib/api-keys/verify";
import { invalid } from "@/lib/errors";
import { fieldErrorsOf } from "@/lib/validations/api-keys";
import { verifyRequestSchema } from "@/lib/validations/verify";

function describe(v: VerifiedKey) {
  return {
    key: { id: v.key.id, name: v.key.name, prefix: v.key.prefix, kind: v.key.kind, scopes: v.key.scopes, expiresAt: v.key.expiresAt },
    workspace: { slug: v.workspace.slug, name: v.workspace.name },
    owner: v.owner ? { id: v.owner.id, email: v.owner.email, name: v.owner.name } : null,
    role: v.role,
  };
}

// An integrating service asks whether a key presented to it is good. Only keys of the caller's
// own workspace are described; any other key is simply unknown.
export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = routeMethods({
  POST: apiRoute({ scope: "verify" }, async ({ db, ctx, input, req, countGuess }) => {
    const parsed = verifyRequestSchema.safeParse(input);
    if (!parsed.success) throw invalid(fieldErrorsOf(parsed.error));
    const result = await verifyApiKey(db, parsed.data.token, { via: parsed.data.via });
    const found = result.ok ? result.value : result.found;
    if (!found || found.workspace.id !== ctx.workspace.id) {
      // Otherwise a verify key would be a free oracle for guessing other keys.
      await countGuess();
      if (!result.ok && result.code === "malformed_key") return ok({ valid: false, reason: result.code, message: result.message });
      return ok({ valid: false, reason: "unknown_key", message: "The API key is not recognised." });
    }
    if (!result.ok) return ok({ valid: false, reason: result.code, message: result.message, ...describe(found) });
    recordKeyUse(db, found.key.id, { integration: req.headers.get("x-integration-name") });
    return ok({ valid: true, reason: null, message: "The API key is valid.", ...describe(found) });
  }),
});
