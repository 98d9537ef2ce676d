import type { Locator } from "@playwright/test";
import { Screen } from "./screen";

/** Admin > Keys (/admin/keys, Global Admins only): every workspace's keys. */
export class AdminKeysPage extends Screen {
  /** Opens the inventory, with a search (q) when given. */
  async goto(query?: string): Promise<void> {
    await this.page.goto(query === undefined ? "/admin/keys" : `/admin/keys?${query}`);
  }

  get table(): Locator {
    return this.page.getByRole("table", { name: "All API keys" });
  }

  /** The table's rows that mention `text` (or every row, header included). */
  rows(text?: string): Locator {
    const rows = this.table.getByRole("row");
    return text === undefined ? rows : rows.filter({ hasText: text });
  }

  get nameSortButton(): Locator {
    return this.table.getByRole("button", { name: "Name" });
  }

  get nameHeader(): Locator {
    return this.table.getByRole("columnheader", { name: "Name" });
  }

  /** The Name column's cells, top to bottom. */
  get nameCells(): Locator {
    return this.table.locator("tbody tr td:nth-child(2)");
  }

  get expiringWithin(): Locator {
    return this.page.getByLabel("Expiring within (days)");
  }

  get applyFiltersButton(): Locator {
    return this.page.getByRole("button", { name: "Apply filters" });
  }

  get resetButton(): Locator {
    return this.page.getByRole("button", { name: "Reset" });
  }

  get exportLink(): Locator {
    return this.page.getByRole("link", { name: "Export CSV" });
  }

  /** A row's selection checkbox. */
  select(name: string, workspace: string): Locator {
    return this.page.getByRole("checkbox", { name: `Select ${name} (${workspace})` });
  }

  get revokeSelectedButton(): Locator {
    return this.page.getByRole("button", { name: "Revoke selected" });
  }

  get disableSelectedButton(): Locator {
    return this.page.getByRole("button", { name: "Disable selected" });
  }

  /** The confirmation of a bulk action, e.g. "Revoke 2 keys?". */
  confirm(title: string): Locator {
    return this.page.getByRole("alertdialog", { name: title });
  }

  /** The button that carries out a bulk action in its confirmation, e.g. "Revoke 2 keys". */
  confirmButton(title: string, label: string): Locator {
    return this.confirm(title).getByRole("button", { name: label });
  }
}
