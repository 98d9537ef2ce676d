import { expect, type Locator } from "@playwright/test";
import { recordSecret, unique } from "../helpers";
import { Screen } from "./screen";

/** /account/password: where a one-time password must be replaced before anything else. */
export class PasswordPage extends Screen {
  get title(): Locator {
    return this.heading("Choose your own password");
  }

  get oneTimePassword(): Locator {
    return this.page.getByLabel("One-time password");
  }

  get newPassword(): Locator {
    return this.page.getByLabel("New password", { exact: true });
  }

  get confirmPassword(): Locator {
    return this.page.getByLabel("Confirm new password");
  }

  get changeButton(): Locator {
    return this.page.getByRole("button", { name: "Change password" });
  }

  /** Fills the form and submits it. */
  async change(oneTimePassword: string, password: string): Promise<void> {
    await this.oneTimePassword.fill(oneTimePassword);
    await this.newPassword.fill(password);
    await this.confirmPassword.fill(password);
    await this.changeButton.click();
  }

  /** Replaces the one-time password with a new one (recorded for the secret scan) and leaves the page. */
  async chooseOwn(oneTimePassword: string, label = "chosen"): Promise<string> {
    const chosen = `${label}-${unique("pw")}`;
    recordSecret(chosen);
    await this.change(oneTimePassword, chosen);
    await expect(this.page).not.toHaveURL(/\/account\/password|\/login/);
    return chosen;
  }
}
