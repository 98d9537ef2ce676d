"use client";

import { useState, useTransition } from "react";
import { UserPlus } from "lucide-react";
import { Field, fieldAria } from "@/components/api-keys/field";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { createUserAction } from "@/lib/admin/users-actions";
import { ROLE_OPTIONS } from "@/lib/admin/users-params";
import type { FieldErrors } from "@/lib/errors";
import { OneTimePasswordDialog, type ShownOneTimePassword } from "./one-time-password-dialog";

function CreateUserForm({
  workspaces,
  onCreated,
}: {
  workspaces: { slug: string; name: string }[];
  onCreated: (shown: ShownOneTimePassword) => void;
}) {
  const [pending, startTransition] = useTransition();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [workspace, setWorkspace] = useState("");

  function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const input = {
      name: String(data.get("name") ?? ""),
      email: String(data.get("email") ?? ""),
      isGlobalAdmin: data.get("isGlobalAdmin") === "on",
      workspace: String(data.get("workspace") ?? ""),
      role: workspace ? String(data.get("role") ?? "member") : "",
    };
    startTransition(async () => {
      const result = await createUserAction(input);
      if (!result.ok) {
        setErrors(result.fieldErrors ?? {});
        setFormError(result.fieldErrors ? null : result.error);
        return;
      }
      onCreated({ name: result.data.user.name, email: result.data.user.email, password: result.data.oneTimePassword });
    });
  }

  return (
    <form onSubmit={onSubmit} className="grid gap-4" noValidate>
      <Field id="new-user-name" label="Name" errors={errors.name}>
        <Input id="new-user-name" name="name" autoComplete="off" autoFocus {...fieldAria("new-user-name", errors.name)} />
      </Field>
      <Field id="new-user-email" label="Email" errors={errors.email}>
        <Input id="new-user-email" name="email" type="email" autoComplete="off" {...fieldAria("new-user-email", errors.email)} />
      </Field>
      <div className="grid gap-1.5">
        <div className="flex items-center gap-2">
          <Checkbox id="new-user-global-admin" name="isGlobalAdmin" aria-describedby="new-user-global-admin-hint" />
          <Label htmlFor="new-user-global-admin" className="font-normal">
            Global Admin
          </Label>
        </div>
        <p id="new-user-global-admin-hint" className="text-xs text-muted-foreground">
          Sees and manages every workspace, every key and every user.
        </p>
        {errors.isGlobalAdmin ? <p className="text-sm font-medium text-destructive">{errors.isGlobalAdmin.join(" ")}</p> : null}
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field id="new-user-workspace" label="Workspace" hint="Optional." errors={errors.workspace} className="content-start">
          {/* Radix items cannot have an empty value: "none" stands for no workspace, and the form posts "". */}
          <Select value={workspace || "none"} onValueChange={(value) => setWorkspace(value === "none" ? "" : value)}>
            <SelectTrigger id="new-user-workspace" className="w-full" {...fieldAria("new-user-workspace", errors.workspace, true)}>
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value="none">No workspace yet</SelectItem>
              {workspaces.map((w) => (
                <SelectItem key={w.slug} value={w.slug}>
                  {w.name}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
          <input type="hidden" name="workspace" value={workspace} />
        </Field>
        <Field id="new-user-role" label="Role" errors={errors.role} className="content-start">
          <Select name="role" defaultValue="member" disabled={!workspace}>
            <SelectTrigger id="new-user-role" className="w-full" {...fieldAria("new-user-role", errors.role)}>
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {ROLE_OPTIONS.map((r) => (
                <SelectItem key={r.value} value={r.value}>
                  {r.label}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </Field>
      </div>
      {formError ? (
        <p role="alert" className="text-sm font-medium text-destructive">
          {formError}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="submit" disabled={pending}>
          {pending ? "Creating…" : "Create user"}
        </Button>
      </DialogFooter>
    </form>
  );
}

export function CreateUserDialog({ workspaces }: { workspaces: { slug: string; name: string }[] }) {
  const [open, setOpen] = useState(false);
  const [generation, setGeneration] = useState(0);
  const [shown, setShown] = useState<ShownOneTimePassword | null>(null);
  return (
    <>
      <Dialog
        open={open}
        onOpenChange={(next) => {
          setOpen(next);
          if (next) setGeneration((g) => g + 1);
        }}
      >
        <DialogTrigger asChild>
          <Button size="sm" data-create-user-trigger="">
            <UserPlus aria-hidden="true" />
            Create user
          </Button>
        </DialogTrigger>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>Create user</DialogTitle>
            <DialogDescription>They get a one-time password, shown once, and choose their own at first sign-in.</DialogDescription>
          </DialogHeader>
          <CreateUserForm
            key={generation}
            workspaces={workspaces}
            onCreated={(s) => {
              setOpen(false);
              setShown(s);
            }}
          />
        </DialogContent>
      </Dialog>
      <OneTimePasswordDialog
        shown={shown}
        onClose={() => {
          setShown(null);
          document.querySelector<HTMLElement>("[data-create-user-trigger]")?.focus();
        }}
      />
    </>
  );
}
