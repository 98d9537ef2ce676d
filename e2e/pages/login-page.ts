import { expect, type Frame, type Locator } from "@playwright/test";
import { DEMO_PASSWORD } from "../helpers";
import { Screen } from "./screen";

/** /login */
export class LoginPage extends Screen {
  get email(): Locator {
    return this.page.getByLabel("Email");
  }

  get password(): Locator {
    return this.page.getByLabel("Password");
  }

  /** The sign-in form's password inputs in a frame (none where the frame was refused). */
  static passwordInputsIn(frame: Frame): Locator {
    return frame.locator("input[type=password]");
  }

  get signInButton(): Locator {
    return this.page.getByRole("button", { name: "Sign in" });
  }

  get title(): Locator {
    return this.heading("Sign in");
  }

  async goto(): Promise<void> {
    await this.page.goto("/login");
  }

  /** Fills the form that is on screen and submits it. */
  async submit(email: string, password: string): Promise<void> {
    await this.email.fill(email);
    await this.password.fill(password);
    await this.signInButton.click();
  }

  /** Opens the login page and submits the form, without expecting to get in. */
  async attempt(email: string, password: string): Promise<void> {
    await this.goto();
    await this.submit(email, password);
  }

  /** Signs in and waits to leave the login page. */
  async signIn(email: string, password = DEMO_PASSWORD): Promise<void> {
    await this.attempt(email, password);
    await expect(this.page).not.toHaveURL(/\/login/);
  }
}
