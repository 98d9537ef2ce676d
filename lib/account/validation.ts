import { z } from "zod";

// Account forms. No imports beyond zod: the client forms use the same limits.

export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;
export const MAX_NAME_LENGTH = 100;

export const personName = z
  .string({ error: "Enter a name." })
  .trim()
  .min(1, "Enter a name.")
  .max(MAX_NAME_LENGTH, `A name must be at most ${MAX_NAME_LENGTH} characters.`)
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), "A name cannot contain control characters.");

export const profileSchema = z.object({ name: personName });
export type ProfileInput = z.input<typeof profileSchema>;

export const newPassword = z
  .string({ error: "Enter a new password." })
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(MAX_PASSWORD_LENGTH, `Use at most ${MAX_PASSWORD_LENGTH} characters.`)
  .refine((v) => v.trim().length >= MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters other than spaces.`);

export const changePasswordSchema = z
  .object({
    currentPassword: z
      .string({ error: "Enter your current password." })
      .min(1, "Enter your current password.")
      .max(MAX_PASSWORD_LENGTH, "That is not your current password."),
    newPassword,
    confirmPassword: z.string({ error: "Type the new password again." }).min(1, "Type the new password again."),
  })
  .refine((v) => v.newPassword === v.confirmPassword, { path: ["confirmPassword"], message: "The two new passwords do not match." })
  .refine((v) => v.newPassword !== v.currentPassword, { path: ["newPassword"], message: "Choose a password different from the current one." });
export type ChangePasswordInput = z.input<typeof changePasswordSchema>;
