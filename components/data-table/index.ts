export { DataTable, type DataTableProps, type DataTableRowSelection } from "./data-table";
export { DataTableColumnHeader, type DataTableColumnHeaderProps } from "./data-table-column-header";
export { DataTablePagination, type DataTablePaginationProps } from "./data-table-pagination";
export {
  createDataTableColumnHelper,
  dataTableFeatures,
  type DataTableCellContext,
  type DataTableColumn,
  type DataTableColumnDef,
  type DataTableColumnMeta,
  type DataTableFeatures,
  type DataTableHeaderContext,
  type DataTableInstance,
  type DataTableRow,
} from "./features";
export {
  DEFAULT_PAGE_SIZE,
  PAGE_SIZE_OPTIONS,
  parseDataTableSearchParams,
  type DataTableSearchParams,
  type DataTableSort,
  type ParseDataTableSearchParamsOptions,
  type SortDir,
} from "./search-params";
