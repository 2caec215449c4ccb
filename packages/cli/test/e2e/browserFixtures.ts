import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN } from '../fixtures.js';

/** Debian's Chromium, headless, with no traffic beyond loopback (no downloads, no sync). */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ],
  });
}

/** Fill and submit the first-run sign-up form as {@link ADMIN}. */
export async function signUpInBrowser(page: Page): Promise<void> {
  await page.getByTestId('signup-name').fill(ADMIN.name);
  await page.getByTestId('signup-email').fill(ADMIN.email);
  await page.getByTestId('signup-password').fill(ADMIN.password);
  await page.getByTestId('signup-submit').click();
}
