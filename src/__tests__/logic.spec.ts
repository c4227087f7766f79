import {
  buildFolder,
  buildOptions,
  buildProgress,
  checkOptions,
  countByStatus,
  diffLines,
  elapsedSeconds,
  formatElapsed,
  groupByStep,
  paramsFromSettings,
  shownError,
  shownStatus
} from '../logic';
import { DEFAULT_PARAMS } from '../model';
import { SetupApiError } from '../request';
import { build, finding } from './fakes';

describe('findings', () => {
  it('shows an explicit deny as blocked', () => {
    expect(shownStatus(finding({ status: 'blocked' }))).toBe('blocked');
    expect(shownStatus(finding({ status: 'missing' }))).toBe('missing');
    expect(shownStatus(finding({ status: 'unknown' }))).toBe('unknown');
  });

  it('groups by step in the order met, with the worst status of each', () => {
    const groups = groupByStep([
      finding({ step: 'b' }),
      finding({ step: 'a', status: 'unknown' }),
      finding({ step: 'b', status: 'blocked' }),
      finding({ step: 'a', status: 'allowed' })
    ]);
    expect(groups.map(g => [g.step, g.worst, g.findings.length])).toEqual([
      ['b', 'blocked', 2],
      ['a', 'unknown', 2]
    ]);
    expect(
      countByStatus(
        ([] as ReturnType<typeof finding>[]).concat(
          ...groups.map(g => g.findings)
        )
      )
    ).toEqual({
      allowed: 2,
      missing: 0,
      unknown: 1,
      blocked: 1
    });
  });
});

describe('what the form sends', () => {
  it('sends empty fields as null and the VPC only with a VPC id', () => {
    const body = checkOptions({
      ...DEFAULT_PARAMS,
      repository: '  pandas:1 ',
      subnetIds: 'subnet-1'
    });
    expect(body).toEqual({
      profile: 'image-build',
      repository: 'pandas:1',
      bucket: null,
      compute_type: 'BUILD_GENERAL1_SMALL',
      engine: 'auto'
    });
    // The engine is the image build's: other workflows do not send it.
    expect(
      checkOptions({ ...DEFAULT_PARAMS, profile: 'pipelines' }).engine
    ).toBeUndefined();
    const vpc = checkOptions({
      ...DEFAULT_PARAMS,
      vpcId: 'vpc-1',
      subnetIds: 'subnet-1, subnet-2\nsubnet-3',
      securityGroupIds: ''
    });
    expect(vpc.subnet_ids).toEqual(['subnet-1', 'subnet-2', 'subnet-3']);
    expect(vpc.security_group_ids).toEqual([]);
  });

  it('builds with the image-build workflow, the folder and a key', () => {
    const body = buildOptions(
      { ...DEFAULT_PARAMS, profile: 'pipelines', platform: 'linux/arm64' },
      'images/pandas',
      'key-1'
    );
    expect(body).toMatchObject({
      profile: 'image-build',
      context: 'images/pandas',
      platform: 'linux/arm64',
      idempotency_key: 'key-1'
    });
  });

  it('takes the typed folder over the file browser’s', () => {
    expect(buildFolder(DEFAULT_PARAMS, 'work/img')).toBe('work/img');
    expect(buildFolder({ ...DEFAULT_PARAMS, context: ' other ' }, 'x')).toBe(
      'other'
    );
  });

  it('keeps valid settings and defaults the rest', () => {
    const params = paramsFromSettings(
      {
        profile: 'root-everything',
        platform: 'windows',
        repository: 'pandas',
        bucket: 42,
        computeType: '',
        engine: 'docker-in-docker'
      },
      DEFAULT_PARAMS
    );
    expect(params.profile).toBe('image-build');
    expect(params.platform).toBe('linux/amd64');
    expect(params.repository).toBe('pandas');
    expect(params.bucket).toBe('');
    expect(params.computeType).toBe('BUILD_GENERAL1_SMALL');
    expect(params.engine).toBe('auto');
    expect(paramsFromSettings({ engine: 'local' }, DEFAULT_PARAMS).engine).toBe(
      'local'
    );
  });

  it('asks for a rebuild only when told', () => {
    const plain = buildOptions(DEFAULT_PARAMS, 'img', 'k');
    expect(plain.rebuild).toBeUndefined();
    expect(buildOptions(DEFAULT_PARAMS, 'img', 'k', true).rebuild).toBe(true);
  });
});

describe('build progress', () => {
  it('moves through our steps, then CodeBuild’s phases', () => {
    const upload = buildProgress(
      build({
        steps: [
          {
            name: 'UPLOAD',
            status: 'IN_PROGRESS',
            started: '',
            ended: null,
            detail: ''
          }
        ]
      })
    );
    const phase = buildProgress(build({ current_phase: 'BUILD' }));
    const later = buildProgress(build({ current_phase: 'POST_BUILD' }));
    expect(upload.phase).toBe('UPLOAD');
    expect(upload.fraction).toBeGreaterThan(0);
    expect(phase.fraction).toBeGreaterThan(upload.fraction);
    expect(later.fraction).toBeGreaterThan(phase.fraction);
    expect(later.fraction).toBeLessThan(1);
  });

  it('moves a build on Studio’s Docker through its own steps', () => {
    const at = (name: string) =>
      buildProgress(
        build({
          engine: 'local',
          steps: [
            {
              name,
              status: 'IN_PROGRESS',
              started: '',
              ended: null,
              detail: ''
            }
          ]
        })
      );
    const [check, inputs, dockerBuild, push] = [
      'CHECK',
      'INPUTS',
      'BUILD',
      'PUSH'
    ].map(at);
    expect(dockerBuild.phase).toBe('BUILD');
    expect(inputs.fraction).toBeGreaterThan(check.fraction);
    expect(dockerBuild.fraction).toBeGreaterThan(inputs.fraction);
    expect(push.fraction).toBeGreaterThan(dockerBuild.fraction);
    expect(push.fraction).toBeLessThan(1);
    expect(
      buildProgress(
        build({ status: 'SUCCEEDED', final: true, reason: 'unchanged' })
      ).phase
    ).toBe('UNCHANGED');
  });

  it('is full on success and stays where a failure happened', () => {
    expect(
      buildProgress(build({ status: 'SUCCEEDED', final: true })).fraction
    ).toBe(1);
    const failed = buildProgress(
      build({
        status: 'FAILED',
        final: true,
        current_phase: 'COMPLETED',
        phases: [
          { phaseType: 'PRE_BUILD', phaseStatus: 'SUCCEEDED' },
          { phaseType: 'BUILD', phaseStatus: 'FAILED' },
          { phaseType: 'COMPLETED' }
        ]
      })
    );
    expect(failed.phase).toBe('BUILD');
    expect(failed.fraction).toBeLessThan(1);
  });

  it('counts time to the end, or to now while running', () => {
    const running = build({ created: '2026-12-01T00:00:00Z' });
    expect(elapsedSeconds(running, Date.parse('2026-12-01T00:01:05Z'))).toBe(
      65
    );
    const ended = build({ ended: '2026-12-01T00:00:30Z', final: true });
    expect(elapsedSeconds(ended, Date.parse('2026-12-02T00:00:00Z'))).toBe(30);
    expect(formatElapsed(65)).toBe('1 min 05 s');
    expect(formatElapsed(9)).toBe('9 s');
  });
});

describe('names and errors', () => {
  it('shows the service’s sentence and hint, or one line otherwise', () => {
    const api = shownError(
      new SetupApiError('Refused.', 'Use a name.', 'bad_input', 400, 'bucket')
    );
    expect(api).toEqual({
      message: 'Refused.',
      hint: 'Change the “S3 bucket” field above, then try again.',
      field: 'bucket',
      code: 'bad_input',
      fixPlan: null
    });
    const other = shownError(
      new SetupApiError(
        'No credentials.',
        'Run aws configure.',
        'no_credentials',
        401
      )
    );
    expect(other.hint).toBe('Run aws configure.');
    // A hint written for another REST client never reaches the panel's reader.
    const rest = shownError(
      new SetupApiError(
        'There is no file Dockerfile.gpu in /srv/p to build from.',
        'Set "dockerfile" (the Dockerfile) in the request body.',
        'bad_input',
        400,
        'dockerfile'
      )
    );
    expect(rest.hint).toContain('“Build folder” field above');
    const routed = shownError(
      new SetupApiError(
        'Refused.',
        'Run POST fix/undo {"backup_id": "x"}.',
        'bad',
        409,
        'secrets'
      )
    );
    expect(routed.hint).toBe('');
    const network = shownError(new TypeError('Failed to fetch'));
    expect(network.message).toBe('The Jupyter server did not answer.');
    const bug = shownError(new Error('first line\n    at stack frame'));
    expect(bug.message).toBe('first line');
  });

  it('reads a unified diff line by line', () => {
    expect(
      diffLines('--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n z\n').map(l => l.kind)
    ).toEqual(['file', 'file', 'hunk', 'del', 'add', 'context']);
  });
});
