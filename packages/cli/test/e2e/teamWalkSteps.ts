import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

/** Page steps of the team walk (teamWalk.test.ts), on the notebook and invitation pages. */

export const cellAt = (page: Page, i: number): Locator => page.getByTestId('cell').nth(i);

/** Replace a cell's source (a new integration cell starts with its type's default source). */
export async function typeInCell(page: Page, cell: Locator, text: string) {
  await cell.locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
}

/** Add a cell of `type` at the end of the notebook. */
export async function addCell(page: Page, type: string): Promise<Locator> {
  await page.getByTestId('add-cell-bar').last().getByTestId(`add-cell-${type}`).click();
  return cellAt(page, (await page.getByTestId('cell').count()) - 1);
}

/** Name the connection an integration cell uses, in its settings. */
export async function useConnection(cell: Locator, name: string) {
  await cell.getByTestId('cell-settings-toggle').click();
  await cell.getByTestId('cell-connection').fill(name);
}

/** The cell's run status as drawn (`idle`, `running`, `ok`, `error`…). */
export const status = (cell: Locator) => cell.getAttribute('data-status');
/** The text of the cell's output area. */
export const output = async (cell: Locator) =>
  (await cell.getByTestId('cell-output').textContent()) ?? '';

/** Sign up from an invitation link (in the invitee's own browser). */
export async function acceptInvitation(
  page: Page,
  link: string,
  who: { name: string; email: string; password: string },
  role: string,
) {
  await page.goto(link);
  await expect
    .poll(() => page.getByTestId('invite-summary').textContent())
    .toMatch(new RegExp(`Ada Admin invited you to .* as ${role}`));
  await page.getByTestId('invite-name').fill(who.name);
  await page.getByTestId('invite-email').fill(who.email);
  await page.getByTestId('invite-password').fill(who.password);
  await page.getByTestId('invite-submit').click();
  await expect.poll(() => page.getByTestId('current-user').textContent()).toContain(who.name);
}

/**
 * Pick a runtime in the notebook page and wait for its session; someone who may run answers the form
 * asking for the template variable's value (a viewer is never asked).
 */
export async function attachToRuntime(
  page: Page,
  runtime: { id: string; name: string },
  job: string | null,
) {
  await page.getByTestId('runtime-select').selectOption(runtime.id);
  await expect
    .poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 30_000 })
    .toMatch(new RegExp(`connected.*${runtime.name}`));
  if (job === null) return;
  const form = page.getByTestId('session-variables-form');
  await form.waitFor({ timeout: 30_000 });
  await form.getByTestId('session-variable-job').fill(job);
  await form.getByTestId('session-variables-start').click();
  await form.waitFor({ state: 'detached', timeout: 60_000 });
}

/**
 * Watch the streaming cell in someone's page: lines show while it is still running, then the
 * whole output once it ends.
 */
export async function watchLive(watched: Locator) {
  await expect
    .poll(
      async () => {
        const text = await output(watched);
        return (
          (await status(watched)) === 'running' && text.includes('tick 1') && !text.includes('done')
        );
      },
      { timeout: 60_000, interval: 100 },
    )
    .toBe(true);
  await expect.poll(() => status(watched), { timeout: 60_000 }).toBe('ok');
  expect(await output(watched)).toBe(
    ['tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5', 'tick 6', 'done', ''].join('\n'),
  );
}

/** A Python cell printing a line a second for six seconds, then `done`. */
export const STREAM_CELL = [
  'import time',
  'for i in range(1, 7):',
  '    print(f"tick {i}", flush=True)',
  '    time.sleep(1)',
  'print("done")',
].join('\n');
