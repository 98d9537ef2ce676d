"use client";

import { useActionState, useState } from "react";
import { Plus, Ticket } from "lucide-react";
import { toast } from "sonner";
import { createTokenAction, deleteAllTokensAction, deleteTokenAction, type CreatedTokenResult } from "@/lib/api-keys/token-actions";
import { Field, fieldAria } from "@/components/api-keys/field";
import { RevocationReasonField, useRevocationChoice } from "@/components/api-keys/revocation-reason-field";
import { SecretDialog } from "@/components/api-keys/secret-dialog";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { ActionResult } from "@/lib/actions";
import type { PersonalTokenView } from "@/lib/api-keys/tokens";

function CreateTokenForm({ slug, onCreated }: { slug: string; onCreated: (t: CreatedTokenResult) => void }) {
  const [state, action, pending] = useActionState<ActionResult<CreatedTokenResult> | null, FormData>(async (prev, form) => {
    const result = await createTokenAction(slug, prev, form);
    if (result.ok) onCreated(result.data);
    return result;
  }, null);
  const errors = state && !state.ok ? (state.fieldErrors ?? {}) : {};
  return (
    <form action={action} className="grid gap-4" noValidate>
      {state && !state.ok && !state.fieldErrors ? <p className="text-sm font-medium text-destructive">{state.error}</p> : null}
      <Field id="token-name" label="Name" errors={errors.name} hint="Where you will use it, e.g. “Laptop scripts”.">
        <Input id="token-name" name="name" autoComplete="off" autoFocus {...fieldAria("token-name", errors.name, true)} />
      </Field>
      <DialogFooter>
        <Button type="submit" disabled={pending}>
          {pending ? "Creating…" : "Create token"}
        </Button>
      </DialogFooter>
    </form>
  );
}

export function TokensPanel({ slug, tokens }: { slug: string; tokens: PersonalTokenView[] }) {
  const [creating, setCreating] = useState(false);
  const [generation, setGeneration] = useState(0);
  const [created, setCreated] = useState<CreatedTokenResult | null>(null);
  const [deleting, setDeleting] = useState<PersonalTokenView | null>(null);
  const [deletingAll, setDeletingAll] = useState(false);
  const why = useRevocationChoice();

  return (
    <section aria-labelledby="tokens-title" className="grid gap-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h2 id="tokens-title" className="text-lg font-semibold">
            Personal tokens
          </h2>
          <p className="max-w-prose text-sm text-muted-foreground">
            Tokens act as you, with your role in this workspace, and stop working if you leave it.
          </p>
        </div>
        <div className="flex gap-2">
          <Button
            variant="outline"
            className="text-destructive hover:text-destructive"
            disabled={tokens.length === 0}
            onClick={() => setDeletingAll(true)}
          >
            Delete all tokens
          </Button>
          <Dialog
            open={creating}
            onOpenChange={(open) => {
              setCreating(open);
              if (open) setGeneration((g) => g + 1);
            }}
          >
            <DialogTrigger asChild>
              <Button data-create-token-trigger="">
                <Plus aria-hidden="true" />
                Create token
              </Button>
            </DialogTrigger>
            <DialogContent>
              <DialogHeader>
                <DialogTitle>Create personal token</DialogTitle>
                <DialogDescription>The token will act as you. Its secret is shown once.</DialogDescription>
              </DialogHeader>
              <CreateTokenForm
                key={generation}
                slug={slug}
                onCreated={(t) => {
                  setCreating(false);
                  setCreated(t);
                }}
              />
            </DialogContent>
          </Dialog>
        </div>
      </div>

      <div className="rounded-lg border bg-card">
        <Table aria-label="Personal tokens">
          <TableHeader className="bg-muted/40">
            <TableRow>
              <TableHead>Name</TableHead>
              <TableHead>Token</TableHead>
              <TableHead>Created</TableHead>
              <TableHead>Expires</TableHead>
              <TableHead>Last used</TableHead>
              <TableHead>
                <span className="sr-only">Actions</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {tokens.length === 0 ? (
              <TableRow>
                <TableCell colSpan={6}>
                  <div className="flex flex-col items-center gap-2 py-10 text-center">
                    <Ticket aria-hidden="true" className="size-8 text-muted-foreground" />
                    <p className="font-medium">No personal tokens</p>
                    <p className="max-w-sm text-sm text-muted-foreground">Create a token to call the API as yourself from scripts and tools.</p>
                  </div>
                </TableCell>
              </TableRow>
            ) : (
              tokens.map((t) => (
                <TableRow key={t.id}>
                  <TableCell className="font-medium">{t.name}</TableCell>
                  <TableCell>
                    <code className="font-mono text-xs">{t.prefix}</code>
                  </TableCell>
                  <TableCell>
                    <RelativeTime value={t.createdAt} />
                  </TableCell>
                  <TableCell>
                    <RelativeTime value={t.expiresAt} />
                  </TableCell>
                  <TableCell>
                    <RelativeTime value={t.lastUsedAt} />
                  </TableCell>
                  <TableCell className="text-right">
                    <Button
                      variant="ghost"
                      size="sm"
                      className="text-destructive hover:text-destructive"
                      aria-label={`Delete ${t.name}`}
                      onClick={() => setDeleting(t)}
                    >
                      Delete
                    </Button>
                  </TableCell>
                </TableRow>
              ))
            )}
          </TableBody>
        </Table>
      </div>

      <SecretDialog
        shown={created}
        title="Personal token created"
        onClose={() => setCreated(null)}
        returnFocusTo={() => document.querySelector<HTMLElement>("[data-create-token-trigger]")}
      />

      <ConfirmDialog
        open={deleting !== null || deletingAll}
        onOpenChange={(open) => {
          if (open) return;
          setDeleting(null);
          setDeletingAll(false);
          why.reset();
        }}
        disabled={!why.complete}
        title={deletingAll ? `Delete all ${tokens.length} tokens?` : `Delete “${deleting?.name}”?`}
        description={
          deletingAll
            ? "Every script and tool using your personal tokens in this workspace will be refused from its next request."
            : "Anything using this token will be refused from its next request. This cannot be undone."
        }
        confirmLabel={deletingAll ? "Delete all tokens" : "Yes, delete"}
        pendingLabel="Deleting…"
        onConfirm={async () => {
          if (deletingAll) {
            const r = await deleteAllTokensAction(slug, why.input);
            if (!r.ok) {
              why.setErrors(r.fieldErrors);
              return r.error;
            }
            toast.success(`Deleted ${r.data.deleted} ${r.data.deleted === 1 ? "token" : "tokens"}.`);
          } else if (deleting) {
            const r = await deleteTokenAction(slug, deleting.id, why.input);
            if (!r.ok) {
              why.setErrors(r.fieldErrors);
              return r.error;
            }
            toast.success(`Deleted “${r.data.name}”.`);
          }
          why.reset();
        }}
      >
        {/* Deleting a token revokes it: the reason is kept with it and in the audit log. */}
        <RevocationReasonField id="token-delete-reason" value={why.choice} onChange={why.setChoice} errors={why.errors} />
      </ConfirmDialog>
    </section>
  );
}
