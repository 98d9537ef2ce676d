import type { AccessLogGap } from "@/db/schema";

const CAUSES: Record<AccessLogGap["cause"], string> = {
  buffer_full: "the database did not answer for long enough that the server's buffer filled up",
  refused: "the database refused to store them",
};

/** A moment to the second, in UTC: a gap is minutes long, and "3 hours ago" twice says nothing. */
const utc = (d: Date) => `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)}`;

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
          <li key={`${g.cause} ${g.to.toISOString()}`} className="tabular-nums">
            {g.lost.toLocaleString("en")} between <time dateTime={g.from.toISOString()}>{utc(g.from)}</time> and{" "}
            <time dateTime={g.to.toISOString()}>{utc(g.to)}</time> UTC: {CAUSES[g.cause]}.
          </li>
        ))}
      </ul>
    </section>
  );
}
