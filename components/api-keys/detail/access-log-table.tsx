import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { AccessLogPage, AccessLogQuery } from "@/lib/access-log/query";
import { cn } from "@/lib/utils";

function FilterLink({ href, active, children }: { href: string; active: boolean; children: React.ReactNode }) {
  return (
    <Link
      href={href}
      aria-current={active ? "true" : undefined}
      scroll={false}
      className={cn(
        "rounded-md px-2.5 py-1 text-sm outline-none focus-visible:ring-2 focus-visible:ring-ring",
        active ? "bg-secondary font-medium text-foreground" : "text-muted-foreground hover:text-foreground",
      )}
    >
      {children}
    </Link>
  );
}

/** A logged header set or body: scrolls sideways, reachable and named for keyboard users. */
function LoggedText({ label, text }: { label: string; text: string }) {
  return (
    <figure className="mt-2">
      <figcaption className="text-muted-foreground">{label}</figcaption>
      <pre
        tabIndex={0}
        aria-label={label}
        className="max-w-md overflow-x-auto rounded bg-muted p-2 outline-none focus-visible:ring-2 focus-visible:ring-ring"
      >
        {text}
      </pre>
    </figure>
  );
}

/** A key's access log with status and time filters; the filters live in the URL. */
export function AccessLogTable({
  slug,
  keyId,
  page,
  query,
  logging,
}: {
  slug: string;
  keyId: string;
  page: AccessLogPage;
  query: AccessLogQuery;
  /** Request or response logging is on: every request is listed, not only refusals. */
  logging: boolean;
}) {
  const base = `/w/${slug}/account/api/${keyId}`;
  const href = (patch: Partial<AccessLogQuery>) => {
    const next = { ...query, page: 1, ...patch };
    const qs = new URLSearchParams({ status: next.status, range: next.range, page: String(next.page) });
    return `${base}?${qs}`;
  };
  const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
  return (
    <section aria-labelledby="access-log-title" className="grid gap-3">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h3 id="access-log-title" className="font-semibold">
            Access log
          </h3>
          {logging ? null : (
            <p className="text-sm text-muted-foreground">
              Refusals only: successful requests are counted in the chart above, and listed here while request or response logging is on.
            </p>
          )}
        </div>
        <div className="flex flex-wrap gap-4">
          <nav aria-label="Filter by status" className="flex gap-1">
            <FilterLink href={href({ status: "all" })} active={query.status === "all"}>
              All
            </FilterLink>
            <FilterLink href={href({ status: "success" })} active={query.status === "success"}>
              Succeeded
            </FilterLink>
            <FilterLink href={href({ status: "refused" })} active={query.status === "refused"}>
              Refused
            </FilterLink>
          </nav>
          <nav aria-label="Filter by time" className="flex gap-1">
            <FilterLink href={href({ range: "24h" })} active={query.range === "24h"}>
              24 hours
            </FilterLink>
            <FilterLink href={href({ range: "7d" })} active={query.range === "7d"}>
              7 days
            </FilterLink>
            <FilterLink href={href({ range: "30d" })} active={query.range === "30d"}>
              30 days
            </FilterLink>
          </nav>
        </div>
      </div>
      <div className="rounded-lg border bg-card">
        <Table aria-label="Access log">
          <TableHeader className="bg-muted/40">
            <TableRow>
              <TableHead>Time</TableHead>
              <TableHead>Request</TableHead>
              <TableHead>Status</TableHead>
              <TableHead className="text-right">Duration</TableHead>
              <TableHead>From</TableHead>
              <TableHead>Bodies</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {page.rows.length === 0 ? (
              <TableRow>
                <TableCell colSpan={6} className="py-10 text-center text-sm text-muted-foreground">
                  {logging
                    ? "No requests match. Requests made with this key appear here within a few seconds."
                    : "No refusals match. Refused requests made with this key appear here within a few seconds."}
                </TableCell>
              </TableRow>
            ) : (
              page.rows.map((r) => (
                <TableRow key={r.id}>
                  <TableCell className="whitespace-nowrap">
                    <RelativeTime value={r.at} />
                  </TableCell>
                  <TableCell className="max-w-96 whitespace-normal">
                    <span className="font-mono text-xs">
                      <span className="font-semibold">{r.method}</span> <span className="break-all">{r.path}</span>
                    </span>
                  </TableCell>
                  <TableCell>
                    <Badge variant={r.status < 400 ? "success" : "destructive"}>{r.status}</Badge>
                    {r.reason ? <span className="ml-2 font-mono text-xs text-muted-foreground">{r.reason}</span> : null}
                  </TableCell>
                  <TableCell className="text-right tabular-nums">{r.durationMs} ms</TableCell>
                  <TableCell className="text-xs">
                    {r.ip ?? "—"}
                    {r.integration ? <span className="block text-muted-foreground">{r.integration}</span> : null}
                  </TableCell>
                  <TableCell>
                    {r.requestBody || r.responseBody || r.requestHeaders ? (
                      <details className="text-xs">
                        <summary className="cursor-pointer text-primary">Show</summary>
                        {r.requestHeaders ? <LoggedText label="Request headers" text={r.requestHeaders} /> : null}
                        {r.requestBody ? <LoggedText label="Request body" text={r.requestBody} /> : null}
                        {r.responseBody ? <LoggedText label="Response body" text={r.responseBody} /> : null}
                      </details>
                    ) : (
                      <span className="text-xs text-muted-foreground">Not logged</span>
                    )}
                  </TableCell>
                </TableRow>
              ))
            )}
          </TableBody>
        </Table>
      </div>
      <div className="flex items-center justify-between text-sm text-muted-foreground">
        <span className="tabular-nums">
          {page.total.toLocaleString("en")} {page.total === 1 ? "request" : "requests"} · page {page.page} of {pages}
        </span>
        <div className="flex gap-2">
          {page.page > 1 ? (
            <FilterLink href={href({ page: page.page - 1 })} active={false}>
              Previous page
            </FilterLink>
          ) : null}
          {page.page < pages ? (
            <FilterLink href={href({ page: page.page + 1 })} active={false}>
              Next page
            </FilterLink>
          ) : null}
        </div>
      </div>
    </section>
  );
}
