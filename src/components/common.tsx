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

/** Scroll `ref` into view each time `seq` changes to a number (and never on first show). */
export function useBringIntoView(
  ref: React.RefObject<HTMLElement>,
  seq: number | null,
  block: ScrollLogicalPosition = 'start'
): void {
  React.useEffect(() => {
    if (seq !== null) {
      // jsdom has no layout, hence no scrollIntoView: nothing to bring into view there.
      ref.current?.scrollIntoView?.({ block, inline: 'nearest' });
    }
  }, [seq]);
}

/**
 * A step of the panel. Folded, it shows its title and a one-line summary of its outcome,
 * and the title expands it again; `focusSeq` (a number while this is the step the user
 * acted on) brings it to the top of the panel.
 */
export function Section(props: {
  title: string;
  className: string;
  children: React.ReactNode;
  folded?: boolean;
  summary?: string;
  onToggle?: () => void;
  focusSeq?: number | null;
}): JSX.Element {
  const id = `jp-SmSetup-${props.className}-title`;
  const bodyId = `jp-SmSetup-${props.className}-body`;
  const ref = React.useRef<HTMLElement>(null);
  useBringIntoView(ref, props.focusSeq ?? null);
  const folded = props.folded ?? false;
  return (
    <section
      ref={ref}
      className={`jp-SmSetup-section jp-SmSetup-${props.className}${folded ? ' jp-mod-folded' : ''}${props.focusSeq !== null && props.focusSeq !== undefined ? ' jp-mod-focused' : ''}`}
      aria-labelledby={id}
      data-testid={`section-${props.className}`}
      data-folded={folded}
    >
      <h3 id={id}>
        {props.onToggle ? (
          <button
            type="button"
            className="jp-SmSetup-sectionToggle"
            aria-expanded={!folded}
            aria-controls={bodyId}
            onClick={props.onToggle}
          >
            <span className="jp-SmSetup-caret" aria-hidden="true">
              {folded ? '▸' : '▾'}
            </span>
            {props.title}
          </button>
        ) : (
          props.title
        )}
      </h3>
      {folded && props.summary && (
        <p
          className="jp-SmSetup-summary"
          data-testid={`summary-${props.className}`}
        >
          {props.summary}
        </p>
      )}
      {/* Kept mounted when folded: open rows, the log's scroll and typed values survive. */}
      <div id={bodyId} hidden={folded}>
        {props.children}
      </div>
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
