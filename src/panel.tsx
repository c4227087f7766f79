import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { BuildView } from './components/build';
import { CheckView } from './components/check';
import { ErrorView, Section, useModelState } from './components/common';
import { FixView } from './components/fix';
import { IdentityView } from './components/identity';
import { invalidField, ParamsForm } from './components/params';
import { setupIcon } from './icon';
import { SetupModel } from './state';
import {
  checkSummary,
  fixSummary,
  folds,
  SectionName,
  sectionOf,
  workflowSummary
} from './summary';

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
  // The panel is a narrow column: what the user just did is brought to its top and the
  // steps above it fold to a line each. A click on a folded title opens it until the next
  // action; the opened state is the user's, not the model's.
  const seq = state.focus?.seq ?? null;
  const [toggled, setToggled] = React.useState<{
    seq: number | null;
    open: Partial<Record<SectionName, boolean>>;
  }>({ seq, open: {} });
  const opened = toggled.seq === seq ? toggled.open : {};
  const invalid = invalidField(state);
  const summaries: Record<SectionName, string> = {
    workflow: workflowSummary(state.params, model.folder),
    check: checkSummary(state.check),
    fix: fixSummary(state),
    build: ''
  };
  const fold = (name: SectionName) => {
    const auto = folds(name, state, invalid);
    const folded = opened[name] === undefined ? auto : !opened[name];
    const focused =
      state.focus !== null &&
      state.focus.step !== 'attach' &&
      sectionOf(state.focus.step) === name;
    return {
      folded,
      summary: summaries[name],
      onToggle: () => setToggled({ seq, open: { ...opened, [name]: folded } }),
      focusSeq: focused ? seq : null
    };
  };
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
      <Section title="Workflow" className="workflow" {...fold('workflow')}>
        <ParamsForm model={model} state={state} />
      </Section>
      <Section title="1 · Check" className="check" {...fold('check')}>
        <CheckView model={model} state={state} />
      </Section>
      {showFix && (
        <Section title="2 · Fix" className="fix" {...fold('fix')}>
          <FixView model={model} state={state} />
        </Section>
      )}
      {(state.params.profile === 'image-build' || state.build !== null) && (
        <Section
          title="3 · Build and attach"
          className="build"
          {...fold('build')}
        >
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
