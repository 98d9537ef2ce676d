// No "use client": column definitions (client) and pages (server) both import from here.
import {
  createColumnHelper,
  metaHelper,
  rowPaginationFeature,
  rowSelectionFeature,
  rowSortingFeature,
  tableFeatures,
  type CellContext,
  type Column,
  type ColumnDef,
  type ColumnHelper,
  type HeaderContext,
  type Row,
  type RowData,
  type Table,
} from "@tanstack/react-table";

/** Per-column presentation hints read by <DataTable>. Set them in a column's `meta`. */
export type DataTableColumnMeta = {
  /** Classes for this column's <th>, e.g. "w-0" or "text-right". */
  headerClassName?: string;
  /** Classes for this column's <td>s, e.g. "font-mono" or "text-right". */
  cellClassName?: string;
};

/**
 * The one feature set every DataTable uses: sorting and pagination state (both processed on the
 * server), row selection (off unless a table asks for it), plus typed column meta.
 * Module-level so its identity is stable, as TanStack v9 requires.
 */
export const dataTableFeatures = tableFeatures({
  rowSortingFeature,
  rowPaginationFeature,
  rowSelectionFeature,
  columnMeta: metaHelper<DataTableColumnMeta>(),
});

export type DataTableFeatures = typeof dataTableFeatures;

// `any` as TanStack's own `columns()` helper uses: one array holds columns of different value types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DataTableColumnDef<TData extends RowData, TValue = any> = ColumnDef<DataTableFeatures, TData, TValue>;
export type DataTableColumn<TData extends RowData, TValue = unknown> = Column<DataTableFeatures, TData, TValue>;
export type DataTableRow<TData extends RowData> = Row<DataTableFeatures, TData>;
export type DataTableInstance<TData extends RowData> = Table<DataTableFeatures, TData>;
export type DataTableCellContext<TData extends RowData, TValue = unknown> = CellContext<DataTableFeatures, TData, TValue>;
export type DataTableHeaderContext<TData extends RowData, TValue = unknown> = HeaderContext<DataTableFeatures, TData, TValue>;

/** `createColumnHelper<DataTableFeatures, TData>()`: use `.columns([...])` to keep per-column value types. */
export function createDataTableColumnHelper<TData extends RowData>(): ColumnHelper<DataTableFeatures, TData> {
  return createColumnHelper<DataTableFeatures, TData>();
}
