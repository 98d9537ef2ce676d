"use client";

import { useState, useTransition } from "react";
import { toast } from "sonner";
import { revokeAllApiKeysAction, revokeApiKeyAction } from "@/app/(console)/w/[slug]/account/api/actions";
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
} from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Field, fieldAria } from "./field";

export function RevokeApiKeyDialog({
  slug,
  apiKey,
  onOpenChange,
}: {
  slug: string;
  apiKey: { id: string; name: string; prefix: string } | null;
  onOpenChange: (open: boolean) => void;
}) {
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  return (
    <AlertDialog
      open={apiKey !== null}
      onOpenChange={(open) => {
        if (!open) setError(null);
        onOpenChange(open);
      }}
    >
      <AlertDialogContent>
        <AlertDialogHeader>
          <AlertDialogTitle>Revoke “{apiKey?.name}”?</AlertDialogTitle>
          <AlertDialogDescription>
            Integrations using <span className="font-mono">{apiKey?.prefix}</span> will be refused from their next
            request. Revoking is permanent: the key cannot be restored, though it stays in the audit log.
          </AlertDialogDescription>
        </AlertDialogHeader>
        {error ? <p className="text-sm font-medium text-destructive">{error}</p> : null}
        <AlertDialogFooter>
          <AlertDialogCancel disabled={pending}>Cancel</AlertDialogCancel>
          <Button
            variant="destructive"
            disabled={pending}
            onClick={() =>
              startTransition(async () => {
                if (!apiKey) return;
                const result = await revokeApiKeyAction(slug, apiKey.id);
                if (!result.ok) return setError(result.error);
                toast.success(`Revoked “${result.data.name}”.`);
                onOpenChange(false);
              })
            }
          >
            {pending ? "Revoking…" : "Yes, revoke"}
          </Button>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}

export function RevokeAllDialog({ slug, workspaceName, liveCount }: { slug: string; workspaceName: string; liveCount: number }) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        setTyped("");
        setError(null);
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
            All {liveCount} live workspace {liveCount === 1 ? "key" : "keys"} will stop working at once, and every
            integration using them will be refused. Personal tokens are not affected. This cannot be undone.
          </DialogDescription>
        </DialogHeader>
        <form
          className="grid gap-4"
          onSubmit={(e) => {
            e.preventDefault();
            startTransition(async () => {
              const result = await revokeAllApiKeysAction(slug, typed);
              if (!result.ok) return setError(result.fieldErrors?.confirmation?.join(" ") ?? result.error);
              const n = result.data.revoked;
              toast.success(`Revoked ${n} ${n === 1 ? "key" : "keys"}.`);
              setOpen(false);
            });
          }}
        >
          <Field id="revoke-all-confirm" label={<>Type <span className="font-mono">{slug}</span> to confirm</>} errors={error ? [error] : undefined}>
            <Input
              id="revoke-all-confirm"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              autoFocus
              {...fieldAria("revoke-all-confirm", error ? [error] : undefined)}
            />
          </Field>
          <DialogFooter>
            <Button type="submit" variant="destructive" disabled={pending || typed !== slug}>
              {pending ? "Revoking…" : "Revoke all keys"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
