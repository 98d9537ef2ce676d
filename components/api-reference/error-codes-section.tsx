import { API_ERROR_CODES } from "@/lib/api/errors";
import { ReferenceSection } from "./reference-section";

/** Every error.code the API answers with, its status and meaning; each row anchored at #error-<code>. */
export function ErrorCodesSection() {
  return (
    <ReferenceSection id="errors" title="Errors">
      {/* Scrolls sideways on a phone: focusable, so a keyboard can scroll it too. */}
      <div
        role="region"
        aria-label="Error codes"
        tabIndex={0}
        className="overflow-x-auto rounded-md border outline-none focus-visible:ring-2 focus-visible:ring-ring"
      >
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
    </ReferenceSection>
  );
}
