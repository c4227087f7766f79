import { expect, test } from '@jupyterlab/galata';

// The test opens JupyterLab itself, after it listens to the console: the module federation
// warnings it looks for are printed while JupyterLab loads the extensions.
test.use({ autoGoto: false });

test('the panel checks the demo role in JupyterLab 4.0', async ({ page }) => {
  const warnings: string[] = [];
  page.on('console', message => {
    const text = message.text();
    // What webpack's share scope prints when a singleton's version misses the range an
    // extension was built to require ("Unsatisfied version ... of shared singleton module").
    if (/unsatisfied version|shared (singleton )?module/i.test(text)) {
      warnings.push(text);
    }
  });
  await page.goto();
  expect(
    await page.evaluate(() => (window as any).jupyterapp.version as string)
  ).toMatch(/^4\.0\./);

  const tab = page.locator('.jp-SideBar [data-id="sm-studio-setup-panel"]');
  await expect(tab).toBeVisible();
  await tab.click();
  const panel = page.locator('#sm-studio-setup-panel');
  await expect(panel.getByTestId('role')).toHaveText(/^arn:aws:iam::/);
  await panel.getByTestId('check-button').click();
  await expect(panel.getByTestId('check-verdict')).toHaveText('gaps');

  expect(warnings).toEqual([]);
});
