"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { toast } from "sonner";
import { Field, fieldAria } from "@/components/api-keys/field";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { updateProfileAction } from "@/lib/account/actions";
import { MAX_NAME_LENGTH } from "@/lib/account/validation";
import type { FieldErrors } from "@/lib/errors";

export function ProfileForm({ name, email }: { name: string; email: string }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);

  function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const next = String(new FormData(event.currentTarget).get("name") ?? "");
    startTransition(async () => {
      const result = await updateProfileAction({ name: next });
      if (!result.ok) {
        setErrors(result.fieldErrors ?? {});
        setFormError(result.fieldErrors ? null : result.error);
        return;
      }
      setErrors({});
      setFormError(null);
      toast.success("Profile saved.");
      router.refresh();
    });
  }

  return (
    <form onSubmit={onSubmit} className="grid gap-4" noValidate aria-labelledby="profile-title">
      <Field id="profile-name" label="Name" errors={errors.name}>
        <Input
          id="profile-name"
          name="name"
          defaultValue={name}
          autoComplete="name"
          maxLength={MAX_NAME_LENGTH + 20}
          {...fieldAria("profile-name", errors.name)}
        />
      </Field>
      <Field id="profile-email" label="Email" hint="Your sign-in name; it cannot be changed here.">
        <Input id="profile-email" value={email} readOnly disabled aria-describedby="profile-email-hint" />
      </Field>
      {formError ? <p className="text-sm font-medium text-destructive">{formError}</p> : null}
      <div>
        <Button type="submit" size="sm" disabled={pending}>
          {pending ? "Saving…" : "Save profile"}
        </Button>
      </div>
    </form>
  );
}
