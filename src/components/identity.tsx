import * as React from 'react';

import { IIdentity } from '../model';

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
