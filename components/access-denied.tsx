import { ShieldAlert } from "lucide-react";

/** Why a page is closed to this user, in place of its content: never a blank page. */
export function AccessDenied({ title, children }: { title: React.ReactNode; children: React.ReactNode }) {
  return (
    <section aria-labelledby="access-denied-title" className="rounded-lg border bg-card p-8">
      <div className="flex items-start gap-4">
        <ShieldAlert aria-hidden="true" className="mt-0.5 size-6 shrink-0 text-muted-foreground" />
        <div>
          <h2 id="access-denied-title" className="text-lg font-semibold">
            {title}
          </h2>
          <div className="mt-1 max-w-prose text-sm text-muted-foreground">{children}</div>
        </div>
      </div>
    </section>
  );
}
