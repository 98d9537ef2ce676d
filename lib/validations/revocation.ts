import { z } from "zod";

// Why a key was revoked: the one list the database enum, the forms, the REST schemas, the audit
// log and /api/data/verify all read. "other" carries a free text; the rest stand alone.
export const REVOCATION_REASONS = ["compromised", "superseded", "no_longer_needed", "owner_left", "other"] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export const REVOCATION_REASON_LABELS: Record<RevocationReason, string> = {
  compromised: "Compromised",
  superseded: "Superseded",
  no_longer_needed: "No longer needed",
  owner_left: "Owner left",
  other: "Other",
};

/** What a person reads for a revocation that recorded none: keys revoked before reasons were kept. */
export const NO_REASON_RECORDED = "No reason recorded";
/** What a person reads for a revocation made over REST without a reason. */
export const NO_REASON_GIVEN = "No reason given";

export const REVOCATION_TEXT_MAX = 200;

/** A revocation's reason as stored: null when none was given (REST without one, or before reasons were kept). */
export interface Revocation {
  reason: RevocationReason | null;
  /** Only for "other": what the person wrote. */
  text: string | null;
}

export const NO_REASON: Revocation = { reason: null, text: null };

const reasonField = z.enum(REVOCATION_REASONS, {
  error: (iss) =>
    iss.input === undefined || iss.input === null || iss.input === ""
      ? "Choose a reason for revoking."
      : `Unknown reason "${String(iss.input)}": use one of ${REVOCATION_REASONS.join(", ")}.`,
});

const reasonText = z
  .string({ error: "The reason text must be text." })
  .trim()
  .max(REVOCATION_TEXT_MAX, `The reason text must be at most ${REVOCATION_TEXT_MAX} characters.`);

const describedReason = <T extends z.ZodType>(schema: T): T =>
  schema.meta({ description: `Why: ${REVOCATION_REASONS.join(", ")}. Omitted: no reason is stored.` });
const describedText = reasonText.meta({
  description: `For the reason "other" only, and required with it: why, 1–${REVOCATION_TEXT_MAX} characters.`,
});

/** The fields as a query or body takes them (for REST's documentation: DELETE …/revoke?reason=compromised). */
export const revocationQuerySchema = z.object({ reason: describedReason(reasonField.optional()), reasonText: describedText.optional() });

function revocationSchemaOf(required: boolean) {
  return z
    .strictObject(
      {
        reason: required ? reasonField : describedReason(reasonField.nullish()),
        reasonText: describedText.nullish(),
      },
      {
        error: (iss) =>
          iss.code === "unrecognized_keys" ? `Unknown field ${iss.keys.map((k) => `"${k}"`).join(", ")}: send reason and reasonText.` : undefined,
      },
    )
    .superRefine((v, ctx) => {
      const text = v.reasonText ?? "";
      if (v.reason === "other" && text === "")
        ctx.addIssue({ code: "custom", path: ["reasonText"], message: 'Say why in a few words (up to 200 characters) when the reason is "other".' });
      if (v.reason !== "other" && text !== "")
        ctx.addIssue({
          code: "custom",
          path: ["reasonText"],
          message: v.reason ? 'A reason text goes only with the reason "other".' : 'A reason text needs the reason "other".',
        });
    })
    .transform((v): Revocation => ({ reason: v.reason ?? null, text: v.reason === "other" ? (v.reasonText ?? null) : null }));
}

/** The console: every revoke asks for a reason. */
export const revocationSchema = revocationSchemaOf(true);
/** REST: the reason is optional; omitted, none is stored (none is invented). */
export const optionalRevocationSchema = revocationSchemaOf(false);
export type RevocationInput = z.input<typeof optionalRevocationSchema>;

/** How a stored reason reads: "Compromised", "Other: moved to vault", or what to say when there is none. */
export function describeRevocation(r: Revocation, none: string = NO_REASON_RECORDED): string {
  if (!r.reason) return none;
  if (r.reason === "other" && r.text) return `${REVOCATION_REASON_LABELS.other}: ${r.text}`;
  return REVOCATION_REASON_LABELS[r.reason];
}
