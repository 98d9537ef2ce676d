"use client";

import * as React from "react";
import { ChevronLeftIcon, ChevronRightIcon, ChevronsLeftIcon, ChevronsRightIcon } from "lucide-react";
import type { RowData } from "@tanstack/react-table";

import { Button } from "@/components/ui/button";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { cn } from "@/lib/utils";

import type { DataTableInstance } from "./features";
import { PAGE_SIZE_OPTIONS } from "./search-params";

export type DataTablePaginationProps<TData extends RowData> = {
  table: DataTableInstance<TData>;
  pageSizeOptions?: readonly number[];
  className?: string;
};

const numberFormat = new Intl.NumberFormat("en-US");

/** "Showing 1–20 of 57", rows per page, "Page 1 of 3", previous/next (and first/last) page buttons. */
export function DataTablePagination<TData extends RowData>({
  table,
  pageSizeOptions = PAGE_SIZE_OPTIONS,
  className,
}: DataTablePaginationProps<TData>) {
  const labelId = React.useId();
  const { pageIndex, pageSize } = table.atoms.pagination.get();
  const rowCount = table.getRowCount();
  const pageCount = Math.max(1, table.getPageCount());
  const from = rowCount === 0 ? 0 : Math.min(pageIndex * pageSize + 1, rowCount);
  const to = Math.min((pageIndex + 1) * pageSize, rowCount);
  const canPrevious = table.getCanPreviousPage();
  const canNext = table.getCanNextPage();

  return (
    <div
      data-slot="data-table-pagination"
      className={cn("flex flex-wrap items-center justify-between gap-x-6 gap-y-2 text-sm tabular-nums", className)}
    >
      <p className="text-muted-foreground" aria-live="polite">
        {rowCount === 0 ? "Showing 0 of 0" : `Showing ${numberFormat.format(from)}–${numberFormat.format(to)} of ${numberFormat.format(rowCount)}`}
      </p>
      <div className="flex flex-wrap items-center gap-x-6 gap-y-2">
        <div className="flex items-center gap-2">
          <span id={labelId} className="text-muted-foreground">
            Rows per page
          </span>
          <Select value={String(pageSize)} onValueChange={(value) => table.setPageSize(Number(value))}>
            <SelectTrigger size="sm" aria-labelledby={labelId} className="w-[4.5rem]">
              {/* Explicit text: Radix fills an empty <SelectValue /> only after hydration. */}
              <SelectValue>{pageSize}</SelectValue>
            </SelectTrigger>
            <SelectContent>
              {pageSizeOptions.map((size) => (
                <SelectItem key={size} value={String(size)}>
                  {size}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </div>
        <p className="min-w-[6.5rem] text-center">
          Page {numberFormat.format(pageIndex + 1)} of {numberFormat.format(pageCount)}
        </p>
        <div className="flex items-center gap-1">
          <PageButton label="First page" enabled={canPrevious} onPress={() => table.firstPage()} wide>
            <ChevronsLeftIcon aria-hidden="true" />
          </PageButton>
          <PageButton label="Previous page" enabled={canPrevious} onPress={() => table.previousPage()}>
            <ChevronLeftIcon aria-hidden="true" />
          </PageButton>
          <PageButton label="Next page" enabled={canNext} onPress={() => table.nextPage()}>
            <ChevronRightIcon aria-hidden="true" />
          </PageButton>
          <PageButton label="Last page" enabled={table.getCanLastPage()} onPress={() => table.lastPage()} wide>
            <ChevronsRightIcon aria-hidden="true" />
          </PageButton>
        </div>
      </div>
    </div>
  );
}

/**
 * aria-disabled rather than disabled: a button that becomes unavailable under the keyboard
 * (Next on reaching the last page) keeps focus instead of dropping it to <body>.
 */
function PageButton({
  label,
  enabled,
  onPress,
  wide = false,
  children,
}: {
  label: string;
  enabled: boolean;
  onPress: () => void;
  /** Only on wider screens (first/last). */
  wide?: boolean;
  children: React.ReactNode;
}) {
  return (
    <Button
      variant="outline"
      size="icon"
      className={cn("size-8", wide && "hidden sm:inline-flex")}
      aria-label={label}
      aria-disabled={!enabled || undefined}
      onClick={() => {
        if (enabled) onPress();
      }}
    >
      {children}
    </Button>
  );
}
