import type { Locator } from "@playwright/test";

/**
 * Picks an option in a Radix select (components/ui/select.tsx). Its trigger is a combobox
 * button and its options live in a listbox portalled to the body, so Playwright's
 * `selectOption` (native <select> only) does not apply: click, then click the option.
 */
export async function chooseOption(combobox: Locator, label: string): Promise<void> {
  await combobox.click();
  await combobox.page().getByRole("option", { name: label, exact: true }).click();
}
