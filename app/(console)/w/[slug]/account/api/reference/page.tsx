import type { Metadata } from "next";
import Link from "next/link";
import { headers } from "next/headers";
import { ArrowLeft, FileJson } from "lucide-react";
import { CodeBlock } from "@/components/api-keys/api-reference";
import { Badge, type BadgeVariant } from "@/components/ui/badge";
import { buttonVariants } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import {
  API_ERROR_CODES,
  buildOpenApiDocument,
  CREDENTIAL_CHANNELS,
  curlExample,
  exampleResponseOf,
  originFrom,
  type OpenApiDocument,
} from "@/lib/api/openapi";
import { API_TAGS, OPERATIONS, type HttpMethod, type Operation as ApiOperation } from "@/lib/api/operations";
import { MAX_BODY_BYTES } from "@/lib/api/body";
import { getPageWorkspaceContext } from "@/lib/auth/current";
import { cn } from "@/lib/utils";
import { API_KEY_SCOPES, SCOPE_LABELS } from "@/lib/validations/api-keys";

export const metadata: Metadata = { title: "API reference" };

// The page reads the same generated document that /api/openapi.json serves, so the field
// tables and error lists here cannot disagree with it.
let cachedDoc: OpenApiDocument | undefined;
const openApi = () => (cachedDoc ??= buildOpenApiDocument());

type Json = Record<string, unknown>;

const METHOD_VARIANT: Record<HttpMethod, BadgeVariant> = {
  GET: "success",
  POST: "default",
  PATCH: "warning",
  DELETE: "destructive",
};

const tagId = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, "-");

function MethodBadge({ method }: { method: HttpMethod }) {
  return (
    <Badge variant={METHOD_VARIANT[method]} className="w-16 font-mono text-[11px] tracking-wide">
      {method}
    </Badge>
  );
}

function Code({ children, className }: { children: React.ReactNode; className?: string }) {
  return <code className={cn("rounded bg-muted px-1 py-0.5 font-mono text-[0.8125rem] whitespace-nowrap", className)}>{children}</code>;
}

function SectionHeading({ id, children }: { id: string; children: React.ReactNode }) {
  return (
    <h3 id={id} className="scroll-mt-20 text-base font-semibold tracking-tight">
      <a href={`#${id}`} className="outline-none hover:underline focus-visible:ring-2 focus-visible:ring-ring">
        {children}
      </a>
    </h3>
  );
}

// ── Fields, from the generated JSON Schemas ────────────────────────────────────────────────

interface Field {
  name: string;
  type: string;
  required: boolean;
  notes: string[];
  description?: string;
}

const variantsOf = (s: Json): Json[] => (Array.isArray(s.anyOf) ? (s.anyOf as Json[]).flatMap(variantsOf) : [s]);

function typeLabel(s: Json): string {
  if (s.type === "array") return `${typeLabel((s.items ?? {}) as Json)}[]`;
  if (s.format === "uuid") return "uuid";
  if (s.format === "date" || s.format === "date-time") return s.format;
  return typeof s.type === "string" ? s.type : "any";
}

function constraintsOf(s: Json): string[] {
  const notes: string[] = [];
  const items = s.type === "array" ? ((s.items ?? {}) as Json) : null;
  const values = (s.enum ?? items?.enum) as string[] | undefined;
  if (values) notes.push(`One of ${values.map((v) => `"${v}"`).join(", ")}`);
  if (typeof s.minLength === "number" && typeof s.maxLength === "number") notes.push(`${s.minLength}–${s.maxLength} characters`);
  else if (typeof s.maxLength === "number") notes.push(`At most ${s.maxLength} characters`);
  else if (typeof s.minLength === "number" && s.minLength > 1) notes.push(`At least ${s.minLength} characters`);
  if (typeof s.minimum === "number" && typeof s.maximum === "number" && s.maximum < Number.MAX_SAFE_INTEGER) notes.push(`${s.minimum}–${s.maximum}`);
  else if (typeof s.minimum === "number") notes.push(`At least ${s.minimum}`);
  if (typeof s.minItems === "number") notes.push(`At least ${s.minItems} item${s.minItems === 1 ? "" : "s"}`);
  return notes;
}

function fieldOf(name: string, schema: Json, required: boolean, description?: string): Field {
  const variants = variantsOf(schema);
  const type = [...new Set(variants.map(typeLabel))].join(" | ");
  const notes = variants.flatMap(constraintsOf);
  if (schema.default !== undefined) notes.push(`Default ${JSON.stringify(schema.default)}`);
  return { name, type, required, notes, description: description ?? (schema.description as string | undefined) };
}

type Param = { name: string; in: string; required: boolean; description?: string; schema: Json };

function fieldsOf(doc: OpenApiDocument, op: ApiOperation): { path: Field[]; query: Field[]; body: Field[] } {
  const pathItem = (doc.paths as Record<string, Record<string, unknown>>)[op.path];
  const item = pathItem[op.method.toLowerCase()] as Json;
  const params = [...((pathItem.parameters ?? []) as Param[]), ...((item.parameters ?? []) as Param[])];
  const fields = (where: string) => params.filter((p) => p.in === where).map((p) => fieldOf(p.name, p.schema, p.required, p.description));
  const [path, query] = [fields("path"), fields("query")];
  const ref = (item.requestBody as { content?: Record<string, { schema: { $ref: string } }> } | undefined)?.content?.["application/json"]?.schema.$ref;
  if (!ref) return { path, query, body: [] };
  const component = (doc.components.schemas as Record<string, Json>)[ref.split("/").pop()!];
  const required = new Set((component.required ?? []) as string[]);
  const body = Object.entries((component.properties ?? {}) as Record<string, Json>).map(([name, s]) => fieldOf(name, s, required.has(name)));
  return { path, query, body };
}

function FieldTable({ title, fields }: { title: string; fields: Field[] }) {
  if (fields.length === 0) return null;
  return (
    <div className="grid gap-2">
      <h5 className="text-xs font-semibold tracking-wide text-muted-foreground uppercase">{title}</h5>
      <dl className="divide-y rounded-md border">
        {fields.map((f) => (
          <div key={f.name} className="grid gap-1 px-3 py-2 text-sm">
            <dt className="flex flex-wrap items-baseline gap-x-2">
              <span className="font-mono text-[0.8125rem] font-medium">{f.name}</span>
              <span className="font-mono text-xs text-muted-foreground">{f.type}</span>
              {f.required ? <span className="text-xs font-medium text-warning">required</span> : null}
            </dt>
            {f.description || f.notes.length > 0 ? (
              <dd className="text-[0.8125rem] leading-5 text-muted-foreground">
                {f.description}
                {f.description && f.notes.length > 0 ? " " : null}
                {f.notes.length > 0 ? <span>{f.notes.join(" · ")}.</span> : null}
              </dd>
            ) : null}
          </div>
        ))}
      </dl>
    </div>
  );
}

// ── One operation ───────────────────────────────────────────────────────────────────────────

function PathText({ path }: { path: string }) {
  return (
    <span className="font-mono text-sm break-all">
      {path.split(/(\{[^}]+\})/).map((part, i) =>
        part.startsWith("{") ? (
          <span key={i} className="text-primary">
            {part}
          </span>
        ) : (
          part
        ),
      )}
    </span>
  );
}

function OperationSection({ op, doc, origin }: { op: ApiOperation; doc: OpenApiDocument; origin: string }) {
  const { path, query, body } = fieldsOf(doc, op);
  const item = (doc.paths as Record<string, Record<string, Json>>)[op.path][op.method.toLowerCase()];
  const statuses = Object.keys(item.responses as Json);
  const errors = statuses.filter((s) => Number(s) >= 400);
  const example = exampleResponseOf(op.id);
  return (
    <section id={op.id} aria-labelledby={`${op.id}-title`} className="scroll-mt-20 border-t pt-6">
      <div className="grid gap-x-8 gap-y-4 xl:grid-cols-2">
        <div className="grid content-start gap-3">
          <h4 id={`${op.id}-title`} className="text-[0.9375rem] font-semibold">
            <a href={`#${op.id}`} className="outline-none hover:underline focus-visible:ring-2 focus-visible:ring-ring">
              {op.summary}
            </a>
          </h4>
          <p className="flex flex-wrap items-center gap-2">
            <MethodBadge method={op.method} />
            <PathText path={op.path} />
          </p>
          <p className="text-sm leading-6">{op.description}</p>
          <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-1.5 text-sm">
            <dt className="text-muted-foreground">Scope</dt>
            <dd>
              {op.scope ? (
                <>
                  <Code>{op.scope}</Code>
                  <span className="ml-2 text-muted-foreground">{SCOPE_LABELS[op.scope]}</span>
                </>
              ) : (
                <span className="text-muted-foreground">None: no key needed</span>
              )}
            </dd>
            {op.permission ? (
              <>
                <dt className="text-muted-foreground">Permission</dt>
                <dd className="text-muted-foreground">{op.permission}</dd>
              </>
            ) : null}
            <dt className="text-muted-foreground">Returns</dt>
            <dd>
              <span className="font-mono text-[0.8125rem]">{op.status}</span>
              {errors.length > 0 ? (
                <>
                  <span className="text-muted-foreground"> · errors </span>
                  <a href="#errors" className="font-mono text-[0.8125rem] text-muted-foreground underline-offset-4 hover:underline">
                    {errors.join(" ")}
                  </a>
                </>
              ) : null}
            </dd>
          </dl>
          <FieldTable title="Path parameters" fields={path} />
          <FieldTable title="Query parameters" fields={query} />
          <FieldTable title="Body" fields={body} />
        </div>
        <div className="grid min-w-0 content-start gap-4">
          <CodeBlock title="Request" code={curlExample(op, origin)} copyLabel={`Copy curl example for ${op.id}`} />
          {example !== undefined ? (
            <CodeBlock
              title={`Response ${op.status}`}
              code={JSON.stringify(example, null, 2)}
              preClassName="max-h-72 overflow-y-auto"
            />
          ) : null}
        </div>
      </div>
    </section>
  );
}

// ── The page ────────────────────────────────────────────────────────────────────────────────

export default async function ApiReferencePage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const ctx = await getPageWorkspaceContext(slug);
  const origin = originFrom(await headers());
  const doc = openApi();

  const unauthorized = (doc.components.responses.Unauthorized.content["application/json"].examples as Record<string, { value: unknown }>)
    .missing_key.value;
  const success = exampleResponseOf("revokeAllApiKeys");
  const groups = API_TAGS.map((tag) => ({ ...tag, id: tagId(tag.name), ops: OPERATIONS.filter((o) => o.tag === tag.name) }));

  const toc = [
    { id: "authentication", label: "Authentication" },
    { id: "responses", label: "Responses" },
    { id: "errors", label: "Errors" },
  ];

  return (
    <div className="grid gap-8 lg:grid-cols-[14rem_minmax(0,1fr)]">
      <nav aria-label="On this page" className="text-sm lg:sticky lg:top-20 lg:max-h-[calc(100dvh-6rem)] lg:self-start lg:overflow-y-auto">
        <p className="mb-2 text-xs font-semibold tracking-wide text-muted-foreground uppercase">On this page</p>
        <ul className="grid gap-0.5">
          {toc.map((t) => (
            <li key={t.id}>
              <a href={`#${t.id}`} className="block rounded px-2 py-1 text-muted-foreground hover:bg-accent hover:text-foreground">
                {t.label}
              </a>
            </li>
          ))}
          {groups.map((g) => (
            <li key={g.id} className="mt-2">
              <a href={`#${g.id}`} className="block rounded px-2 py-1 font-medium hover:bg-accent">
                {g.name}
              </a>
              <ul className="grid gap-0.5">
                {g.ops.map((op) => (
                  <li key={op.id}>
                    <a
                      href={`#${op.id}`}
                      className="flex items-baseline gap-2 rounded px-2 py-0.5 text-[0.8125rem] text-muted-foreground hover:bg-accent hover:text-foreground"
                    >
                      <span className="w-11 shrink-0 font-mono text-[10px] font-semibold">{op.method}</span>
                      <span>{op.summary}</span>
                    </a>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      </nav>

      <article className="grid min-w-0 gap-10">
        <header className="grid gap-3">
          <Link
            href={`/w/${slug}/account/api`}
            className="inline-flex w-fit items-center gap-1 text-sm text-muted-foreground hover:text-foreground"
          >
            <ArrowLeft aria-hidden="true" className="size-3.5" />
            API keys
          </Link>
          <div className="flex flex-wrap items-start justify-between gap-3">
            <div className="grid gap-1">
              <h2 className="text-xl font-semibold tracking-tight">API reference</h2>
              <p className="max-w-prose text-sm leading-6 text-muted-foreground">
                The Latchkey REST API manages and verifies API keys. A key only ever works in its own workspace, so every call
                below made with a key of {ctx.workspace.name} acts in {ctx.workspace.name}, as the key&apos;s owner.
              </p>
            </div>
            <a href="/api/openapi.json" className={buttonVariants({ variant: "outline", size: "sm" })}>
              <FileJson aria-hidden="true" />
              OpenAPI 3.1 JSON
            </a>
          </div>
          <Card className="gap-0 py-3 shadow-none">
            <CardContent className="grid gap-x-6 gap-y-1 px-4 text-sm sm:grid-cols-[auto_minmax(0,1fr)]">
              <span className="text-muted-foreground">Base URL</span>
              <span className="font-mono text-[0.8125rem] break-all">{origin}</span>
              <span className="text-muted-foreground">Format</span>
              <span>JSON in, JSON out (urlencoded forms accepted); bodies up to {MAX_BODY_BYTES / 1024} KiB</span>
              <span className="text-muted-foreground">Description</span>
              <a href="/api/openapi.json" className="w-fit font-mono text-[0.8125rem] text-primary underline-offset-4 hover:underline">
                {origin}/api/openapi.json
              </a>
            </CardContent>
          </Card>
        </header>

        <section aria-labelledby="authentication" className="grid gap-4">
          <SectionHeading id="authentication">Authentication</SectionHeading>
          <div className="grid gap-x-8 gap-y-4 xl:grid-cols-2">
            <div className="grid content-start gap-3 text-sm leading-6">
              <p>
                Send an API key (or a personal token) with every request to <Code>/api/data</Code>. Latchkey looks for it in five
                places, in this order:
              </p>
              <ol className="grid list-decimal gap-1.5 pl-5">
                {CREDENTIAL_CHANNELS.map((c) => (
                  <li key={c.value}>
                    {c.where} <Code>{c.value}</Code>
                    <span className="block text-muted-foreground">{c.note}</span>
                  </li>
                ))}
              </ol>
              <p>
                Send <strong className="font-medium">exactly one key</strong> per request. The same key in two places is fine; two
                different keys are refused with <Code>400 conflicting_credentials</Code>.
              </p>
              <p>
                Each endpoint needs one <strong className="font-medium">scope</strong> on the key, and a key can never do more than
                its owner may do now: demote the owner and the key loses those powers at once.
              </p>
              <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-1 rounded-md border px-3 py-2">
                {API_KEY_SCOPES.map((s) => (
                  <div key={s} className="contents">
                    <dt>
                      <Code>{s}</Code>
                    </dt>
                    <dd className="text-muted-foreground">{SCOPE_LABELS[s]}</dd>
                  </div>
                ))}
              </dl>
              <p className="text-muted-foreground">
                Repeated failed authentications from one address are rate limited: <Code>429</Code> with a{" "}
                <Code>Retry-After</Code> header in seconds.
              </p>
            </div>
            <div className="grid min-w-0 content-start gap-4">
              <CodeBlock
                title="Set the key once, then use it in every example"
                code={`export LATCHKEY_API_KEY="<your API key>"\n\ncurl -sS "${origin}/api/data/me" \\\n  -H "X-ApiKey: $LATCHKEY_API_KEY"\n\n# or, if the key's Bearer token box is ticked:\ncurl -sS "${origin}/api/data/me" \\\n  -H "Authorization: Bearer $LATCHKEY_API_KEY"`}
                copyLabel="Copy authentication example"
              />
            </div>
          </div>
        </section>

        <section aria-labelledby="responses" className="grid gap-4">
          <SectionHeading id="responses">Responses</SectionHeading>
          <div className="grid gap-x-8 gap-y-4 xl:grid-cols-2">
            <div className="grid content-start gap-3 text-sm leading-6">
              <p>
                Every response, success or failure, is one JSON envelope: <Code>success</Code>, <Code>hasError</Code>, a{" "}
                <Code>statusCode</Code> name matching the HTTP status (<Code>OK</Code>, <Code>Created</Code>,{" "}
                <Code>BadRequest</Code>, …), then <Code>data</Code> on success or <Code>error</Code> on failure.
              </p>
              <p>
                <Code>error.code</Code> is the machine-readable reason; <Code>error.message</Code> says it in words;{" "}
                <Code>error.technicalError</Code>, when present, hints at the fix. Invalid input answers{" "}
                <Code>400 validation_failed</Code> with <Code>error.validationErrors</Code>: the messages per field. Nothing is
                changed by a request that fails.
              </p>
              <p className="text-muted-foreground">
                Times are ISO 8601 strings in UTC. A secret appears only in the response that creates it.
              </p>
            </div>
            <div className="grid min-w-0 content-start gap-4">
              <CodeBlock title="Success (200)" code={JSON.stringify(success, null, 2)} />
              <CodeBlock title="Error (401)" code={JSON.stringify(unauthorized, null, 2)} />
            </div>
          </div>
        </section>

        <section aria-labelledby="errors" className="grid gap-4">
          <SectionHeading id="errors">Errors</SectionHeading>
          <div className="overflow-x-auto rounded-md border">
            <table className="w-full text-sm">
              <caption className="sr-only">Error codes</caption>
              <thead className="bg-muted/50 text-left text-xs text-muted-foreground">
                <tr>
                  <th scope="col" className="px-3 py-2 font-medium">
                    error.code
                  </th>
                  <th scope="col" className="px-3 py-2 font-medium">
                    HTTP
                  </th>
                  <th scope="col" className="px-3 py-2 font-medium">
                    Meaning
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y">
                {API_ERROR_CODES.map((e) => (
                  <tr key={e.code} id={`error-${e.code}`}>
                    <td className="px-3 py-1.5 align-top font-mono text-[0.8125rem] whitespace-nowrap">{e.code}</td>
                    <td className="px-3 py-1.5 align-top font-mono text-[0.8125rem] tabular-nums">{e.status}</td>
                    <td className="px-3 py-1.5 align-top text-muted-foreground">{e.meaning}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>

        {groups.map((g) => (
          <section key={g.id} aria-labelledby={g.id} className="grid gap-4">
            <div className="grid gap-1">
              <SectionHeading id={g.id}>{g.name}</SectionHeading>
              <p className="text-sm text-muted-foreground">{g.description}</p>
            </div>
            {g.ops.map((op) => (
              <OperationSection key={op.id} op={op} doc={doc} origin={origin} />
            ))}
          </section>
        ))}
      </article>
    </div>
  );
}
