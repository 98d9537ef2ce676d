"use client";

import { useState } from "react";
import { useRouter } from "next/navigation";
import { Button } from "@/components/ui/button";
import { RevokeApiKeyDialog } from "../revoke-dialogs";

/** The key page's Revoke: the same confirmation as the API tab's; the page then shows the key as revoked. */
export function RevokeKeyButton({ slug, apiKey }: { slug: string; apiKey: { id: string; name: string; prefix: string } }) {
  const [open, setOpen] = useState(false);
  const router = useRouter();
  return (
    <>
      <Button variant="outline" className="text-destructive hover:text-destructive" onClick={() => setOpen(true)}>
        Revoke
      </Button>
      <RevokeApiKeyDialog slug={slug} apiKey={open ? apiKey : null} onOpenChange={setOpen} onRevoked={() => router.refresh()} />
    </>
  );
}
