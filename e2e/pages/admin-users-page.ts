import { expect, type Locator } from "@playwright/test";
import { recordSecret } from "../helpers";
import { chooseOption } from "./select";
import { Screen } from "./screen";

const OTP_RE = /^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/;

/** Admin > Users (/admin/users, Global Admins only). */
export class AdminUsersPage extends Screen {
  async goto(query?: string): Promise<void> {
    await this.page.goto(query === undefined ? "/admin/users" : `/admin/users?${query}`);
  }

  get table(): Locator {
    return this.page.getByRole("table", { name: "Users" });
  }

  row(text: string): Locator {
    return this.table.getByRole("row").filter({ hasText: text });
  }

  get searchField(): Locator {
    return this.page.getByLabel("Search name or email");
  }

  /** Filters the table to the users matching `text`. */
  async search(text: string): Promise<void> {
    await this.searchField.fill(text);
    await this.page.getByRole("button", { name: "Apply filters" }).click();
  }

  /** Every button in a row (the actions offered on that user). */
  buttonsIn(row: Locator): Locator {
    return row.getByRole("button");
  }

  /** A row's action (Disable, Re-enable, Delete), named after the user. */
  action(text: string, label: `${"Disable" | "Re-enable" | "Delete"} ${string}`): Locator {
    return this.row(text).getByRole("button", { name: label });
  }

  /** Confirms a row action in its dialog, e.g. ("Disable Dana?", "Disable user"). */
  async confirm(title: string, button: string): Promise<void> {
    await this.page.getByRole("alertdialog", { name: title }).getByRole("button", { name: button }).click();
  }

  // ── Create user ─────────────────────────────────────────────────────────────────────────

  get createButton(): Locator {
    return this.page.getByRole("button", { name: "Create user" });
  }

  get createDialog(): Locator {
    return this.page.getByRole("dialog", { name: "Create user" });
  }

  get createInDialogButton(): Locator {
    return this.createDialog.getByRole("button", { name: "Create user" });
  }

  get workspaceField(): Locator {
    return this.createDialog.getByLabel("Workspace");
  }

  get roleField(): Locator {
    return this.createDialog.getByLabel("Role");
  }

  get createdDialog(): Locator {
    return this.page.getByRole("dialog", { name: "User created" });
  }

  /** Creates a user through the dialog as the Global Admin on this page; returns the one-time password. */
  async createUser(opts: { name: string; email: string; workspace?: string; role?: string }): Promise<string> {
    await this.goto();
    await this.createButton.click();
    await this.createDialog.getByLabel("Name").fill(opts.name);
    await this.createDialog.getByLabel("Email").fill(opts.email);
    if (opts.workspace) {
      await chooseOption(this.workspaceField, opts.workspace);
      if (opts.role) await chooseOption(this.roleField, opts.role);
    }
    await this.createInDialogButton.click();
    await expect(this.createdDialog).toBeVisible();
    const otp = await this.createdDialog.getByLabel("One-time password").inputValue();
    expect(otp).toMatch(OTP_RE);
    recordSecret(otp);
    await this.createdDialog.getByRole("button", { name: "Done" }).click();
    await expect(this.createdDialog).toBeHidden();
    return otp;
  }
}
