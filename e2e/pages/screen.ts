import type { Locator, Page } from "@playwright/test";

/**
 * What every console screen shares: the navigation, the menus in the header, headings, tables
 * and toasts. Each page object extends it, so a spec reaches the shell from whichever screen
 * it is on.
 */
export class Screen {
  constructor(readonly page: Page) {}

  get workspaceNav(): Locator {
    return this.page.getByRole("navigation", { name: "Workspace" });
  }

  get adminNav(): Locator {
    return this.page.getByRole("navigation", { name: "Admin", exact: true });
  }

  /** A link in the workspace navigation (API, Personal tokens, Audit, Settings …). */
  workspaceLink(name: string): Locator {
    return this.workspaceNav.getByRole("link", { name });
  }

  /** A link in the Global Admin navigation (Keys, Audit, Users). */
  adminLink(name: string): Locator {
    return this.adminNav.getByRole("link", { name });
  }

  get workspaceSwitcher(): Locator {
    return this.page.getByRole("button", { name: /Switch workspace/ });
  }

  get accountMenu(): Locator {
    return this.page.getByRole("button", { name: /^Account menu for/ });
  }

  /** The reason every revoke confirmation asks for (a radio group; "Other" opens a text field). */
  get revocationReasons(): Locator {
    return this.page.getByRole("radiogroup", { name: "Reason for revoking" });
  }

  /** Picks a revocation reason in the open confirmation, and for "Other" writes why. */
  async chooseRevocationReason(label = "No longer needed", text?: string): Promise<void> {
    await this.revocationReasons.getByRole("radio", { name: label, exact: true }).check();
    if (text !== undefined) await this.page.getByRole("textbox", { name: "Why" }).fill(text);
  }

  menuItem(name: string | RegExp): Locator {
    return this.page.getByRole("menuitem", { name });
  }

  heading(name: string, level?: number): Locator {
    return this.page.getByRole("heading", { name, level });
  }

  /** The page's level-1 heading (there is one). */
  get h1(): Locator {
    return this.page.getByRole("heading", { level: 1 });
  }

  /** The first heading of the given level (or of any level). */
  firstHeading(level?: number): Locator {
    return this.page.getByRole("heading", { level }).first();
  }

  /** Every table on the page, named or not. */
  get tables(): Locator {
    return this.page.getByRole("table");
  }

  /** Every switch on the page. */
  get switches(): Locator {
    return this.page.getByRole("switch");
  }

  get main(): Locator {
    return this.page.locator("main");
  }

  /** sonner's toasts. */
  get toasts(): Locator {
    return this.page.locator("[data-sonner-toast]");
  }
}
