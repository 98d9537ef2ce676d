"use client";

import { useState } from "react";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import { IP_RULES_MAX } from "@/lib/net/ip-rules";
import { Field, fieldAria } from "./field";

/** An ISO time as the value of a datetime-local input, in the browser's time zone. */
function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * The "IP restrictions" and "Not before" part of the create and edit dialogs. The lists are
 * textareas, one entry per line, sent as ipAllow / ipDeny text (the action splits them); the
 * not-before time is typed in the browser's time zone and sent as ISO (hidden notBefore), so the
 * server never guesses a zone.
 */
export function IpRulesFields({
  idPrefix,
  defaults,
  errors,
}: {
  idPrefix: string;
  defaults?: { ipAllow: readonly string[]; ipDeny: readonly string[]; notBefore: string | null };
  errors: Record<string, string[] | undefined>;
}) {
  const [notBefore, setNotBefore] = useState(toLocalInput(defaults?.notBefore ?? null));
  const iso = notBefore && !Number.isNaN(new Date(notBefore).getTime()) ? new Date(notBefore).toISOString() : "";
  const allowId = `${idPrefix}-ip-allow`;
  const denyId = `${idPrefix}-ip-deny`;
  const notBeforeId = `${idPrefix}-not-before`;
  const hasRules = Boolean(defaults && (defaults.ipAllow.length || defaults.ipDeny.length));
  return (
    <fieldset className="grid gap-3 rounded-md border p-3" data-ip-restrictions="">
      <legend className="px-1 text-sm font-medium">IP restrictions</legend>
      <p className="-mt-1 text-xs text-muted-foreground">
        IPv4 or IPv6 addresses and CIDR ranges (e.g. <span className="font-mono">203.0.113.7</span>, <span className="font-mono">10.0.0.0/8</span>,{" "}
        <span className="font-mono">2001:db8::/32</span>), one per line, up to {IP_RULES_MAX} in each list. Deny wins over allow; an empty allow list
        allows any address that is not denied.
        {hasRules ? null : " This key has no restrictions."}
      </p>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field id={allowId} label="Allowed addresses" errors={errors.ipAllow}>
          <Textarea
            id={allowId}
            name="ipAllow"
            rows={4}
            spellCheck={false}
            autoComplete="off"
            placeholder="Any address"
            className="max-h-48 font-mono text-xs break-all"
            defaultValue={defaults?.ipAllow.join("\n") ?? ""}
            {...fieldAria(allowId, errors.ipAllow)}
          />
        </Field>
        <Field id={denyId} label="Denied addresses" errors={errors.ipDeny}>
          <Textarea
            id={denyId}
            name="ipDeny"
            rows={4}
            spellCheck={false}
            autoComplete="off"
            placeholder="None"
            className="max-h-48 font-mono text-xs break-all"
            defaultValue={defaults?.ipDeny.join("\n") ?? ""}
            {...fieldAria(denyId, errors.ipDeny)}
          />
        </Field>
      </div>
      <Field id={notBeforeId} label="Not before (optional)" errors={errors.notBefore} hint="The key is refused until this time (your time zone).">
        <Input
          id={notBeforeId}
          type="datetime-local"
          value={notBefore}
          onChange={(e) => setNotBefore(e.target.value)}
          className="w-full sm:w-64"
          {...fieldAria(notBeforeId, errors.notBefore, true)}
        />
      </Field>
      <input type="hidden" name="notBefore" value={iso} />
    </fieldset>
  );
}
