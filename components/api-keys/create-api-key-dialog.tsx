"use client";

import { useActionState, useState } from "react";
import { Plus } from "lucide-react";
import { createApiKeyAction, type CreatedKeyResult } from "@/lib/api-keys/actions";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import type { ActionResult } from "@/lib/actions";
import type { WorkspaceMemberOption } from "@/lib/api-keys/core";
import { ROLE_LABELS } from "@/lib/auth/permissions";
import { API_KEY_SCOPES } from "@/lib/validations/api-keys";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Field, fieldAria } from "./field";
import { ExpiryField } from "./expiry-field";
import { IpRulesFields } from "./ip-rules-fields";
import { LimitsFields } from "./limits-fields";
import type { Quota, RateLimit } from "@/lib/validations/limits";
import { ScopesFieldset } from "./scopes-fieldset";

export interface CreateApiKeyDialogProps {
  slug: string;
  owners: WorkspaceMemberOption[];
  currentUserId: string | null;
  canCreateServiceKeys: boolean;
  /** yyyy-mm-dd: today + the workspace's maximum lifetime; null when there is no maximum. */
  maxExpiry: string | null;
  maxLifetimeDays: number | null;
  /** The workspace's default rate limit and quota, filled in for a new key. */
  defaultLimits: { rateLimit: RateLimit | null; quota: Quota | null };
  onCreated: (created: CreatedKeyResult) => void;
}

export function CreateApiKeyDialog(props: CreateApiKeyDialogProps) {
  const [open, setOpen] = useState(false);
  // A fresh form (and action state) each time the dialog opens.
  const [generation, setGeneration] = useState(0);
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (next) setGeneration((g) => g + 1);
      }}
    >
      <DialogTrigger asChild>
        <Button data-create-key-trigger="">
          <Plus aria-hidden="true" />
          Create API key
        </Button>
      </DialogTrigger>
      <DialogContent className="sm:max-w-xl">
        <DialogHeader>
          <DialogTitle>Create API key</DialogTitle>
          <DialogDescription>The key acts as its owner and can never do more than the owner may.</DialogDescription>
        </DialogHeader>
        <CreateApiKeyForm
          key={generation}
          {...props}
          onCreated={(created) => {
            setOpen(false);
            props.onCreated(created);
          }}
        />
      </DialogContent>
    </Dialog>
  );
}

function CreateApiKeyForm({ slug, owners, currentUserId, canCreateServiceKeys, maxLifetimeDays, defaultLimits, onCreated }: CreateApiKeyDialogProps) {
  const [state, formAction, pending] = useActionState<ActionResult<CreatedKeyResult> | null, FormData>(async (prev, form) => {
    const result = await createApiKeyAction(slug, prev, form);
    if (result.ok) onCreated(result.data);
    return result;
  }, null);
  const errors = state && !state.ok ? (state.fieldErrors ?? {}) : {};

  const me = owners.find((o) => o.id === currentUserId);
  const others = owners.filter((o) => o.id !== currentUserId);

  return (
    <form action={formAction} className="grid gap-4" noValidate>
      {state && !state.ok && !state.fieldErrors ? (
        <p role="alert" className="rounded-md border border-destructive/40 bg-destructive-muted p-3 text-sm text-destructive">
          {state.error}
        </p>
      ) : null}
      <Field id="key-name" label="Name" errors={errors.name} hint="What uses this key, e.g. “Billing sync”. Up to 100 characters.">
        <Input id="key-name" name="name" required maxLength={200} autoComplete="off" autoFocus {...fieldAria("key-name", errors.name, true)} />
      </Field>
      <Field id="key-owner" label="Owner" errors={errors.ownerId} hint="The key acts as this user, with their role in this workspace.">
        <Select name="ownerId" defaultValue={me ? "me" : canCreateServiceKeys ? "none" : others[0]?.id}>
          <SelectTrigger id="key-owner" className="w-full" {...fieldAria("key-owner", errors.ownerId, true)}>
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            {me ? <SelectItem value="me">Me ({me.name})</SelectItem> : null}
            {others.map((o) => (
              <SelectItem key={o.id} value={o.id}>
                {o.name} · {o.email} · {ROLE_LABELS[o.role]}
              </SelectItem>
            ))}
            {canCreateServiceKeys ? <SelectItem value="none">None — workspace service key (acts as Admin)</SelectItem> : null}
          </SelectContent>
        </Select>
      </Field>
      <Field id="key-description" label="Description (optional)" errors={errors.description}>
        <Textarea id="key-description" name="description" rows={2} maxLength={1000} {...fieldAria("key-description", errors.description)} />
      </Field>
      <ExpiryField id="key-expires" errors={errors.expiresAt} maxLifetimeDays={maxLifetimeDays} />
      <div className="grid gap-1">
        <label htmlFor="key-bearer" className="flex items-center gap-2 text-sm font-medium">
          <Checkbox id="key-bearer" name="bearerAllowed" defaultChecked />
          Bearer token
        </label>
        <p className="pl-6 text-xs text-muted-foreground">
          Accept this key as <span className="font-mono">Authorization: Bearer</span>. Untick to allow only the{" "}
          <span className="font-mono">X-ApiKey</span> header and the other forms.
        </p>
      </div>
      <ScopesFieldset idPrefix="create" defaultValue={API_KEY_SCOPES} errors={errors.scopes} />
      <IpRulesFields idPrefix="create" errors={errors} />
      <LimitsFields
        idPrefix="create"
        defaults={defaultLimits}
        errors={errors}
        note={defaultLimits.rateLimit || defaultLimits.quota ? "Filled in with the workspace's defaults." : undefined}
      />
      {canCreateServiceKeys ? (
        <details className="rounded-md border p-3 text-sm">
          <summary className="cursor-pointer font-medium">Import an existing secret</summary>
          <p className="mt-2 text-xs text-muted-foreground">
            Migrating from another system? Paste its key (at least 32 characters) and Latchkey will accept it instead of generating a new one. Only
            its hash is stored.
          </p>
          <Field id="key-import" label="Existing secret" errors={errors.importedSecret} className="mt-2">
            <Input
              id="key-import"
              name="importedSecret"
              type="password"
              autoComplete="off"
              spellCheck={false}
              className="font-mono"
              {...fieldAria("key-import", errors.importedSecret)}
            />
          </Field>
        </details>
      ) : null}
      <DialogFooter>
        <Button type="submit" disabled={pending}>
          {pending ? "Generating…" : "Generate key"}
        </Button>
      </DialogFooter>
    </form>
  );
}
