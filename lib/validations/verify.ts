import { z } from "zod";

export const verifyRequestSchema = z.object({
  token: z
    .string({ error: (iss) => (iss.input === undefined ? "token is required: the key to check." : "token must be a string.") })
    .trim()
    .min(1, "token is required: the key to check.")
    .max(512, "token is too long to be a key."),
  /** How the token reached the integrating service; "bearer" also checks the key's bearer flag. */
  via: z.enum(["bearer", "x-apikey"], { error: 'via must be "bearer" or "x-apikey".' }).default("x-apikey"),
});
