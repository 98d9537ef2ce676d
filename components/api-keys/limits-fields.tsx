"use client";

import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { describeQuota, describeRateLimit, type Quota, type RateLimit } from "@/lib/validations/limits";
import { Field, fieldAria } from "./field";

const WINDOW_OPTIONS = [
  { value: "second", label: "per second" },
  { value: "minute", label: "per minute" },
  { value: "hour", label: "per hour" },
] as const;

const PERIOD_OPTIONS = [
  { value: "day", label: "per day" },
  { value: "month", label: "per month" },
  { value: "total", label: "in total" },
] as const;

/**
 * The rate limit and quota of the create and edit dialogs and of the workspace's defaults: a
 * number (empty for none) and its unit, submitted as rateLimit/rateLimitWindow and
 * quotaLimit/quotaPeriod (lib/validations/limits.ts limitsFromForm reads them).
 */
export function LimitsFields({
  idPrefix,
  defaults,
  errors,
  legend = "Rate limit and quota",
  note,
}: {
  idPrefix: string;
  defaults: { rateLimit: RateLimit | null; quota: Quota | null };
  errors: Record<string, string[] | undefined>;
  legend?: string;
  /** Says where the values shown come from (the workspace's defaults, when creating). */
  note?: string;
}) {
  const rateId = `${idPrefix}-rate-limit`;
  const quotaId = `${idPrefix}-quota`;
  const current = [defaults.rateLimit ? describeRateLimit(defaults.rateLimit) : null, defaults.quota ? describeQuota(defaults.quota) : null]
    .filter(Boolean)
    .join("; ");
  return (
    <fieldset className="grid gap-3 rounded-md border p-3" data-limits="">
      <legend className="px-1 text-sm font-medium">{legend}</legend>
      <p className="-mt-1 text-xs text-muted-foreground">
        Leave a number empty for no limit. Over the rate limit a request gets <span className="font-mono">429 rate_limited</span>; once the quota is
        used, <span className="font-mono">429 quota_exhausted</span>. Days and months are UTC; a total quota is topped up by hand on the key&apos;s
        page. Every answer carries the key&apos;s <span className="font-mono">RateLimit</span> header. {note ?? (current ? `Now: ${current}.` : "")}
      </p>
      <div className="grid gap-3 sm:grid-cols-2 sm:gap-x-4 [&>*]:min-w-0">
        <AmountAndUnit
          id={rateId}
          label="Rate limit (requests)"
          errors={errors.rateLimit}
          amount={{ name: "rateLimit", placeholder: "No limit", value: defaults.rateLimit?.limit }}
          unit={{ name: "rateLimitWindow", label: "Rate limit window", value: defaults.rateLimit?.window ?? "minute", options: WINDOW_OPTIONS }}
        />
        <AmountAndUnit
          id={quotaId}
          label="Quota (requests)"
          errors={errors.quota}
          amount={{ name: "quotaLimit", placeholder: "No quota", value: defaults.quota?.limit }}
          unit={{ name: "quotaPeriod", label: "Quota period", value: defaults.quota?.period ?? "day", options: PERIOD_OPTIONS }}
        />
      </div>
    </fieldset>
  );
}

/** A number of requests and its unit (a window or a period), as one labelled field. */
function AmountAndUnit({
  id,
  label,
  errors,
  amount,
  unit,
}: {
  id: string;
  label: string;
  errors?: string[];
  amount: { name: string; placeholder: string; value: number | undefined };
  unit: { name: string; label: string; value: string; options: readonly { value: string; label: string }[] };
}) {
  return (
    <Field id={id} label={label} errors={errors}>
      <div className="flex gap-2">
        <Input
          id={id}
          name={amount.name}
          inputMode="numeric"
          autoComplete="off"
          placeholder={amount.placeholder}
          className="w-24 tabular-nums"
          defaultValue={amount.value ?? ""}
          {...fieldAria(id, errors)}
        />
        <Select name={unit.name} defaultValue={unit.value}>
          <SelectTrigger className="w-32" aria-label={unit.label}>
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            {unit.options.map((o) => (
              <SelectItem key={o.value} value={o.value}>
                {o.label}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      </div>
    </Field>
  );
}
