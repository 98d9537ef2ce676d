import Link from "next/link";
import { ArrowLeft, FileJson } from "lucide-react";
import { buttonVariants } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { MAX_BODY_BYTES } from "@/lib/api/limits";

/** The title, whose workspace the calls act in, the base URL and the machine-readable description. */
export function ReferenceHeader({ slug, workspaceName, origin }: { slug: string; workspaceName: string; origin: string }) {
  return (
    <header className="grid gap-3">
      <Link href={`/w/${slug}/account/api`} className="inline-flex w-fit items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
        <ArrowLeft aria-hidden="true" className="size-3.5" />
        API keys
      </Link>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="grid gap-1">
          <h2 className="text-xl font-semibold tracking-tight">API reference</h2>
          <p className="max-w-prose text-sm leading-6 text-muted-foreground">
            The Latchkey REST API manages and verifies API keys. A key only ever works in its own workspace, so every call below made with a key of{" "}
            {workspaceName} acts in {workspaceName}, as the key&apos;s owner.
          </p>
        </div>
        <a href="/api/openapi.json" className={buttonVariants({ variant: "outline", size: "sm" })}>
          <FileJson aria-hidden="true" />
          OpenAPI 3.1 JSON
        </a>
      </div>
      <Card className="gap-0 py-3 shadow-none">
        <CardContent className="grid gap-x-6 gap-y-1 px-4 text-sm sm:grid-cols-[auto_minmax(0,1fr)]">
          <span className="text-muted-foreground">Base URL</span>
          <span className="font-mono text-[0.8125rem] break-all">{origin}</span>
          <span className="text-muted-foreground">Format</span>
          <span>JSON in, JSON out (urlencoded forms accepted); bodies up to {MAX_BODY_BYTES / 1024} KiB</span>
          <span className="text-muted-foreground">Description</span>
          <a href="/api/openapi.json" className="w-fit font-mono text-[0.8125rem] text-primary underline-offset-4 hover:underline">
            {origin}/api/openapi.json
          </a>
        </CardContent>
      </Card>
    </header>
  );
}
