import { dynamic, emulator, expect, openPanel, snap, test } from './support';

test('when AWS cannot be reached the panel says so, without a stack trace', async ({
  page,
  request,
  emulatorURL
}) => {
  const panel = await openPanel(page);
  await emulator(request, emulatorURL, 'shutdown', {});
  // Wait until the emulator is gone: its port refuses, as a process that stopped.
  await expect
    .poll(
      async () =>
        request
          .get(`${emulatorURL}/_sm_emulator/health`, { timeout: 2000 })
          .then(
            () => 'up',
            () => 'gone'
          ),
      { timeout: 20_000 }
    )
    .toBe('gone');
  await panel.getByTestId('check-button').click();
  const error = panel.getByTestId('check-error');
  await expect(error).toBeVisible({ timeout: 60_000 });
  await expect(error).not.toContainText('Traceback');
  await expect(error).not.toContainText('File "');
  expect(((await error.textContent()) ?? '').length).toBeGreaterThan(20);
  await expect(panel.getByTestId('check-verdict')).toHaveCount(0);
  await expect(error).toBeInViewport();
  // Which of the first calls (STS or IAM, sent together) meets the refused port first varies.
  await snap(page, panel, 'outage', [
    ...dynamic(panel),
    error.locator('p').first()
  ]);
});
