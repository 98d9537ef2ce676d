import { sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

// LIKE patterns from user text. Wildcards in the text match literally (backslash is
// PostgreSQL's default LIKE escape); the pattern is lower-cased to pair with `lower(column)`,
// which lets a "starts with" search use a `text_pattern_ops` index.

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** `lower(col) LIKE startsWith(x)`: case-insensitive prefix match, index-friendly. */
export function startsWith(text: string): string {
  return `${escapeLike(text.toLowerCase())}%`;
}

/** `col ILIKE contains(x)`: case-insensitive substring match (for small tables such as users). */
export function contains(text: string): string {
  return `%${escapeLike(text)}%`;
}

/**
 * `col = any(array(select …))`: the sub-select runs once and its ids feed an index scan (and
 * can be OR-ed with other index scans), where `col in (select …)` would filter row by row.
 */
export function anyOf(column: AnyPgColumn, subquery: SQL): SQL {
  return sql`${column} = any(array(${subquery}))`;
}
