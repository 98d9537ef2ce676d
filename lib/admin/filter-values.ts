/**
 * The filter params as the URL has them (to refill the toolbar), and the query string of the
 * valid ones (for the export link, so the CSV holds exactly what the table shows).
 */
export function filterValues(
  raw: Record<string, string | undefined>,
  names: readonly string[],
  errors: Record<string, string>,
): { values: Record<string, string>; query: string } {
  const values: Record<string, string> = {};
  const valid = new URLSearchParams();
  for (const name of names) {
    const value = raw[name];
    if (!value) continue;
    values[name] = value;
    if (!errors[name]) valid.set(name, value);
  }
  return { values, query: valid.toString() };
}
