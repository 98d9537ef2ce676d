"use client";

import { useState, useTransition } from "react";
import { toast } from "sonner";
import { revokeAllApiKeysAction, revokeApiKeyAction } from "@/lib/api-keys/actions";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Field, fieldAria } from "./field";
import { RevocationReasonField, useRevocationChoice } from "./revocation-reason-field";

export function RevokeApiKeyDialog({
  slug,
  apiKey,
  onOpenChange,
  onRevoked,
}: {
  slug: string;
  apiKey: { id: string; name: string; prefix: string } | null;
  onOpenChange: (open: boolean) => void;
  onRevoked?: () => void;
}) {
  const why = useRevocationChoice();
  return (
    <ConfirmDialog
      open={apiKey !== null}
      onOpenChange={(open) => {
        if (!open) why.reset();
        onOpenChange(open);
      }}
      disabled={!why.complete}
      title={<>Revoke “{apiKey?.name}”?</>}
      description={
        <>
          Integrations using <span className="font-mono">{apiKey?.prefix}</span> will be refused from their next request. Revoking is permanent: the
          key cannot be restored, though it stays in the audit log.
        </>
      }
      confirmLabel="Yes, revoke"
      pendingLabel="Revoking…"
      onConfirm={async () => {
        if (!apiKey) return;
        const result = await revokeApiKeyAction(slug, apiKey.id, why.input);
        if (!result.ok) {
          why.setErrors(result.fieldErrors);
          return result.error;
        }
        toast.success(`Revoked “${result.data.name}”.`);
        why.reset();
        onRevoked?.();
      }}
    >
      <RevocationReasonField id="revoke-reason" value={why.choice} onChange={why.setChoice} errors={why.errors} />
    </ConfirmDialog>
  );
}

export function RevokeAllDialog({ slug, workspaceName, liveCount }: { slug: string; workspaceName: string; liveCount: number }) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const why = useRevocationChoice();
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        setTyped("");
        setError(null);
        why.reset();
      }}
    >
      <DialogTrigger asChild>
        <Button variant="outline" className="text-destructive hover:text-destructive" disabled={liveCount === 0}>
          Revoke all
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Revoke all API keys in {workspaceName}?</DialogTitle>
          <DialogDescription>
            All {liveCount} live workspace {liveCount === 1 ? "key" : "keys"} will stop working at once, and every integration using them will be
            refused. Personal tokens are not affected. This cannot be undone.
          </DialogDescription>
        </DialogHeader>
        <form
          className="grid gap-4"
          onSubmit={(e) => {
            e.preventDefault();
            startTransition(async () => {
              const result = await revokeAllApiKeysAction(slug, typed, why.input);
              if (!result.ok) {
                why.setErrors(result.fieldErrors);
                return setError(result.fieldErrors?.confirmation?.join(" ") ?? result.error);
              }
              const n = result.data.revoked;
              toast.success(`Revoked ${n} ${n === 1 ? "key" : "keys"}.`);
              setOpen(false);
            });
          }}
        >
          <RevocationReasonField id="revoke-all-reason" value={why.choice} onChange={why.setChoice} errors={why.errors} />
          <Field
            id="revoke-all-confirm"
            label={
              <>
                Type <span className="font-mono">{slug}</span> to confirm
              </>
            }
            errors={error ? [error] : undefined}
          >
            <Input
              id="revoke-all-confirm"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              {...fieldAria("revoke-all-confirm", error ? [error] : undefined)}
            />
          </Field>
          <DialogFooter>
            <Button type="submit" variant="destructive" disabled={pending || typed !== slug || !why.complete}>
              {pending ? "Revoking…" : "Revoke all keys"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
