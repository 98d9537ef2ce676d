"use client";

import { useState, useTransition } from "react";
import { toast } from "sonner";
import { updateApiKeyAction } from "@/lib/api-keys/actions";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import type { FieldErrors } from "@/lib/errors";
import type { ApiKeyScope, UpdateApiKeyInput } from "@/lib/validations/api-keys";
import { Field, fieldAria } from "./field";
import { ExpiryField } from "./expiry-field";
import { ruleEntries } from "@/lib/net/ip-rules";
import { IpRulesFields } from "./ip-rules-fields";
import { LimitsFields } from "./limits-fields";
import { limitsFromForm, type Quota, type RateLimit } from "@/lib/validations/limits";
import { ScopesFieldset } from "./scopes-fieldset";

export interface EditableKey {
  id: string;
  name: string;
  description: string | null;
  scopes: ApiKeyScope[];
  expiresAt: Date | null;
  ipAllow: string[];
  ipDeny: string[];
  notBefore: Date | string | null;
  rateLimit: RateLimit | null;
  quota: Quota | null;
}

export function EditApiKeyDialog({
  slug,
  apiKey,
  maxLifetimeDays,
  onOpenChange,
}: {
  slug: string;
  apiKey: EditableKey | null;
  /** The workspace's maximum key lifetime (null: keys may never expire). */
  maxLifetimeDays: number | null;
  onOpenChange: (open: boolean) => void;
}) {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <Dialog
      open={apiKey !== null}
      onOpenChange={(open) => {
        if (!open) {
          setErrors({});
          setFormError(null);
        }
        onOpenChange(open);
      }}
    >
      <DialogContent className="sm:max-w-xl">
        <DialogHeader>
          <DialogTitle>Edit API key</DialogTitle>
          <DialogDescription>
            Rename the key, describe it, change when it expires, which endpoint groups it may call, where and from when it works, or how much.
          </DialogDescription>
        </DialogHeader>
        {apiKey ? (
          <form
            key={apiKey.id}
            className="grid gap-4"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              const form = new FormData(e.currentTarget);
              const choice = form.get("expiryChoice");
              if (choice === "custom" && !form.get("expiresAt")) {
                setErrors({ expiresAt: ["Choose the date the key expires on."] });
                setFormError(null);
                return;
              }
              startTransition(async () => {
                const result = await updateApiKeyAction(slug, apiKey.id, {
                  name: String(form.get("name") ?? ""),
                  description: String(form.get("description") ?? ""),
                  scopes: form.getAll("scopes").map(String) as ApiKeyScope[],
                  ...(choice === "keep" ? {} : { expiresAt: choice === "never" ? null : String(form.get("expiresAt") ?? "") }),
                  ipAllow: ruleEntries(String(form.get("ipAllow") ?? "")),
                  ipDeny: ruleEntries(String(form.get("ipDeny") ?? "")),
                  notBefore: String(form.get("notBefore") ?? "") || null,
                  ...(limitsFromForm(form) as Pick<UpdateApiKeyInput, "rateLimit" | "quota">),
                });
                if (!result.ok) {
                  setErrors(result.fieldErrors ?? {});
                  setFormError(result.fieldErrors ? null : result.error);
                  return;
                }
                toast.success(`Saved “${result.data.name}”.`);
                onOpenChange(false);
              });
            }}
          >
            {formError ? <p className="text-sm font-medium text-destructive">{formError}</p> : null}
            <Field id="edit-name" label="Name" errors={errors.name}>
              <Input id="edit-name" name="name" defaultValue={apiKey.name} autoComplete="off" {...fieldAria("edit-name", errors.name)} />
            </Field>
            <Field id="edit-description" label="Description (optional)" errors={errors.description}>
              <Textarea
                id="edit-description"
                name="description"
                rows={2}
                defaultValue={apiKey.description ?? ""}
                {...fieldAria("edit-description", errors.description)}
              />
            </Field>
            <ExpiryField id="edit-expires" errors={errors.expiresAt} maxLifetimeDays={maxLifetimeDays} current={apiKey.expiresAt} />
            <ScopesFieldset idPrefix="edit" defaultValue={apiKey.scopes} errors={errors.scopes} />
            <IpRulesFields
              idPrefix="edit"
              defaults={{
                ipAllow: apiKey.ipAllow,
                ipDeny: apiKey.ipDeny,
                notBefore: apiKey.notBefore ? new Date(apiKey.notBefore).toISOString() : null,
              }}
              errors={errors}
            />
            <LimitsFields idPrefix="edit" defaults={{ rateLimit: apiKey.rateLimit, quota: apiKey.quota }} errors={errors} />
            <DialogFooter>
              <Button type="submit" disabled={pending}>
                {pending ? "Saving…" : "Save changes"}
              </Button>
            </DialogFooter>
          </form>
        ) : null}
      </DialogContent>
    </Dialog>
  );
}
