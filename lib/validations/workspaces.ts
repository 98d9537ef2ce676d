import { z } from "zod";
import { roleEnum } from "@/db/schema";
import { quotaSchema, rateLimitSchema } from "./limits";

export const workspaceSettingsSchema = z
  .object({
    apiKeysEnabled: z.boolean({ error: "API key authentication must be on or off." }).optional(),
    personalTokensAllowed: z.boolean({ error: "Allow personal tokens must be on or off." }).optional(),
    /** Days; null for "no maximum". */
    maxKeyLifetimeDays: z
      .number({ error: "Maximum key lifetime must be a number of days." })
      .int("Maximum key lifetime must be a whole number of days.")
      .min(1, "Maximum key lifetime must be at least 1 day.")
      .max(3650, "Maximum key lifetime can be at most 3650 days (10 years).")
      .nullable()
      .optional(),
    /** Days before a key's expiry that reminders go out. */
    reminderDays: z
      .array(
        z
          .number({ error: "Each reminder must be a number of days." })
          .int("Each reminder must be a whole number of days.")
          .min(1, "A reminder must be at least 1 day before expiry.")
          .max(3650, "A reminder can be at most 3650 days (10 years) before expiry."),
        { error: "Reminders must be a list of days." },
      )
      .max(5, "Choose at most 5 reminders.")
      .refine((days) => new Set(days).size === days.length, "Each reminder day may appear only once.")
      // Stored largest first, so the settings page and the audit record read the same whatever order they were typed in.
      .transform((days) => [...days].sort((a, b) => b - a))
      .optional(),
    /** What a new key or token gets when its creator sets none; null: none. */
    defaultRateLimit: rateLimitSchema.optional(),
    defaultQuota: quotaSchema.optional(),
  })
  .strict()
  // Stored as the workspace's columns (a number and its unit each).
  .transform(({ defaultRateLimit, defaultQuota, ...rest }) => ({
    ...rest,
    ...(defaultRateLimit !== undefined
      ? { defaultRateLimit: defaultRateLimit?.limit ?? null, defaultRateLimitWindow: defaultRateLimit?.window ?? null }
      : {}),
    ...(defaultQuota !== undefined ? { defaultQuotaLimit: defaultQuota?.limit ?? null, defaultQuotaPeriod: defaultQuota?.period ?? null } : {}),
  }));
export type WorkspaceSettingsInput = z.input<typeof workspaceSettingsSchema>;

export const roleSchema = z.enum(roleEnum.enumValues, { error: "Choose Admin, Manager, Member or Guest." });

export const addMemberSchema = z.object({
  email: z.string({ error: "Email is required." }).trim().min(1, "Email is required.").pipe(z.email("Enter an email address, e.g. ada@example.com.")),
  role: roleSchema,
});
