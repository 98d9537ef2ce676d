"use client";

import { useState } from "react";
import { addUtcDays } from "@/lib/dates";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { EXPIRY_PRESET_DAYS } from "@/lib/validations/api-keys";
import { Field, fieldAria } from "./field";

// A key's expiry as the common choices (Stripe's and GitHub's: 7, 30, 60, 90 days, a year), the
// workspace's maximum, a date of one's own, or never where the workspace allows it. It submits
// what the server actions already read: `expiresAt` (yyyy-mm-dd, the end of that day in UTC) or
// `neverExpires=on`; "keep" (editing) submits neither.

type Choice = `${number}` | "max" | "custom" | "never" | "keep";

const dateIn = (days: number) => addUtcDays(Date.now(), days).toISOString().slice(0, 10);
const DAY_LABELS: Record<number, string> = { 7: "7 days", 30: "30 days", 60: "60 days", 90: "90 days", 365: "1 year" };

export function ExpiryField({
  id,
  errors,
  maxLifetimeDays,
  current,
}: {
  id: string;
  errors?: string[];
  /** The workspace's maximum lifetime; null when keys may live for ever. */
  maxLifetimeDays: number | null;
  /** Editing: the key's expiry now (null: never), offered as "keep". Creating: undefined. */
  current?: Date | null;
}) {
  const presets = EXPIRY_PRESET_DAYS.filter((d) => maxLifetimeDays === null || d <= maxLifetimeDays);
  const maxIsPreset = maxLifetimeDays !== null && presets.includes(maxLifetimeDays as (typeof presets)[number]);
  // The workspace's default: its maximum lifetime where it has one (two years unless changed), else 90 days.
  const initial: Choice = current !== undefined ? "keep" : maxLifetimeDays === null ? "90" : maxIsPreset ? `${maxLifetimeDays}` : "max";
  const [choice, setChoice] = useState<Choice>(initial);
  const [custom, setCustom] = useState(() => dateIn(Math.min(30, maxLifetimeDays ?? 30)));

  const days = /^\d+$/.test(choice) ? Number(choice) : choice === "max" ? maxLifetimeDays : null;
  const date = days !== null ? dateIn(days) : choice === "custom" ? custom : null;
  const keepLabel = current === undefined ? null : current === null ? "Keep: never expires" : `Keep: ${current.toISOString().slice(0, 10)}`;
  const hint =
    choice === "never"
      ? "The key never expires. Revoke it when it is no longer needed."
      : choice === "keep"
        ? "The expiry stays as it is."
        : `Expires at the end of ${date} (UTC).${maxLifetimeDays !== null ? ` Keys in this workspace may live at most ${maxLifetimeDays} days.` : ""}`;

  const options: { value: Choice; label: string }[] = [
    ...(keepLabel ? [{ value: "keep" as const, label: keepLabel }] : []),
    ...presets.map((d) => ({ value: `${d}` as Choice, label: `${DAY_LABELS[d]}${d === maxLifetimeDays ? " (the workspace's maximum)" : ""}` })),
    ...(maxLifetimeDays !== null && !maxIsPreset ? [{ value: "max" as const, label: `${maxLifetimeDays} days (the workspace's maximum)` }] : []),
    { value: "custom", label: "Custom date…" },
    ...(maxLifetimeDays === null ? [{ value: "never" as const, label: "Never" }] : []),
  ];

  return (
    <Field id={id} label="Expiration" errors={errors} hint={hint}>
      <input type="hidden" name="expiryChoice" value={choice} />
      <Select value={choice} onValueChange={(v) => setChoice(v as Choice)}>
        <SelectTrigger id={id} className="w-full" {...fieldAria(id, errors, true)}>
          {/* Explicit text: Radix fills an empty <SelectValue /> only after hydration. */}
          <SelectValue>{options.find((o) => o.value === choice)?.label}</SelectValue>
        </SelectTrigger>
        <SelectContent>
          {options.map((o) => (
            <SelectItem key={o.value} value={o.value}>
              {o.label}
            </SelectItem>
          ))}
        </SelectContent>
      </Select>
      {choice === "custom" ? (
        <Input
          id={`${id}-date`}
          type="date"
          aria-label="Expiration date"
          min={dateIn(1)}
          max={maxLifetimeDays !== null ? dateIn(maxLifetimeDays) : undefined}
          value={custom}
          onChange={(e) => setCustom(e.target.value)}
          required
        />
      ) : null}
      {date !== null && choice !== "keep" ? <input type="hidden" name="expiresAt" value={date} /> : null}
      {choice === "never" ? <input type="hidden" name="neverExpires" value="on" /> : null}
    </Field>
  );
}
