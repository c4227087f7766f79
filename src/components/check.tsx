import * as React from 'react';

import {
  countByStatus,
  engineName,
  engineWhy,
  groupByStep,
  shownStatus,
  SOURCE_LABEL,
  STATUS_LABEL,
  STATUS_MARK,
  WHO_LABEL
} from '../logic';
import { IFinding, IReport } from '../model';
import { IState, SetupModel } from '../state';
import { Busy, ErrorView } from './common';

const VERDICT_TEXT: Record<IReport['verdict'], string> = {
  ready: 'The role has everything this workflow needs.',
  gaps: 'Something this workflow needs is missing: Fix plans the change.',
  unknown: 'Part of it could not be established; see the rows marked ?.'
};

function FindingRow(props: { finding: IFinding }): JSX.Element {
  const [open, setOpen] = React.useState(false);
  const f = props.finding;
  const shown = shownStatus(f);
  const detailsId = React.useId();
  const target = f.principal ?? f.resource;
  return (
    <li
      className={`jp-SmSetup-finding jp-mod-${shown}`}
      data-testid="finding"
      data-status={shown}
    >
      <button
        type="button"
        className="jp-SmSetup-findingToggle"
        aria-expanded={open}
        aria-controls={detailsId}
        onClick={() => setOpen(!open)}
      >
        <span
          className="jp-SmSetup-mark"
          role="img"
          aria-label={STATUS_LABEL[shown]}
        >
          {STATUS_MARK[shown]}
        </span>
        <span className="jp-SmSetup-action">{f.action}</span>
        <span className="jp-SmSetup-who">
          {WHO_LABEL[f.who]}
          {f.optional ? ' · optional' : ''}
        </span>
      </button>
      {open && (
        <dl className="jp-SmSetup-findingDetails" id={detailsId}>
          <dt>On</dt>
          <dd className="jp-SmSetup-mono">{target}</dd>
          <dt>Why</dt>
          <dd>{f.why}</dd>
          <dt>Evidence</dt>
          <dd className="jp-SmSetup-mono">{f.evidence || '—'}</dd>
          <dt>Known from</dt>
          <dd>{SOURCE_LABEL[f.source] ?? f.source}</dd>
          {f.premise && (
            <>
              <dt>Rests on</dt>
              <dd data-testid="finding-premise">{f.premise}</dd>
            </>
          )}
          {shown !== 'allowed' && f.fix && (
            <>
              <dt>Fix</dt>
              <dd>{f.fix}</dd>
            </>
          )}
        </dl>
      )}
    </li>
  );
}

export function ReportView(props: {
  report: IReport;
  seconds: number | null;
}): JSX.Element {
  const { report } = props;
  const counts = countByStatus(report.findings);
  // What the workflow can do without does not stand in the way of `ready`.
  const optional = report.findings.filter(
    f => f.optional && shownStatus(f) === 'missing'
  ).length;
  const groups = groupByStep(report.findings);
  return (
    <div className="jp-SmSetup-report">
      <p className={`jp-SmSetup-verdictLine jp-mod-${report.verdict}`}>
        <strong data-testid="check-verdict">{report.verdict}</strong>
        <span> — {VERDICT_TEXT[report.verdict]}</span>
      </p>
      <p className="jp-SmSetup-counts">
        <span className="jp-SmSetup-mono">{report.profile}</span>:{' '}
        {counts.allowed} allowed · {counts.missing} missing
        {optional > 0 ? ` (${optional} optional)` : ''} · {counts.unknown}{' '}
        unknown{counts.blocked ? ` · ${counts.blocked} blocked` : ''}
        {props.seconds !== null && (
          <span data-testid="check-seconds">
            {' '}
            · {props.seconds.toFixed(1)} s
          </span>
        )}
      </p>
      {report.engine && (
        <p className="jp-SmSetup-engine" data-testid="check-engine">
          A build uses <strong>{engineName(report.engine)}</strong>
          {report.engine_reason && <>: {engineWhy(report.engine_reason)}</>}.
        </p>
      )}
      {groups.map(group => (
        <div className="jp-SmSetup-step" key={group.step}>
          <h4 className={`jp-mod-${group.worst}`}>
            <span aria-hidden="true">{STATUS_MARK[group.worst]}</span>{' '}
            {group.step}
          </h4>
          <ul>
            {group.findings.map((finding, i) => (
              <FindingRow finding={finding} key={i} />
            ))}
          </ul>
        </div>
      ))}
      {report.lint.length > 0 && (
        <div className="jp-SmSetup-lint" data-testid="lint">
          <h4>On the role’s policies</h4>
          <ul>
            {report.lint.map((item, i) => (
              <li key={i} className={`jp-mod-${item.severity}`}>
                <span className="jp-SmSetup-mono">{item.code}</span>{' '}
                {item.message}
                {item.suggestion && (
                  <span className="jp-SmSetup-hint"> {item.suggestion}</span>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
      {report.notes.length > 0 && (
        <ul className="jp-SmSetup-notes">
          {report.notes.map((note, i) => (
            <li key={i}>{note}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function CheckView(props: {
  model: SetupModel;
  state: IState;
}): JSX.Element {
  const { model, state } = props;
  const check = state.check;
  return (
    <>
      <button
        type="button"
        className="jp-mod-styled jp-mod-accept jp-SmSetup-run"
        data-testid="check-button"
        disabled={check.kind === 'busy'}
        onClick={() => void model.check()}
      >
        {check.kind === 'done' ? 'Check again' : 'Check'}
      </button>
      {check.kind === 'busy' && <Busy text="Checking the role…" />}
      {check.kind === 'error' && (
        <ErrorView error={check.error} testId="check-error" />
      )}
      {check.kind === 'done' && (
        <ReportView report={check.value.report} seconds={check.value.seconds} />
      )}
    </>
  );
}
