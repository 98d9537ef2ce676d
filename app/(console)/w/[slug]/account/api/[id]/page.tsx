import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { and, eq, sql } from "drizzle-orm";
import { ArrowLeft } from "lucide-react";
import { AccessLogGaps } from "@/components/api-keys/detail/access-log-gaps";
import { AccessLogTable } from "@/components/api-keys/detail/access-log-table";
import { KeyIpRules } from "@/components/api-keys/detail/key-ip-rules";
import { KeyLimits } from "@/components/api-keys/detail/key-limits";
import { KeyLoggingSwitches } from "@/components/api-keys/detail/key-logging-switches";
import { RotationCard } from "@/components/api-keys/detail/rotation-card";
import { RotateKeyButton } from "@/components/api-keys/rotate-key-dialog";
import { UsageChart } from "@/components/api-keys/detail/usage-chart";
import { Badge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { getDb } from "@/db";
import { apiKeys, memberships, users } from "@/db/schema";
import { accessLogQuerySchema, listAccessLogGaps, listAccessLogs, listKeyAddresses, usageByHour } from "@/lib/access-log/query";
import { getApiKeyWithRevocation, isUuid, listPreviousSecrets } from "@/lib/api-keys/core";
import { RevokeKeyButton } from "@/components/api-keys/detail/revoke-key-button";
import { describeRevocation } from "@/lib/validations/revocation";
import { effectivePermissions } from "@/lib/api-keys/effective";
import { getPageWorkspaceContext } from "@/lib/auth/current";
import { can, ROLE_LABELS } from "@/lib/auth/permissions";
import type { Role } from "@/db/schema";

export const metadata: Metadata = { title: "API key" };

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-[10rem_1fr] gap-3 py-2 text-sm">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="min-w-0 break-words">{children}</dd>
    </div>
  );
}

export default async function ApiKeyDetailPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string; id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { slug, id } = await params;
  const ctx = await getPageWorkspaceContext(slug);
  if (!can(ctx, "api_keys.read") || !isUuid(id)) notFound();
  const db = await getDb();
  const { key, revocation } = await getApiKeyWithRevocation(db, ctx, id).catch(() => notFound());
  const query = accessLogQuerySchema.parse(await searchParams);

  const [logs, usage, gaps, addresses, previous, owner, maker] = await Promise.all([
    listAccessLogs(db, ctx, id, query),
    usageByHour(db, ctx, id),
    listAccessLogGaps(db, ctx, id),
    listKeyAddresses(db, ctx, key),
    listPreviousSecrets(db, ctx, id, 3),
    key.ownerId
      ? db
          .select({ role: memberships.role, canManageApiKeys: memberships.canManageApiKeys, isGlobalAdmin: users.isGlobalAdmin })
          .from(users)
          .leftJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.workspaceId, ctx.workspace.id)))
          .where(eq(users.id, key.ownerId))
          .then((r) => r[0])
      : Promise.resolve({ role: "admin" as Role, canManageApiKeys: false, isGlobalAdmin: false }),
    // Who made it, and through which key when it was minted over the API.
    key.createdById
      ? db
          .select({
            name: users.name,
            viaPrefix: sql<string | null>`(select ${apiKeys.prefix} from ${apiKeys} where ${apiKeys.id} = ${key.createdViaKeyId})`,
          })
          .from(users)
          .where(eq(users.id, key.createdById))
          .then((r) => r[0] ?? null)
      : Promise.resolve(null),
  ]);
  const ownerPrincipal = {
    role: (owner?.role as Role | null) ?? null,
    canManageApiKeys: owner?.canManageApiKeys ?? false,
    isGlobalAdmin: owner?.isGlobalAdmin ?? false,
  };
  const effective = effectivePermissions(ownerPrincipal, key.scopes, key.permissionCeiling);
  const total7d = usage.reduce((n, b) => n + b.success + b.refused, 0);

  return (
    <div className="grid gap-6">
      <div>
        <Link href={`/w/${slug}/account/api`} className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
          <ArrowLeft aria-hidden="true" className="size-4" /> API keys
        </Link>
        <div className="mt-2 flex flex-wrap items-center gap-3">
          <h2 className="text-xl font-semibold break-all">{key.name}</h2>
          <Badge
            variant={
              key.state === "active" ? "success" : key.state === "disabled" ? "secondary" : key.state === "revoked" ? "destructive" : "warning"
            }
          >
            {key.state}
          </Badge>
          <code className="font-mono text-sm text-muted-foreground">{key.prefix}</code>
          {key.state !== "revoked" && can(ctx, "api_keys.manage") ? (
            <div className="ml-auto flex gap-2">
              {key.state !== "expired" ? <RotateKeyButton slug={slug} apiKey={{ id: key.id, name: key.name, prefix: key.prefix }} /> : null}
              <RevokeKeyButton slug={slug} apiKey={{ id: key.id, name: key.name, prefix: key.prefix }} />
            </div>
          ) : null}
        </div>
        {key.description ? <p className="mt-1 max-w-prose text-sm text-muted-foreground">{key.description}</p> : null}
      </div>

      <div className="grid gap-6 lg:grid-cols-2">
        <section aria-labelledby="key-details" className="rounded-lg border bg-card p-5">
          <h3 id="key-details" className="mb-2 font-semibold">
            Details
          </h3>
          <dl className="divide-y">
            {key.revokedAt ? (
              <>
                <Row label="Revoked">
                  <RelativeTime value={key.revokedAt} />
                  {revocation?.viaKeyId === key.id ? (
                    <span className="text-muted-foreground"> by the key itself (its secret was presented to /api/revoke)</span>
                  ) : revocation?.byName ? (
                    <span className="text-muted-foreground"> by {revocation.byName}</span>
                  ) : null}
                  {revocation?.viaKeyId && revocation.viaKeyId !== key.id ? (
                    <span className="text-muted-foreground">
                      {" "}
                      through the key <code className="font-mono">{revocation.viaKeyPrefix ?? "(deleted)"}</code>
                    </span>
                  ) : null}
                  {revocation?.ip ? <span className="text-muted-foreground"> from {revocation.ip}</span> : null}
                </Row>
                <Row label="Reason">{describeRevocation({ reason: key.revokedReason, text: key.revokedReasonText })}</Row>
              </>
            ) : null}
            <Row label="Owner">
              {key.ownerId ? (
                <>
                  {key.ownerName} <span className="text-muted-foreground">· {key.ownerEmail}</span>
                  {ownerPrincipal.role ? ` · ${ROLE_LABELS[ownerPrincipal.role]}` : " · no longer a member"}
                </>
              ) : (
                "None — workspace service key (acts as Admin)"
              )}
            </Row>
            <Row label="Created">
              <RelativeTime value={key.createdAt} />
              {maker ? <span className="text-muted-foreground"> by {maker.name}</span> : null}
              {maker?.viaPrefix ? (
                <span className="text-muted-foreground">
                  {" "}
                  through the key <code className="font-mono">{maker.viaPrefix}</code>
                </span>
              ) : null}
            </Row>
            <Row label="Expires">
              <RelativeTime value={key.expiresAt} empty="Never" />
            </Row>
            {key.notBefore ? (
              <Row label="Not before">
                <RelativeTime value={key.notBefore} />
              </Row>
            ) : null}
            <Row label="IP restrictions">
              {key.ipAllow.length || key.ipDeny.length
                ? [
                    key.ipAllow.length ? `allowed from ${key.ipAllow.length} ${key.ipAllow.length === 1 ? "entry" : "entries"}` : "any address",
                    key.ipDeny.length ? `denied from ${key.ipDeny.length} ${key.ipDeny.length === 1 ? "entry" : "entries"}` : null,
                  ]
                    .filter(Boolean)
                    .join(", ")
                : "None"}
            </Row>
            <KeyLimits slug={slug} apiKey={key} canManage={can(ctx, "api_keys.manage") && key.state !== "revoked"} />
            <Row label="Last used">
              <RelativeTime value={key.lastUsedAt} />
              {key.lastUsedIp ? <span className="text-muted-foreground"> from {key.lastUsedIp}</span> : null}
              {key.lastUsedIntegration ? <span className="text-muted-foreground"> by {key.lastUsedIntegration}</span> : null}
            </Row>
            <Row label="Secret">{key.source === "imported" ? "Imported from another system" : "Generated by Latchkey"}</Row>
            <Row label="Enabled">{key.enabled ? "Yes" : "No"}</Row>
            <Row label="Bearer token">{key.bearerAllowed ? "Accepted" : "Refused (X-ApiKey and the other forms only)"}</Row>
          </dl>
        </section>

        <section aria-labelledby="key-effective" className="rounded-lg border bg-card p-5">
          <h3 id="key-effective" className="mb-1 font-semibold">
            Effective permissions
          </h3>
          <p className="mb-3 text-sm text-muted-foreground">
            The key&apos;s scopes, limited by what its owner&apos;s role allows now and by what whoever made it could do then.
          </p>
          {key.state === "revoked" ? (
            <p className="mb-3 text-sm font-medium text-destructive">Revoked: every request with this key is refused, whatever it could do before.</p>
          ) : null}
          <ul className="grid gap-2" aria-label="Effective permissions">
            {effective.map((p) => (
              <li key={p.scope} className="flex items-start gap-2 text-sm">
                <span aria-hidden="true" className={p.allowed ? "text-success" : "text-muted-foreground"}>
                  {p.allowed ? "✓" : "✕"}
                </span>
                <span>
                  <span className="font-mono text-xs">{p.scope}</span> — {p.label}
                  <span className="sr-only">{p.allowed ? ": allowed." : ": not allowed."}</span>
                  <span className="block text-xs text-muted-foreground">{p.why}</span>
                </span>
              </li>
            ))}
          </ul>
          {can(ctx, "api_keys.manage") && key.state !== "revoked" ? (
            <KeyLoggingSwitches slug={slug} id={key.id} logRequests={key.logRequests} logResponses={key.logResponses} />
          ) : null}
        </section>
      </div>

      {previous.length ? <RotationCard previous={previous} /> : null}

      <section aria-labelledby="key-usage" className="rounded-lg border bg-card p-5">
        <div className="mb-3 flex flex-wrap items-baseline justify-between gap-2">
          <h3 id="key-usage" className="font-semibold">
            Usage, last 7 days
          </h3>
          <p className="text-sm text-muted-foreground tabular-nums">{total7d.toLocaleString("en")} requests</p>
        </div>
        <UsageChart data={usage} />
      </section>

      <KeyIpRules ipAllow={key.ipAllow} ipDeny={key.ipDeny} notBefore={key.notBefore} addresses={addresses.addresses} total={addresses.total} />

      <AccessLogGaps gaps={gaps.gaps} lost={gaps.lost} />
      <AccessLogTable slug={slug} keyId={key.id} page={logs} query={query} logging={key.logRequests || key.logResponses} />
    </div>
  );
}
