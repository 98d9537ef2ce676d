import { CREDENTIAL_CHANNELS } from "@/lib/api/openapi";
import { InlineCode } from "./inline-code";

/** The places a key is looked for, in the order the API looks. */
export function CredentialChannels() {
  return (
    <ol className="grid list-decimal gap-1.5 pl-5">
      {CREDENTIAL_CHANNELS.map((c) => (
        <li key={c.value}>
          {c.where} <InlineCode>{c.value}</InlineCode>
          <span className="block text-muted-foreground">{c.note}</span>
        </li>
      ))}
    </ol>
  );
}
