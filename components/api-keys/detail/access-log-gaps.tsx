import { RelativeTime } from "@/components/ui/relative-time";
import type { AccessLogGap } from "@/db/schema";

const CAUSES: Record<AccessLogGap["cause"], string> = {
  buffer_full: "the database did not answer for long enough that the server's buffer filled up",
  refused: "the database refused to store them",
};

/** Says what the access log below is missing, so nobody reads fewer rows as fewer requests. */
export function AccessLogGaps({ gaps, lost }: { gaps: Pick<AccessLogGap, "from" | "to" | "lost" | "cause">[]; lost: number }) {
  if (lost === 0) return null;
  return (
    <section
      role="status"
      aria-label="Missing access-log entries"
      className="rounded-lg border border-warning/40 bg-warning-muted p-4 text-sm text-warning"
    >
      <p className="font-medium">
        {lost.toLocaleString("en")} {lost === 1 ? "request was" : "requests were"} made with this key but could not be recorded in its access log.
      </p>
      <ul className="mt-2 space-y-1">
        {gaps.map((g) => (
          <li key={`${g.cause} ${g.to.toISOString()}`}>
            <span className="tabular-nums">{g.lost.toLocaleString("en")}</span> between <RelativeTime value={g.from} /> and{" "}
            <RelativeTime value={g.to} />: {CAUSES[g.cause]}.
          </li>
        ))}
      </ul>
    </section>
  );
}
