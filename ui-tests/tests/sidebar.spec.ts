import { expect, openPanel, test } from './support';

const ROLE =
  'arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20261122T000000';

test.describe('sm-studio-setup sidebar against the demo emulator', () => {
  test('shows the demo identity', async ({ page }) => {
    const tab = page.locator('.jp-SideBar [data-id="sm-studio-setup-panel"]');
    await expect(tab).toBeVisible();
    await tab.click();

    const panel = page.locator('#sm-studio-setup-panel');
    await expect(panel.getByTestId('role')).toHaveText(ROLE);
    await expect(panel.getByTestId('domain')).toHaveText(/^d-/);
    await expect(panel.getByTestId('user-profile')).toHaveText(
      'data-scientist'
    );
    await expect(panel.getByTestId('space')).toHaveText('data-scientist-space');
    await expect(panel.getByTestId('caller')).toHaveText(
      'arn:aws:sts::123456789012:assumed-role/AmazonSageMaker-ExecutionRole-20261122T000000/SageMaker'
    );
    await expect(panel.getByTestId('demo-badge')).toHaveText(
      'Demo — no AWS account is used'
    );

    expect(await panel.screenshot()).toMatchSnapshot(
      'sidebar-demo-identity.png',
      {
        maxDiffPixelRatio: 0.02
      }
    );
  });

  test('keeps the form as settings across a reload', async ({ page }) => {
    let panel = await openPanel(page);
    await panel.getByTestId('param-repository').fill('pandas-image:1');
    await panel.getByTestId('param-platform').selectOption('linux/arm64');
    // The panel saves shortly after the last change.
    await page.waitForTimeout(1500);
    await page.reload();
    panel = await openPanel(page);
    await expect(panel.getByTestId('param-repository')).toHaveValue(
      'pandas-image:1'
    );
    await expect(panel.getByTestId('param-platform')).toHaveValue(
      'linux/arm64'
    );
  });
});
