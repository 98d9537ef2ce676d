import { Badge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { KeyAddress } from "@/lib/access-log/query";
import type { AddressVerdict } from "@/lib/net/ip-rules";

const VERDICT: Record<AddressVerdict, { label: string; variant: "success" | "destructive" | "warning" }> = {
  allowed: { label: "Allowed", variant: "success" },
  denied: { label: "Denied", variant: "destructive" },
  not_allowed: { label: "Not on the allow list", variant: "warning" },
};

function RuleList({ label, entries, empty }: { label: string; entries: readonly string[]; empty: string }) {
  return (
    <div className="min-w-0">
      <h4 className="text-sm text-muted-foreground">{label}</h4>
      {entries.length ? (
        <ul aria-label={label} className="mt-1 flex flex-wrap gap-1">
          {entries.map((e) => (
            <li key={e}>
              <code className="inline-block max-w-full rounded border bg-muted px-1.5 py-0.5 font-mono text-xs break-all">{e}</code>
            </li>
          ))}
        </ul>
      ) : (
        <p className="mt-1 text-sm">{empty}</p>
      )}
    </div>
  );
}

/**
 * The key's IP rules and not-before time, and the addresses it was used from in the last 7 days
 * with what the rules as they are now say of each: so an admin tightening the rules sees whom
 * they would shut out.
 */
export function KeyIpRules({
  ipAllow,
  ipDeny,
  notBefore,
  addresses,
  total,
}: {
  ipAllow: readonly string[];
  ipDeny: readonly string[];
  notBefore: Date | null;
  addresses: KeyAddress[];
  total: number;
}) {
  return (
    <section aria-labelledby="key-ip-rules" className="rounded-lg border bg-card p-5">
      <h3 id="key-ip-rules" className="mb-1 font-semibold">
        Where and when it works
      </h3>
      <p className="mb-3 text-sm text-muted-foreground">
        Deny wins over allow; with no allow list, any address that is not denied may use the key. Edit the rules from the API tab.
      </p>
      <div className="grid gap-4 sm:grid-cols-3">
        <RuleList label="Allowed addresses" entries={ipAllow} empty="Any address" />
        <RuleList label="Denied addresses" entries={ipDeny} empty="None" />
        <div>
          <h4 className="text-sm text-muted-foreground">Not before</h4>
          <p className="mt-1 text-sm">{notBefore ? <RelativeTime value={notBefore} /> : "From its creation"}</p>
        </div>
      </div>
      <h4 className="mt-5 mb-2 text-sm font-medium" id="key-addresses">
        Used from, last 7 days
      </h4>
      {addresses.length === 0 ? (
        <p className="text-sm text-muted-foreground">No requests with this key in the last 7 days.</p>
      ) : (
        <>
          <Table aria-labelledby="key-addresses">
            <TableHeader>
              <TableRow>
                <TableHead>Address</TableHead>
                <TableHead className="text-right">Requests</TableHead>
                <TableHead className="text-right">Refused</TableHead>
                <TableHead>Last seen</TableHead>
                <TableHead>Current rules</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {addresses.map((a) => (
                <TableRow key={a.ip}>
                  <TableCell className="max-w-64 font-mono text-xs break-all">{a.ip}</TableCell>
                  <TableCell className="text-right tabular-nums">{(a.succeeded + a.refused).toLocaleString("en")}</TableCell>
                  <TableCell className="text-right tabular-nums">{a.refused.toLocaleString("en")}</TableCell>
                  <TableCell className="whitespace-nowrap">
                    <RelativeTime value={a.lastSeenAt} />
                  </TableCell>
                  <TableCell>
                    <Badge variant={VERDICT[a.verdict].variant}>{VERDICT[a.verdict].label}</Badge>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          {total > addresses.length ? (
            <p className="mt-2 text-xs text-muted-foreground">
              The {addresses.length} most recently seen of {total.toLocaleString("en")} addresses.
            </p>
          ) : null}
        </>
      )}
    </section>
  );
}
