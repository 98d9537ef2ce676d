"use client";

import { useOptimistic, useState, useTransition } from "react";
import { toast } from "sonner";
import { updateSettingsAction } from "@/lib/workspaces/actions";
import { Field, fieldAria } from "@/components/api-keys/field";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Input } from "@/components/ui/input";
import { Switch } from "@/components/ui/switch";
import type { WorkspaceSettingsInput } from "@/lib/validations/workspaces";
import { LimitsFields } from "@/components/api-keys/limits-fields";
import { describeQuota, describeRateLimit, limitsFromForm, type Quota, type RateLimit } from "@/lib/validations/limits";

function SettingSwitch({
  id,
  label,
  description,
  value,
  onChange,
}: {
  id: string;
  label: string;
  description: string;
  value: boolean;
  onChange: (next: boolean) => void;
}) {
  return (
    <div className="flex items-start justify-between gap-6 py-4">
      <div>
        <label htmlFor={id} className="text-sm font-medium">
          {label}
        </label>
        <p id={`${id}-desc`} className="max-w-prose text-sm text-muted-foreground">
          {description}
        </p>
      </div>
      <Switch id={id} checked={value} onCheckedChange={onChange} aria-describedby={`${id}-desc`} />
    </div>
  );
}

export function ApiSettings(props: {
  slug: string;
  apiKeysEnabled: boolean;
  personalTokensAllowed: boolean;
  maxKeyLifetimeDays: number | null;
  reminderDays: number[];
  defaultLimits: { rateLimit: RateLimit | null; quota: Quota | null };
}) {
  const { slug } = props;
  const [flags, setFlags] = useOptimistic({ apiKeysEnabled: props.apiKeysEnabled, personalTokensAllowed: props.personalTokensAllowed });
  const [, startTransition] = useTransition();
  const [noMax, setNoMax] = useState(props.maxKeyLifetimeDays === null);
  const [days, setDays] = useState(String(props.maxKeyLifetimeDays ?? 730));
  const [lifetimeError, setLifetimeError] = useState<string[] | undefined>();
  const [saving, startSaving] = useTransition();

  const save = (input: WorkspaceSettingsInput, done: string) =>
    startTransition(async () => {
      setFlags((f) => ({ ...f, ...input }));
      const result = await updateSettingsAction(slug, input);
      if (result.ok) toast.success(done);
      else toast.error(result.error);
    });

  return (
    <section aria-labelledby="api-settings-title" className="rounded-lg border bg-card px-6 py-2">
      <h2 id="api-settings-title" className="pt-4 text-lg font-semibold">
        API settings
      </h2>
      <div className="divide-y">
        <SettingSwitch
          id="setting-api-keys"
          label="API key authentication"
          description="When off, every key of this workspace is refused (api_keys_disabled) until it is turned back on."
          value={flags.apiKeysEnabled}
          onChange={(v) => save({ apiKeysEnabled: v }, v ? "API key authentication is on." : "API key authentication is off: every key is refused.")}
        />
        <SettingSwitch
          id="setting-personal-tokens"
          label="Allow personal tokens"
          description="Let members create personal access tokens that act as themselves."
          value={flags.personalTokensAllowed}
          onChange={(v) => save({ personalTokensAllowed: v }, v ? "Personal tokens are allowed." : "Personal tokens are turned off.")}
        />
        <form
          className="grid gap-3 py-4"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            const n = Number(days);
            startSaving(async () => {
              const result = await updateSettingsAction(slug, {
                maxKeyLifetimeDays: noMax ? null : Number.isFinite(n) && days.trim() !== "" ? n : Number.NaN,
              });
              setLifetimeError(result.ok ? undefined : (result.fieldErrors?.maxKeyLifetimeDays ?? [result.error]));
              if (result.ok) toast.success(noMax ? "Keys may now live without a maximum." : `Keys may now live at most ${n} days.`);
            });
          }}
        >
          <Field
            id="setting-lifetime"
            label="Maximum key lifetime (days)"
            errors={lifetimeError}
            hint="Applies to keys created from now on. The default, 730 days, is two years."
          >
            <Input
              id="setting-lifetime"
              inputMode="numeric"
              value={noMax ? "" : days}
              disabled={noMax}
              onChange={(e) => setDays(e.target.value)}
              className="max-w-40"
              {...fieldAria("setting-lifetime", lifetimeError, true)}
            />
          </Field>
          <label htmlFor="setting-no-max" className="flex items-center gap-2 text-sm">
            <Checkbox id="setting-no-max" checked={noMax} onCheckedChange={(v) => setNoMax(v === true)} />
            No maximum (keys may be created that never expire)
          </label>
          <div>
            <Button type="submit" variant="outline" disabled={saving}>
              {saving ? "Saving…" : "Save lifetime"}
            </Button>
          </div>
        </form>
        <ReminderDaysForm slug={slug} initial={props.reminderDays} />
        <DefaultLimitsForm slug={slug} initial={props.defaultLimits} />
      </div>
    </section>
  );
}

/** [14, 7, 1] → "14, 7 and 1 days"; [1] → "1 day". */
function listOfDays(days: number[]): string {
  const unit = days.length === 1 && days[0] === 1 ? "day" : "days";
  const words = days.length === 1 ? String(days[0]) : `${days.slice(0, -1).join(", ")} and ${days[days.length - 1]}`;
  return `${words} ${unit}`;
}

/** "14, 7, 1" → [14, 7, 1]; anything that is not a number stays NaN so the server names the problem. */
function parseDays(text: string): number[] {
  return text
    .split(/[\s,]+/)
    .filter((part) => part !== "")
    .map((part) => (/^-?\d+(\.\d+)?$/.test(part) ? Number(part) : Number.NaN));
}

function ReminderDaysForm({ slug, initial }: { slug: string; initial: number[] }) {
  const [text, setText] = useState(initial.join(", "));
  const [errors, setErrors] = useState<string[] | undefined>();
  const [saving, startSaving] = useTransition();
  return (
    <form
      className="grid gap-3 py-4"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const days = parseDays(text);
        startSaving(async () => {
          const result = await updateSettingsAction(slug, { reminderDays: days });
          setErrors(result.ok ? undefined : (result.fieldErrors?.reminderDays ?? [result.error]));
          if (result.ok) {
            const saved = [...days].sort((a, b) => b - a);
            setText(saved.join(", "));
            toast.success(saved.length ? `Expiry reminders go out ${listOfDays(saved)} before.` : "Expiry reminders are off.");
          }
        });
      }}
    >
      <Field
        id="setting-reminder-days"
        label="Expiry reminders (days before)"
        errors={errors}
        hint="Up to 5, separated by commas. The key's owner, its creator and the workspace's Admins are told in the console and by email. Leave empty for none."
      >
        <Input
          id="setting-reminder-days"
          inputMode="numeric"
          value={text}
          onChange={(e) => setText(e.target.value)}
          className="max-w-60"
          {...fieldAria("setting-reminder-days", errors, true)}
        />
      </Field>
      <div>
        <Button type="submit" variant="outline" disabled={saving}>
          {saving ? "Saving…" : "Save reminders"}
        </Button>
      </div>
    </form>
  );
}

/** The rate limit and quota every new key and token of the workspace gets unless its creator sets others. */
function DefaultLimitsForm({ slug, initial }: { slug: string; initial: { rateLimit: RateLimit | null; quota: Quota | null } }) {
  const [errors, setErrors] = useState<Record<string, string[] | undefined>>({});
  const [saving, startSaving] = useTransition();
  return (
    <form
      className="grid gap-3 py-4"
      noValidate
      aria-labelledby="setting-default-limits"
      onSubmit={(e) => {
        e.preventDefault();
        const { rateLimit, quota } = limitsFromForm(new FormData(e.currentTarget));
        startSaving(async () => {
          const result = await updateSettingsAction(slug, { defaultRateLimit: rateLimit, defaultQuota: quota } as WorkspaceSettingsInput);
          if (!result.ok) {
            const f = result.fieldErrors ?? {};
            setErrors({
              rateLimit: f.defaultRateLimit,
              quota: f.defaultQuota,
              ...(f.defaultRateLimit || f.defaultQuota ? {} : { rateLimit: [result.error] }),
            });
            return;
          }
          setErrors({});
          const r = rateLimit as RateLimit | null;
          const q = quota as Quota | null;
          const said = [r ? describeRateLimit(r) : null, q ? describeQuota(q) : null].filter(Boolean).join(" and ");
          toast.success(said ? `New keys get ${said}.` : "New keys get no rate limit or quota.");
        });
      }}
    >
      <div>
        <h3 id="setting-default-limits" className="text-sm font-medium">
          Default rate limit and quota
        </h3>
        <p className="max-w-prose text-sm text-muted-foreground">
          Filled in for every new key and personal token; whoever creates a key can change them. Keys that exist keep theirs.
        </p>
      </div>
      <LimitsFields idPrefix="setting-limits" legend="For new keys" defaults={initial} errors={errors} note="" />
      <div>
        <Button type="submit" variant="outline" disabled={saving}>
          {saving ? "Saving…" : "Save default limits"}
        </Button>
      </div>
    </form>
  );
}
