import { Clipboard } from '@jupyterlab/apputils';
import * as React from 'react';

import { IShownError } from '../logic';
import { IState, SetupModel } from '../state';

/** The model's state, re-rendered on every change. */
export function useModelState(model: SetupModel): IState {
  const [state, setState] = React.useState<IState>(model.state);
  React.useEffect(() => {
    const changed = (_: SetupModel, next: IState) => setState(next);
    model.changed.connect(changed);
    setState(model.state);
    return () => {
      model.changed.disconnect(changed);
    };
  }, [model]);
  return state;
}

/** The service's sentence and what to do, as the CLI prints them. */
export function ErrorView(props: {
  error: IShownError;
  testId?: string;
}): JSX.Element {
  return (
    <div className="jp-SmSetup-error" role="alert" data-testid={props.testId}>
      <p>{props.error.message}</p>
      {props.error.hint && (
        <p className="jp-SmSetup-hint">{props.error.hint}</p>
      )}
    </div>
  );
}

export function CopyButton(props: {
  text: () => string;
  label: string;
  testId?: string;
}): JSX.Element {
  const [copied, setCopied] = React.useState(false);
  React.useEffect(() => {
    if (!copied) {
      return;
    }
    const timer = window.setTimeout(() => setCopied(false), 1500);
    return () => window.clearTimeout(timer);
  }, [copied]);
  return (
    <button
      type="button"
      className="jp-mod-styled jp-SmSetup-copy"
      aria-label={props.label}
      title={props.label}
      data-testid={props.testId}
      onClick={() => {
        Clipboard.copyToSystem(props.text());
        setCopied(true);
      }}
    >
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}

export function Section(props: {
  title: string;
  className: string;
  children: React.ReactNode;
}): JSX.Element {
  const id = `jp-SmSetup-${props.className}-title`;
  return (
    <section
      className={`jp-SmSetup-section jp-SmSetup-${props.className}`}
      aria-labelledby={id}
    >
      <h3 id={id}>{props.title}</h3>
      {props.children}
    </section>
  );
}

export function Busy(props: { text: string }): JSX.Element {
  return (
    <p className="jp-SmSetup-status" role="status">
      {props.text}
    </p>
  );
}
