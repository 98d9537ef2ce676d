import { z } from "zod";
import { normalizeAddress } from "@/lib/net/address";

export const verifyRequestSchema = z.object({
  token: z
    .string({ error: (iss) => (iss.input === undefined ? "token is required: the key to check." : "token must be a string.") })
    .trim()
    .min(1, "token is required: the key to check.")
    .max(512, "token is too long to be a key."),
  /** How the token reached the integrating service; "bearer" also checks the key's bearer flag. */
  via: z.enum(["bearer", "x-apikey"], { error: 'via must be "bearer" or "x-apikey".' }).default("x-apikey"),
  /** The end client's address, to have the key's IP rules evaluated; omitted: they are not. */
  ip: z
    .string({ error: "ip must be text: the IPv4 or IPv6 address of the client that presented the key." })
    .transform((v, ctx) => {
      const normal = normalizeAddress(v);
      if (normal === null) {
        ctx.addIssue({ code: "custom", message: `ip "${v.trim().slice(0, 64)}" is not an IPv4 or IPv6 address.` });
        return z.NEVER;
      }
      return normal;
    })
    .optional(),
});
