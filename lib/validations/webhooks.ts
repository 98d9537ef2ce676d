import { z } from "zod";
import { WEBHOOK_EVENT_TYPES } from "@/lib/webhooks/events";

export const WEBHOOK_URL_MAX = 2000;
export const WEBHOOK_DESCRIPTION_MAX = 500;

function parsedUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

const url = z
  .string({ error: "Enter the URL to send events to." })
  .trim()
  .min(1, "Enter the URL to send events to.")
  .max(WEBHOOK_URL_MAX, `A webhook URL can have at most ${WEBHOOK_URL_MAX.toLocaleString("en")} characters.`)
  .refine((v) => ["http:", "https:"].includes(parsedUrl(v)?.protocol ?? ""), "Enter an http:// or https:// URL, e.g. https://example.com/webhooks.")
  // fetch refuses such a URL, so every delivery would fail.
  .refine((v) => {
    const u = parsedUrl(v);
    return !u || (!u.username && !u.password);
  }, "A webhook URL cannot contain a user name or password; put a token in its path or query instead.");

const description = z
  .string({ error: "Description must be text." })
  .trim()
  .max(WEBHOOK_DESCRIPTION_MAX, `Description can have at most ${WEBHOOK_DESCRIPTION_MAX} characters.`);

const events = z
  .array(z.enum(WEBHOOK_EVENT_TYPES, { error: `Unknown event type; choose from ${WEBHOOK_EVENT_TYPES.join(", ")}.` }), {
    error: "Choose at least one event to send.",
  })
  .min(1, "Choose at least one event to send.")
  .transform((list) => [...new Set(list)]);

const enabled = z.boolean({ error: "Enabled must be on or off." });

export const createWebhookSchema = z
  .object({ url, description: description.optional().default(""), events, enabled: enabled.optional().default(true) })
  .strict();
export type CreateWebhookInput = z.input<typeof createWebhookSchema>;

export const updateWebhookSchema = z.object({ url, description, events, enabled }).partial().strict();
export type UpdateWebhookInput = z.input<typeof updateWebhookSchema>;

export const listDeliveriesSchema = z.object({
  page: z.coerce.number({ error: "Page must be a number." }).int("Page must be a whole number.").min(1, "Page starts at 1.").default(1),
  pageSize: z.coerce
    .number({ error: "Page size must be a number." })
    .int("Page size must be a whole number.")
    .min(1, "Page size must be at least 1.")
    .max(100, "Page size can be at most 100.")
    .default(20),
});
export type ListDeliveriesInput = z.input<typeof listDeliveriesSchema>;
