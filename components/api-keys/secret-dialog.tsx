"use client";

import { useEffect, useRef, useState } from "react";
import { Check, Copy, TriangleAlert } from "lucide-react";
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
import { Label } from "@/components/ui/label";

export interface ShownSecret {
  secret: string;
  name: string;
  prefix: string;
}

async function copyText(text: string, fallbackInput: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Older browsers or a denied permission: select the text and use the legacy command.
    if (!fallbackInput) return false;
    fallbackInput.select();
    return document.execCommand("copy");
  }
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
  const [copied, setCopied] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [copyError, setCopyError] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
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

  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 2500);
    return () => clearTimeout(t);
  }, [copied]);

  function finish() {
    setConfirming(false);
    setCopied(false);
    setCopyError(null);
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
                  Your new key <span className="font-medium text-foreground">{shown.name}</span> is ready. Copy it now
                  and store it somewhere safe.
                </>
              ) : null}
            </DialogDescription>
          </DialogHeader>
          <div className="grid gap-2">
            <Label htmlFor="created-secret">Secret</Label>
            <div className="flex gap-2">
              <input
                id="created-secret"
                ref={inputRef}
                readOnly
                value={shown?.secret ?? ""}
                onFocus={(e) => e.currentTarget.select()}
                spellCheck={false}
                autoComplete="off"
                className="h-9 min-w-0 flex-1 rounded-md border border-input bg-muted px-3 font-mono text-sm outline-none focus-visible:ring-2 focus-visible:ring-ring"
              />
              <Button
                type="button"
                variant={copied ? "secondary" : "default"}
                onClick={async () => {
                  if (!shown) return;
                  const ok = await copyText(shown.secret, inputRef.current);
                  setCopied(ok);
                  setCopyError(ok ? null : "Could not reach the clipboard. Select the secret and copy it by hand.");
                }}
              >
                {copied ? <Check aria-hidden="true" /> : <Copy aria-hidden="true" />}
                {copied ? "Copied" : "Copy to clipboard"}
              </Button>
            </div>
            <p aria-live="polite" className="sr-only">
              {copied ? "Secret copied to the clipboard." : ""}
            </p>
            {copyError ? <p className="text-sm text-destructive">{copyError}</p> : null}
          </div>
          <div className="flex gap-3 rounded-md border border-warning/40 bg-warning-muted p-3 text-sm text-warning">
            <TriangleAlert aria-hidden="true" className="mt-0.5 size-4 shrink-0 text-warning" />
            <p>
              This is the only time the secret is shown. Latchkey keeps only a hash of it and cannot show it again. If
              you lose it, revoke the key and create a new one.
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
