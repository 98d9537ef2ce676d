"use client";

import { useEffect, useState } from "react";
import { useRouter } from "next/navigation";
import { Button } from "@/components/ui/button";

// A page that failed on the server. In production the browser is told only that it failed (the
// message could hold anything), so this asks the readiness check why: an unreachable database is
// by far the likeliest cause, and the one to name, since it is nobody's mistake and passes.
type Cause = "checking" | "database" | "unknown";

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const router = useRouter();
  const [cause, setCause] = useState<Cause>("checking");

  useEffect(() => {
    let cancelled = false;
    fetch("/api/health", { cache: "no-store" })
      .then(async (res) => {
        const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
        if (!cancelled) setCause(res.status === 503 && body?.error?.code === "database_unreachable" ? "database" : "unknown");
      })
      .catch(() => !cancelled && setCause("unknown"));
    return () => {
      cancelled = true;
    };
  }, [error]);

  const retry = () => {
    setCause("checking");
    router.refresh();
    reset();
  };

  return (
    <main className="flex min-h-dvh flex-col items-center justify-center gap-3 px-4 text-center" aria-busy={cause === "checking"}>
      {cause === "database" ? (
        <>
          <h1 className="text-xl font-semibold">Latchkey cannot reach its database</h1>
          <p className="max-w-md text-sm text-muted-foreground">
            The server is running, but its database does not answer, so this page cannot be shown right now. Nothing you did caused this. If you were
            saving a change, check whether it took effect once the page opens again.
          </p>
        </>
      ) : (
        <>
          <h1 className="text-xl font-semibold">This page could not be shown</h1>
          <p className="max-w-md text-sm text-muted-foreground">
            Something failed on the server. If you were saving a change, check whether it took effect before trying again.
            {error.digest ? (
              <>
                {" "}
                Reference: <span className="font-mono">{error.digest}</span>
              </>
            ) : null}
          </p>
        </>
      )}
      <Button onClick={retry} disabled={cause === "checking"}>
        Try again
      </Button>
    </main>
  );
}
