import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { BuildView } from './components/build';
import { CheckView } from './components/check';
import { ErrorView, Section, useModelState } from './components/common';
import { FixView } from './components/fix';
import { IdentityView } from './components/identity';
import { ParamsForm } from './components/params';
import { setupIcon } from './icon';
import { SetupModel } from './state';

export function SetupPanelView(props: { model: SetupModel }): JSX.Element {
  const { model } = props;
  const state = useModelState(model);
  const identity = state.identity;
  const checked = state.check.kind === 'done';
  const showFix =
    (checked &&
      state.check.kind === 'done' &&
      state.check.value.report.verdict !== 'ready') ||
    state.plan.kind !== 'idle' ||
    state.fix.kind !== 'idle';
  return (
    <div className="jp-SmSetup-panel">
      <header className="jp-SmSetup-header">
        <h2>Studio image set-up</h2>
        <button
          type="button"
          className="jp-mod-styled jp-SmSetup-refresh"
          onClick={() => void model.loadIdentity()}
          disabled={identity.kind === 'busy'}
          title="Read the identity again"
        >
          Refresh
        </button>
      </header>
      {identity.kind === 'done' && identity.value.demo && (
        <div className="jp-SmSetup-demoBadge" data-testid="demo-badge">
          Demo — no AWS account is used
        </div>
      )}
      {identity.kind === 'busy' && (
        <p className="jp-SmSetup-status" role="status">
          Reading who you are…
        </p>
      )}
      {identity.kind === 'error' && <ErrorView error={identity.error} />}
      {identity.kind === 'done' && <IdentityView identity={identity.value} />}
      <Section title="Workflow" className="workflow">
        <ParamsForm model={model} state={state} />
      </Section>
      <Section title="1 · Check" className="check">
        <CheckView model={model} state={state} />
      </Section>
      {showFix && (
        <Section title="2 · Fix" className="fix">
          <FixView model={model} state={state} />
        </Section>
      )}
      {(state.params.profile === 'image-build' || state.build !== null) && (
        <Section title="3 · Build and attach" className="build">
          <BuildView model={model} state={state} />
        </Section>
      )}
    </div>
  );
}

/**
 * The left-sidebar panel: identity, the workflow's parameters, then check → fix → build →
 * attach, each a view over the REST API through the shared model.
 */
export class SetupPanel extends ReactWidget {
  constructor(readonly model: SetupModel) {
    super();
    this.id = 'sm-studio-setup-panel';
    this.title.icon = setupIcon;
    this.title.caption = 'SageMaker Studio image set-up';
    this.addClass('jp-SmSetup');
  }

  render(): JSX.Element {
    return <SetupPanelView model={this.model} />;
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }
}
