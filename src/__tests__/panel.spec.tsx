import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { IIdentity } from '../model';
import { SetupPanelView } from '../panel';
import { SetupApiError } from '../request';

const demoIdentity: IIdentity = {
  account: '123456789012',
  region: 'us-east-1',
  partition: 'aws',
  caller_arn:
    'arn:aws:sts::123456789012:assumed-role/AmazonSageMaker-ExecutionRole-20261122T000000/SageMaker',
  role_arn:
    'arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20261122T000000',
  role_source: 'metadata',
  domain_id: 'd-studio-demo',
  user_profile: 'data-scientist',
  space: 'data-scientist-space',
  app_type: 'JupyterLab',
  in_studio: true,
  demo: true
};

describe('SetupPanelView', () => {
  let container: HTMLDivElement;
  let root: Root;

  beforeAll(() => {
    // React 18 only runs effects synchronously inside act() when told it is a test.
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
  });

  beforeEach(() => {
    container = document.createElement('div');
    document.body.appendChild(container);
    root = createRoot(container);
  });

  afterEach(() => {
    act(() => root.unmount());
    container.remove();
  });

  const text = (testId: string): string | null | undefined =>
    container.querySelector(`[data-testid="${testId}"]`)?.textContent;

  it('shows the identity and the demo badge', async () => {
    await act(async () => {
      root.render(<SetupPanelView load={async () => demoIdentity} />);
    });
    expect(text('role')).toBe(demoIdentity.role_arn);
    expect(text('domain')).toBe('d-studio-demo');
    expect(text('user-profile')).toBe('data-scientist');
    expect(text('demo-badge')).toContain('no AWS account is used');
  });

  it('has no demo badge against real AWS', async () => {
    await act(async () => {
      root.render(
        <SetupPanelView load={async () => ({ ...demoIdentity, demo: false })} />
      );
    });
    expect(container.querySelector('[data-testid="demo-badge"]')).toBeNull();
    expect(text('account')).toBe('123456789012');
  });

  it('shows the error sentence and its hint', async () => {
    await act(async () => {
      root.render(
        <SetupPanelView
          load={async () => {
            throw new SetupApiError(
              'No AWS credentials were found.',
              'Run aws configure.',
              'no_credentials',
              401
            );
          }}
        />
      );
    });
    const alert = container.querySelector('[role="alert"]');
    expect(alert?.textContent).toContain('No AWS credentials were found.');
    expect(alert?.textContent).toContain('Run aws configure.');
    expect(container.querySelector('[data-testid="role"]')).toBeNull();
  });

  it('reads the identity again on refresh', async () => {
    let calls = 0;
    const load = async (): Promise<IIdentity> => {
      calls += 1;
      return { ...demoIdentity, space: `space-${calls}` };
    };
    await act(async () => {
      root.render(<SetupPanelView load={load} />);
    });
    expect(text('space')).toBe('space-1');
    const button = container.querySelector('button') as HTMLButtonElement;
    await act(async () => {
      button.click();
    });
    expect(text('space')).toBe('space-2');
  });
});
