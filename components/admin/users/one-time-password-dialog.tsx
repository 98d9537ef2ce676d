"use client";

import { useRef, useState } from "react";
import { Check, Copy, TriangleAlert } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Label } from "@/components/ui/label";

export interface ShownOneTimePassword {
  name: string;
  email: string;
  password: string;
}

/** The new user's one-time password, shown once; Escape and clicks outside do not close it by accident. */
export function OneTimePasswordDialog({ shown, onClose }: { shown: ShownOneTimePassword | null; onClose: () => void }) {
  const [copied, setCopied] = useState(false);
  const [copyError, setCopyError] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  async function copy() {
    if (!shown) return;
    try {
      await navigator.clipboard.writeText(shown.password);
      setCopied(true);
      setCopyError(null);
    } catch {
      inputRef.current?.select();
      const ok = document.execCommand("copy");
      setCopied(ok);
      setCopyError(ok ? null : "Could not reach the clipboard. Select the password and copy it by hand.");
    }
  }

  function finish() {
    setCopied(false);
    setCopyError(null);
    onClose();
  }

  return (
    <Dialog open={shown !== null} onOpenChange={(open) => !open && finish()}>
      <DialogContent onEscapeKeyDown={(e) => e.preventDefault()} onInteractOutside={(e) => e.preventDefault()} className="sm:max-w-lg">
        <DialogHeader>
          <DialogTitle>User created</DialogTitle>
          <DialogDescription>
            Give <span className="font-medium text-foreground">{shown?.name}</span> ({shown?.email}) this one-time password. They choose
            their own when they first sign in.
          </DialogDescription>
        </DialogHeader>
        <div className="grid gap-2">
          <Label htmlFor="one-time-password">One-time password</Label>
          <div className="flex gap-2">
            <input
              id="one-time-password"
              ref={inputRef}
              readOnly
              value={shown?.password ?? ""}
              onFocus={(e) => e.currentTarget.select()}
              spellCheck={false}
              autoComplete="off"
              className="h-9 min-w-0 flex-1 rounded-md border border-input bg-muted px-3 font-mono text-sm outline-none focus-visible:ring-2 focus-visible:ring-ring"
            />
            <Button type="button" variant={copied ? "secondary" : "default"} onClick={copy}>
              {copied ? <Check aria-hidden="true" /> : <Copy aria-hidden="true" />}
              {copied ? "Copied" : "Copy to clipboard"}
            </Button>
          </div>
          <p aria-live="polite" className="sr-only">
            {copied ? "Password copied to the clipboard." : ""}
          </p>
          {copyError ? <p className="text-sm text-destructive">{copyError}</p> : null}
        </div>
        <div className="flex gap-3 rounded-md border border-warning/40 bg-warning-muted p-3 text-sm text-warning">
          <TriangleAlert aria-hidden="true" className="mt-0.5 size-4 shrink-0" />
          <p>This is the only time it is shown. Send it over a channel you trust; Latchkey keeps only a hash.</p>
        </div>
        <DialogFooter>
          <Button type="button" onClick={finish}>
            Done
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
