import { expect, type Locator } from "@playwright/test";
import { Screen } from "./screen";

/** Your account (/account): password, sessions, the keys that act as you. */
export class AccountPage extends Screen {
  async goto(): Promise<void> {
    await this.page.goto("/account");
  }

  get title(): Locator {
    return this.heading("Your account", 1);
  }

  /** Opens the page from the account menu in the header. */
  async openFromMenu(): Promise<void> {
    await this.accountMenu.click();
    await this.menuItem("Your account").click();
    await expect(this.page).toHaveURL(/\/account$/);
    await expect(this.title).toBeVisible();
  }

  get passwordForm(): Locator {
    return this.page.getByRole("region", { name: "Password" });
  }

  get currentPassword(): Locator {
    return this.passwordForm.getByLabel("Current password");
  }

  get newPassword(): Locator {
    return this.passwordForm.getByLabel("New password", { exact: true });
  }

  get confirmPassword(): Locator {
    return this.passwordForm.getByLabel("Confirm new password");
  }

  get changePasswordButton(): Locator {
    return this.passwordForm.getByRole("button", { name: "Change password" });
  }

  get signOutEverywhereButton(): Locator {
    return this.page.getByRole("button", { name: "Sign out everywhere" });
  }

  get signOutEverywhereConfirm(): Locator {
    return this.page.getByRole("alertdialog", { name: "Sign out everywhere?" });
  }

  async signOutEverywhere(): Promise<void> {
    await this.signOutEverywhereButton.click();
    await this.signOutEverywhereConfirm.getByRole("button", { name: "Sign out everywhere" }).click();
  }

  get keysActingAsMe(): Locator {
    return this.page.getByRole("table", { name: "Keys that act as you" });
  }

  keyRow(name: string): Locator {
    return this.keysActingAsMe.getByRole("row").filter({ hasText: name });
  }

  revokeButton(name: string, workspace: string): Locator {
    return this.keyRow(name).getByRole("button", { name: `Revoke ${name} (${workspace})` });
  }

  revokeConfirm(name: string): Locator {
    return this.page.getByRole("alertdialog", { name: `Revoke ${name}?` });
  }

  /** A button of the revoke confirmation for the key `name`. */
  revokeConfirmButton(name: string, label: "Cancel" | "Revoke"): Locator {
    return this.revokeConfirm(name).getByRole("button", { name: label });
  }
}
