import type { Locator } from "@playwright/test";
import { chooseOption } from "./select";
import { Screen } from "./screen";

/** The audit log: Admin > Audit (/admin/audit) and a workspace's (/w/<slug>/audit). */
export class AuditPage extends Screen {
  get table(): Locator {
    return this.page.getByRole("table", { name: "Audit events" });
  }

  /** The events' rows that mention `text`. */
  rows(text: string): Locator {
    return this.table.getByRole("row").filter({ hasText: text });
  }

  /** When an event's row happened (its <time>, whose datetime is exact). */
  eventTime(row: Locator): Locator {
    return row.locator("time");
  }

  get workspaceColumn(): Locator {
    return this.table.getByRole("columnheader", { name: "Workspace" });
  }

  get actionFilter(): Locator {
    return this.page.getByRole("combobox", { name: "Action" });
  }

  async filterByAction(label: string): Promise<void> {
    await chooseOption(this.actionFilter, label);
  }

  get keyFilter(): Locator {
    return this.page.getByLabel("Key name, prefix or id");
  }

  get applyFiltersButton(): Locator {
    return this.page.getByRole("button", { name: "Apply filters" });
  }
}
