import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { IIdentity } from '../model';
import { SetupPanelView } from '../panel';
import { SetupApiError } from '../request';
import { SetupModel } from '../state';
import { build, demoIdentity, FakeClient, finding, report } from './fakes';

describe('SetupPanelView', () => {
  let container: HTMLDivElement;
  let root: Root;
  let client: FakeClient;
  let model: SetupModel;

  beforeAll(() => {
    // React 18 only runs effects synchronously inside act() when told it is a test.
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
  });

  beforeEach(() => {
    container = document.createElement('div');
    document.body.appendChild(container);
    root = createRoot(container);
    client = new FakeClient();
    model = new SetupModel(client, { pollMs: 0 });
  });

  afterEach(() => {
    act(() => root.unmount());
    container.remove();
    model.dispose();
  });

  const text = (testId: string): string | null | undefined =>
    container.querySelector(`[data-testid="${testId}"]`)?.textContent;

  async function show(): Promise<void> {
    await act(async () => {
      root.render(<SetupPanelView model={model} />);
      await model.loadIdentity();
    });
  }

  async function click(testId: string): Promise<void> {
    const button = container.querySelector(
      `[data-testid="${testId}"]`
    ) as HTMLButtonElement;
    expect(button).not.toBeNull();
    await act(async () => {
      button.click();
    });
  }

  it('shows the identity and the demo badge', async () => {
    await show();
    expect(text('role')).toBe(demoIdentity.role_arn);
    expect(text('domain')).toBe('d-studio-demo');
    expect(text('user-profile')).toBe('data-scientist');
    expect(text('demo-badge')).toContain('no AWS account is used');
  });

  it('has no demo badge against real AWS', async () => {
    client.identity = async () => ({ ...demoIdentity, demo: false });
    await show();
    expect(container.querySelector('[data-testid="demo-badge"]')).toBeNull();
    expect(text('account')).toBe('123456789012');
  });

  it('shows the error sentence and its hint, never a stack', async () => {
    client.identity = async () => {
      throw new SetupApiError(
        'No AWS credentials were found.',
        'Run aws configure.',
        'no_credentials',
        401
      );
    };
    await show();
    const alert = container.querySelector('[role="alert"]');
    expect(alert?.textContent).toContain('No AWS credentials were found.');
    expect(alert?.textContent).toContain('Run aws configure.');
    expect(container.querySelector('[data-testid="role"]')).toBeNull();
  });

  it('reads the identity again on refresh', async () => {
    let calls = 0;
    client.identity = async (): Promise<IIdentity> => {
      calls += 1;
      return { ...demoIdentity, space: `space-${calls}` };
    };
    await show();
    expect(text('space')).toBe('space-1');
    const refresh = container.querySelector(
      '.jp-SmSetup-refresh'
    ) as HTMLButtonElement;
    await act(async () => {
      refresh.click();
      await Promise.resolve();
    });
    expect(text('space')).toBe('space-2');
  });

  it('shows each finding with its status; a deny reads as blocked', async () => {
    client.reports = [
      report({
        findings: [
          finding(),
          finding({ status: 'missing', action: 'codebuild:CreateProject' }),
          finding({ status: 'blocked', action: 'iam:PassRole' }),
          finding({ status: 'unknown', source: 'none' })
        ]
      })
    ];
    await show();
    await click('check-button');
    expect(text('check-verdict')).toBe('gaps');
    const statuses = Array.from(
      container.querySelectorAll('[data-testid="finding"]')
    ).map(node => node.getAttribute('data-status'));
    expect(statuses).toEqual(['allowed', 'missing', 'blocked', 'unknown']);
    // A row opens to why and how it was known, and says so to a screen reader.
    const toggle = container.querySelector(
      '[data-testid="finding"] button'
    ) as HTMLButtonElement;
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    await act(async () => toggle.click());
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(container.textContent).toContain('read from the role’s policies');
  });

  it('counts what the workflow can do without apart', async () => {
    client.reports = [
      report({
        verdict: 'ready',
        findings: [finding(), finding({ status: 'missing', optional: true })]
      })
    ];
    await show();
    await click('check-button');
    expect(text('check-verdict')).toBe('ready');
    expect(
      container.querySelector('.jp-SmSetup-counts')?.textContent
    ).toContain('1 missing (1 optional)');
  });

  it('marks the field the server refused', async () => {
    client.check = async () => {
      throw new SetupApiError(
        'The bucket name is not valid.',
        'Use 3-63 lowercase letters.',
        'bad_input',
        400,
        'bucket'
      );
    };
    await show();
    await click('check-button');
    const bucket = container.querySelector('[data-testid="param-bucket"]');
    expect(bucket?.getAttribute('aria-invalid')).toBe('true');
    const repository = container.querySelector(
      '[data-testid="param-repository"]'
    );
    expect(repository?.getAttribute('aria-invalid')).toBe('false');
    expect(text('check-error')).toContain('The bucket name is not valid.');
  });

  it('folds the steps above the one the user acted on, to a line of outcome', async () => {
    const folded = (name: string) =>
      container
        .querySelector(`[data-testid="section-${name}"]`)
        ?.getAttribute('data-folded');
    await show();
    expect(folded('workflow')).toBe('false');
    await click('check-button');
    expect(folded('workflow')).toBe('true');
    expect(folded('check')).toBe('false');
    expect(text('summary-workflow')).toContain('image-build');
    await click('fix-button');
    expect(folded('check')).toBe('true');
    expect(text('summary-check')).toBe('gaps: 1 missing');
    expect(folded('fix')).toBe('false');
    // The title opens a folded step again, until the next action.
    const title = container.querySelector(
      '[data-testid="section-check"] h3 button'
    ) as HTMLButtonElement;
    expect(title.getAttribute('aria-expanded')).toBe('false');
    await act(async () => title.click());
    expect(folded('check')).toBe('false');
    expect(title.getAttribute('aria-expanded')).toBe('true');
    await click('build-button');
    expect(folded('check')).toBe('true');
    expect(folded('fix')).toBe('true');
    expect(text('summary-fix')).toBe('planned, not applied');
    expect(folded('build')).toBe('false');
  });

  it('scrolls the step the user acted on to the top of the panel', async () => {
    const scrolled: string[] = [];
    const original = HTMLElement.prototype.scrollIntoView;
    HTMLElement.prototype.scrollIntoView = function (
      this: HTMLElement,
      options?: boolean | ScrollIntoViewOptions
    ) {
      const block = typeof options === 'object' ? options.block : options;
      scrolled.push(`${this.getAttribute('data-testid')}:${block}`);
    };
    try {
      await show();
      expect(scrolled).toEqual([]);
      await click('check-button');
      await click('fix-button');
      await click('build-button');
      // When each starts, and again when its outcome is there.
      expect(scrolled).toEqual([
        'section-check:start',
        'section-check:start',
        'section-fix:start',
        'section-fix:start',
        'section-build:start',
        'section-build:start'
      ]);
    } finally {
      HTMLElement.prototype.scrollIntoView = original;
    }
  });

  it('keeps the form open while it holds a refused value', async () => {
    client.startBuild = async () => {
      throw new SetupApiError(
        'There is no Dockerfile in notes: a build folder holds one at its top.',
        'Choose the folder that holds the Dockerfile.',
        'bad_input',
        400,
        'context'
      );
    };
    await show();
    await click('build-button');
    expect(
      container
        .querySelector('[data-testid="section-workflow"]')
        ?.getAttribute('data-folded')
    ).toBe('false');
    expect(
      container
        .querySelector('[data-testid="param-context"]')
        ?.getAttribute('aria-invalid')
    ).toBe('true');
  });

  it('offers the fix only when the check found something', async () => {
    client.reports = [report({ verdict: 'ready' })];
    await show();
    await click('check-button');
    expect(container.querySelector('[data-testid="fix-button"]')).toBeNull();
    client.reports = [report()];
    await click('check-button');
    await click('fix-button');
    expect(text('fix-diff')).toContain('+new');
    expect(
      container.querySelectorAll('.jp-SmSetup-diff-add').length
    ).toBeGreaterThan(0);
  });

  it('says which engine the check chose and why', async () => {
    client.reports = [
      report({
        verdict: 'ready',
        engine: 'local',
        engine_reason:
          'local: this space has Studio’s Docker (DOCKER_HOST) and domain d-1 enables it'
      })
    ];
    await show();
    expect(text('build-engine-intent')).toContain('else on CodeBuild');
    await click('check-button');
    expect(text('check-engine')).toBe(
      'A build uses Studio’s Docker: this space has Studio’s Docker (DOCKER_HOST) and domain d-1 enables it.'
    );
    expect(text('build-engine-intent')).toBe('on Studio’s Docker');
  });

  it('sends the engine the user chose with the check and the build', async () => {
    await show();
    const select = container.querySelector(
      '[data-testid="param-engine"]'
    ) as HTMLSelectElement;
    await act(async () => {
      model.setParams({ engine: 'codebuild' });
    });
    expect(select.value).toBe('codebuild');
    await click('check-button');
    await click('build-button');
    expect(client.named('check')[0][0]).toMatchObject({ engine: 'codebuild' });
    const sent = client.named('startBuild')[0][0] as Record<string, unknown>;
    expect(sent.engine).toBe('codebuild');
    expect(sent.rebuild).toBeUndefined();
  });

  it('shows an unchanged build with a way to rebuild it', async () => {
    const unchanged = build({
      status: 'SUCCEEDED',
      final: true,
      reason: 'unchanged',
      engine: 'local',
      engine_reason: 'local: this space has Studio’s Docker',
      message: 'Unchanged since build b-1 … "rebuild": true builds afresh.',
      unchanged_since: {
        build_id: 'b-20261207T044853Z-e65b25',
        date: '2026-12-07T04:48:54+00:00'
      },
      image_uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/r:t',
      digest: `sha256:${'a'.repeat(64)}`
    });
    client.startBuild = async options => {
      client.calls.push({ name: 'startBuild', args: [options] });
      return unchanged;
    };
    await show();
    await click('build-button');
    expect(text('build-unchanged')).toBe(
      'Unchanged since build b-20261207T044853Z-e65b25 (2026-12-07 04:48 UTC): ' +
        'nothing was built or pushed. A base image named by a moving tag ' +
        '(FROM …:latest) was not pulled again; Rebuild anyway pulls it.'
    );
    // The server's sentence spells the REST field: the panel has the button instead.
    expect(container.textContent).not.toContain('"rebuild"');
    expect(text('build-phase')).toBe('UNCHANGED');
    expect(text('build-engine')).toBe(
      'On Studio’s Docker: this space has Studio’s Docker'
    );
    expect(text('image-uri')).toBe(unchanged.image_uri);
    await click('rebuild-button');
    const sent = client.named('startBuild').map(args => args[0]) as Record<
      string,
      unknown
    >[];
    expect(sent).toHaveLength(2);
    expect(sent[0].rebuild).toBeUndefined();
    expect(sent[1].rebuild).toBe(true);
    expect(sent[1].context).toBe(sent[0].context);
  });
});
