import type { Metadata } from "next";
import { headers } from "next/headers";
import { AuthenticationSection } from "@/components/api-reference/authentication-section";
import { EndpointGroupSection } from "@/components/api-reference/endpoint-group-section";
import { ErrorCodesSection } from "@/components/api-reference/error-codes-section";
import { ReferenceHeader } from "@/components/api-reference/reference-header";
import { ReferenceNav } from "@/components/api-reference/reference-nav";
import { ResponsesSection } from "@/components/api-reference/responses-section";
import { ENDPOINT_GROUPS } from "@/components/api-reference/sections";
import { originFrom } from "@/lib/api/openapi";
import { getPageWorkspaceContext } from "@/lib/auth/current";

export const metadata: Metadata = { title: "API reference" };

// The REST API as its operation registry describes it: the same entries the dispatcher routes and
// the OpenAPI document is built from, so this page cannot describe an endpoint that is not served.
export default async function ApiReferencePage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const ctx = await getPageWorkspaceContext(slug);
  // The curl lines name the address this reader reached us at, so they work when pasted.
  const origin = originFrom(await headers());
  return (
    <div className="grid gap-8 lg:grid-cols-[14rem_minmax(0,1fr)]">
      <ReferenceNav />
      <article className="grid min-w-0 gap-10">
        <ReferenceHeader slug={slug} workspaceName={ctx.workspace.name} origin={origin} />
        <AuthenticationSection origin={origin} />
        <ResponsesSection />
        <ErrorCodesSection />
        {ENDPOINT_GROUPS.map((g) => (
          <EndpointGroupSection key={g.id} group={g} origin={origin} />
        ))}
      </article>
    </div>
  );
}
