"use client";

import { useEffect, useState } from "react";
import { TriangleAlert } from "lucide-react";
import {
  AlertDialog,
  AlertDialogAction,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
} from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { CopyField } from "@/components/copy-field";

export interface ShownWebhookSecret {
  secret: string;
  url: string;
  title: string;
}

/**
 * A webhook's signing secret, shown once (as a key's is): "Done" closes it, any other way out asks
 * first, because it cannot be shown again.
 */
export function WebhookSecretDialog({
  shown,
  onClose,
  returnFocusTo,
}: {
  shown: ShownWebhookSecret | null;
  onClose: () => void;
  /** Where focus goes when it closes (it has no trigger of its own to return to). */
  returnFocusTo?: () => HTMLElement | null;
}) {
  const [copied, setCopied] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const open = shown !== null;

  useEffect(() => {
    if (!open) return;
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = "";
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [open]);

  function finish() {
    setConfirming(false);
    setCopied(false);
    onClose();
  }
  const askFirst = (e: Event) => {
    e.preventDefault();
    setConfirming(true);
  };

  return (
    <>
      <Dialog open={open} onOpenChange={(next) => !next && setConfirming(true)}>
        <DialogContent
          onEscapeKeyDown={askFirst}
          onPointerDownOutside={askFirst}
          onInteractOutside={askFirst}
          onCloseAutoFocus={(e) => {
            const target = returnFocusTo?.();
            if (target) {
              e.preventDefault();
              target.focus();
            }
          }}
          className="sm:max-w-xl"
        >
          <DialogHeader>
            <DialogTitle>{shown?.title}</DialogTitle>
            <DialogDescription>
              Latchkey signs every request to <span className="font-mono break-all text-foreground">{shown?.url}</span> with this secret (Standard
              Webhooks: <code>webhook-signature</code>). Give it to the receiver so it can check each request.
            </DialogDescription>
          </DialogHeader>
          <CopyField
            key={shown?.secret ?? ""}
            id="webhook-secret"
            label="Signing secret"
            value={shown?.secret ?? ""}
            noun="secret"
            onCopiedChange={setCopied}
          />
          <div className="flex gap-3 rounded-md border border-warning/40 bg-warning-muted p-3 text-sm text-warning">
            <TriangleAlert aria-hidden="true" className="mt-0.5 size-4 shrink-0 text-warning" />
            <p>This is the only time the secret is shown. If you lose it, roll the secret to get a new one.</p>
          </div>
          <DialogFooter>
            <Button type="button" onClick={finish}>
              Done
            </Button>
          </DialogFooter>
        </DialogContent>
      </Dialog>
      <AlertDialog open={open && confirming} onOpenChange={(next) => !next && setConfirming(false)}>
        <AlertDialogContent>
          <AlertDialogHeader>
            <AlertDialogTitle>Close without saving the secret?</AlertDialogTitle>
            <AlertDialogDescription>
              {copied ? "You copied the secret." : "You have not copied the secret."} Once this dialog closes it cannot be shown again.
            </AlertDialogDescription>
          </AlertDialogHeader>
          <AlertDialogFooter>
            <AlertDialogCancel>Go back</AlertDialogCancel>
            <AlertDialogAction onClick={finish}>Close anyway</AlertDialogAction>
          </AlertDialogFooter>
        </AlertDialogContent>
      </AlertDialog>
    </>
  );
}
