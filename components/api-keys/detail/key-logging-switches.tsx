"use client";

import { useOptimistic, useTransition } from "react";
import { toast } from "sonner";
import { updateApiKeyAction } from "@/lib/api-keys/actions";
import { Switch } from "@/components/ui/switch";

/** BuildMaster's per-key request and response logging. */
export function KeyLoggingSwitches({
  slug,
  id,
  logRequests,
  logResponses,
}: {
  slug: string;
  id: string;
  logRequests: boolean;
  logResponses: boolean;
}) {
  const [flags, setFlags] = useOptimistic({ logRequests, logResponses });
  const [, startTransition] = useTransition();
  const set = (field: "logRequests" | "logResponses", value: boolean, label: string) =>
    startTransition(async () => {
      setFlags((f) => ({ ...f, [field]: value }));
      const result = await updateApiKeyAction(slug, id, { [field]: value });
      if (result.ok) toast.success(`${label} ${value ? "on" : "off"}.`);
      else toast.error(result.error);
    });
  return (
    <div className="mt-5 grid gap-3 border-t pt-4">
      <p className="text-sm text-muted-foreground">
        Every request is counted in the usage chart, and every refusal is logged with its time, method, path, status and duration. Turn on logging to
        list every request, with its headers or bodies (capped at 8 KiB, secrets redacted).
      </p>
      {(
        [
          ["logRequests", "Request logging", flags.logRequests],
          ["logResponses", "Response logging", flags.logResponses],
        ] as const
      ).map(([field, label, value]) => (
        <div key={field} className="flex items-center justify-between gap-4">
          <label htmlFor={`key-${field}`} className="text-sm font-medium">
            {label}
          </label>
          <Switch id={`key-${field}`} checked={value} onCheckedChange={(v) => set(field, v, label)} />
        </div>
      ))}
    </div>
  );
}
