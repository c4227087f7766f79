/**
 * The shapes the REST API answers with (see openapi.yaml). Only the fields the panel reads
 * are typed; the server sends more.
 */

export interface IIdentity {
  account: string;
  region: string;
  partition: string;
  caller_arn: string;
  role_arn: string | null;
  role_source: 'metadata' | 'caller' | null;
  domain_id: string | null;
  user_profile: string | null;
  space: string | null;
  app_type: string | null;
  in_studio: boolean;
  demo: boolean;
}

export const PROFILES = [
  'image-build',
  'image-use',
  'studio-kernel',
  'pipelines',
  'mlops-cicd',
  'mlflow-deploy'
] as const;
export type Profile = (typeof PROFILES)[number];

export const COMPUTE_TYPES = [
  'BUILD_GENERAL1_SMALL',
  'BUILD_GENERAL1_MEDIUM',
  'BUILD_GENERAL1_LARGE',
  'BUILD_GENERAL1_XLARGE',
  'BUILD_GENERAL1_2XLARGE'
] as const;

export const PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
export type Platform = (typeof PLATFORMS)[number];

/**
 * Where a build runs. auto: Studio's own Docker when this space has it and the domain allows
 * it, else CodeBuild; the server decides and says why. (sm-docker, the original CLI, is for
 * the command line only.)
 */
export const ENGINES = ['auto', 'local', 'codebuild'] as const;
export type Engine = (typeof ENGINES)[number];

export const APP_TYPES = ['JupyterLab', 'CodeEditor', 'KernelGateway'] as const;
export type AppType = (typeof APP_TYPES)[number];

export type Verdict = 'ready' | 'gaps' | 'unknown';
export type FindingStatus = 'allowed' | 'missing' | 'blocked' | 'unknown';

export interface IFinding {
  step: string;
  status: FindingStatus;
  who: 'caller' | 'build' | 'trust';
  action: string;
  resource: string;
  principal: string | null;
  why: string;
  source: 'local' | 'simulator' | 'probe' | 'none' | 'domain';
  evidence: string;
  fix: string;
  optional: boolean;
  /** For `blocked`: which kind of policy blocks (explicit-deny, boundary, scp, ...). */
  blocked_by?: string | null;
  /** What a probe's answer rests on, and whether AWS confirms it. */
  premise?: string | null;
}

export interface ILintFinding {
  policy: string;
  code: string;
  severity: string;
  path: string;
  message: string;
  suggestion: string;
}

export interface IReport {
  verdict: Verdict;
  profile: string;
  findings: IFinding[];
  lint: ILintFinding[];
  notes: string[];
  /** image-build: the engine a build with these options uses, and why ("local: ..."). */
  engine?: string | null;
  engine_reason?: string | null;
}

export interface IQuota {
  quota: string;
  size: number;
  limit: number;
  blocking: boolean;
  message: string;
}

export interface IPlan {
  id: string;
  role_arn: string;
  role_name: string;
  profile: string;
  policy_name: string;
  empty: boolean;
  applicable: boolean;
  diff: string;
  blocked: string[];
  quotas: IQuota[];
  notes: string[];
}

export interface IHandoff {
  json: string;
  cli: string;
  cloudformation: string;
  terraform: string;
}

export interface IFixResult {
  status: 'applied' | 'unchanged' | 'handoff';
  message: string;
  plan_id: string | null;
  backup_id: string | null;
  handoff: IHandoff | null;
  denied_action: string | null;
}

export type BuildStatus =
  | 'IN_PROGRESS'
  | 'STOPPING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'FAULT'
  | 'TIMED_OUT'
  | 'STOPPED';

export interface IBuildStep {
  name: string;
  status: string;
  started: string;
  ended: string | null;
  detail: string;
}

export interface IBuildPhase {
  phaseType?: string;
  phaseStatus?: string;
  startTime?: string;
  endTime?: string;
}

export interface IApiErrorBody {
  code: string;
  message: string;
  hint: string;
  field?: string;
}

export interface IAttachResult {
  image_uri: string;
  image_name: string;
  image_arn: string;
  version: number;
  app_type: string;
  scope: string;
  target: string;
  findings: string[];
  warnings: string[];
  message: string;
}

export interface IBuild {
  id: string;
  created: string;
  ended?: string | null;
  status: BuildStatus;
  final: boolean;
  message: string;
  reason: string;
  options?: Record<string, unknown>;
  steps: IBuildStep[];
  phases: IBuildPhase[];
  current_phase?: string | null;
  /** Where the build runs once its check chose (local, codebuild), and why. */
  engine?: string | null;
  engine_reason?: string;
  /** With reason `unchanged`: the build that made the image, and when. */
  unchanged_since?: { build_id: string | null; date: string } | null;
  /** With reason `unchanged`: the requested tag, when it was moved to that image. */
  retagged?: string | null;
  image_uri: string | null;
  /** The SageMaker image name attach takes by default, as the server names it. */
  image_name?: string | null;
  digest: string | null;
  bytes_uploaded: number;
  warnings: string[];
  error?: IApiErrorBody | null;
  attach?: IAttachResult | null;
}

export interface IBuildLog {
  lines: string[];
  cursor: number;
  status: string;
  final: boolean;
}

/** The form's values; the settings registry keeps them as defaults. */
export interface IParams {
  profile: Profile;
  repository: string;
  bucket: string;
  /** The build folder, relative to the served root; empty: the file browser's folder. */
  context: string;
  computeType: string;
  platform: Platform;
  engine: Engine;
  vpcId: string;
  subnetIds: string;
  securityGroupIds: string;
}

export const DEFAULT_PARAMS: IParams = {
  profile: 'image-build',
  repository: '',
  bucket: '',
  context: '',
  computeType: 'BUILD_GENERAL1_SMALL',
  platform: 'linux/amd64',
  engine: 'auto',
  vpcId: '',
  subnetIds: '',
  securityGroupIds: ''
};
