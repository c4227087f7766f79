import { dynamic, expect, openPanel, snap, test } from './support';

test('a role that may not change itself ends in the hand-off', async ({
  page
}) => {
  const panel = await openPanel(page);
  // From the command palette, as any JupyterLab command.
  await page.keyboard.press('Control+Shift+C');
  await page.locator('.lm-CommandPalette-input').fill('Check the IAM set-up');
  await page.keyboard.press('Enter');
  await expect(panel.getByTestId('check-verdict')).toHaveText(
    /^(gaps|unknown)$/
  );
  // What a managed role cannot read about itself is shown as not known, not as fine.
  expect(
    await panel
      .locator('[data-testid="finding"][data-status="unknown"]')
      .count()
  ).toBeGreaterThan(0);

  await panel.getByTestId('fix-button').click();
  await expect(panel.getByTestId('fix-diff')).toBeVisible();
  await panel.getByTestId('apply-button').click();
  await page.getByTestId('confirm-apply').click();

  const handoff = panel.getByTestId('handoff');
  await expect(handoff).toBeVisible();
  // The outcome is where the user is looking: the diff above it folded once applied.
  await expect(panel.getByTestId('fix-result')).toBeInViewport();
  await expect(panel.getByTestId('handoff-tab-json')).toBeInViewport();
  await expect(panel.getByTestId('undo-button')).toHaveCount(0);
  await expect(panel.getByTestId('handoff-json')).toContainText(
    '"Version": "2012-10-17"'
  );
  for (const [tab, text] of [
    ['cli', 'aws iam'],
    ['cloudformation', 'AWSTemplateFormatVersion'],
    ['terraform', 'resource "aws_iam_role_policy"']
  ]) {
    await panel.getByTestId(`handoff-tab-${tab}`).click();
    await expect(panel.getByTestId(`handoff-${tab}`)).toContainText(text);
  }
  // Keyboard: the arrow keys move between the tabs.
  await panel.getByTestId('handoff-tab-terraform').press('ArrowRight');
  await expect(panel.getByTestId('handoff-json')).toBeVisible();
  await panel.getByTestId('handoff-tab-cli').click();
  await snap(page, panel, 'handoff', dynamic(panel));
});
