import { ISignal, Signal } from '@lumino/signaling';

import {
  buildFolder,
  buildOptions,
  checkOptions,
  IShownError,
  shownError
} from './logic';
import {
  AppType,
  DEFAULT_PARAMS,
  IAttachResult,
  IBuild,
  IFixResult,
  IIdentity,
  IParams,
  IPlan,
  IReport
} from './model';
import { Body, IAttachRequest, ISetupClient } from './service';

/** One request's state, as the views show it. */
export type Async<T> =
  | { kind: 'idle' }
  | { kind: 'busy' }
  | { kind: 'done'; value: T }
  | { kind: 'error'; error: IShownError };

const IDLE = { kind: 'idle' } as const;
const BUSY = { kind: 'busy' } as const;

export type Operation = 'check' | 'fix' | 'undo' | 'build' | 'attach';

/** Where the user's attention is: the step they last acted on. */
export type Step = 'check' | 'fix' | 'build' | 'attach';

/**
 * The step the panel brings into view; `seq` grows with every user action, so acting on the
 * same step again brings it into view again.
 */
export interface IFocus {
  step: Step;
  seq: number;
}

/** What a finished long operation tells the user when the panel is hidden. */
export interface IEnded {
  operation: Operation;
  ok: boolean;
  message: string;
}

export interface ICheckDone {
  report: IReport;
  /** From the click to the answer, in seconds. */
  seconds: number;
}

export interface IState {
  identity: Async<IIdentity>;
  params: IParams;
  /** The file browser's current folder, relative to the served root. */
  browserPath: string;
  check: Async<ICheckDone>;
  plan: Async<IPlan>;
  fix: Async<IFixResult>;
  undo: Async<IFixResult>;
  /** Starting a build (the POST), separate from following one. */
  starting: Async<null>;
  build: IBuild | null;
  /** The latest error reading the build, cleared by the next good read. */
  followError: IShownError | null;
  stopping: boolean;
  log: string[];
  logDropped: number;
  attach: Async<IAttachResult>;
  /** Null until the user acts: then the panel shows that step's outcome where they look. */
  focus: IFocus | null;
}

// Enough lines to scroll back through a long build; older ones are dropped (and counted).
const LOG_LIMIT = 5000;

function newKey(): string {
  const random = Math.random().toString(36).slice(2, 10);
  return `panel-${Date.now().toString(36)}-${random}`;
}

/**
 * The sidebar's state and every action on it. Views render the state; commands (palette,
 * context menu) call the same methods, so a click and a command do exactly the same thing.
 * All logic about IAM and builds stays on the server: this only sequences REST calls.
 */
export class SetupModel {
  constructor(
    readonly client: ISetupClient,
    options: { pollMs?: number; now?: () => number } = {}
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.now = options.now ?? (() => Date.now());
  }

  readonly pollMs: number;
  readonly now: () => number;

  get state(): IState {
    return this._state;
  }

  get changed(): ISignal<this, IState> {
    return this._changed;
  }

  get ended(): ISignal<this, IEnded> {
    return this._ended;
  }

  /** Called with the form's values when the user changes them (to persist them). */
  onParamsChanged: ((params: IParams) => void) | null = null;

  dispose(): void {
    this._disposed = true;
    this.clearTimer();
    Signal.clearData(this);
  }

  setBrowserPath(path: string): void {
    this.update({ browserPath: path });
  }

  /** Values from the settings registry: shown, not written back. */
  loadParams(params: IParams): void {
    this.update({ params });
  }

  setParams(change: Partial<IParams>): void {
    const params = { ...this._state.params, ...change };
    // A plan not yet applied was made for the old values: don't offer it for the new ones.
    const stale =
      this._state.plan.kind === 'done' && this._state.fix.kind === 'idle';
    this.update(stale ? { params, plan: IDLE } : { params });
    this.onParamsChanged?.(params);
  }

  get folder(): string {
    return buildFolder(this._state.params, this._state.browserPath);
  }

  async loadIdentity(): Promise<void> {
    this.update({ identity: BUSY });
    try {
      const identity = await this.client.context();
      this.update({ identity: { kind: 'done', value: identity } });
    } catch (error) {
      this.update({ identity: { kind: 'error', error: shownError(error) } });
    }
  }

  /** Check the form's workflow, or exactly `options` (what a plan was made for). */
  async check(options?: Body): Promise<void> {
    if (this._state.check.kind === 'busy') {
      return;
    }
    this.focusOn('check');
    await this.runCheck(options);
  }

  /**
   * The check itself. After a fix or an undo it runs on its own: the user is reading the
   * fix's outcome, so the view stays there.
   */
  private async runCheck(options?: Body): Promise<void> {
    if (this._state.check.kind === 'busy') {
      return;
    }
    const started = this.now();
    this.update({ check: BUSY });
    try {
      const report = await this.client.check(
        options ?? checkOptions(this._state.params)
      );
      const seconds = (this.now() - started) / 1000;
      this.update({ check: { kind: 'done', value: { report, seconds } } });
      this.refocus('check');
      this.emit('check', true, `Check: ${report.verdict}.`);
    } catch (error) {
      const shown = shownError(error);
      this.update({ check: { kind: 'error', error: shown } });
      this.refocus('check');
      this.emit('check', false, shown.message);
    }
  }

  /** Plan the fix of the form's workflow, or of `options`; writes nothing. */
  async plan(options?: Body): Promise<void> {
    if (this._state.plan.kind === 'busy') {
      return;
    }
    this.focusOn('fix');
    this.update({ plan: BUSY, fix: IDLE, undo: IDLE });
    this._planOptions = options ?? checkOptions(this._state.params);
    try {
      const plan = await this.client.fixPlan(this._planOptions);
      this.update({ plan: { kind: 'done', value: plan } });
    } catch (error) {
      this.update({ plan: { kind: 'error', error: shownError(error) } });
    }
    this.refocus('fix');
  }

  /** Apply the plan on screen (the view asked for confirmation first), then check again. */
  async apply(): Promise<void> {
    const plan = this._state.plan;
    if (plan.kind !== 'done' || this._state.fix.kind === 'busy') {
      return;
    }
    this.focusOn('fix');
    this.update({ fix: BUSY, undo: IDLE });
    let result: IFixResult;
    try {
      result = await this.client.fixApply(plan.value.id);
    } catch (error) {
      const shown = shownError(error);
      this.update({ fix: { kind: 'error', error: shown } });
      this.refocus('fix');
      this.emit('fix', false, shown.message);
      return;
    }
    this.update({ fix: { kind: 'done', value: result } });
    // The user had scrolled down to Apply; the outcome is at the section's top.
    this.refocus('fix');
    this.emit('fix', result.status !== 'handoff', result.message);
    if (result.status !== 'handoff') {
      // The report on screen describes the role before the change.
      await this.runCheck(this._planOptions ?? undefined);
    }
  }

  async undoFix(): Promise<void> {
    const fix = this._state.fix;
    if (fix.kind !== 'done' || !fix.value.backup_id) {
      return;
    }
    this.focusOn('fix');
    this.update({ undo: BUSY });
    try {
      const result = await this.client.fixUndo(fix.value.backup_id);
      this.update({ undo: { kind: 'done', value: result }, plan: IDLE });
      this.refocus('fix');
      this.emit('undo', true, result.message);
      await this.runCheck(this._planOptions ?? undefined);
    } catch (error) {
      const shown = shownError(error);
      this.update({ undo: { kind: 'error', error: shown } });
      this.refocus('fix');
      this.emit('undo', false, shown.message);
    }
  }

  /**
   * Start a build of `folder` (default: the form's or the file browser's folder). With
   * `rebuild`, build even when the repository has an image of exactly these inputs.
   */
  async startBuild(folder?: string, rebuild = false): Promise<void> {
    if (this._state.starting.kind === 'busy' || this.building) {
      return;
    }
    const context = folder ?? this.folder;
    this._buildFolder = context;
    this.clearTimer();
    this.focusOn('build');
    this.update({
      starting: BUSY,
      build: null,
      followError: null,
      stopping: false,
      log: [],
      logDropped: 0,
      attach: IDLE
    });
    this._cursor = 0;
    try {
      const build = await this.client.startBuild(
        buildOptions(this._state.params, context, newKey(), rebuild)
      );
      this.update({ starting: IDLE, build });
      this.refocus('build');
      this.follow(build);
    } catch (error) {
      const shown = shownError(error);
      this.update({ starting: { kind: 'error', error: shown } });
      this.refocus('build');
      this.emit('build', false, shown.message);
    }
  }

  /** The build on screen again, built afresh: its inputs were built already. */
  async rebuild(): Promise<void> {
    await this.startBuild(this._buildFolder ?? undefined, true);
  }

  get building(): boolean {
    const build = this._state.build;
    return build !== null && !build.final;
  }

  async cancelBuild(): Promise<void> {
    const build = this._state.build;
    if (!build || build.final || this._state.stopping) {
      return;
    }
    this.update({ stopping: true });
    try {
      const stopped = await this.client.stopBuild(build.id);
      this.update({ build: stopped });
    } catch (error) {
      this.update({ stopping: false, followError: shownError(error) });
    }
  }

  /** Find the newest build again after a reload: follow it if it still runs. */
  async resume(): Promise<void> {
    try {
      const builds = await this.client.builds(1);
      const newest = builds[0];
      if (
        !newest ||
        this._state.build ||
        this._state.starting.kind === 'busy'
      ) {
        return;
      }
      this._cursor = 0;
      this.update({ build: newest, log: [], logDropped: 0 });
      if (!newest.final && this._state.focus === null) {
        // A build still running is what the user came back for.
        this.focusOn('build');
      }
      this.follow(newest);
    } catch {
      // The panel works without the list; a build started from here is followed anyway.
    }
  }

  async attach(
    imageName: string,
    appType: AppType,
    scope: 'domain' | 'user-profile'
  ): Promise<void> {
    const build = this._state.build;
    if (!build?.image_uri || this._state.attach.kind === 'busy') {
      return;
    }
    const request: IAttachRequest = {
      image_uri: build.image_uri,
      image_name: imageName,
      app_type: appType,
      scope,
      context:
        typeof build.options?.context === 'string'
          ? build.options.context
          : null
    };
    this.focusOn('attach');
    this.update({ attach: BUSY });
    try {
      const result = await this.client.attach(request);
      this.update({ attach: { kind: 'done', value: result } });
      this.emit('attach', true, result.message);
    } catch (error) {
      const shown = shownError(error);
      this.update({ attach: { kind: 'error', error: shown } });
      this.emit('attach', false, shown.message);
    }
    this.refocus('attach');
  }

  /** Show `step`'s outcome where the user is looking (the panel scrolls to it). */
  focusOn(step: Step): void {
    this.update({ focus: { step, seq: (this._state.focus?.seq ?? 0) + 1 } });
  }

  /**
   * An operation ended: its outcome has grown below where the view was brought when it
   * started (the panel could not scroll further then), so bring it again, unless the user
   * has moved on to another step meanwhile.
   */
  private refocus(step: Step): void {
    if (this._state.focus?.step === step) {
      this.focusOn(step);
    }
  }

  private follow(build: IBuild): void {
    this._following = build.id;
    void this.poll(build.id, build.final);
  }

  private async poll(id: string, wasFinal: boolean): Promise<void> {
    if (this._disposed || this._following !== id) {
      return;
    }
    let final = wasFinal;
    try {
      if (!wasFinal) {
        const build = await this.client.build(id);
        if (this._following !== id) {
          return;
        }
        final = build.final;
        this.update({
          build,
          followError: null,
          stopping: this._state.stopping && !build.final
        });
        if (final) {
          this.announce(build);
        }
      }
      await this.readLog(id);
    } catch (error) {
      this.update({ followError: shownError(error) });
    }
    if (!final && !this._disposed && this._following === id) {
      this._timer = window.setTimeout(
        () => void this.poll(id, false),
        this.pollMs
      );
    }
  }

  private async readLog(id: string): Promise<void> {
    // Pages until the cursor stops moving: a reload of a long build catches up at once.
    for (let page = 0; page < 50; page++) {
      const log = await this.client.buildLog(id, this._cursor);
      if (this._following !== id) {
        return;
      }
      if (log.lines.length === 0 || log.cursor === this._cursor) {
        this._cursor = log.cursor;
        return;
      }
      this._cursor = log.cursor;
      let lines = this._state.log.concat(log.lines);
      let dropped = this._state.logDropped;
      if (lines.length > LOG_LIMIT) {
        dropped += lines.length - LOG_LIMIT;
        lines = lines.slice(lines.length - LOG_LIMIT);
      }
      this.update({ log: lines, logDropped: dropped });
    }
  }

  private announce(build: IBuild): void {
    const ok = build.status === 'SUCCEEDED';
    const message = ok
      ? `Build succeeded: ${build.image_uri ?? ''}`.trim()
      : build.message || `Build ${build.status.toLowerCase()}.`;
    this.emit('build', ok, message);
  }

  private emit(operation: Operation, ok: boolean, message: string): void {
    if (!this._disposed) {
      this._ended.emit({ operation, ok, message });
    }
  }

  private clearTimer(): void {
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
      this._timer = null;
    }
    this._following = null;
  }

  private update(change: Partial<IState>): void {
    if (this._disposed) {
      return;
    }
    this._state = { ...this._state, ...change };
    this._changed.emit(this._state);
  }

  private _state: IState = {
    identity: IDLE,
    params: DEFAULT_PARAMS,
    browserPath: '',
    check: IDLE,
    plan: IDLE,
    fix: IDLE,
    undo: IDLE,
    starting: IDLE,
    build: null,
    followError: null,
    stopping: false,
    log: [],
    logDropped: 0,
    attach: IDLE,
    focus: null
  };
  private _changed = new Signal<this, IState>(this);
  private _ended = new Signal<this, IEnded>(this);
  private _planOptions: Body | null = null;
  private _cursor = 0;
  // The folder the last build was started with, which "Rebuild anyway" builds again.
  private _buildFolder: string | null = null;
  private _following: string | null = null;
  private _timer: number | null = null;
  private _disposed = false;
}
