import type { Metadata } from "next";
import { AccessDenied } from "@/components/access-denied";
import { ApiKeysPanel } from "@/components/api-keys/api-keys-panel";
import { getDb } from "@/db";
import { defaultLimitsOf, listApiKeys, listKeyOwnerOptions, maxExpiryFor } from "@/lib/api-keys/core";
import { getPageWorkspaceContext } from "@/lib/auth/current";
import { apiTabDenialReason, can } from "@/lib/auth/permissions";
import { listApiKeysSchema } from "@/lib/validations/api-keys";

export const metadata: Metadata = { title: "API keys" };

export default async function ApiTabPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { slug } = await params;
  const ctx = await getPageWorkspaceContext(slug);

  if (!can(ctx, "api_keys.read")) {
    return <AccessDenied title={<>You can&apos;t manage API keys in {ctx.workspace.name}</>}>{apiTabDenialReason(ctx)}</AccessDenied>;
  }

  // Bad paging/sort parameters fall back to the defaults rather than erroring the page.
  const sp = await searchParams;
  const parsed = listApiKeysSchema.safeParse({
    page: sp.page,
    pageSize: sp.pageSize,
    sort: sp.sort,
    dir: sp.dir,
    state: sp.state,
  });
  const query = parsed.success ? parsed.data : listApiKeysSchema.parse({});
  const db = await getDb();
  const [page, owners] = await Promise.all([listApiKeys(db, ctx, query), listKeyOwnerOptions(db, ctx)]);
  const maxExpiry = maxExpiryFor(ctx.workspace);

  return (
    <ApiKeysPanel
      slug={ctx.workspace.slug}
      workspaceName={ctx.workspace.name}
      apiKeysEnabled={ctx.workspace.apiKeysEnabled}
      rows={page.rows}
      total={page.total}
      owners={owners}
      currentUserId={ctx.userId}
      canCreateServiceKeys={can(ctx, "api_keys.service")}
      maxExpiry={maxExpiry ? maxExpiry.toISOString().slice(0, 10) : null}
      maxLifetimeDays={ctx.workspace.maxKeyLifetimeDays}
      defaultLimits={defaultLimitsOf(ctx.workspace)}
      state={query.state}
      renderedAt={page.asOf}
    />
  );
}
