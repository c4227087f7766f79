import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { setupIcon } from './icon';
import { IIdentity } from './model';
import { requestAPI, SetupApiError } from './request';

type LoadState =
  | { kind: 'loading' }
  | { kind: 'ready'; identity: IIdentity }
  | { kind: 'error'; message: string; hint: string };

export type IdentityLoader = () => Promise<IIdentity>;

export const loadIdentity: IdentityLoader = () =>
  requestAPI<IIdentity>('context');

function Row(props: {
  label: string;
  value: string | null;
  testId: string;
}): JSX.Element {
  return (
    <div className="jp-SmSetup-row">
      <dt>{props.label}</dt>
      <dd data-testid={props.testId} title={props.value ?? ''}>
        {props.value ?? '—'}
      </dd>
    </div>
  );
}

export function IdentityView(props: { identity: IIdentity }): JSX.Element {
  const id = props.identity;
  return (
    <dl className="jp-SmSetup-identity">
      <Row label="Account" value={id.account} testId="account" />
      <Row label="Region" value={id.region} testId="region" />
      <Row label="Running as" value={id.caller_arn} testId="caller" />
      <Row label="Execution role" value={id.role_arn} testId="role" />
      <Row label="Domain" value={id.domain_id} testId="domain" />
      <Row label="User profile" value={id.user_profile} testId="user-profile" />
      <Row label="Space" value={id.space} testId="space" />
    </dl>
  );
}

export function SetupPanelView(props: { load: IdentityLoader }): JSX.Element {
  const [state, setState] = React.useState<LoadState>({ kind: 'loading' });

  const refresh = React.useCallback(() => {
    setState({ kind: 'loading' });
    props
      .load()
      .then(identity => setState({ kind: 'ready', identity }))
      .catch((error: unknown) => {
        const hint = error instanceof SetupApiError ? error.hint : '';
        const message =
          error instanceof Error
            ? error.message
            : String(error ?? 'Unknown error');
        setState({ kind: 'error', message, hint });
      });
  }, [props.load]);

  React.useEffect(refresh, [refresh]);

  return (
    <div className="jp-SmSetup-panel">
      <header className="jp-SmSetup-header">
        <h2>Studio image set-up</h2>
        <button
          className="jp-mod-styled jp-SmSetup-refresh"
          onClick={refresh}
          disabled={state.kind === 'loading'}
          title="Read the identity again"
        >
          Refresh
        </button>
      </header>
      {state.kind === 'ready' && state.identity.demo && (
        <div className="jp-SmSetup-demoBadge" data-testid="demo-badge">
          Demo — no AWS account is used
        </div>
      )}
      {state.kind === 'loading' && (
        <p className="jp-SmSetup-status" role="status">
          Reading who you are…
        </p>
      )}
      {state.kind === 'error' && (
        <div className="jp-SmSetup-error" role="alert">
          <p>{state.message}</p>
          {state.hint && <p className="jp-SmSetup-hint">{state.hint}</p>}
        </div>
      )}
      {state.kind === 'ready' && <IdentityView identity={state.identity} />}
    </div>
  );
}

/**
 * The left-sidebar panel. Later waves add the check, fix, build and attach steps
 * below the identity; each is a view over one call of the REST API.
 */
export class SetupPanel extends ReactWidget {
  constructor(private readonly load: IdentityLoader = loadIdentity) {
    super();
    this.id = 'sm-studio-setup-panel';
    this.title.icon = setupIcon;
    this.title.caption = 'SageMaker Studio image set-up';
    this.addClass('jp-SmSetup');
  }

  render(): JSX.Element {
    return <SetupPanelView load={this.load} />;
  }
}
