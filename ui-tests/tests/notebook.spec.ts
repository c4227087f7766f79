import { DOCKERFILE, expect, snap, test } from './support';

test('the notebook panel: check → fix → build in a real kernel', async ({
  page,
  tmpPath
}) => {
  // The kernel runs in the notebook's folder: the panel's build folder by default.
  await page.contents.uploadContent(
    DOCKERFILE,
    'text',
    `${tmpPath}/Dockerfile`
  );
  await page.notebook.createNew('panel.ipynb');
  await page.notebook.setCell(
    0,
    'code',
    '%load_ext sm_studio_setup\n%sm_setup panel'
  );
  await page.notebook.runCell(0);

  const output = page.locator('.jp-OutputArea-output').first();
  const verdict = output.locator('.sm-setup-verdict');
  await expect(output.locator('button.sm-setup-check')).toBeVisible({
    timeout: 60_000
  });

  await output.locator('button.sm-setup-check').click();
  await expect(verdict).toHaveText('gaps', { timeout: 30_000 });
  expect(
    await output.locator('.sm-setup-finding-missing').count()
  ).toBeGreaterThan(0);
  await snap(page, page.locator('.jp-NotebookPanel'), 'notebook-1-check-gaps');

  await output.locator('button.sm-setup-fix').click();
  await expect(output.locator('.sm-setup-plan pre')).toContainText(
    'SmStudioSetupCodeBuildAssumeRole'
  );
  const apply = output.locator('button.sm-setup-apply');
  await expect(apply).toBeEnabled();
  await apply.click();
  await expect(output.locator('button.sm-setup-confirm-apply')).toBeVisible();
  await output.locator('button.sm-setup-confirm-apply').click();
  await expect(output.locator('.sm-setup-fix-result')).not.toBeEmpty({
    timeout: 30_000
  });
  await expect(verdict).toHaveText('ready', { timeout: 30_000 });

  await output.locator('button.sm-setup-build').click();
  const status = output.locator('.sm-setup-build-status');
  await expect(status).toHaveText('SUCCEEDED', { timeout: 90_000 });
  await expect(output.locator('.sm-setup-image-uri')).toContainText(
    '.dkr.ecr.us-east-1.amazonaws.com/'
  );
  await expect(output.locator('.sm-setup-build-log')).toContainText('[docker]');
  await expect(output.locator('button.sm-setup-attach')).toBeVisible();
  await snap(page, page.locator('.jp-NotebookPanel'), 'notebook-2-built', [
    output.locator('.sm-setup-build-log'),
    output.locator('.sm-setup-build-summary'),
    output.locator('.sm-setup-fix-result')
  ]);
});
