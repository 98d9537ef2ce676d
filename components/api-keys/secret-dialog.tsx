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

export interface ShownSecret {
  secret: string;
  name: string;
  prefix: string;
}

/**
 * The show-once dialog. "Done" closes it; any other way out (Escape, a click outside, the X,
 * leaving the page) asks first, because the secret cannot be shown again.
 */
export function SecretDialog({
  shown,
  title = "API key created",
  onClose,
  returnFocusTo,
}: {
  shown: ShownSecret | null;
  title?: string;
  onClose: () => void;
  /** Where focus goes when the dialog closes (it has no trigger of its own to return to). */
  returnFocusTo?: () => HTMLElement | null;
}) {
  // Whether the secret was copied at all, for the question asked before closing.
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
      <Dialog
        open={open}
        onOpenChange={(next) => {
          if (!next) setConfirming(true);
        }}
      >
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
            <DialogTitle>{title}</DialogTitle>
            <DialogDescription>
              {shown ? (
                <>
                  Your new key <span className="font-medium text-foreground">{shown.name}</span> is ready. Copy it now and store it somewhere safe.
                </>
              ) : null}
            </DialogDescription>
          </DialogHeader>
          <CopyField
            key={shown?.secret ?? ""}
            id="created-secret"
            label="Secret"
            value={shown?.secret ?? ""}
            noun="secret"
            onCopiedChange={setCopied}
          />
          <div className="flex gap-3 rounded-md border border-warning/40 bg-warning-muted p-3 text-sm text-warning">
            <TriangleAlert aria-hidden="true" className="mt-0.5 size-4 shrink-0 text-warning" />
            <p>
              This is the only time the secret is shown. Latchkey keeps only a hash of it and cannot show it again. If you lose it, revoke the key and
              create a new one.
            </p>
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
              {copied
                ? "You copied the secret. Once this dialog closes it cannot be shown again."
                : "You have not copied the secret. Once this dialog closes it cannot be shown again."}
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
