import * as React from 'react';

import { diffLines } from '../logic';
import { IHandoff, IPlan } from '../model';
import { IState, SetupModel } from '../state';
import { Busy, CopyButton, ErrorView } from './common';
import { confirmApply, confirmUndo } from './dialogs';

export function DiffView(props: { diff: string }): JSX.Element {
  return (
    <pre
      className="jp-SmSetup-diff"
      data-testid="fix-diff"
      aria-label="What the fix changes"
      tabIndex={0}
    >
      {diffLines(props.diff).map((line, i) => (
        <span key={i} className={`jp-SmSetup-diff-${line.kind}`}>
          {line.text}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

const HANDOFF_TABS: { key: keyof IHandoff; label: string }[] = [
  { key: 'json', label: 'Policy JSON' },
  { key: 'cli', label: 'AWS CLI' },
  { key: 'cloudformation', label: 'CloudFormation' },
  { key: 'terraform', label: 'Terraform' }
];

export function HandoffView(props: { handoff: IHandoff }): JSX.Element {
  const [tab, setTab] = React.useState<keyof IHandoff>('json');
  const id = React.useId();
  const move = (event: React.KeyboardEvent, index: number) => {
    // The arrow keys move between tabs, as WAI-ARIA's tab pattern has it.
    const step =
      event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step !== 0) {
      const next = (index + step + HANDOFF_TABS.length) % HANDOFF_TABS.length;
      setTab(HANDOFF_TABS[next].key);
    }
  };
  return (
    <div className="jp-SmSetup-handoff" data-testid="handoff">
      <p>
        This role may not change itself. Send one of these to an administrator
        of the account; each makes exactly the change in the diff.
      </p>
      <div role="tablist" aria-label="Hand-off formats">
        {HANDOFF_TABS.map((item, i) => (
          <button
            key={item.key}
            type="button"
            role="tab"
            id={`${id}-${item.key}-tab`}
            aria-selected={tab === item.key}
            aria-controls={`${id}-${item.key}`}
            tabIndex={tab === item.key ? 0 : -1}
            data-testid={`handoff-tab-${item.key}`}
            className={tab === item.key ? 'jp-mod-active' : ''}
            onClick={() => setTab(item.key)}
            onKeyDown={event => move(event, i)}
          >
            {item.label}
          </button>
        ))}
      </div>
      {HANDOFF_TABS.filter(item => item.key === tab).map(item => (
        <div
          key={item.key}
          role="tabpanel"
          id={`${id}-${item.key}`}
          aria-labelledby={`${id}-${item.key}-tab`}
          className="jp-SmSetup-handoffPanel"
        >
          <CopyButton
            text={() => props.handoff[item.key]}
            label={`Copy the ${item.label}`}
            testId={`copy-${item.key}`}
          />
          <pre className="jp-SmSetup-code" data-testid={`handoff-${item.key}`}>
            {props.handoff[item.key]}
          </pre>
        </div>
      ))}
    </div>
  );
}

function PlanView(props: {
  model: SetupModel;
  state: IState;
  plan: IPlan;
}): JSX.Element {
  const { model, state, plan } = props;
  const fix = state.fix;
  const applied = fix.kind === 'done' && fix.value.status === 'applied';
  if (plan.empty) {
    return (
      <p className="jp-SmSetup-status" data-testid="fix-empty">
        Nothing to change: the role already has what the check asks for.
      </p>
    );
  }
  return (
    <>
      <p>
        Changes to <code>{plan.role_name}</code>: its trust policy and the
        inline policy <code>{plan.policy_name}</code>.
      </p>
      {fix.kind === 'done' ? (
        // Done with: folded, so the outcome below sits where the user is looking.
        <details className="jp-SmSetup-doneDiff">
          <summary>The change, as planned</summary>
          <DiffView diff={plan.diff} />
        </details>
      ) : (
        <DiffView diff={plan.diff} />
      )}
      {plan.quotas
        .filter(quota => quota.blocking)
        .map(quota => (
          <p className="jp-SmSetup-warning" key={quota.quota}>
            {quota.message}
          </p>
        ))}
      {plan.blocked.length > 0 && (
        <ul className="jp-SmSetup-warning">
          {plan.blocked.map((text, i) => (
            <li key={i}>{text}</li>
          ))}
        </ul>
      )}
      {plan.notes.map((note, i) => (
        <p className="jp-SmSetup-note" key={i}>
          {note}
        </p>
      ))}
      {!applied && (
        <button
          type="button"
          className="jp-mod-styled jp-mod-warn jp-SmSetup-run"
          data-testid="apply-button"
          disabled={!plan.applicable || fix.kind === 'busy'}
          onClick={async () => {
            if (await confirmApply(plan)) {
              await model.apply();
            }
          }}
        >
          Apply…
        </button>
      )}
    </>
  );
}

export function FixView(props: {
  model: SetupModel;
  state: IState;
}): JSX.Element {
  const { model, state } = props;
  const { plan, fix, undo } = state;
  return (
    <>
      <button
        type="button"
        className="jp-mod-styled jp-SmSetup-run"
        data-testid="fix-button"
        disabled={plan.kind === 'busy' || fix.kind === 'busy'}
        onClick={() => void model.plan()}
      >
        {plan.kind === 'done' ? 'Plan again' : 'Plan the fix'}
      </button>
      {plan.kind === 'busy' && <Busy text="Reading the role and planning…" />}
      {plan.kind === 'error' && <ErrorView error={plan.error} />}
      {/* Once applied, the outcome comes first: it is what the user waits for. */}
      {fix.kind === 'busy' && (
        <Busy text="Writing, then reading back until IAM shows it…" />
      )}
      {fix.kind === 'error' && (
        <ErrorView error={fix.error} testId="fix-error" />
      )}
      {fix.kind === 'done' && (
        <p
          className={`jp-SmSetup-result jp-mod-${fix.value.status}`}
          data-testid="fix-result"
          role="status"
        >
          {fix.value.message}
        </p>
      )}
      {fix.kind === 'done' && fix.value.handoff && (
        <HandoffView handoff={fix.value.handoff} />
      )}
      {fix.kind === 'done' &&
        fix.value.status === 'applied' &&
        fix.value.backup_id &&
        undo.kind !== 'done' && (
          <button
            type="button"
            className="jp-mod-styled jp-SmSetup-run"
            data-testid="undo-button"
            disabled={undo.kind === 'busy'}
            onClick={async () => {
              const role = plan.kind === 'done' ? plan.value.role_arn : '';
              if (await confirmUndo(role)) {
                await model.undoFix();
              }
            }}
          >
            Undo
          </button>
        )}
      {undo.kind === 'error' && <ErrorView error={undo.error} />}
      {undo.kind === 'done' && (
        <p className="jp-SmSetup-result" data-testid="undo-result">
          {undo.value.message}
        </p>
      )}
      {plan.kind === 'done' && (
        <PlanView model={model} state={state} plan={plan.value} />
      )}
    </>
  );
}
