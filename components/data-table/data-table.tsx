"use client";

/*
 * Usage (types only; columns live in a "use client" module because cells are functions):
 *
 *   // components/api-keys/api-key-columns.tsx
 *   "use client";
 *   import { createDataTableColumnHelper, DataTableColumnHeader } from "@/components/data-table";
 *   import { RelativeTime } from "@/components/ui/relative-time";
 *
 *   type ApiKeyRow = { id: string; name: string; prefix: string; createdAt: Date; lastUsedAt: Date | null };
 *   const col = createDataTableColumnHelper<ApiKeyRow>();
 *
 *   export const apiKeyColumns = col.columns([
 *     col.accessor("name", {
 *       header: ({ column }) => <DataTableColumnHeader column={column} title="Name" />,
 *       cell: ({ getValue }) => <span className="font-medium">{getValue()}</span>,   // getValue(): string
 *     }),
 *     col.accessor("prefix", {
 *       header: "Key",                       // plain string header: not a sort button
 *       enableSorting: false,
 *       meta: { cellClassName: "font-mono" },
 *     }),
 *     col.accessor("lastUsedAt", {
 *       header: ({ column }) => <DataTableColumnHeader column={column} title="Last used" />,
 *       cell: ({ getValue }) => <RelativeTime value={getValue()} />,                 // Date | null
 *     }),
 *     col.display({
 *       id: "actions",
 *       header: () => <span className="sr-only">Actions</span>,
 *       cell: ({ row }) => <ApiKeyActions apiKey={row.original} />,
 *       meta: { headerClassName: "w-0", cellClassName: "text-right" },
 *     }),
 *   ]);
 *
 *   // in a page (server component), after reading the same params with parseDataTableSearchParams:
 *   <DataTable columns={apiKeyColumns} data={rows} rowCount={total} ariaLabel="API keys"
 *     defaultSort={{ id: "createdAt", dir: "desc" }} emptyState={<p>No keys yet. Create one.</p>} />
 *
 * The column `id` (accessor key unless `id` is given) is what lands in `?sort=`.
 *
 * Row selection (opt-in): pass `enableRowSelection` (true, or a predicate per row) and the
 * table adds a checkbox column, with "select all on this page" in its header. Keep the
 * selection in the page with `rowSelection` + `onRowSelectionChange` to act on it:
 *
 *   const [selected, setSelected] = useState<DataTableRowSelection>({});
 *   <DataTable … enableRowSelection={(key) => key.state !== "revoked"} getRowSelectionLabel={(key) => `Select ${key.name}`}
 *     rowSelection={selected} onRowSelectionChange={setSelected} />
 *
 * Selection is cleared when the table changes page or sort (the rows it named are gone).
 */

import * as React from "react";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { functionalUpdate, useTable, type PaginationState, type RowSelectionState, type SortingState } from "@tanstack/react-table";

import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Table, TableBody, TableCaption, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { cn } from "@/lib/utils";

import { DataTablePagination } from "./data-table-pagination";
import { createDataTableColumnHelper, dataTableFeatures, type DataTableColumnDef } from "./features";
import { DEFAULT_PAGE_SIZE, PAGE_SIZE_OPTIONS, parseDataTableSearchParams, type DataTableSort } from "./search-params";

export type DataTableProps<TData extends object> = {
  /** Built with `createDataTableColumnHelper<TData>().columns([...])`; keep the array's identity stable. */
  columns: ReadonlyArray<DataTableColumnDef<TData>>;
  /** The current page of rows, already sorted and sliced by the server. */
  data: ReadonlyArray<TData>;
  /** Total rows on the server, for "Showing 1–20 of 57" and the page count. */
  rowCount: number;
  /** Shown in one full-width cell when there are no rows at all. Say what to do next. */
  emptyState: React.ReactNode;
  /** Row key; defaults to `row.id` when it is a string or number, else the index. */
  getRowId?: (row: TData, index: number) => string;
  /** Visually hidden <caption> describing the table. */
  caption?: React.ReactNode;
  /** aria-label of the <table>. */
  ariaLabel?: string;
  /** The order the server uses when the URL has no `sort`, so the header shows it. */
  defaultSort?: DataTableSort;
  pageSizeOptions?: readonly number[];
  defaultPageSize?: number;
  /** Rendered above the table (filters, search, actions). */
  toolbar?: React.ReactNode;
  className?: string;
  /** Adds a checkbox column; a predicate decides per row (e.g. not for revoked keys). Off by default. */
  enableRowSelection?: boolean | ((row: TData) => boolean);
  /** Selected row ids (from `getRowId`). Controlled when given; otherwise the table keeps its own. */
  rowSelection?: DataTableRowSelection;
  onRowSelectionChange?: (next: DataTableRowSelection) => void;
  /** Accessible name of a row's checkbox, e.g. `Select Billing sync`; keep its identity stable. */
  getRowSelectionLabel?: (row: TData) => string;
};

/** Selected row ids → true. */
export type DataTableRowSelection = RowSelectionState;

const EMPTY_SELECTION: DataTableRowSelection = {};

/** The checkbox column; its header selects or clears every selectable row on the page. */
function selectionColumn<TData extends object>(label?: (row: TData) => string): DataTableColumnDef<TData> {
  const col = createDataTableColumnHelper<TData>();
  return col.display({
    id: "select",
    enableSorting: false,
    header: ({ table }) => {
      const all = table.getIsAllPageRowsSelected();
      const some = table.getIsSomePageRowsSelected();
      const selectable = table.getRowModel().rows.some((row) => row.getCanSelect());
      return (
        <Checkbox
          aria-label="Select all rows on this page"
          checked={all ? true : some ? "indeterminate" : false}
          disabled={!selectable}
          onCheckedChange={(value) => table.toggleAllPageRowsSelected(value === true)}
          className="translate-y-0.5"
        />
      );
    },
    cell: ({ row }) => (
      <Checkbox
        aria-label={label ? label(row.original) : "Select row"}
        checked={row.getIsSelected()}
        disabled={!row.getCanSelect()}
        onCheckedChange={(value) => row.toggleSelected(value === true)}
        className="translate-y-0.5"
      />
    ),
    meta: { headerClassName: "w-0 pr-0", cellClassName: "w-0 pr-0" },
  });
}

function defaultRowId(row: object, index: number): string {
  const id = (row as { id?: unknown }).id;
  return typeof id === "string" || typeof id === "number" ? String(id) : String(index);
}

/**
 * A table whose page, page size and sort live in the URL (`page`, `pageSize`, `sort`, `dir`).
 * Changing them replaces the URL (other params kept), so the server component re-renders with
 * new `data`; the old rows stay visible, dimmed and `aria-busy`, until the new ones arrive.
 */
export function DataTable<TData extends object>({
  columns,
  data,
  rowCount,
  emptyState,
  getRowId,
  caption,
  ariaLabel,
  defaultSort,
  pageSizeOptions = PAGE_SIZE_OPTIONS,
  defaultPageSize = DEFAULT_PAGE_SIZE,
  toolbar,
  className,
  enableRowSelection = false,
  rowSelection: controlledSelection,
  onRowSelectionChange,
  getRowSelectionLabel,
}: DataTableProps<TData>) {
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const [isPending, startTransition] = React.useTransition();
  // Reflects a click at once (arrow, page number) and lets quick repeated clicks build on each other.
  const [query, setOptimisticQuery] = React.useOptimistic(searchParams.toString());

  const { page, pageSize, sort, dir } = parseDataTableSearchParams(new URLSearchParams(query), {
    defaultSort,
    pageSizeOptions,
    defaultPageSize,
  });

  const sorting = React.useMemo<SortingState>(() => (sort ? [{ id: sort, desc: dir === "desc" }] : []), [sort, dir]);
  const pagination = React.useMemo<PaginationState>(() => ({ pageIndex: page - 1, pageSize }), [page, pageSize]);

  const selectable = enableRowSelection !== false;
  const [ownSelection, setOwnSelection] = React.useState<DataTableRowSelection>(EMPTY_SELECTION);
  const rowSelection = selectable ? (controlledSelection ?? ownSelection) : EMPTY_SELECTION;
  const setRowSelection = React.useCallback(
    (next: DataTableRowSelection) => {
      if (controlledSelection === undefined) setOwnSelection(next);
      onRowSelectionChange?.(next);
    },
    [controlledSelection, onRowSelectionChange],
  );
  const canSelectRow = React.useMemo(
    () => (typeof enableRowSelection === "function" ? (row: { original: TData }) => enableRowSelection(row.original) : enableRowSelection),
    [enableRowSelection],
  );
  const allColumns = React.useMemo(
    () => (selectable ? [selectionColumn(getRowSelectionLabel), ...columns] : columns),
    [selectable, getRowSelectionLabel, columns],
  );

  function navigate(mutate: (params: URLSearchParams) => void) {
    const next = new URLSearchParams(query);
    mutate(next);
    const qs = next.toString();
    // Another page or order shows other rows: a selection of the old ones would act unseen.
    if (selectable && Object.keys(rowSelection).length > 0) setRowSelection(EMPTY_SELECTION);
    startTransition(() => {
      setOptimisticQuery(qs);
      router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
    });
  }

  const table = useTable({
    features: dataTableFeatures,
    columns: allColumns,
    data,
    rowCount,
    getRowId: getRowId ?? defaultRowId,
    manualSorting: true,
    manualPagination: true,
    enableMultiSort: false,
    enableSortingRemoval: false,
    // Never let the table reset state on new data: each reset would be a navigation.
    autoResetAll: false,
    autoResetPageIndex: false,
    enableRowSelection: canSelectRow,
    enableMultiRowSelection: true,
    state: { sorting, pagination, rowSelection },
    onRowSelectionChange: (updater) => setRowSelection(functionalUpdate(updater, rowSelection)),
    onSortingChange: (updater) => {
      const [next] = functionalUpdate(updater, sorting);
      navigate((params) => {
        const nextDir = next?.desc ? "desc" : "asc";
        if (!next || (defaultSort && next.id === defaultSort.id && nextDir === defaultSort.dir)) {
          params.delete("sort");
          params.delete("dir");
        } else {
          params.set("sort", next.id);
          params.set("dir", nextDir);
        }
        params.delete("page");
      });
    },
    onPaginationChange: (updater) => {
      const next = functionalUpdate(updater, pagination);
      navigate((params) => {
        const sizeChanged = next.pageSize !== pagination.pageSize;
        const nextPage = sizeChanged ? 1 : next.pageIndex + 1;
        if (nextPage <= 1) params.delete("page");
        else params.set("page", String(nextPage));
        if (next.pageSize === defaultPageSize) params.delete("pageSize");
        else params.set("pageSize", String(next.pageSize));
      });
    },
  });

  const rows = table.getRowModel().rows;
  const columnCount = table.getAllLeafColumns().length;

  return (
    <div data-slot="data-table" className={cn("flex min-w-0 flex-col gap-3", className)}>
      {toolbar}
      <div className="overflow-hidden rounded-lg border bg-card">
        <Table aria-label={ariaLabel} aria-busy={isPending || undefined} className={cn("transition-opacity", isPending && "opacity-60")}>
          {caption ? <TableCaption className="sr-only">{caption}</TableCaption> : null}
          <TableHeader className="bg-muted/40">
            {table.getHeaderGroups().map((headerGroup) => (
              <TableRow key={headerGroup.id} className="hover:bg-transparent">
                {headerGroup.headers.map((header) => {
                  const sorted = header.column.getCanSort() ? header.column.getIsSorted() : false;
                  return (
                    <TableHead
                      key={header.id}
                      colSpan={header.colSpan > 1 ? header.colSpan : undefined}
                      scope="col"
                      aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : undefined}
                      className={header.column.columnDef.meta?.headerClassName}
                    >
                      {header.isPlaceholder ? null : <table.FlexRender header={header} />}
                    </TableHead>
                  );
                })}
              </TableRow>
            ))}
          </TableHeader>
          <TableBody>
            {rows.length > 0 ? (
              rows.map((row) => (
                <TableRow key={row.id} data-state={selectable && row.getIsSelected() ? "selected" : undefined}>
                  {row.getAllCells().map((cell) => (
                    <TableCell key={cell.id} className={cell.column.columnDef.meta?.cellClassName}>
                      <table.FlexRender cell={cell} />
                    </TableCell>
                  ))}
                </TableRow>
              ))
            ) : (
              <TableRow className="hover:bg-transparent">
                <TableCell colSpan={columnCount} className="h-40 text-center whitespace-normal">
                  {rowCount > 0 ? (
                    // The URL points past the last page (e.g. after deletions).
                    <div className="flex flex-col items-center gap-2">
                      <p className="text-muted-foreground">There is nothing on this page.</p>
                      <Button variant="outline" size="sm" onClick={() => table.firstPage()}>
                        Go to the first page
                      </Button>
                    </div>
                  ) : (
                    emptyState
                  )}
                </TableCell>
              </TableRow>
            )}
          </TableBody>
        </Table>
      </div>
      {rowCount > 0 ? <DataTablePagination table={table} pageSizeOptions={pageSizeOptions} /> : null}
    </div>
  );
}
