// No "use client": the server page parses the same params the client table writes.

export const PAGE_SIZE_OPTIONS = [10, 20, 50, 100] as const;
export const DEFAULT_PAGE_SIZE = 20;

export type SortDir = "asc" | "desc";
export type DataTableSort = { id: string; dir: SortDir };

export type DataTableSearchParams = {
  /** 1-based. */
  page: number;
  pageSize: number;
  /** Rows to skip: (page - 1) * pageSize. */
  offset: number;
  /** Column id, or null when neither the URL nor `defaultSort` names one. */
  sort: string | null;
  dir: SortDir;
};

export type ParseDataTableSearchParamsOptions = {
  /** Column ids the server can sort by; any other `sort` falls back to `defaultSort`. Omit to accept any. */
  sortable?: readonly string[];
  defaultSort?: DataTableSort;
  pageSizeOptions?: readonly number[];
  defaultPageSize?: number;
};

type SearchParamsInput = URLSearchParams | { get(name: string): string | null } | Record<string, string | string[] | undefined>;

function read(params: SearchParamsInput, name: string): string | null {
  if (typeof (params as URLSearchParams).get === "function") {
    return (params as URLSearchParams).get(name);
  }
  const value = (params as Record<string, string | string[] | undefined>)[name];
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

function positiveInt(raw: string | null): number | null {
  if (raw === null || !/^\d{1,9}$/.test(raw)) return null;
  const n = Number(raw);
  return n >= 1 ? n : null;
}

/**
 * Reads `page`, `pageSize`, `sort` and `dir` from the URL, tolerating junk (falls back to defaults).
 * Accepts `await props.searchParams` in a page, or `useSearchParams()` on the client.
 *
 *   const { offset, pageSize, sort, dir } = parseDataTableSearchParams(await searchParams, {
 *     sortable: ["name", "createdAt", "lastUsedAt"],
 *     defaultSort: { id: "createdAt", dir: "desc" },
 *   });
 */
export function parseDataTableSearchParams(params: SearchParamsInput, options: ParseDataTableSearchParamsOptions = {}): DataTableSearchParams {
  const pageSizeOptions = options.pageSizeOptions ?? PAGE_SIZE_OPTIONS;
  const defaultPageSize = options.defaultPageSize ?? DEFAULT_PAGE_SIZE;

  const page = positiveInt(read(params, "page")) ?? 1;
  const requestedSize = positiveInt(read(params, "pageSize"));
  const pageSize = requestedSize !== null && pageSizeOptions.includes(requestedSize) ? requestedSize : defaultPageSize;

  const rawSort = read(params, "sort");
  const rawDir = read(params, "dir");
  let sort: string | null = null;
  let dir: SortDir = "asc";
  if (rawSort && (!options.sortable || options.sortable.includes(rawSort))) {
    sort = rawSort;
    dir = rawDir === "desc" ? "desc" : rawDir === "asc" ? "asc" : options.defaultSort?.id === rawSort ? options.defaultSort.dir : "asc";
  } else if (options.defaultSort) {
    sort = options.defaultSort.id;
    dir = options.defaultSort.dir;
  }

  return { page, pageSize, offset: (page - 1) * pageSize, sort, dir };
}
