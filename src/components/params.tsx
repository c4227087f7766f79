import * as React from 'react';

import { COMPUTE_TYPES, ENGINES, IParams, PLATFORMS, PROFILES } from '../model';
import { IState, SetupModel } from '../state';

// The REST API names the field of a refused value; the form marks that input.
const FIELD_OF: Record<string, keyof IParams> = {
  profile: 'profile',
  repository: 'repository',
  bucket: 'bucket',
  context: 'context',
  compute_type: 'computeType',
  platform: 'platform',
  engine: 'engine',
  vpc_id: 'vpcId',
  subnet_ids: 'subnetIds',
  security_group_ids: 'securityGroupIds'
};

export function invalidField(state: IState): keyof IParams | null {
  for (const step of [state.check, state.plan, state.starting]) {
    if (step.kind === 'error' && step.error.field) {
      return FIELD_OF[step.error.field] ?? null;
    }
  }
  return null;
}

function TextField(props: {
  model: SetupModel;
  params: IParams;
  name: keyof IParams;
  label: string;
  placeholder: string;
  /** The field the server refused, if any. */
  invalid: keyof IParams | null;
}): JSX.Element {
  const id = `jp-SmSetup-field-${props.name}`;
  return (
    <div className="jp-SmSetup-field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        className="jp-mod-styled"
        type="text"
        spellCheck={false}
        autoComplete="off"
        data-testid={`param-${props.name}`}
        value={props.params[props.name]}
        placeholder={props.placeholder}
        aria-invalid={props.invalid === props.name}
        onChange={event =>
          props.model.setParams({ [props.name]: event.target.value })
        }
      />
    </div>
  );
}

function SelectField(props: {
  model: SetupModel;
  params: IParams;
  name: keyof IParams;
  label: string;
  choices: readonly string[];
  invalid: keyof IParams | null;
}): JSX.Element {
  const id = `jp-SmSetup-field-${props.name}`;
  return (
    <div className="jp-SmSetup-field">
      <label htmlFor={id}>{props.label}</label>
      <select
        id={id}
        className="jp-mod-styled"
        data-testid={`param-${props.name}`}
        value={props.params[props.name]}
        aria-invalid={props.invalid === props.name}
        onChange={event =>
          props.model.setParams({ [props.name]: event.target.value })
        }
      >
        {props.choices.map(choice => (
          <option key={choice} value={choice}>
            {choice}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The workflow and its parameters; the settings registry keeps them as defaults. */
export function ParamsForm(props: {
  model: SetupModel;
  state: IState;
}): JSX.Element {
  const { model, state } = props;
  const params = state.params;
  const invalid = invalidField(state);
  const common = { model, params, invalid };
  const vpcOpen = params.vpcId !== '' || invalid === 'vpcId';
  return (
    <form
      className="jp-SmSetup-params"
      aria-label="Workflow and build parameters"
      onSubmit={event => event.preventDefault()}
    >
      <SelectField
        {...common}
        name="profile"
        label="Workflow"
        choices={PROFILES}
      />
      <TextField
        {...common}
        name="repository"
        label="ECR repository"
        placeholder="sagemaker-studio-… (default)"
      />
      <TextField
        {...common}
        name="bucket"
        label="S3 bucket"
        placeholder="sagemaker-REGION-ACCOUNT (default)"
      />
      <TextField
        {...common}
        name="context"
        label="Build folder"
        placeholder={
          state.browserPath
            ? `${state.browserPath} (file browser)`
            : '/ (file browser)'
        }
      />
      <SelectField
        {...common}
        name="computeType"
        label="Compute type"
        choices={COMPUTE_TYPES}
      />
      <SelectField
        {...common}
        name="platform"
        label="Platform"
        choices={PLATFORMS}
      />
      <SelectField
        {...common}
        name="engine"
        label="Build engine"
        choices={ENGINES}
      />
      <details className="jp-SmSetup-vpc" open={vpcOpen}>
        <summary>VPC (optional)</summary>
        <TextField
          {...common}
          name="vpcId"
          label="VPC id"
          placeholder="vpc-…"
        />
        <TextField
          {...common}
          name="subnetIds"
          label="Subnet ids"
          placeholder="subnet-…, subnet-…"
        />
        <TextField
          {...common}
          name="securityGroupIds"
          label="Security group ids"
          placeholder="sg-…"
        />
      </details>
    </form>
  );
}
