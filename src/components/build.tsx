import * as React from 'react';

import {
  buildProgress,
  elapsedSeconds,
  engineIntent,
  engineName,
  engineWhy,
  FAILED_STATUSES,
  formatElapsed,
  unchangedText
} from '../logic';
import { IBuild } from '../model';
import { IState, SetupModel } from '../state';
import { Busy, CopyButton, ErrorView, useBringIntoView } from './common';
import { askAttach } from './dialogs';

/** Re-render every second while `active`, for the elapsed time. */
function useTicker(active: boolean): number {
  const [now, setNow] = React.useState(Date.now());
  React.useEffect(() => {
    if (!active) {
      return;
    }
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [active]);
  return now;
}

/** The log, following its tail unless the user scrolled up to read. */
function LogView(props: { lines: string[]; dropped: number }): JSX.Element {
  const ref = React.useRef<HTMLPreElement>(null);
  const follow = React.useRef(true);
  React.useLayoutEffect(() => {
    const node = ref.current;
    if (node && follow.current) {
      node.scrollTop = node.scrollHeight;
    }
  }, [props.lines]);
  return (
    <div className="jp-SmSetup-logBox">
      <div className="jp-SmSetup-logBar">
        <span>Log ({props.lines.length + props.dropped} lines)</span>
        <CopyButton
          text={() => props.lines.join('\n')}
          label="Copy the build log"
          testId="copy-log"
        />
      </div>
      <pre
        ref={ref}
        className="jp-SmSetup-log"
        data-testid="build-log"
        role="log"
        aria-label="Build log"
        tabIndex={0}
        onScroll={event => {
          const node = event.currentTarget;
          follow.current =
            node.scrollHeight - node.scrollTop - node.clientHeight < 24;
        }}
      >
        {props.dropped > 0 && `… ${props.dropped} earlier lines not shown\n`}
        {props.lines.join('\n')}
      </pre>
    </div>
  );
}

function statusClass(build: IBuild): string {
  if (build.status === 'SUCCEEDED') {
    return 'jp-mod-succeeded';
  }
  if (FAILED_STATUSES.includes(build.status)) {
    return 'jp-mod-failed';
  }
  return build.final ? 'jp-mod-stopped' : 'jp-mod-running';
}

function AttachView(props: {
  model: SetupModel;
  state: IState;
  build: IBuild;
}): JSX.Element {
  const { model, state, build } = props;
  const attach = state.attach;
  const identity = state.identity;
  const hasProfile =
    identity.kind === 'done' && identity.value.user_profile !== null;
  const ref = React.useRef<HTMLDivElement>(null);
  // Attaching is brought into view when it starts and again when it ends (its outcome
  // grows below the button); 'nearest' moves the panel no more than that needs.
  useBringIntoView(
    ref,
    state.focus?.step === 'attach' ? state.focus.seq : null,
    'nearest'
  );
  return (
    <div className="jp-SmSetup-attach" ref={ref}>
      <button
        type="button"
        className="jp-mod-styled jp-mod-accept jp-SmSetup-run"
        data-testid="attach-button"
        disabled={attach.kind === 'busy'}
        onClick={async () => {
          const choice = await askAttach(build.image_name ?? '', hasProfile);
          if (choice) {
            await model.attach(choice.imageName, choice.appType, choice.scope);
          }
        }}
      >
        Attach to Studio…
      </button>
      {attach.kind === 'busy' && (
        <Busy text="Attaching the image: SageMaker creates the image and its version, then updates the domain, each in its own time (a minute or more on AWS)…" />
      )}
      {attach.kind === 'error' && (
        <ErrorView error={attach.error} testId="attach-error" />
      )}
      {attach.kind === 'error' && attach.error.fixPlan && (
        <button
          type="button"
          className="jp-mod-styled jp-SmSetup-run"
          data-testid="attach-fix"
          onClick={() => void model.plan(attach.error.fixPlan ?? undefined)}
        >
          Plan the fix for attaching
        </button>
      )}
      {attach.kind === 'done' && (
        <div data-testid="attach-status" role="status">
          <p>{attach.value.message}</p>
          {attach.value.findings.map((text, i) => (
            <p className="jp-SmSetup-warning" key={i}>
              {text}
            </p>
          ))}
        </div>
      )}
    </div>
  );
}

function RunView(props: {
  model: SetupModel;
  state: IState;
  build: IBuild;
}): JSX.Element {
  const { model, state, build } = props;
  const now = useTicker(!build.final);
  const progress = buildProgress(build);
  const percent = Math.round(progress.fraction * 100);
  return (
    <div className="jp-SmSetup-buildRun">
      <div className="jp-SmSetup-buildHead">
        <span
          className={`jp-SmSetup-badge ${statusClass(build)}`}
          data-testid="build-status"
        >
          {build.status}
        </span>
        <span data-testid="build-phase" className="jp-SmSetup-phase">
          {progress.phase}
        </span>
        <span className="jp-SmSetup-elapsed" data-testid="build-elapsed">
          {formatElapsed(elapsedSeconds(build, now))}
        </span>
      </div>
      <div
        className="jp-SmSetup-progress"
        role="progressbar"
        aria-label="Build progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${progress.phase}, ${percent}%`}
      >
        <div
          className={`jp-SmSetup-progressBar ${statusClass(build)}`}
          style={{ width: `${percent}%` }}
        />
      </div>
      {build.engine && (
        <p className="jp-SmSetup-engine" data-testid="build-engine">
          On <strong>{engineName(build.engine)}</strong>
          {build.engine_reason && <>: {engineWhy(build.engine_reason)}</>}
        </p>
      )}
      {build.reason === 'unchanged' && (
        <div className="jp-SmSetup-unchanged" role="status">
          <p data-testid="build-unchanged">{unchangedText(build)}</p>
          <button
            type="button"
            className="jp-mod-styled jp-SmSetup-run"
            data-testid="rebuild-button"
            disabled={state.starting.kind === 'busy'}
            onClick={() => void model.rebuild()}
          >
            Rebuild anyway
          </button>
        </div>
      )}
      {/* A success's sentence repeats the image and digest shown just below. */}
      {!(build.status === 'SUCCEEDED' && build.image_uri) && (
        <p className="jp-SmSetup-buildMessage" data-testid="build-message">
          {build.message}
        </p>
      )}
      {build.error && (
        <ErrorView
          error={{
            message: build.error.message,
            hint: build.error.hint,
            field: build.error.field ?? '',
            code: build.error.code,
            fixPlan: null
          }}
        />
      )}
      {build.warnings.map((text, i) => (
        <p className="jp-SmSetup-warning" key={i}>
          {text}
        </p>
      ))}
      {!build.final && (
        <button
          type="button"
          className="jp-mod-styled jp-mod-reject"
          data-testid="cancel-build"
          disabled={state.stopping || build.status === 'STOPPING'}
          onClick={() => void model.cancelBuild()}
        >
          {state.stopping ? 'Stopping…' : 'Cancel build'}
        </button>
      )}
      {state.followError && <ErrorView error={state.followError} />}
      {build.image_uri && (
        <div className="jp-SmSetup-image">
          <dl>
            <dt>Image</dt>
            <dd className="jp-SmSetup-mono" data-testid="image-uri">
              {build.image_uri}
            </dd>
            {build.digest && (
              <>
                <dt>Digest</dt>
                <dd className="jp-SmSetup-mono" data-testid="image-digest">
                  {build.digest}
                </dd>
              </>
            )}
          </dl>
          <CopyButton
            text={() => build.image_uri ?? ''}
            label="Copy the image URI"
          />
        </div>
      )}
      {/* The next step sits by the result, above the log the user no longer needs. */}
      {build.status === 'SUCCEEDED' && build.image_uri && (
        <AttachView model={model} state={state} build={build} />
      )}
      <LogView lines={state.log} dropped={state.logDropped} />
    </div>
  );
}

/** Where the next build runs: as the last check of this form said, else as the form asks. */
function intent(state: IState): string {
  const check = state.check;
  const report = check.kind === 'done' ? check.value.report : null;
  if (report?.engine && report.profile === 'image-build') {
    return `on ${engineName(report.engine)}`;
  }
  return engineIntent(state.params.engine);
}

export function BuildView(props: {
  model: SetupModel;
  state: IState;
}): JSX.Element {
  const { model, state } = props;
  const build = state.build;
  const running = build !== null && !build.final;
  return (
    <>
      <p className="jp-SmSetup-note">
        Builds <code data-testid="build-folder">{model.folder || '/'}</code>{' '}
        <span data-testid="build-engine-intent">{intent(state)}</span>. An image
        of exactly these inputs already in the repository is reused, not
        rebuilt.
      </p>
      <button
        type="button"
        className="jp-mod-styled jp-mod-accept jp-SmSetup-run"
        data-testid="build-button"
        disabled={running || state.starting.kind === 'busy'}
        onClick={() => void model.startBuild()}
      >
        {running ? 'Building…' : 'Build image'}
      </button>
      {state.starting.kind === 'busy' && (
        <Busy text="Checking and uploading the build folder…" />
      )}
      {state.starting.kind === 'error' && (
        <ErrorView error={state.starting.error} testId="build-error" />
      )}
      {build && <RunView model={model} state={state} build={build} />}
    </>
  );
}
