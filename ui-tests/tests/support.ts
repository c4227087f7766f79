import {
  expect,
  IJupyterLabPageFixture,
  test as galata
} from '@jupyterlab/galata';
import { APIRequestContext, Locator } from '@playwright/test';

/** Galata's test, with the emulator of the demo the project runs against. */
export const test = galata.extend<{ emulatorURL: string }>({
  emulatorURL: ['', { option: true }]
});
export { expect };

/** The example image folder the demo opens on (sm_studio_setup/demo_workspace.py). */
export const EXAMPLE = 'example-image';

export const DOCKERFILE =
  'FROM public.ecr.aws/docker/library/python:3.12-slim\nRUN pip install --no-cache-dir pandas\n';

export async function openPanel(
  page: IJupyterLabPageFixture
): Promise<Locator> {
  const tab = page.locator('.jp-SideBar [data-id="sm-studio-setup-panel"]');
  await expect(tab).toBeVisible();
  const panel = page.locator('#sm-studio-setup-panel');
  if (!(await panel.isVisible())) {
    await tab.click();
  }
  await expect(panel.getByTestId('role')).toHaveText(/^arn:aws:iam::/);
  return panel;
}

/** The emulator's control API (loopback, no Origin: what its guard lets through). */
export async function emulator(
  request: APIRequestContext,
  emulatorURL: string,
  path: string,
  body: unknown
): Promise<unknown> {
  const response = await request.post(`${emulatorURL}/_sm_emulator/${path}`, {
    data: body,
    headers: { Authorization: '' }
  });
  expect(response.ok(), await response.text()).toBeTruthy();
  return response.json();
}

/** Text that differs from run to run: times, ids, digests. */
export function dynamic(panel: Locator): Locator[] {
  return [
    panel.getByTestId('build-elapsed'),
    panel.getByTestId('check-seconds'),
    panel.getByTestId('build-log'),
    panel.getByTestId('build-message'),
    panel.getByTestId('image-digest'),
    panel.getByTestId('attach-status'),
    panel.getByTestId('fix-result'),
    panel.getByTestId('undo-result')
  ];
}

/**
 * The panel (or `target`) in the light and the dark theme, as committed snapshots. The
 * theme is put back to light, so the next state starts where this one did.
 */
export async function snap(
  page: IJupyterLabPageFixture,
  target: Locator,
  name: string,
  mask: Locator[] = []
): Promise<void> {
  const options = {
    mask,
    maxDiffPixelRatio: 0.03,
    animations: 'disabled' as const
  };
  expect(await target.screenshot(options)).toMatchSnapshot(
    `${name}-light.png`,
    {
      maxDiffPixelRatio: 0.03
    }
  );
  await page.theme.setDarkTheme();
  expect(await target.screenshot(options)).toMatchSnapshot(`${name}-dark.png`, {
    maxDiffPixelRatio: 0.03
  });
  await page.theme.setLightTheme();
}

/** The CodeBuild phases the panel showed until the build ended. */
export async function followBuild(
  panel: Locator,
  timeoutMs = 90_000
): Promise<{ status: string; phases: string[] }> {
  const phases: string[] = [];
  const deadline = Date.now() + timeoutMs;
  const status = panel.getByTestId('build-status');
  await expect(status).toBeVisible();
  while (Date.now() < deadline) {
    const phase = (await panel.getByTestId('build-phase').textContent()) ?? '';
    if (phase && phases[phases.length - 1] !== phase) {
      phases.push(phase);
    }
    const text = (await status.textContent()) ?? '';
    if (!['IN_PROGRESS', 'STOPPING'].includes(text)) {
      return { status: text, phases };
    }
    await panel.page().waitForTimeout(100);
  }
  throw new Error(`the build did not end in ${timeoutMs} ms; phases ${phases}`);
}
