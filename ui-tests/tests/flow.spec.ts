import {
  dynamic,
  DOCKERFILE,
  emulator,
  EXAMPLE,
  expect,
  followBuild,
  openPanel,
  snap,
  test
} from './support';

// One account for the file: the fix applied by the first test is what the builds need.
test.describe.configure({ mode: 'serial' });

test.describe('check → fix → build → attach in the sidebar', () => {
  test.afterEach(async ({ request, emulatorURL }) => {
    await emulator(request, emulatorURL, 'codebuild', {
      duration_seconds: 2,
      fail_phase: ''
    });
  });

  test('the whole flow', async ({ page, request, emulatorURL }) => {
    // From the demo's own example, as a newcomer meets it: nothing written by hand.
    await page.filebrowser.openDirectory(EXAMPLE);
    const panel = await openPanel(page);
    await expect(panel.getByTestId('build-folder')).toHaveText(EXAMPLE);

    // Check: the seeded role lacks what a build needs.
    const started = Date.now();
    await panel.getByTestId('check-button').click();
    await expect(panel.getByTestId('check-verdict')).toHaveText('gaps');
    // Each outcome shows where the user is looking: the test never scrolls.
    await expect(panel.getByTestId('check-verdict')).toBeInViewport();
    test.info().annotations.push({
      type: 'check click to verdict (ms)',
      description: String(Date.now() - started)
    });
    const missing = panel.locator(
      '[data-testid="finding"][data-status="missing"]'
    );
    await expect(missing.first()).toBeVisible();
    expect(await missing.count()).toBeGreaterThan(0);
    expect(
      await panel
        .locator('[data-testid="finding"][data-status="allowed"]')
        .count()
    ).toBeGreaterThan(0);
    const row = panel
      .getByTestId('finding')
      .filter({ hasText: 'codebuild:CreateProject' })
      .first();
    await row.getByRole('button').click();
    await expect(row).toContainText('Why');
    await expect(row).toContainText('Known from');
    // The README shows this one: the verdict at the top, then the steps.
    await snap(page, panel, 'flow-1-check-gaps', dynamic(panel));

    // Fix: the plan is a diff; nothing is written before the confirmation.
    await panel.getByTestId('fix-button').click();
    const diff = panel.getByTestId('fix-diff');
    await expect(diff).toContainText('SmStudioSetupCodeBuildAssumeRole');
    await expect(diff).toContainText(
      '"iam:PassedToService": "codebuild.amazonaws.com"'
    );
    await expect(panel.getByTestId('apply-button')).toBeInViewport();
    await expect(panel.getByTestId('summary-check')).toHaveText(/^gaps: /);
    await snap(page, panel, 'flow-2-fix-plan', dynamic(panel));

    await panel.getByTestId('apply-button').click();
    await page.getByTestId('cancel-apply').click();
    await expect(panel.getByTestId('fix-result')).toHaveCount(0);
    await panel.getByTestId('apply-button').click();
    const dialog = page.locator('.jp-Dialog-content');
    await expect(dialog).toContainText('Apply the fix to the role?');
    await snap(page, dialog, 'flow-3-confirm-apply');
    await page.getByTestId('confirm-apply').click();
    await expect(panel.getByTestId('fix-result')).toBeInViewport();
    await expect(panel.getByTestId('check-verdict')).toHaveText('ready');
    // The check after the fix is summed up above it, in view too.
    await expect(panel.getByTestId('summary-check')).toHaveText(
      /^ready(: \d+ optional missing)?$/
    );
    await expect(panel.getByTestId('summary-check')).toBeInViewport();
    // Only what the workflow can do without is still missing.
    const left = panel.locator(
      '[data-testid="finding"][data-status="missing"]'
    );
    for (const text of await left.allTextContents()) {
      expect(text).toContain('optional');
    }

    // Undo puts the role back (the check says so), and the fix applies again.
    await panel.getByTestId('undo-button').click();
    await page.getByTestId('confirm-undo').click();
    await expect(panel.getByTestId('undo-result')).toBeInViewport();
    await expect(panel.getByTestId('check-verdict')).toHaveText('gaps');
    await panel.getByTestId('fix-button').click();
    await panel.getByTestId('apply-button').click();
    await page.getByTestId('confirm-apply').click();
    await expect(panel.getByTestId('check-verdict')).toHaveText('ready');
    await expect(panel.getByTestId('summary-check')).toBeInViewport();
    await snap(page, panel, 'flow-4-check-ready', dynamic(panel));

    // Build: slow enough for the phases to be seen one by one.
    await emulator(request, emulatorURL, 'codebuild', { duration_seconds: 10 });
    await panel.getByTestId('build-button').click();
    await expect(panel.getByTestId('build-status')).toHaveText('IN_PROGRESS');
    await expect(panel.getByTestId('build-status')).toBeInViewport();
    await expect(panel.getByTestId('cancel-build')).toBeInViewport();
    const { status, phases } = await followBuild(panel);
    expect(status).toBe('SUCCEEDED');
    expect(phases).toEqual(expect.arrayContaining(['BUILD', 'COMPLETED']));
    expect(new Set(phases).size).toBeGreaterThanOrEqual(4);
    const log = panel.getByTestId('build-log');
    await expect(log).toContainText('Login Succeeded');
    await expect(log).toContainText('[docker]');
    await expect(panel.getByTestId('image-uri')).toHaveText(
      /^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/[a-z0-9._/-]+:[\w.-]+$/
    );
    await expect(panel.getByTestId('image-digest')).toHaveText(
      /^sha256:[0-9a-f]{64}$/
    );
    await expect(panel.getByTestId('cancel-build')).toHaveCount(0);
    for (const id of ['build-status', 'image-uri', 'attach-button']) {
      await expect(panel.getByTestId(id)).toBeInViewport();
    }
    await snap(page, panel, 'flow-5-build-succeeded', dynamic(panel));

    // Attach: name and app type in a dialog.
    await panel.getByTestId('attach-button').click();
    await expect(page.getByTestId('attach-image-name')).toHaveValue(
      'sagemaker-studio-d-studio-demo'
    );
    await page.getByTestId('attach-image-name').fill('pandas-image');
    await page.getByTestId('attach-app-type').selectOption('JupyterLab');
    await page.getByTestId('confirm-attach').click();
    // Attaching is a workflow of its own (studio-kernel): the seeded role lacks it, the
    // panel says what and plans exactly that fix, and nothing was created meanwhile.
    await expect(panel.getByTestId('attach-error')).toContainText(
      'sagemaker:UpdateDomain'
    );
    await expect(panel.getByTestId('attach-fix')).toBeInViewport();
    await panel.getByTestId('attach-fix').click();
    await expect(panel.getByTestId('fix-diff')).toContainText(
      'sagemaker:UpdateDomain'
    );
    await panel.getByTestId('apply-button').click();
    await page.getByTestId('confirm-apply').click();
    await expect(panel.getByTestId('fix-result')).toBeInViewport();
    await expect(panel.getByTestId('check-verdict')).toHaveText('ready');
    await panel.getByTestId('attach-button').click();
    await page.getByTestId('attach-image-name').fill('pandas-image');
    await page.getByTestId('confirm-attach').click();
    const attached = panel.getByTestId('attach-status');
    // SageMaker's images, versions and domain updates take their time (the demo holds each
    // state 2 s, and IAM's changes reach SageMaker 3 s late): attaching waits for all of them.
    await expect(attached).toContainText('pandas-image', { timeout: 90_000 });
    await expect(attached).toBeInViewport();
    await snap(page, panel, 'flow-6-attached', dynamic(panel));
  });

  test('a failing build says so, with its log', async ({
    page,
    tmpPath,
    request,
    emulatorURL
  }) => {
    // Started from the file browser's context menu, on a folder holding a Dockerfile.
    await page.contents.uploadContent(
      DOCKERFILE,
      'text',
      `${tmpPath}/image/Dockerfile`
    );
    await page.contents.uploadContent(
      'notes',
      'text',
      `${tmpPath}/empty/notes.txt`
    );
    // Long enough that the build still runs when the panel is hidden below.
    await emulator(request, emulatorURL, 'codebuild', {
      fail_phase: 'BUILD',
      duration_seconds: 10
    });
    await page.sidebar.openTab('filebrowser');
    const folder = (name: string) =>
      page.locator('.jp-DirListing-item[data-isdir="true"]', { hasText: name });
    const menuItem = page.getByRole('menuitem', {
      name: 'Build image from this folder'
    });
    await folder('empty').click({ button: 'right' });
    await menuItem.click();
    await expect(page.locator('.jp-Notification-Toast-warning')).toContainText(
      'no Dockerfile'
    );
    await folder('image').click({ button: 'right' });
    await menuItem.click();
    let panel = page.locator('#sm-studio-setup-panel');
    await expect(panel).toBeVisible();
    await expect(panel.getByTestId('param-context')).toHaveValue(
      `${tmpPath}/image`
    );
    await expect(panel.getByTestId('build-status')).toHaveText('IN_PROGRESS');
    // With the panel hidden, a JupyterLab notification says how the build ended.
    await page.sidebar.openTab('filebrowser');
    await expect(page.locator('.jp-Notification-Toast-error')).toContainText(
      /BUILD|failed/i,
      { timeout: 60_000 }
    );
    panel = await openPanel(page);
    const { status } = await followBuild(panel);
    expect(status).toBe('FAILED');
    await expect(panel.getByTestId('build-phase')).toHaveText('BUILD');
    await expect(panel.getByTestId('build-message')).toContainText(/BUILD/);
    await expect(panel.getByTestId('image-uri')).toHaveCount(0);
    await expect(panel.getByTestId('attach-button')).toHaveCount(0);
    await expect(panel.getByTestId('build-log')).not.toBeEmpty();
    await expect(panel.getByTestId('build-status')).toBeInViewport();
    await snap(page, panel, 'build-failed', dynamic(panel));
  });

  test('a running build is found again after a reload, and cancelled', async ({
    page,
    tmpPath,
    request,
    emulatorURL
  }) => {
    await page.contents.uploadContent(
      DOCKERFILE,
      'text',
      `${tmpPath}/Dockerfile`
    );
    await emulator(request, emulatorURL, 'codebuild', { duration_seconds: 60 });
    let panel = await openPanel(page);
    await panel.getByTestId('build-button').click();
    await expect(panel.getByTestId('build-status')).toHaveText('IN_PROGRESS');
    await expect(panel.getByTestId('build-log')).toContainText('[docker]', {
      timeout: 30_000
    });

    await page.reload();
    panel = await openPanel(page);
    await expect(panel.getByTestId('build-status')).toHaveText('IN_PROGRESS');
    await expect(panel.getByTestId('build-log')).toContainText('[docker]');

    await panel.getByTestId('cancel-build').click();
    const { status } = await followBuild(panel);
    expect(status).toBe('STOPPED');
    await expect(panel.getByTestId('image-uri')).toHaveCount(0);
    await expect(panel.getByTestId('build-status')).toBeInViewport();
    // Where CodeBuild was when the stop reached it depends on timing.
    await snap(page, panel, 'build-cancelled', [
      ...dynamic(panel),
      panel.getByTestId('build-phase'),
      panel.locator('.jp-SmSetup-progress')
    ]);
  });
});
