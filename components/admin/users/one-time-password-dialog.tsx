"use client";

import { TriangleAlert } from "lucide-react";
import { CopyField } from "@/components/copy-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";

export interface ShownOneTimePassword {
  name: string;
  email: string;
  password: string;
}

/** The new user's one-time password, shown once; Escape and clicks outside do not close it by accident. */
export function OneTimePasswordDialog({ shown, onClose }: { shown: ShownOneTimePassword | null; onClose: () => void }) {
  return (
    <Dialog open={shown !== null} onOpenChange={(open) => !open && onClose()}>
      <DialogContent onEscapeKeyDown={(e) => e.preventDefault()} onInteractOutside={(e) => e.preventDefault()} className="sm:max-w-lg">
        <DialogHeader>
          <DialogTitle>User created</DialogTitle>
          <DialogDescription>
            Give <span className="font-medium text-foreground">{shown?.name}</span> ({shown?.email}) this one-time password. They choose their own
            when they first sign in.
          </DialogDescription>
        </DialogHeader>
        <CopyField key={shown?.password ?? ""} id="one-time-password" label="One-time password" value={shown?.password ?? ""} noun="password" />
        <div className="flex gap-3 rounded-md border border-warning/40 bg-warning-muted p-3 text-sm text-warning">
          <TriangleAlert aria-hidden="true" className="mt-0.5 size-4 shrink-0" />
          <p>This is the only time it is shown. Send it over a channel you trust; Latchkey keeps only a hash.</p>
        </div>
        <DialogFooter>
          <Button type="button" onClick={onClose}>
            Done
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
