"use client";

import { useState } from "react";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { RadioGroup, RadioGroupItem } from "@/components/ui/radio-group";
import { REVOCATION_REASON_LABELS, REVOCATION_REASONS, REVOCATION_TEXT_MAX, type RevocationReason } from "@/lib/validations/revocation";
import { Field, fieldAria } from "./field";

// The reason every revoke confirmation asks for: a radio group (arrow keys move, Space picks),
// and for "other" a text field. The confirm button stays off until the choice is complete; the
// server checks it again (lib/validations/revocation.ts) and its field errors show here.

export interface RevocationChoice {
  reason: RevocationReason | null;
  reasonText: string;
}

export const NO_CHOICE: RevocationChoice = { reason: null, reasonText: "" };

export function isChoiceComplete(c: RevocationChoice): boolean {
  if (c.reason === null) return false;
  if (c.reason !== "other") return true;
  const text = c.reasonText.trim();
  return text.length > 0 && text.length <= REVOCATION_TEXT_MAX;
}

/** What the server actions take: the text only with "other". */
export const revocationInputOf = (c: RevocationChoice) => ({ reason: c.reason, reasonText: c.reason === "other" ? c.reasonText : undefined });

/** A revocation reason's state, cleared whenever the dialog it belongs to closes. */
export function useRevocationChoice() {
  const [choice, setChoice] = useState<RevocationChoice>(NO_CHOICE);
  const [errors, setErrors] = useState<Record<string, string[]> | undefined>(undefined);
  const reset = () => {
    setChoice(NO_CHOICE);
    setErrors(undefined);
  };
  return { choice, setChoice, errors, setErrors, reset, complete: isChoiceComplete(choice), input: revocationInputOf(choice) };
}

const HINTS: Record<RevocationReason, string> = {
  compromised: "The secret leaked, or someone who should not have it may have seen it.",
  superseded: "A new key replaces it.",
  no_longer_needed: "Whatever used it is gone.",
  owner_left: "The person it acts as has left.",
  other: "Say why in a few words.",
};

export function RevocationReasonField({
  id,
  value,
  onChange,
  errors,
}: {
  id: string;
  value: RevocationChoice;
  onChange: (next: RevocationChoice) => void;
  errors?: Record<string, string[]>;
}) {
  const reasonErrors = errors?.reason;
  const textErrors = errors?.reasonText;
  return (
    <fieldset className="grid gap-2">
      <legend id={`${id}-legend`} className="mb-2 text-sm font-medium">
        Reason for revoking
      </legend>
      <RadioGroup
        aria-labelledby={`${id}-legend`}
        aria-required
        value={value.reason ?? ""}
        onValueChange={(v) => onChange({ ...value, reason: v as RevocationReason })}
        {...fieldAria(id, reasonErrors)}
      >
        {REVOCATION_REASONS.map((reason) => (
          <div key={reason} className="flex items-start gap-2">
            <RadioGroupItem value={reason} id={`${id}-${reason}`} aria-describedby={`${id}-${reason}-hint`} className="mt-0.5" />
            <div className="grid gap-0.5">
              <Label htmlFor={`${id}-${reason}`} className="font-normal">
                {REVOCATION_REASON_LABELS[reason]}
              </Label>
              <span id={`${id}-${reason}-hint`} className="text-xs text-muted-foreground">
                {HINTS[reason]}
              </span>
            </div>
          </div>
        ))}
      </RadioGroup>
      {reasonErrors?.length ? (
        <p id={`${id}-error`} className="text-sm font-medium text-destructive">
          {reasonErrors.join(" ")}
        </p>
      ) : null}
      {value.reason === "other" ? (
        <Field
          id={`${id}-text`}
          label="Why"
          hint={`Up to ${REVOCATION_TEXT_MAX} characters; kept with the key and in the audit log.`}
          errors={textErrors}
        >
          <Input
            id={`${id}-text`}
            value={value.reasonText}
            onChange={(e) => onChange({ ...value, reasonText: e.target.value })}
            maxLength={REVOCATION_TEXT_MAX}
            autoComplete="off"
            required
            {...fieldAria(`${id}-text`, textErrors, true)}
          />
        </Field>
      ) : null}
    </fieldset>
  );
}
