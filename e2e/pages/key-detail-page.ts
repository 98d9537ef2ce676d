import { expect, type Locator } from "@playwright/test";
import { Screen } from "./screen";

/** A key's detail page (/w/<slug>/account/api/<id>): logging, access log, usage, permissions. */
export class KeyDetailPage extends Screen {
  async goto(keyId: string, slug = "acme"): Promise<void> {
    await this.page.goto(`/w/${slug}/account/api/${keyId}`);
  }

  /** The key's name, the page's title. */
  title(name: string): Locator {
    return this.heading(name, 2);
  }

  loggingSwitch(label: "Request logging" | "Response logging"): Locator {
    return this.page.getByRole("switch", { name: label });
  }

  get usageChart(): Locator {
    return this.page.getByTestId("usage-chart");
  }

  /** The chart's first drawn <svg> (recharts draws on the client). */
  get usageChartDrawing(): Locator {
    return this.usageChart.locator("svg").first();
  }

  get accessLog(): Locator {
    return this.page.getByRole("table", { name: "Access log" });
  }

  /** The access log's data rows (the header row excluded). */
  get logRows(): Locator {
    return this.accessLog.locator("tbody").getByRole("row");
  }

  /** Reloads the page until the access log holds `count` rows (entries are written about once a second). */
  async waitForLogRows(count: number): Promise<void> {
    await expect(async () => {
      await this.page.reload();
      await expect(this.logRows).toHaveCount(count, { timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
  }

  /** Opens a log row's logged headers and bodies and returns their text. */
  async shownBodies(row: Locator): Promise<string> {
    await row.getByText("Show", { exact: true }).click();
    const blocks = row.locator("pre");
    await expect(blocks.first()).toBeVisible();
    return (await blocks.allTextContents()).join("\n");
  }

  /** A link in the access log's status filter (All, Succeeded, Refused). */
  statusFilter(name: "All" | "Succeeded" | "Refused"): Locator {
    return this.page.getByRole("navigation", { name: "Filter by status" }).getByRole("link", { name, exact: true });
  }

  /** A link in the access log's time filter (24 hours, 7 days, 30 days). */
  timeFilter(name: "24 hours" | "7 days" | "30 days"): Locator {
    return this.page.getByRole("navigation", { name: "Filter by time" }).getByRole("link", { name });
  }

  get permissions(): Locator {
    return this.page.getByRole("list", { name: "Effective permissions" });
  }

  get permissionItems(): Locator {
    return this.permissions.getByRole("listitem");
  }

  /** The effective-permissions entry for a scope. */
  permission(scope: string): Locator {
    return this.permissionItems.filter({ has: this.page.getByText(scope, { exact: true }) });
  }
}
