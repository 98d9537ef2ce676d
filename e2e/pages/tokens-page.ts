import { expect, type Locator } from "@playwright/test";
import { Screen } from "./screen";
import { ShownSecret } from "./shown-secret";

/** The cells of a token row, by column. */
export const TOKEN_COLUMNS = { name: 0, token: 1, created: 2, expires: 3, lastUsed: 4 } as const;

/** Account > Personal tokens (/w/<slug>/account/tokens). */
export class TokensPage extends Screen {
  async open(slug = "acme"): Promise<void> {
    await this.page.goto(`/w/${slug}/account/tokens`);
    await expect(this.firstHeading(2)).toBeVisible();
  }

  get table(): Locator {
    return this.page.getByRole("table", { name: "Personal tokens" });
  }

  /** The table's rows, the header row included. */
  get rows(): Locator {
    return this.table.getByRole("row");
  }

  /** The row of a personal token, found by its name. */
  row(name: string): Locator {
    return this.table.getByRole("row").filter({ has: this.page.getByRole("cell", { name, exact: true }) });
  }

  /** A cell of a token's row. */
  cell(name: string, column: keyof typeof TOKEN_COLUMNS): Locator {
    return this.row(name).getByRole("cell").nth(TOKEN_COLUMNS[column]);
  }

  deleteButton(name: string): Locator {
    return this.row(name).getByRole("button", { name: `Delete ${name}` });
  }

  get createButton(): Locator {
    return this.page.getByRole("button", { name: "Create token" });
  }

  get deleteAllButton(): Locator {
    return this.page.getByRole("button", { name: "Delete all tokens" });
  }

  /** Shown instead of the table where the member may not have tokens. */
  get unavailable(): Locator {
    return this.page.getByRole("region", { name: "Personal tokens are not available" });
  }

  get unavailableTitle(): Locator {
    return this.heading("Personal tokens are not available");
  }

  get createDialog(): Locator {
    return this.page.getByRole("dialog", { name: "Create personal token" });
  }

  get nameField(): Locator {
    return this.createDialog.getByLabel("Name");
  }

  get createInDialogButton(): Locator {
    return this.createDialog.getByRole("button", { name: "Create token" });
  }

  get createdDialog(): Locator {
    return this.page.getByRole("dialog", { name: "Personal token created" });
  }

  /** The secret, Copy and Done in the show-once dialog. */
  get shown(): ShownSecret {
    return new ShownSecret(this.createdDialog);
  }

  deleteConfirm(name: string): Locator {
    return this.page.getByRole("alertdialog", { name: `Delete “${name}”?` });
  }

  get yesDeleteButton(): Locator {
    return this.page.getByRole("alertdialog").getByRole("button", { name: "Yes, delete" });
  }

  deleteAllConfirm(count: number): Locator {
    return this.page.getByRole("alertdialog", { name: `Delete all ${count} tokens?` });
  }

  get confirmDeleteAllButton(): Locator {
    return this.page.getByRole("alertdialog").getByRole("button", { name: "Delete all tokens" });
  }

  /** Creates a personal token through the dialog; returns its secret, read from the show-once dialog. */
  async createToken(name: string): Promise<string> {
    await this.createButton.click();
    await this.nameField.fill(name);
    await this.createInDialogButton.click();
    return this.shown.take();
  }

  /** Deletes whatever tokens the page still lists (clean-up after a failure part-way). */
  async deleteAnyTokens(): Promise<void> {
    await this.open();
    if ((await this.deleteAllButton.count()) === 0 || (await this.deleteAllButton.isDisabled())) return;
    await this.deleteAllButton.click();
    await this.chooseRevocationReason();
    await this.confirmDeleteAllButton.click();
    await expect(this.page.getByText("No personal tokens")).toBeVisible();
  }
}
