"use client";

import { Checkbox } from "@/components/ui/checkbox";
import { API_KEY_SCOPES, SCOPE_LABELS, type ApiKeyScope } from "@/lib/validations/api-keys";

/** The per-key endpoint groups (BuildMaster), as named checkboxes that submit `scopes`. */
export function ScopesFieldset({ idPrefix, defaultValue, errors }: { idPrefix: string; defaultValue: readonly ApiKeyScope[]; errors?: string[] }) {
  return (
    <fieldset className="grid gap-2" aria-describedby={errors?.length ? `${idPrefix}-scopes-error` : undefined}>
      <legend className="mb-1 text-sm font-medium">Scopes</legend>
      <p className="-mt-1 text-xs text-muted-foreground">
        Which API endpoint groups the key may call. A scope never gives more than the owner&apos;s role allows.
      </p>
      <div className="grid gap-1.5 sm:grid-cols-2">
        {API_KEY_SCOPES.map((scope) => (
          <label key={scope} htmlFor={`${idPrefix}-scope-${scope}`} className="flex items-start gap-2 text-sm">
            <Checkbox
              id={`${idPrefix}-scope-${scope}`}
              name="scopes"
              value={scope}
              defaultChecked={defaultValue.includes(scope)}
              className="mt-0.5"
            />
            <span>
              <span className="font-mono text-xs">{scope}</span>
              <span className="block text-xs text-muted-foreground">{SCOPE_LABELS[scope]}</span>
            </span>
          </label>
        ))}
      </div>
      {errors?.length ? (
        <p id={`${idPrefix}-scopes-error`} className="text-sm font-medium text-destructive">
          {errors.join(" ")}
        </p>
      ) : null}
    </fieldset>
  );
}
