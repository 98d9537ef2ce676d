"use client";

import * as React from "react";
import { ArrowDownIcon, ArrowUpIcon, ChevronsUpDownIcon } from "lucide-react";
import type { RowData } from "@tanstack/react-table";

import { cn } from "@/lib/utils";

import type { DataTableColumn } from "./features";

export type DataTableColumnHeaderProps<TData extends RowData, TValue> = {
  column: DataTableColumn<TData, TValue>;
  /** Visible text and the button's accessible name. */
  title: string;
  className?: string;
};

/**
 * A header that sorts on the server: a click flips asc/desc (first click uses the column's first
 * direction: ascending for text, descending for dates and numbers, or `sortDescFirst`). The
 * current order is announced through `aria-sort` on the <th>, which <DataTable> sets.
 * Columns with `enableSorting: false` (or without an accessor) render plain text.
 */
export function DataTableColumnHeader<TData extends RowData, TValue>({ column, title, className }: DataTableColumnHeaderProps<TData, TValue>) {
  if (!column.getCanSort()) {
    return <span className={className}>{title}</span>;
  }

  const sorted = column.getIsSorted();
  const Icon = sorted === "asc" ? ArrowUpIcon : sorted === "desc" ? ArrowDownIcon : ChevronsUpDownIcon;

  return (
    <button
      type="button"
      onClick={() => column.toggleSorting(undefined, false)}
      data-sorted={sorted || undefined}
      className={cn(
        "-mx-2 inline-flex h-7 items-center gap-1 rounded-md px-2 text-xs font-medium text-muted-foreground outline-none transition-colors",
        "hover:bg-accent hover:text-accent-foreground focus-visible:ring-2 focus-visible:ring-ring",
        "data-sorted:text-foreground",
        className,
      )}
    >
      {title}
      <Icon aria-hidden="true" className={cn("size-3.5 shrink-0", !sorted && "opacity-60")} />
    </button>
  );
}
