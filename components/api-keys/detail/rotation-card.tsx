import { Badge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import type { PreviousSecretView } from "@/lib/api-keys/core";
import { previousSecretEnd } from "@/lib/api-keys/verify";
import { now } from "@/lib/clock";

const WHY: Record<NonNullable<PreviousSecretView["retiredReason"]>, string> = {
  overlap_ended: "its overlap ended",
  deadline: "its deadline passed",
  quiet: "it went quiet",
  rotated_again: "the key was rolled again",
};

function plural(n: number, unit: string) {
  return `${n.toLocaleString("en")} ${unit}${n === 1 ? "" : "s"}`;
}

/** The key's rolled-out secrets: which still works, its traffic since the roll, and when it stops (or stopped, and why). */
export function RotationCard({ previous }: { previous: PreviousSecretView[] }) {
  const at = now();
  return (
    <section aria-labelledby="key-rotation" className="rounded-lg border bg-card p-5">
      <h3 id="key-rotation" className="mb-1 font-semibold">
        Previous secrets
      </h3>
      <p className="mb-3 text-sm text-muted-foreground">
        Secrets this key was rolled away from. While one still works, every answer to it carries{" "}
        <code className="font-mono text-xs">Latchkey-Key-Rotated</code> and <code className="font-mono text-xs">Latchkey-Key-Expires</code>.
      </p>
      <ul className="grid gap-3">
        {previous.map((p) => {
          // The retirement job marks it within seconds; until then the page says what verification already does.
          const end = previousSecretEnd({ ...p, id: "" }, at);
          const quietUntil =
            p.mode === "quiet" && p.quietMinutes !== null
              ? new Date(Math.min(p.retireAt.getTime(), Math.max(p.rotatedAt.getTime(), p.lastUsedAt?.getTime() ?? 0) + p.quietMinutes * 60_000))
              : null;
          return (
            <li key={`${p.prefix}-${p.rotatedAt.toISOString()}`} className="grid gap-1 rounded-md border p-3 text-sm" data-previous-secret={p.prefix}>
              <div className="flex flex-wrap items-center gap-2">
                <code className="font-mono">{p.prefix}</code>
                <span className="text-muted-foreground">→</span>
                <code className="font-mono">{p.newPrefix}</code>
                {end ? <Badge variant="secondary">Retired</Badge> : <Badge variant="warning">Still accepted</Badge>}
                <span className="text-muted-foreground">
                  {p.mode === "quiet" ? `Retire when quiet for ${plural(p.quietMinutes ?? 0, "minute")}` : "Fixed overlap"}
                </span>
              </div>
              <p className="text-muted-foreground">
                Rolled <RelativeTime value={p.rotatedAt} />. Since then:{" "}
                <span className="text-foreground tabular-nums">{plural(p.requests, "request")}</span>, last used{" "}
                <RelativeTime value={p.lastUsedAt} empty="never" />.
              </p>
              <p>
                {end ? (
                  <>
                    Stopped working <RelativeTime value={end.at} /> because {WHY[end.reason]}.
                  </>
                ) : p.mode === "quiet" && quietUntil ? (
                  <>
                    Stops working <RelativeTime value={quietUntil} /> if it is not used again; at the latest <RelativeTime value={p.retireAt} />.
                  </>
                ) : (
                  <>
                    Stops working <RelativeTime value={p.retireAt} />.
                  </>
                )}
              </p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
