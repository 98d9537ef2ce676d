import { expect, test, uniqueName } from "../api/api-helpers";
import { chooseOption } from "../pages/select";
import { axeViolations } from "./story-helpers";

// Expiry that warns, in the console: the create and edit dialogs offer presets (7, 30, 60, 90
// days, a year, the workspace's maximum), a custom date and never where the workspace allows it;
// the grid flags a live key expiring within 14 days, and its State filter finds those keys.

const dayIn = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

test("an Admin picks an expiry preset, sees which keys expire soon, filters for them, and changes a key's expiry", async ({
  page,
  loginPage,
  apiKeysPage: keys,
}) => {
  test.slow();
  await loginPage.signIn("admin@acme.test");
  await keys.open();

  // A preset: the hint names the date it lands on; past the workspace's maximum nothing is offered, nor Never.
  const soon = uniqueName("Quarterly close");
  await keys.createButton.click();
  await keys.nameField.fill(soon);
  await keys.expiresField.click();
  const offered = await page.getByRole("option").allTextContents();
  expect(offered).toEqual(["7 days", "30 days", "60 days", "90 days", "1 year", "730 days (the workspace's maximum)", "Custom date…"]);
  await page.keyboard.press("Escape");
  await keys.chooseExpiry("7 days");
  expect(await keys.expiryShown()).toBe(dayIn(7));
  expect(await axeViolations(page)).toEqual([]);
  await keys.generateButton.click();
  await keys.shown.take();

  const later = uniqueName("Yearly export");
  await keys.createButton.click();
  await keys.nameField.fill(later);
  await keys.chooseExpiry("1 year");
  await keys.generateButton.click();
  await keys.shown.take();

  await expect(keys.row(soon).root.getByText("Expiring soon")).toBeVisible();
  await expect(keys.row(soon).root.getByText("in 7 days")).toBeVisible();
  await expect(keys.row(later).root.getByText("Expiring soon")).toHaveCount(0);

  // The State filter: only keys expiring within 14 days.
  await chooseOption(page.getByRole("combobox", { name: "State" }), "Expiring within 14 days");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/state=expiring/);
  await expect(keys.row(soon).root).toBeVisible();
  await expect(keys.row(later).root).toHaveCount(0);
  await page.getByRole("button", { name: "Reset" }).click();
  await expect(keys.row(later).root).toBeVisible();

  // Editing: "keep" is the default; a custom date 10 days out flags the key; a cleared date is refused, changing nothing.
  await keys.row(later).editButton.click();
  const edit = keys.editDialog;
  await expect(edit.getByRole("combobox", { name: "Expiration" })).toHaveText(`Keep: ${dayIn(365)}`);
  await keys.chooseExpiry("Custom date…", edit);
  await edit.getByLabel("Expiration date").fill("");
  await keys.saveChangesButton.click();
  await expect(edit.getByText("Choose the date the key expires on.")).toBeVisible();
  await edit.getByLabel("Expiration date").fill(dayIn(10));
  await keys.saveChangesButton.click();
  await expect(page.getByText(`Saved “${later}”.`)).toBeVisible();
  await expect(keys.row(later).root.getByText("Expiring soon")).toBeVisible();
  await page.reload();
  await expect(keys.row(later).root.getByText("Expiring soon")).toBeVisible();
  await expect(keys.row(later).root.getByText("in 10 days")).toBeVisible();
});
