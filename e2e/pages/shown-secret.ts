import { expect, type Locator } from "@playwright/test";
import { recordSecret, SECRET_RE } from "../helpers";

/** The show-once dialog of a new key or personal token: the secret, Copy to clipboard, Done. */
export class ShownSecret {
  constructor(readonly dialog: Locator) {}

  get secret(): Locator {
    return this.dialog.getByLabel("Secret");
  }

  get copyButton(): Locator {
    return this.dialog.getByRole("button", { name: "Copy to clipboard" });
  }

  get copiedButton(): Locator {
    return this.dialog.getByRole("button", { name: "Copied" });
  }

  get doneButton(): Locator {
    return this.dialog.getByRole("button", { name: "Done" });
  }

  /** Reads the secret once the dialog shows (recorded for the secret scan), then closes it with Done. */
  async take(): Promise<string> {
    await expect(this.dialog).toBeVisible();
    const secret = await this.secret.inputValue();
    expect(secret).toMatch(SECRET_RE);
    recordSecret(secret);
    await this.doneButton.click();
    await expect(this.dialog).toBeHidden();
    return secret;
  }
}
