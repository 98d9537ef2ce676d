"use client";

import { useState, useTransition } from "react";
import { toast } from "sonner";
import {
  addMemberAction,
  changeRoleAction,
  countUserKeysAction,
  deleteUserAction,
  removeMemberAction,
  setGrantAction,
} from "@/lib/workspaces/actions";
import { Field, fieldAria } from "@/components/api-keys/field";
import { Input } from "@/components/ui/input";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { Role } from "@/db/schema";
import { ROLE_LABELS } from "@/lib/auth/permissions";
import type { MemberView } from "@/lib/workspaces/core";

const ROLES: Role[] = ["admin", "manager", "member", "guest"];
const ROLE_ITEMS = ROLES.map((r) => (
  <SelectItem key={r} value={r}>
    {ROLE_LABELS[r]}
  </SelectItem>
));

function MemberRow({
  slug,
  member,
  isMe,
  onRemove,
  onDelete,
}: {
  slug: string;
  member: MemberView;
  isMe: boolean;
  onRemove: () => void;
  onDelete?: () => void;
}) {
  const [pending, startTransition] = useTransition();
  return (
    <TableRow>
      <TableCell>
        <div className="font-medium">
          {member.name}
          {isMe ? <span className="ml-1 text-xs text-muted-foreground">(you)</span> : null}
        </div>
        <div className="text-xs text-muted-foreground">{member.email}</div>
      </TableCell>
      <TableCell>
        <Select
          value={member.role}
          disabled={pending}
          onValueChange={(value) => {
            const role = value as Role;
            startTransition(async () => {
              const result = await changeRoleAction(slug, member.userId, role);
              if (result.ok) toast.success(`${member.name} is now ${/^[AEIOU]/.test(ROLE_LABELS[role]) ? "an" : "a"} ${ROLE_LABELS[role]}.`);
              else toast.error(result.fieldErrors?.role?.join(" ") ?? result.error);
            });
          }}
        >
          <SelectTrigger aria-label={`Role for ${member.name}`} className="w-32">
            {/* Explicit text: Radix fills an empty <SelectValue /> only after hydration. */}
            <SelectValue>{ROLE_LABELS[member.role]}</SelectValue>
          </SelectTrigger>
          <SelectContent>{ROLE_ITEMS}</SelectContent>
        </Select>
      </TableCell>
      <TableCell>
        <Checkbox
          aria-label={`Manage API Keys for ${member.name}`}
          checked={member.role === "admin" || member.canManageApiKeys}
          disabled={pending || member.role === "admin" || member.role === "guest"}
          title={
            member.role === "admin" ? "Admins always manage API keys." : member.role === "guest" ? "Guests cannot be granted API access." : undefined
          }
          onCheckedChange={(v) =>
            startTransition(async () => {
              const result = await setGrantAction(slug, member.userId, v === true);
              if (result.ok) toast.success(v === true ? `${member.name} can now manage API keys.` : `${member.name} can no longer manage API keys.`);
              else toast.error(result.error);
            })
          }
        />
      </TableCell>
      <TableCell className="tabular-nums">{member.liveKeys}</TableCell>
      <TableCell className="text-right whitespace-nowrap">
        <Button variant="ghost" size="sm" className="text-destructive hover:text-destructive" aria-label={`Remove ${member.name}`} onClick={onRemove}>
          Remove
        </Button>
        {onDelete && !isMe ? (
          <Button
            variant="ghost"
            size="sm"
            className="text-destructive hover:text-destructive"
            aria-label={`Delete user ${member.name}`}
            onClick={onDelete}
          >
            Delete user
          </Button>
        ) : null}
      </TableCell>
    </TableRow>
  );
}

function AddMemberForm({ slug }: { slug: string }) {
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [pending, startTransition] = useTransition();
  // Held here so the server render shows it; form.reset() puts the select back to Member.
  const [role, setRole] = useState<Role>("member");
  return (
    <form
      className="flex flex-wrap items-start gap-3 rounded-lg border bg-card p-4"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const data = new FormData(form);
        startTransition(async () => {
          const result = await addMemberAction(slug, { email: String(data.get("email") ?? ""), role: String(data.get("role") ?? "") });
          if (!result.ok) return setErrors(result.fieldErrors ?? { email: [result.error] });
          setErrors({});
          form.reset();
          toast.success(`Added ${result.data.name}.`);
        });
      }}
    >
      <Field id="add-member-email" label="Email" errors={errors.email} className="min-w-64 flex-1">
        <Input
          id="add-member-email"
          name="email"
          type="email"
          autoComplete="off"
          placeholder="someone@example.com"
          {...fieldAria("add-member-email", errors.email)}
        />
      </Field>
      <Field id="add-member-role" label="Role" errors={errors.role}>
        <Select name="role" value={role} onValueChange={(value) => setRole(value as Role)}>
          <SelectTrigger id="add-member-role" className="w-36">
            <SelectValue>{ROLE_LABELS[role]}</SelectValue>
          </SelectTrigger>
          <SelectContent>{ROLE_ITEMS}</SelectContent>
        </Select>
      </Field>
      <Button type="submit" variant="outline" className="mt-6" disabled={pending}>
        {pending ? "Adding…" : "Add member"}
      </Button>
    </form>
  );
}

export function MembersTable({
  slug,
  members,
  currentUserId,
  canDeleteUsers,
}: {
  slug: string;
  members: MemberView[];
  currentUserId: string | null;
  /** Global Admins may delete users (which revokes every key they own, in every workspace). */
  canDeleteUsers: boolean;
}) {
  const [removing, setRemoving] = useState<MemberView | null>(null);
  const [deleting, setDeleting] = useState<{ member: MemberView; keys: number } | null>(null);
  const [, startTransition] = useTransition();
  const askDelete = (member: MemberView) =>
    startTransition(async () => {
      // Count first, across every workspace, so the dialog can say what will be revoked.
      const result = await countUserKeysAction(slug, member.userId);
      if (result.ok) setDeleting({ member, keys: result.data });
      else toast.error(result.error);
    });
  return (
    <section aria-labelledby="members-title" className="grid min-w-0 grid-cols-[minmax(0,1fr)] gap-3">
      <div>
        <h2 id="members-title" className="text-lg font-semibold">
          Members
        </h2>
        <p className="text-sm text-muted-foreground">
          Roles take effect on the very next request, for the console and for every key acting as the member.
        </p>
      </div>
      <AddMemberForm slug={slug} />
      <div className="rounded-lg border bg-card">
        <Table aria-label="Members">
          <TableHeader className="bg-muted/40">
            <TableRow>
              <TableHead>Member</TableHead>
              <TableHead>Role</TableHead>
              <TableHead>Manage API Keys</TableHead>
              <TableHead>Live keys</TableHead>
              <TableHead>
                <span className="sr-only">Actions</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {members.map((m) => (
              <MemberRow
                key={m.userId}
                slug={slug}
                member={m}
                isMe={m.userId === currentUserId}
                onRemove={() => setRemoving(m)}
                onDelete={canDeleteUsers ? () => askDelete(m) : undefined}
              />
            ))}
          </TableBody>
        </Table>
      </div>
      <ConfirmDialog
        open={removing !== null}
        onOpenChange={(open) => !open && setRemoving(null)}
        title={<>Remove {removing?.name} from this workspace?</>}
        description={
          <>
            They lose access at once.{" "}
            {removing?.liveKeys
              ? `${removing.liveKeys} live ${removing.liveKeys === 1 ? "key acts" : "keys act"} as them and will be refused from the next request.`
              : "No live keys act as them."}
          </>
        }
        confirmLabel="Yes, remove"
        pendingLabel="Removing…"
        onConfirm={async () => {
          if (!removing) return;
          const result = await removeMemberAction(slug, removing.userId);
          if (!result.ok) return result.fieldErrors?.role?.join(" ") ?? result.error;
          toast.success(`Removed ${result.data.name}.`);
        }}
      />
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(open) => !open && setDeleting(null)}
        title={<>Delete {deleting?.member.name}?</>}
        description={
          <>
            {deleting?.member.email} will no longer be able to sign in and will leave every workspace.{" "}
            {deleting?.keys
              ? `${deleting.keys} live ${deleting.keys === 1 ? "key they own" : "keys they own"}, in every workspace, will be revoked.`
              : "They own no live keys."}{" "}
            This cannot be undone.
          </>
        }
        confirmLabel="Yes, delete user"
        pendingLabel="Deleting…"
        onConfirm={async () => {
          if (!deleting) return;
          const result = await deleteUserAction(slug, deleting.member.userId);
          if (!result.ok) return result.error;
          const n = result.data.revokedKeys;
          toast.success(`Deleted ${result.data.name}; revoked ${n} ${n === 1 ? "key" : "keys"}.`);
        }}
      />
    </section>
  );
}
