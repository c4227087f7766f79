import {
  dynamic,
  emulator,
  EXAMPLE,
  expect,
  followBuild,
  openPanel,
  snap,
  test
} from './support';
import { APIRequestContext } from '@playwright/test';

// One account: the second build finds the image the first one pushed.
test.describe.configure({ mode: 'serial' });

/** How often the emulator's Docker stand-in and CodeBuild were asked to do something. */
async function counts(
  request: APIRequestContext,
  emulatorURL: string
): Promise<Record<string, number>> {
  const response = await request.get(`${emulatorURL}/_sm_emulator/stats`, {
    headers: { Authorization: '' }
  });
  expect(response.ok()).toBeTruthy();
  const byOperation = (await response.json()).by_operation as Record<
    string,
    number
  >;
  const of = (name: string) => byOperation[name] ?? 0;
  return {
    build: of('docker:ImageBuild'),
    push: of('docker:ImagePush'),
    codebuild: of('codebuild:StartBuild'),
    upload: of('s3:PutObject') + of('s3:CreateMultipartUpload')
  };
}

test.describe('a build on Studio’s own Docker (domain with Docker enabled)', () => {
  test('builds in the space, then reuses what is built', async ({
    page,
    request,
    emulatorURL
  }) => {
    await page.filebrowser.openDirectory(EXAMPLE);
    const panel = await openPanel(page);
    // Before any check, the panel says how auto decides.
    await expect(panel.getByTestId('build-engine-intent')).toContainText(
      'Studio’s Docker when this space has it'
    );

    // The check says which engine a build will use, and why; a build in the space needs
    // no CodeBuild, PassRole or trust change, so the seeded role is ready as it is.
    await panel.getByTestId('check-button').click();
    await expect(panel.getByTestId('check-verdict')).toHaveText('ready');
    await expect(panel.getByTestId('check-engine')).toContainText(
      /^A build uses Studio’s Docker: this space has Studio.s Docker \(DOCKER_HOST\)/
    );
    await expect(panel.getByTestId('build-engine-intent')).toHaveText(
      'on Studio’s Docker'
    );
    await expect(
      panel.getByTestId('finding').filter({ hasText: 'codebuild:' })
    ).toHaveCount(0);
    await snap(page, panel, 'local-1-check', dynamic(panel));

    // Slow enough that the build's own steps can be seen.
    await emulator(request, emulatorURL, 'docker', { build_seconds: 4 });
    const before = await counts(request, emulatorURL);
    await panel.getByTestId('build-button').click();
    await expect(panel.getByTestId('build-status')).toHaveText('IN_PROGRESS');
    await expect(panel.getByTestId('cancel-build')).toBeInViewport();
    const { status, phases } = await followBuild(panel);
    expect(status).toBe('SUCCEEDED');
    expect(phases).toContain('BUILD');
    await expect(panel.getByTestId('build-engine')).toContainText(
      'On Studio’s Docker'
    );
    const log = panel.getByTestId('build-log');
    await expect(log).toContainText('Successfully built');
    await expect(log).toContainText('Pushed');
    await expect(panel.getByTestId('image-uri')).toHaveText(
      /^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/[a-z0-9._/-]+:[\w.-]+$/
    );
    await expect(panel.getByTestId('image-digest')).toHaveText(
      /^sha256:[0-9a-f]{64}$/
    );
    for (const id of ['build-status', 'image-uri', 'attach-button']) {
      await expect(panel.getByTestId(id)).toBeInViewport();
    }
    const built = await counts(request, emulatorURL);
    expect(built.build).toBe(before.build + 1);
    expect(built.push).toBeGreaterThan(before.push);
    // Nothing went to CodeBuild or S3.
    expect(built.codebuild).toBe(before.codebuild);
    expect(built.upload).toBe(before.upload);
    const digest = await panel.getByTestId('image-digest').textContent();
    await snap(page, panel, 'local-2-built', dynamic(panel));

    // The same folder again: its image is in the repository, so nothing is built or pushed.
    await panel.getByTestId('build-button').click();
    await expect(panel.getByTestId('build-status')).toHaveText('SUCCEEDED');
    await expect(panel.getByTestId('build-phase')).toHaveText('UNCHANGED');
    const unchanged = panel.getByTestId('build-unchanged');
    await expect(unchanged).toContainText(/^Unchanged since build b-\d{8}T/);
    await expect(unchanged).toContainText('nothing was built or pushed');
    await expect(unchanged).toContainText('FROM …:latest');
    await expect(unchanged).toBeInViewport();
    await expect(panel.getByTestId('image-digest')).toHaveText(digest ?? '');
    await expect(panel.getByTestId('attach-button')).toBeVisible();
    const reused = await counts(request, emulatorURL);
    expect(reused).toEqual(built);
    await snap(page, panel, 'local-3-unchanged', [
      ...dynamic(panel),
      unchanged
    ]);

    // Rebuild anyway: built (and pushed) again.
    await panel.getByTestId('rebuild-button').click();
    const again = await followBuild(panel);
    expect(again.status).toBe('SUCCEEDED');
    await expect(panel.getByTestId('build-unchanged')).toHaveCount(0);
    const rebuilt = await counts(request, emulatorURL);
    expect(rebuilt.build).toBe(built.build + 1);
    expect(rebuilt.push).toBeGreaterThan(built.push);
  });

  test('the user can choose CodeBuild instead', async ({ page }) => {
    await page.filebrowser.openDirectory(EXAMPLE);
    const panel = await openPanel(page);
    await panel.getByTestId('param-engine').selectOption('codebuild');
    await expect(panel.getByTestId('build-engine-intent')).toHaveText(
      'on CodeBuild'
    );
    await panel.getByTestId('check-button').click();
    // CodeBuild's own needs are back in the check: the seeded role lacks them.
    await expect(panel.getByTestId('check-verdict')).toHaveText('gaps');
    await expect(panel.getByTestId('check-engine')).toContainText(
      'A build uses CodeBuild'
    );
    await expect(
      panel
        .getByTestId('finding')
        .filter({ hasText: 'codebuild:CreateProject' })
    ).not.toHaveCount(0);
  });
});
