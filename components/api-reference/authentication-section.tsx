import { IDEMPOTENCY_HOURS, INTEGRATION_NAME_MAX } from "@/lib/api/limits";
import { API_KEY_SCOPES, SCOPE_LABELS } from "@/lib/validations/api-keys";
import { CodeBlock } from "./code-block";
import { CredentialChannels } from "./credential-channels";
import { InlineCode } from "./inline-code";
import { ReferenceSection, TextAndCode } from "./reference-section";

/** How to present a key, the scopes, naming the caller, and the failure rate limit. */
export function AuthenticationSection({ origin }: { origin: string }) {
  return (
    <ReferenceSection id="authentication" title="Authentication">
      <TextAndCode
        textClassName="text-sm leading-6"
        text={
          <>
            <p>
              Send an API key (or a personal token) with every request to <InlineCode>/api/data</InlineCode>. Latchkey looks for it in five places, in
              this order:
            </p>
            <CredentialChannels />
            <p>
              Send <strong className="font-medium">exactly one key</strong> per request. The same key in two places is fine; two different keys are
              refused with <InlineCode>400 conflicting_credentials</InlineCode>.
            </p>
            <p>
              Each endpoint needs one <strong className="font-medium">scope</strong> on the key, and a key can never do more than its owner may do
              now: demote the owner and the key loses those powers at once.
            </p>
            <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-1 rounded-md border px-3 py-2">
              {API_KEY_SCOPES.map((s) => (
                <div key={s} className="contents">
                  <dt>
                    <InlineCode>{s}</InlineCode>
                  </dt>
                  <dd className="text-muted-foreground">{SCOPE_LABELS[s]}</dd>
                </div>
              ))}
            </dl>
            <p>
              Optionally, name the calling system in an <InlineCode>X-Integration-Name</InlineCode> header (up to {INTEGRATION_NAME_MAX} characters
              are kept). It is recorded as the key&apos;s last-used integration, shown on the key&apos;s page and in its access log, so you can tell
              which of your systems used a key.
            </p>
            <p>
              To retry a change safely, send an <InlineCode>Idempotency-Key</InlineCode> header (a new UUID per change) on{" "}
              <InlineCode>POST</InlineCode>, <InlineCode>PATCH</InlineCode> and <InlineCode>DELETE</InlineCode>. Sent again with the same request
              within {IDEMPOTENCY_HOURS} hours, it gets the first answer back, marked <InlineCode>Idempotent-Replayed: true</InlineCode>, instead of a
              second change; with a different request it is refused with <InlineCode>422</InlineCode>. A replayed create answers with the key and{" "}
              <InlineCode>&quot;secret&quot;: null</InlineCode>: a secret is shown once and never stored. Retry this way after{" "}
              <InlineCode>outcome_unknown</InlineCode>.
            </p>
            <p className="text-muted-foreground">
              Repeated failed authentications from one address are rate limited: <InlineCode>429</InlineCode> with a{" "}
              <InlineCode>Retry-After</InlineCode> header in seconds.
            </p>
          </>
        }
        code={
          <CodeBlock
            title="Set the key once, then use it in every example"
            code={`export LATCHKEY_API_KEY="<your API key>"\n\ncurl -sS "${origin}/api/data/me" \\\n  -H "X-ApiKey: $LATCHKEY_API_KEY"\n\n# or, if the key's Bearer token box is ticked:\ncurl -sS "${origin}/api/data/me" \\\n  -H "Authorization: Bearer $LATCHKEY_API_KEY"`}
            copyLabel="Copy authentication example"
          />
        }
      />
    </ReferenceSection>
  );
}
