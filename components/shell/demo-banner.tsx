import { TriangleAlert } from "lucide-react";
import { DEMO_PASSWORD } from "@/db/seed";
import { demoExposure } from "@/lib/demo";

/**
 * Shown on every console page while a demo account still has the password the README
 * publishes (lib/demo.ts). Before boot's first check the state is unknown: no banner, and the
 * server refuses other machines meanwhile anyway.
 */
export function DemoBanner() {
  if (!demoExposure()?.exposed) return null;
  return (
    <div role="status" className="border-b border-warning/40 bg-warning-muted text-warning">
      <p className="mx-auto flex max-w-7xl items-start gap-2 px-4 py-2 text-sm sm:px-6">
        <TriangleAlert aria-hidden="true" className="mt-0.5 size-4 shrink-0" />
        <span>
          Demo accounts use the published password <code className="font-mono font-medium">{DEMO_PASSWORD}</code>. This server only answers on this
          machine until they are changed.
        </span>
      </p>
    </div>
  );
}
