import { expect, type Locator } from "@playwright/test";
import { chooseOption } from "./select";
import { Screen } from "./screen";
import { ShownSecret } from "./shown-secret";

/** One key's row in the grid on the API tab. */
export class KeyRow {
  constructor(readonly root: Locator) {}

  get bearer(): Locator {
    return this.root.getByRole("checkbox", { name: "Bearer token" });
  }

  get enabled(): Locator {
    return this.root.getByRole("switch", { name: "Enabled" });
  }

  get editButton(): Locator {
    return this.root.getByRole("button", { name: "Edit" });
  }

  get revokeButton(): Locator {
    return this.root.getByRole("button", { name: "Revoke" });
  }

  /** The key's name, a link to its detail page. */
  link(name: string): Locator {
    return this.root.getByRole("link", { name });
  }
}

/** Account > API (/w/<slug>/account/api): the key grid and its dialogs. */
export class ApiKeysPage extends Screen {
  async open(slug = "acme"): Promise<void> {
    await this.page.goto(`/w/${slug}/account/api`);
    await expect(this.firstHeading(2)).toBeVisible();
  }

  /** The first link named exactly "API" (the workspace navigation's), back to this tab. */
  get apiLink(): Locator {
    return this.page.getByRole("link", { name: "API", exact: true }).first();
  }

  get table(): Locator {
    return this.page.getByRole("table", { name: "API keys" });
  }

  /** The grid's rows, the header row included. */
  get rows(): Locator {
    return this.table.getByRole("row");
  }

  /** The grid row of a key, found by its name. */
  row(name: string): KeyRow {
    return new KeyRow(this.table.getByRole("row").filter({ hasText: name }));
  }

  get createButton(): Locator {
    return this.page.getByRole("button", { name: "Create API key" });
  }

  get revokeAllButton(): Locator {
    return this.page.getByRole("button", { name: "Revoke all" });
  }

  // ── Create API key ──────────────────────────────────────────────────────────────────────

  get createDialog(): Locator {
    return this.page.getByRole("dialog", { name: "Create API key" });
  }

  get nameField(): Locator {
    return this.createDialog.getByLabel("Name");
  }

  get descriptionField(): Locator {
    return this.createDialog.getByLabel("Description (optional)");
  }

  /** The Expiration choice (a combobox: presets, the workspace's maximum, Custom date…, Never). */
  get expiresField(): Locator {
    return this.createDialog.getByRole("combobox", { name: "Expiration" });
  }

  /** The date field "Custom date…" shows. */
  get expiryDate(): Locator {
    return this.createDialog.getByLabel("Expiration date");
  }

  /** The date the chosen expiry falls on (yyyy-mm-dd), as the field's hint says; null for "never". */
  async expiryShown(dialog: Locator = this.createDialog): Promise<string | null> {
    const hint = await dialog.locator('[id$="-expires-hint"]').textContent();
    return /Expires at the end of (\d{4}-\d{2}-\d{2})/.exec(hint ?? "")?.[1] ?? null;
  }

  /** Picks an Expiration choice by its label ("30 days", "Custom date…"); in the edit dialog with `dialog`. */
  async chooseExpiry(label: string, dialog: Locator = this.createDialog): Promise<void> {
    await chooseOption(dialog.getByRole("combobox", { name: "Expiration" }), label);
  }

  get bearerField(): Locator {
    return this.createDialog.getByLabel("Bearer token");
  }

  get ownerField(): Locator {
    return this.createDialog.getByLabel("Owner", { exact: true });
  }

  get generateButton(): Locator {
    return this.createDialog.getByRole("button", { name: "Generate key" });
  }

  /**
   * The Owner choices as the form posts them (value = user id, or "me" / "none"), read from the
   * native <select> that Radix keeps in the form for its submission.
   */
  async ownerOptions(): Promise<{ value: string; text: string }[]> {
    return this.createDialog
      .locator('select[name="ownerId"] option')
      .evaluateAll((options) => options.map((o) => ({ value: (o as HTMLOptionElement).value, text: o.textContent ?? "" })));
  }

  // ── The show-once secret ────────────────────────────────────────────────────────────────

  get secretDialog(): Locator {
    return this.page.getByRole("dialog", { name: "API key created" });
  }

  /** The secret, Copy and Done in the show-once dialog. */
  get shown(): ShownSecret {
    return new ShownSecret(this.secretDialog);
  }

  get closeButton(): Locator {
    return this.secretDialog.getByRole("button", { name: "Close" });
  }

  /** Asked before the secret dialog closes without Done. */
  get discardConfirm(): Locator {
    return this.page.getByRole("alertdialog", { name: "Close without saving the secret?" });
  }

  get goBackButton(): Locator {
    return this.discardConfirm.getByRole("button", { name: "Go back" });
  }

  get closeAnywayButton(): Locator {
    return this.discardConfirm.getByRole("button", { name: "Close anyway" });
  }

  /**
   * Creates a key through the dialog and returns its secret (read from the show-once dialog).
   * `owner`: the Owner choice as listed ("Mia Member · member@acme.test · Member"); default, the dialog's.
   */
  async createKey(name: string, { owner }: { owner?: string } = {}): Promise<string> {
    await this.createButton.click();
    await this.nameField.fill(name);
    if (owner) {
      await chooseOption(this.ownerField, owner);
      await expect(this.ownerField).toHaveText(owner);
    }
    await this.generateButton.click();
    return this.shown.take();
  }

  // ── Edit, revoke, revoke all ────────────────────────────────────────────────────────────

  get editDialog(): Locator {
    return this.page.getByRole("dialog", { name: "Edit API key" });
  }

  get editName(): Locator {
    return this.editDialog.getByLabel("Name");
  }

  get editDescription(): Locator {
    return this.editDialog.getByLabel("Description (optional)");
  }

  get saveChangesButton(): Locator {
    return this.editDialog.getByRole("button", { name: "Save changes" });
  }

  revokeConfirm(name: string): Locator {
    return this.page.getByRole("alertdialog", { name: `Revoke “${name}”?` });
  }

  get yesRevokeButton(): Locator {
    return this.page.getByRole("button", { name: "Yes, revoke" });
  }

  get revokeAllDialog(): Locator {
    return this.page.getByRole("dialog", { name: /Revoke all API keys/ });
  }

  revokeAllConfirmField(slug = "acme"): Locator {
    return this.revokeAllDialog.getByLabel(`Type ${slug} to confirm`);
  }

  get revokeAllKeysButton(): Locator {
    return this.revokeAllDialog.getByRole("button", { name: "Revoke all keys" });
  }
}
