import { MISSING_KEY } from "@/lib/api-keys/verify";
import { exampleResponseOf } from "@/lib/api/openapi";
import { CodeBlock } from "./code-block";
import { InlineCode } from "./inline-code";
import { ReferenceSection, TextAndCode } from "./reference-section";

/** The 401 a request without a key gets, as the API sends it. */
function missingKeyEnvelope() {
  if (MISSING_KEY.ok) throw new Error("MISSING_KEY is a failure");
  const { message, code, hint } = MISSING_KEY;
  return { success: false, hasError: true, statusCode: "Unauthorized", error: { message, code, technicalError: hint } };
}

/** The envelope every answer shares, what errors carry, and what every path answers besides its own methods. */
export function ResponsesSection() {
  return (
    <ReferenceSection id="responses" title="Responses">
      <TextAndCode
        textClassName="text-sm leading-6"
        text={
          <>
            <p>
              Every response, success or failure, is one JSON envelope: <InlineCode>success</InlineCode>, <InlineCode>hasError</InlineCode>, a{" "}
              <InlineCode>statusCode</InlineCode> name matching the HTTP status (<InlineCode>OK</InlineCode>, <InlineCode>Created</InlineCode>,{" "}
              <InlineCode>BadRequest</InlineCode>, …), then <InlineCode>data</InlineCode> on success or <InlineCode>error</InlineCode> on failure.
            </p>
            <p>
              <InlineCode>error.code</InlineCode> is the machine-readable reason; <InlineCode>error.message</InlineCode> says it in words;{" "}
              <InlineCode>error.technicalError</InlineCode>, when present, hints at the fix. Invalid input answers{" "}
              <InlineCode>400 validation_failed</InlineCode> with <InlineCode>error.validationErrors</InlineCode>: the messages per field. Nothing is
              changed by a request that fails.
            </p>
            <p>
              A <InlineCode>201 Created</InlineCode> answer carries a <InlineCode>Location</InlineCode> header with the path of the new key or token.
            </p>
            <p>
              Every <InlineCode>GET</InlineCode> also answers <InlineCode>HEAD</InlineCode>: the same status and headers, no body.{" "}
              <InlineCode>OPTIONS</InlineCode> on any path answers <InlineCode>204</InlineCode> with an <InlineCode>Allow</InlineCode> header naming
              the methods the path supports; any other method answers <InlineCode>405 method_not_allowed</InlineCode>, also with{" "}
              <InlineCode>Allow</InlineCode>.
            </p>
            <p className="text-muted-foreground">Times are ISO 8601 strings in UTC. A secret appears only in the response that creates it.</p>
          </>
        }
        code={
          <>
            <CodeBlock title="Success (200)" code={JSON.stringify(exampleResponseOf("revokeAllApiKeys"), null, 2)} />
            <CodeBlock title="Error (401)" code={JSON.stringify(missingKeyEnvelope(), null, 2)} />
          </>
        }
      />
    </ReferenceSection>
  );
}
