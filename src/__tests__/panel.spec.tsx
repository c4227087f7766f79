import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { IIdentity } from '../model';
import { SetupPanelView } from '../panel';
import { SetupApiError } from '../request';
import { SetupModel } from '../state';
import { demoIdentity, FakeClient, finding, report } from './fakes';

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
});
