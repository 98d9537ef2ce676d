"use client";

import { useState } from "react";
import { useRouter } from "next/navigation";
import { LogOut } from "lucide-react";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { Button } from "@/components/ui/button";
import { signOutEverywhereAction } from "@/lib/account/actions";

export function SignOutEverywhere() {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button variant="outline" size="sm" onClick={() => setOpen(true)}>
        <LogOut aria-hidden="true" />
        Sign out everywhere
      </Button>
      <ConfirmDialog
        open={open}
        onOpenChange={setOpen}
        title="Sign out everywhere?"
        description="Every browser signed in as you is signed out at its next request, this one included. Your keys and personal tokens keep working."
        confirmLabel="Sign out everywhere"
        pendingLabel="Signing out…"
        onConfirm={async () => {
          const result = await signOutEverywhereAction();
          if (!result.ok) return result.error;
          router.replace("/login?reason=signed_out_everywhere");
        }}
      />
    </>
  );
}
