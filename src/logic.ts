/**
 * The panel's own logic, kept free of React and of the network so jest can test it whole:
 * what the form sends, how findings group and read, how far a build is.
 */
import {
  BuildStatus,
  ENGINES,
  IBuild,
  IFinding,
  IParams,
  PLATFORMS,
  PROFILES
} from './model';
import { SetupApiError } from './request';
import { Body } from './service';

/** The four states a finding shows; `blocked` needs an administrator (a Deny, a boundary, an SCP). */
export type Shown = 'allowed' | 'missing' | 'unknown' | 'blocked';

export function shownStatus(finding: IFinding): Shown {
  switch (finding.status) {
    case 'allowed':
      return 'allowed';
    case 'missing':
      return 'missing';
    case 'blocked':
      return 'blocked';
    default:
      return 'unknown';
  }
}

export const STATUS_MARK: Record<Shown, string> = {
  allowed: '✓',
  missing: '✗',
  unknown: '?',
  blocked: '⊘'
};

export const STATUS_LABEL: Record<Shown, string> = {
  allowed: 'allowed',
  missing: 'missing',
  unknown: 'not known',
  blocked: 'blocked by a policy'
};

export const WHO_LABEL: Record<IFinding['who'], string> = {
  caller: 'you (the Studio role)',
  build: 'the build (CodeBuild)',
  trust: 'trust policy'
};

export const SOURCE_LABEL: Record<IFinding['source'], string> = {
  local: 'read from the role’s policies',
  simulator: 'IAM policy simulator',
  probe: 'a harmless probe call',
  none: 'could not be established',
  domain: 'the domain’s own settings'
};

export interface IStepGroup {
  step: string;
  findings: IFinding[];
  /** The worst status in the group, for its heading. */
  worst: Shown;
}

const SEVERITY: Shown[] = ['allowed', 'unknown', 'missing', 'blocked'];

/** Findings by workflow step, in the order the workflow meets the steps. */
export function groupByStep(findings: IFinding[]): IStepGroup[] {
  const groups = new Map<string, IStepGroup>();
  for (const finding of findings) {
    let group = groups.get(finding.step);
    if (!group) {
      group = { step: finding.step, findings: [], worst: 'allowed' };
      groups.set(finding.step, group);
    }
    group.findings.push(finding);
    const shown = shownStatus(finding);
    if (SEVERITY.indexOf(shown) > SEVERITY.indexOf(group.worst)) {
      group.worst = shown;
    }
  }
  return [...groups.values()];
}

export function countByStatus(findings: IFinding[]): Record<Shown, number> {
  const counts: Record<Shown, number> = {
    allowed: 0,
    missing: 0,
    unknown: 0,
    blocked: 0
  };
  for (const finding of findings) {
    counts[shownStatus(finding)] += 1;
  }
  return counts;
}

function ids(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map(part => part.trim())
    .filter(part => part.length > 0);
}

function orNull(text: string): string | null {
  const trimmed = text.trim();
  return trimmed.length > 0 ? trimmed : null;
}

/**
 * The CheckOptions the form stands for. Values go to the server as typed (trimmed): the
 * server checks each against AWS's grammar and names the field when one is wrong.
 */
export function checkOptions(params: IParams): Body {
  const body: Body = {
    profile: params.profile,
    repository: orNull(params.repository),
    bucket: orNull(params.bucket),
    compute_type: params.computeType
  };
  if (params.profile === 'image-build') {
    // The check judges the role against the needs of the engine the build would use.
    body.engine = params.engine;
  }
  const vpc = orNull(params.vpcId);
  if (vpc) {
    body.vpc_id = vpc;
    body.subnet_ids = ids(params.subnetIds);
    body.security_group_ids = ids(params.securityGroupIds);
  }
  return body;
}

/** The BuildOptions of a build of `folder` (relative to the served root). */
export function buildOptions(
  params: IParams,
  folder: string,
  idempotencyKey: string,
  rebuild = false
): Body {
  const body = checkOptions({ ...params, profile: 'image-build' });
  body.context = folder;
  body.platform = params.platform;
  body.idempotency_key = idempotencyKey;
  if (rebuild) {
    body.rebuild = true;
  }
  return body;
}

/** How the panel names an engine the server chose. */
export function engineName(engine: string | null | undefined): string {
  switch (engine) {
    case 'local':
      return 'Studio’s Docker';
    case 'codebuild':
      return 'CodeBuild';
    case 'sm-docker':
      return 'sm-docker (CodeBuild)';
    default:
      return 'auto';
  }
}

/** The server's "local: why" reason, without the engine it starts with. */
export function engineWhy(reason: string | null | undefined): string {
  const text = reason ?? '';
  const cut = text.indexOf(': ');
  // The panel ends the sentence itself.
  return (cut >= 0 ? text.slice(cut + 2) : text).replace(/\.$/, '');
}

/** Where the form's engine builds, before a check or build has said. */
export function engineIntent(engine: IParams['engine']): string {
  switch (engine) {
    case 'local':
      return 'on Studio’s Docker in this space';
    case 'codebuild':
      return 'on CodeBuild';
    default:
      return 'on Studio’s Docker when this space has it and the domain allows it, else on CodeBuild';
  }
}

/**
 * What a build that found its image says, in the panel's words: the server's sentence
 * spells the REST field, and the panel has a button instead.
 */
export function unchangedText(build: IBuild): string {
  const since = build.unchanged_since;
  const when = since ? shownDate(since.date) : '';
  const whence = since?.build_id
    ? `build ${since.build_id} (${when})`
    : `the image pushed ${when}`;
  const moved = build.retagged
    ? ` ${build.retagged} now names it (a retag).`
    : '';
  return (
    `Unchanged since ${whence}: nothing was built or pushed.${moved} ` +
    'A base image named by a moving tag (FROM …:latest) was not pulled again; ' +
    'Rebuild anyway pulls it.'
  );
}

/** An ISO date as the server shows it: 2026-12-07 04:48 UTC. */
export function shownDate(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) {
    return iso;
  }
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The folder a build uses: the form's, else the file browser's current one. */
export function buildFolder(params: IParams, browserPath: string): string {
  const typed = params.context.trim();
  return typed.length > 0 ? typed : browserPath;
}

/** Settings hold free-form JSON: keep what is valid, default the rest. */
export function paramsFromSettings(
  raw: Record<string, unknown>,
  defaults: IParams
): IParams {
  const text = (key: keyof IParams): string => {
    const value = raw[key];
    return typeof value === 'string' ? value : (defaults[key] as string);
  };
  const profile = text('profile');
  const platform = text('platform');
  const engine = text('engine');
  return {
    profile: (PROFILES as readonly string[]).includes(profile)
      ? (profile as IParams['profile'])
      : defaults.profile,
    repository: text('repository'),
    bucket: text('bucket'),
    context: text('context'),
    computeType: text('computeType') || defaults.computeType,
    platform: (PLATFORMS as readonly string[]).includes(platform)
      ? (platform as IParams['platform'])
      : defaults.platform,
    engine: (ENGINES as readonly string[]).includes(engine)
      ? (engine as IParams['engine'])
      : defaults.engine,
    vpcId: text('vpcId'),
    subnetIds: text('subnetIds'),
    securityGroupIds: text('securityGroupIds')
  };
}

/** CodeBuild's phases in the order a build passes them. */
export const CODEBUILD_PHASES = [
  'SUBMITTED',
  'QUEUED',
  'PROVISIONING',
  'DOWNLOAD_SOURCE',
  'INSTALL',
  'PRE_BUILD',
  'BUILD',
  'POST_BUILD',
  'UPLOAD_ARTIFACTS',
  'FINALIZING',
  'COMPLETED'
];

// Our own steps before CodeBuild starts take this share of the bar.
const LOCAL_SHARE = 0.15;
const LOCAL_STEPS = [
  'CHECK',
  'INPUTS',
  'PACKAGE',
  'UPLOAD',
  'PROJECT',
  'START'
];
// A build on Studio's Docker has no CodeBuild phases: its own steps are the whole bar.
const DOCKER_STEPS = ['CHECK', 'INPUTS', 'BUILD', 'PUSH', 'IMAGE', 'ATTACH'];

export interface IProgress {
  /** 0..1 */
  fraction: number;
  /** What the build does now, as CodeBuild or our steps call it. */
  phase: string;
}

export function buildProgress(build: IBuild): IProgress {
  if (build.final && build.status === 'SUCCEEDED') {
    return {
      fraction: 1,
      phase: build.reason === 'unchanged' ? 'UNCHANGED' : 'COMPLETED'
    };
  }
  const phases = build.phases ?? [];
  // A build that ended early is shown where it ended, not at CodeBuild's COMPLETED.
  const ended = build.final
    ? phases.find(
        phase =>
          phase.phaseStatus !== undefined &&
          phase.phaseStatus !== 'SUCCEEDED' &&
          phase.phaseType !== 'COMPLETED'
      )
    : undefined;
  const current =
    ended?.phaseType ??
    build.current_phase ??
    (phases.length > 0 ? phases[phases.length - 1].phaseType : undefined);
  if (current) {
    const index = CODEBUILD_PHASES.indexOf(current);
    if (index >= 0) {
      const share = index / (CODEBUILD_PHASES.length - 1);
      return {
        fraction: LOCAL_SHARE + (1 - LOCAL_SHARE) * share,
        phase: current
      };
    }
    return { fraction: LOCAL_SHARE, phase: current };
  }
  const steps = build.steps ?? [];
  const last = steps.length > 0 ? steps[steps.length - 1] : undefined;
  if (!last) {
    return { fraction: 0, phase: 'CHECK' };
  }
  if (build.engine === 'local') {
    const index = Math.max(0, DOCKER_STEPS.indexOf(last.name));
    return { fraction: index / DOCKER_STEPS.length, phase: last.name };
  }
  const index = Math.max(0, LOCAL_STEPS.indexOf(last.name));
  return {
    fraction: (LOCAL_SHARE * (index + 1)) / (LOCAL_STEPS.length + 1),
    phase: last.name
  };
}

export const FAILED_STATUSES: BuildStatus[] = ['FAILED', 'FAULT', 'TIMED_OUT'];

export function elapsedSeconds(build: IBuild, now: number): number {
  const start = Date.parse(build.created);
  const end = build.ended ? Date.parse(build.ended) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) {
    return 0;
  }
  return Math.max(0, Math.round((end - start) / 1000));
}

export function formatElapsed(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m > 0 ? `${m} min ${s.toString().padStart(2, '0')} s` : `${s} s`;
}

/** What the user reads of an error: the server's sentence and hint, never a stack. */
export interface IShownError {
  message: string;
  hint: string;
  field: string;
  /** The API's stable code (attach_gaps, role_changed, ...); empty when not from the API. */
  code: string;
  /** The fix the server says closes it (its `then`, a fix/plan request), else null. */
  fixPlan: Body | null;
}

/** The form's label of each request field, so a hint can point at what to change. */
export const FIELD_LABELS: Record<string, string> = {
  profile: 'Workflow',
  repository: 'ECR repository',
  bucket: 'S3 bucket',
  context: 'Build folder',
  compute_type: 'Compute type',
  platform: 'Platform',
  engine: 'Build engine',
  vpc_id: 'VPC id',
  subnet_ids: 'Subnet ids',
  security_group_ids: 'Security group ids'
};

/** What to do, in the panel's words, for what it has no field of its own for. */
export const FIELD_HINTS: Record<string, string> = {
  dockerfile:
    'Choose a build folder with its Dockerfile at the top: the “Build folder” field above, or right-click a folder → Build image from this folder.',
  image_name: 'Give another image name when you attach.',
  display_name: 'Give another image name when you attach.',
  image_uri: 'Build the image here, then attach what the build made.',
  scope:
    'Attach to your own user profile (the attach dialog asks) if you may not change the domain.'
};

/** A hint written for another client of the API (a request's field or route): not for here. */
const FOREIGN_HINT = /request body|"[a-z_]+"|\b(POST|GET) [a-z]/;

export function shownError(error: unknown): IShownError {
  if (error instanceof SetupApiError) {
    // The REST hint names the request field; in the panel, the field has a label.
    const label = FIELD_LABELS[error.field];
    const fixPlan =
      error.then?.method === 'POST' && error.then.path === 'fix/plan'
        ? error.then.body
        : null;
    let hint = error.hint;
    if (label) {
      hint = `Change the “${label}” field above, then try again.`;
    } else if (fixPlan) {
      // The hint spells the REST request; the panel has a button for it.
      hint =
        'The button below plans exactly that fix; nothing is written until you apply it (or hand it to an administrator).';
    } else if (FIELD_HINTS[error.field]) {
      hint = FIELD_HINTS[error.field];
    } else if (FOREIGN_HINT.test(hint)) {
      // Better no hint than one that names what the panel does not show.
      hint = '';
    }
    return {
      message: error.message,
      hint,
      field: error.field,
      code: error.code,
      fixPlan
    };
  }
  if (error instanceof Error) {
    const offline = error.name === 'NetworkError' || error instanceof TypeError;
    return {
      message: offline
        ? 'The Jupyter server did not answer.'
        : error.message.split('\n')[0],
      hint: offline
        ? 'Check that JupyterLab is still running, then try again.'
        : '',
      field: '',
      code: '',
      fixPlan: null
    };
  }
  return {
    message: String(error ?? 'Unknown error'),
    hint: '',
    field: '',
    code: '',
    fixPlan: null
  };
}

/** A unified diff as lines with their kind, for the diff view. */
export type DiffKind = 'add' | 'del' | 'hunk' | 'file' | 'context';

export function diffLines(diff: string): { kind: DiffKind; text: string }[] {
  return diff
    .split('\n')
    .filter((line, i, all) => !(i === all.length - 1 && line === ''))
    .map(text => {
      let kind: DiffKind = 'context';
      if (text.startsWith('+++') || text.startsWith('---')) {
        kind = 'file';
      } else if (text.startsWith('@@')) {
        kind = 'hunk';
      } else if (text.startsWith('+')) {
        kind = 'add';
      } else if (text.startsWith('-')) {
        kind = 'del';
      }
      return { kind, text };
    });
}
