"use client";

import { useRef, useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { toast } from "sonner";
import { Field, fieldAria } from "@/components/api-keys/field";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { changePasswordAction } from "@/lib/account/actions";
import { MIN_PASSWORD_LENGTH } from "@/lib/account/validation";
import type { FieldErrors } from "@/lib/errors";

/**
 * Current password, new password twice. On success every other session has ended and this
 * one was signed in again, so the page carries on (or, if that failed, goes to the login page).
 */
export function PasswordForm({ email, forced = false, after = "/account" }: { email: string; forced?: boolean; after?: string }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const input = {
      currentPassword: String(data.get("currentPassword") ?? ""),
      newPassword: String(data.get("newPassword") ?? ""),
      confirmPassword: String(data.get("confirmPassword") ?? ""),
    };
    startTransition(async () => {
      const result = await changePasswordAction(input);
      if (!result.ok) {
        setErrors(result.fieldErrors ?? {});
        setFormError(result.fieldErrors ? null : result.error);
        const first = Object.keys(result.fieldErrors ?? {})[0];
        if (first) formRef.current?.querySelector<HTMLInputElement>(`[name="${first}"]`)?.focus();
        return;
      }
      setErrors({});
      setFormError(null);
      formRef.current?.reset();
      if (result.data.signedInAgain) {
        toast.success("Password changed. Every other session has been signed out.");
        router.replace(after);
        router.refresh();
      } else {
        router.replace("/login?reason=password_changed");
      }
    });
  }

  return (
    <form ref={formRef} onSubmit={onSubmit} className="grid gap-4" noValidate>
      {/* Lets a password manager file the new password under the right account. */}
      <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
      <Field id="current-password" label={forced ? "One-time password" : "Current password"} errors={errors.currentPassword}>
        <Input
          id="current-password"
          name="currentPassword"
          type="password"
          autoComplete="current-password"
          autoFocus={forced}
          {...fieldAria("current-password", errors.currentPassword)}
        />
      </Field>
      <Field id="new-password" label="New password" hint={`At least ${MIN_PASSWORD_LENGTH} characters.`} errors={errors.newPassword}>
        <Input
          id="new-password"
          name="newPassword"
          type="password"
          autoComplete="new-password"
          {...fieldAria("new-password", errors.newPassword, true)}
        />
      </Field>
      <Field id="confirm-password" label="Confirm new password" errors={errors.confirmPassword}>
        <Input
          id="confirm-password"
          name="confirmPassword"
          type="password"
          autoComplete="new-password"
          {...fieldAria("confirm-password", errors.confirmPassword)}
        />
      </Field>
      {formError ? (
        <p role="alert" className="text-sm font-medium text-destructive">
          {formError}
        </p>
      ) : null}
      <div>
        <Button type="submit" size="sm" disabled={pending}>
          {pending ? "Changing password…" : "Change password"}
        </Button>
      </div>
    </form>
  );
}
