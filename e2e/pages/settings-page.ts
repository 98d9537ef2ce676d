import { expect, type Locator } from "@playwright/test";
import { chooseOption } from "./select";
import { Screen } from "./screen";

export type RoleLabel = "Admin" | "Manager" | "Member" | "Guest";
export type SettingsSwitch = "API key authentication" | "Allow personal tokens";

/** Workspace settings (/w/<slug>/settings, Admins only): API settings and members. */
export class SettingsPage extends Screen {
  private slug = "acme";

  async open(slug = "acme"): Promise<void> {
    this.slug = slug;
    await this.page.goto(`/w/${slug}/settings`);
    await expect(this.switchFor("API key authentication")).toBeVisible();
  }

  /** The save behind a settings control: a server action POSTed to the settings page. */
  private saved() {
    return this.page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname.startsWith(`/w/${this.slug}/settings`));
  }

  switchFor(name: SettingsSwitch): Locator {
    return this.page.getByRole("switch", { name });
  }

  /** Turns a settings switch on or off, waiting for the save and its toast. */
  async setSwitch(name: SettingsSwitch, on: boolean): Promise<void> {
    const control = this.switchFor(name);
    await expect(control).toBeVisible();
    if ((await control.getAttribute("aria-checked")) === String(on)) return;
    await Promise.all([this.saved(), control.click()]);
    await expect(control).toHaveAttribute("aria-checked", String(on));
    await expect(this.toasts.first()).toBeVisible();
  }

  // ── Maximum key lifetime ────────────────────────────────────────────────────────────────

  get lifetimeField(): Locator {
    return this.page.getByLabel("Maximum key lifetime (days)");
  }

  get saveLifetimeButton(): Locator {
    return this.page.getByRole("button", { name: "Save lifetime" });
  }

  get lifetimeError(): Locator {
    return this.page.locator("#setting-lifetime-error");
  }

  // ── Members ─────────────────────────────────────────────────────────────────────────────

  get members(): Locator {
    return this.page.getByRole("table", { name: "Members" });
  }

  memberRow(name: string): Locator {
    return this.members.getByRole("row").filter({ hasText: name });
  }

  /** The Live keys cell of a member's row. */
  liveKeysOf(name: string): Locator {
    return this.memberRow(name).getByRole("cell").nth(3);
  }

  /** The member's role select; its text is the role it holds. */
  roleOf(fullName: string): Locator {
    return this.members.getByRole("combobox", { name: `Role for ${fullName}` });
  }

  grantOf(fullName: string): Locator {
    return this.members.getByRole("checkbox", { name: `Manage API Keys for ${fullName}` });
  }

  removeButton(fullName: string): Locator {
    return this.members.getByRole("button", { name: `Remove ${fullName}` });
  }

  deleteUserButton(fullName: string): Locator {
    return this.members.getByRole("button", { name: `Delete user ${fullName}` });
  }

  /** Every Delete user button in the table. */
  get deleteUserButtons(): Locator {
    return this.members.getByRole("button", { name: /^Delete user/ });
  }

  deleteUserDialog(fullName: string): Locator {
    return this.page.getByRole("alertdialog", { name: `Delete ${fullName}?` });
  }

  async cancelDeleteUser(fullName: string): Promise<void> {
    await this.deleteUserDialog(fullName).getByRole("button", { name: "Cancel" }).click();
  }

  get addMemberButton(): Locator {
    return this.page.getByRole("button", { name: "Add member" });
  }

  /** Changes a member's role in the Members table, waiting for the save. */
  async setMemberRole(fullName: string, role: RoleLabel): Promise<void> {
    const select = this.roleOf(fullName);
    await expect(select).toBeVisible();
    if ((await select.textContent())?.trim() === role) return;
    await Promise.all([this.saved(), chooseOption(select, role)]);
    await expect(select).toHaveText(role);
  }

  /** Removes a member through the confirmation, waiting for the save. */
  async removeMember(fullName: string): Promise<void> {
    await this.removeButton(fullName).click();
    await Promise.all([this.saved(), this.page.getByRole("button", { name: "Yes, remove" }).click()]);
    await expect(this.page.getByRole("button", { name: `Remove ${fullName}` })).toHaveCount(0);
  }

  /** Adds an existing user to the workspace through the Add member form, waiting for the save. */
  async addMember(email: string, role: RoleLabel, fullName: string): Promise<void> {
    await this.page.getByLabel("Email", { exact: true }).fill(email);
    await chooseOption(this.page.getByLabel("Role", { exact: true }), role);
    await Promise.all([this.saved(), this.addMemberButton.click()]);
    await expect(this.removeButton(fullName)).toBeVisible();
  }

  /** Ticks or clears a member's Manage API Keys grant, waiting for the save. */
  async setManageGrant(fullName: string, granted: boolean): Promise<void> {
    const box = this.grantOf(fullName);
    await expect(box).toBeVisible();
    if ((await box.isChecked()) === granted) return;
    await Promise.all([this.saved(), box.click()]);
    await expect(box).toBeChecked({ checked: granted });
  }
}
