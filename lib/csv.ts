// CSV for the admin exports (RFC 4180), streamed in batches so an export of 100,000 keys or a
// million audit events never sits in memory at once.
import { AppError } from "@/lib/errors";
import { searchParamsRecord } from "@/lib/validations/admin";

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab / carriage return, which some
 * of them strip before looking) as a formula: a key named `=HYPERLINK(…)` must stay text.
 * OWASP's advice: prefix such cells with a single quote. A spreadsheet set to a `;` (or tab)
 * locale splits a cell again at those characters, quotes or not, so a formula right after a
 * `;`, `,` or tab inside the text (spaces between allowed) is prefixed as well.
 */
export function neutraliseFormula(value: string): string {
  const inner = value.replace(/([;,\t])(?=[ ]*[=+\-@\t\r])/g, "$1'");
  return /^[=+\-@\t\r]/.test(inner) ? `'${inner}` : inner;
}

/** One cell: formula-neutralised, then quoted when it holds a quote, separator or line break. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = neutraliseFormula(value instanceof Date ? value.toISOString() : String(value));
  // `;` and tab are not separators to RFC 4180, but are to spreadsheets in many locales.
  return /[",;\t\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record, CRLF-terminated as RFC 4180 asks. */
export function csvRow(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}

/**
 * A byte stream of a header row and then one batch of records per pull, so the database is
 * read only as fast as the client downloads.
 */
export function csvStream<T>(
  header: readonly string[],
  batches: AsyncIterator<T[]>,
  toRecord: (row: T) => readonly unknown[],
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(csvRow(header)));
    },
    async pull(controller) {
      try {
        // Enqueue something (or close) before returning: a pull that adds nothing is not repeated.
        for (;;) {
          const { value, done } = await batches.next();
          if (done) return controller.close();
          if (value.length === 0) continue;
          return controller.enqueue(encoder.encode(value.map((row) => csvRow(toRecord(row))).join("")));
        }
      } catch (err) {
        // Log the kind of failure only: driver messages can carry query parameters.
        console.error(`[csv] export failed: ${(err as Error)?.name ?? "error"}`);
        controller.error(err);
      }
    },
    async cancel() {
      await batches.return?.();
    },
  });
}

/** The download response: attachment, never cached, named `<base>-<YYYY-MM-DD>.csv`. */
export function csvResponse(base: string, body: ReadableStream<Uint8Array>, now = new Date()): Response {
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${base}-${now.toISOString().slice(0, 10)}.csv"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}

/** Parses an export's URL filters; bad ones answer 400 with the reason, as plain text. */
export function exportFilters<T>(request: Request, parse: (raw: Record<string, string | undefined>) => T): { filters: T } | { response: Response } {
  try {
    return { filters: parse(searchParamsRecord(new URL(request.url).searchParams)) };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { response: new Response(`${err.message}\n`, { status: 400, headers: { "content-type": "text/plain; charset=utf-8" } }) };
  }
}
