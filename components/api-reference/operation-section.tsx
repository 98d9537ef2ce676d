import { curlExample, exampleResponseOf } from "@/lib/api/openapi";
import type { Operation } from "@/lib/api/operations";
import { SCOPE_LABELS } from "@/lib/validations/api-keys";
import { CodeBlock } from "./code-block";
import { FieldTable } from "./field-table";
import { operationFields } from "./fields";
import { InlineCode } from "./inline-code";
import { MethodBadge } from "./method-badge";
import { TextAndCode } from "./reference-section";
import { errorStatusesOf } from "@/lib/api/openapi";
import { exampleLocationOf } from "./responses";

/** The path with its {parameters} picked out. */
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

/** One endpoint: what it does and needs, its fields, a curl line and an example answer. Anchored at #<operationId>. */
export function OperationSection({ op, origin }: { op: Operation; origin: string }) {
  const { path, query, body } = operationFields(op);
  const errors = errorStatusesOf(op);
  const location = exampleLocationOf(op);
  const example = exampleResponseOf(op.id);
  return (
    <section id={op.id} aria-labelledby={`${op.id}-title`} className="scroll-mt-20 border-t pt-6">
      <TextAndCode
        text={
          <>
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
                    <InlineCode>{op.scope}</InlineCode>
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
              {location ? (
                <>
                  <dt className="text-muted-foreground">Location</dt>
                  <dd className="grid gap-0.5">
                    <span className="font-mono text-[0.8125rem] break-all">{location}</span>
                    <span className="text-muted-foreground">
                      The {op.status} answer&apos;s <InlineCode>Location</InlineCode> header: where the new resource lives.
                    </span>
                  </dd>
                </>
              ) : null}
            </dl>
            <FieldTable title="Path parameters" fields={path} />
            <FieldTable title="Query parameters" fields={query} />
            <FieldTable title="Body" fields={body} />
          </>
        }
        code={
          <>
            <CodeBlock title="Request" code={curlExample(op, origin)} copyLabel={`Copy curl example for ${op.id}`} />
            {example !== undefined ? (
              <CodeBlock title={`Response ${op.status}`} code={JSON.stringify(example, null, 2)} preClassName="max-h-72 overflow-y-auto" />
            ) : null}
          </>
        }
      />
    </section>
  );
}
