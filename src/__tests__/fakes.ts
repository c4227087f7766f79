import {
  IAttachResult,
  IBuild,
  IBuildLog,
  IFinding,
  IFixResult,
  IIdentity,
  IPlan,
  IReport
} from '../model';
import { Body, IAttachRequest, ISetupClient } from '../service';

export const demoIdentity: IIdentity = {
  account: '123456789012',
  region: 'us-east-1',
  partition: 'aws',
  caller_arn:
    'arn:aws:sts::123456789012:assumed-role/AmazonSageMaker-ExecutionRole-20261122T000000/SageMaker',
  role_arn:
    'arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20261122T000000',
  role_source: 'metadata',
  domain_id: 'd-studio-demo',
  user_profile: 'data-scientist',
  space: 'data-scientist-space',
  app_type: 'JupyterLab',
  in_studio: true,
  demo: true
};

export function finding(change: Partial<IFinding> = {}): IFinding {
  return {
    step: 'start the build',
    status: 'allowed',
    who: 'caller',
    action: 'codebuild:StartBuild',
    resource: 'arn:aws:codebuild:us-east-1:123456789012:project/p-*',
    principal: null,
    why: 'The build runs in CodeBuild.',
    source: 'local',
    evidence: "identity-based policy 'X' Statement[0]",
    fix: 'Allow codebuild:StartBuild.',
    optional: false,
    ...change
  };
}

export function report(change: Partial<IReport> = {}): IReport {
  return {
    verdict: 'gaps',
    profile: 'image-build',
    findings: [
      finding(),
      finding({
        step: 'create the CodeBuild project',
        status: 'missing',
        action: 'codebuild:CreateProject'
      })
    ],
    lint: [],
    notes: [],
    ...change
  };
}

export const plan: IPlan = {
  id: 'plan-1',
  role_arn: demoIdentity.role_arn as string,
  role_name: 'AmazonSageMaker-ExecutionRole-20261122T000000',
  profile: 'image-build',
  policy_name: 'sm-studio-setup-image-build',
  empty: false,
  applicable: true,
  diff: '--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n',
  blocked: [],
  quotas: [],
  notes: []
};

export function build(change: Partial<IBuild> = {}): IBuild {
  return {
    id: 'b-20261201T000000Z-abcdef',
    created: '2026-12-01T00:00:00Z',
    ended: null,
    status: 'IN_PROGRESS',
    final: false,
    message: 'Building.',
    reason: '',
    options: { context: 'images/pandas' },
    steps: [],
    phases: [],
    current_phase: null,
    image_uri: null,
    digest: null,
    bytes_uploaded: 0,
    warnings: [],
    error: null,
    attach: null,
    ...change
  };
}

/** A client whose answers a test sets, recording every call. */
export class FakeClient implements ISetupClient {
  calls: { name: string; args: unknown[] }[] = [];
  identity: () => Promise<IIdentity> = async () => demoIdentity;
  reports: IReport[] = [report()];
  fixResult: IFixResult = {
    status: 'applied',
    message: 'Applied.',
    plan_id: 'plan-1',
    backup_id: 'backup-1',
    handoff: null,
    denied_action: null
  };
  builds_: IBuild[] = [];
  /** Successive answers of GET builds/{id}; the last one repeats. */
  reads: IBuild[] = [];
  logPages: IBuildLog[] = [];
  attachAnswer: () => Promise<IAttachResult> = async () => ({
    image_uri: 'x',
    image_name: 'pandas',
    image_arn: 'arn:aws:sagemaker:us-east-1:123456789012:image/pandas',
    version: 1,
    app_type: 'JupyterLab',
    scope: 'domain',
    target: 'd-studio-demo',
    findings: [],
    warnings: [],
    message: 'Attached pandas version 1.'
  });

  private record(name: string, ...args: unknown[]): void {
    this.calls.push({ name, args });
  }

  named(name: string): unknown[][] {
    return this.calls.filter(c => c.name === name).map(c => c.args);
  }

  context(): Promise<IIdentity> {
    this.record('context');
    return this.identity();
  }
  async check(options: Body): Promise<IReport> {
    this.record('check', options);
    return this.reports.length > 1
      ? (this.reports.shift() as IReport)
      : this.reports[0];
  }
  async fixPlan(options: Body): Promise<IPlan> {
    this.record('fixPlan', options);
    return plan;
  }
  async fixApply(planId: string): Promise<IFixResult> {
    this.record('fixApply', planId);
    return this.fixResult;
  }
  async fixUndo(backupId: string): Promise<IFixResult> {
    this.record('fixUndo', backupId);
    return { ...this.fixResult, message: 'Undone.' };
  }
  async builds(limit?: number): Promise<IBuild[]> {
    this.record('builds', limit);
    return this.builds_;
  }
  async startBuild(options: Body): Promise<IBuild> {
    this.record('startBuild', options);
    return build();
  }
  async build(id: string): Promise<IBuild> {
    this.record('build', id);
    return this.reads.length > 1
      ? (this.reads.shift() as IBuild)
      : (this.reads[0] ?? build({ id }));
  }
  async buildLog(id: string, cursor: number): Promise<IBuildLog> {
    this.record('buildLog', id, cursor);
    return (
      this.logPages.shift() ?? {
        lines: [],
        cursor,
        status: 'IN_PROGRESS',
        final: false
      }
    );
  }
  async stopBuild(id: string): Promise<IBuild> {
    this.record('stopBuild', id);
    return build({ status: 'STOPPING' });
  }
  attach(options: IAttachRequest): Promise<IAttachResult> {
    this.record('attach', options);
    return this.attachAnswer();
  }
}

/** Let pending promises (and zero-delay timers) run. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise(resolve => setTimeout(resolve, 0));
  }
}
