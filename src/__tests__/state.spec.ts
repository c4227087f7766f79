import { IEnded, SetupModel } from '../state';
import { build, FakeClient, report, settle } from './fakes';

describe('SetupModel', () => {
  let client: FakeClient;
  let model: SetupModel;
  let ended: IEnded[];

  beforeEach(() => {
    client = new FakeClient();
    model = new SetupModel(client, { pollMs: 0 });
    ended = [];
    model.ended.connect((_, e) => ended.push(e));
  });

  afterEach(() => model.dispose());

  it('checks the form’s workflow and says how long it took', async () => {
    model.setParams({ repository: 'pandas' });
    await model.check();
    expect(client.named('check')).toEqual([
      [
        expect.objectContaining({
          profile: 'image-build',
          repository: 'pandas'
        })
      ]
    ]);
    expect(model.state.check.kind).toBe('done');
    expect(ended).toEqual([
      { operation: 'check', ok: true, message: 'Check: gaps.' }
    ]);
  });

  it('persists the form through its callback, but not values loaded from settings', () => {
    const saved: string[] = [];
    model.onParamsChanged = params => saved.push(params.bucket);
    model.loadParams({ ...model.state.params, bucket: 'from-settings' });
    model.setParams({ bucket: 'typed' });
    expect(saved).toEqual(['typed']);
  });

  it('drops a plan not yet applied when the form changes', async () => {
    await model.plan();
    model.setParams({ repository: 'other' });
    expect(model.state.plan.kind).toBe('idle');
    await model.plan();
    await model.apply();
    model.setParams({ repository: 'third' });
    expect(model.state.plan.kind).toBe('done');
  });

  it('applies only a plan on screen, then checks what the plan was for', async () => {
    await model.apply();
    expect(client.named('fixApply')).toEqual([]);
    client.reports = [report({ verdict: 'ready' })];
    await model.plan({ profile: 'studio-kernel', image_name: 'pandas' });
    await model.apply();
    expect(client.named('fixApply')).toEqual([['plan-1']]);
    expect(client.named('check').pop()).toEqual([
      { profile: 'studio-kernel', image_name: 'pandas' }
    ]);
    expect(
      model.state.check.kind === 'done' &&
        model.state.check.value.report.verdict
    ).toBe('ready');
  });

  it('does not re-check after a hand-off', async () => {
    client.fixResult = {
      ...client.fixResult,
      status: 'handoff',
      backup_id: null,
      handoff: { json: '{}', cli: 'aws', cloudformation: 'cf', terraform: 'tf' }
    };
    await model.plan();
    await model.apply();
    expect(client.named('check')).toEqual([]);
    expect(ended.pop()).toMatchObject({ operation: 'fix', ok: false });
  });

  it('undoes from the backup the apply made', async () => {
    await model.plan();
    await model.apply();
    await model.undoFix();
    expect(client.named('fixUndo')).toEqual([['backup-1']]);
    expect(model.state.undo.kind).toBe('done');
  });

  it('follows a build to its end, reading the log page by page', async () => {
    client.reads = [
      build({ current_phase: 'BUILD' }),
      build({
        status: 'SUCCEEDED',
        final: true,
        image_uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/pandas:latest'
      })
    ];
    client.logPages = [
      { lines: ['one', 'two'], cursor: 2, status: 'IN_PROGRESS', final: false },
      { lines: [], cursor: 2, status: 'IN_PROGRESS', final: false },
      { lines: ['three'], cursor: 3, status: 'SUCCEEDED', final: true }
    ];
    model.setBrowserPath('images/pandas');
    await model.startBuild();
    await settle(30);
    expect(client.named('startBuild')[0][0]).toMatchObject({
      context: 'images/pandas',
      profile: 'image-build'
    });
    expect(model.state.build?.status).toBe('SUCCEEDED');
    expect(model.state.log).toEqual(['one', 'two', 'three']);
    expect(client.named('buildLog').map(args => args[1])).toEqual(
      expect.arrayContaining([0, 2])
    );
    expect(ended.pop()).toMatchObject({ operation: 'build', ok: true });
    const reads = client.named('build').length;
    await settle(10);
    expect(client.named('build').length).toBe(reads);
  });

  it('finds the newest build again after a reload', async () => {
    client.builds_ = [build({ id: 'b-20261201T000000Z-123456' })];
    await model.resume();
    await settle();
    expect(model.state.build?.id).toBe('b-20261201T000000Z-123456');
    expect(client.named('build')[0]).toEqual(['b-20261201T000000Z-123456']);
  });

  it('cancels a running build once', async () => {
    await model.startBuild();
    await Promise.all([model.cancelBuild(), model.cancelBuild()]);
    expect(client.named('stopBuild')).toEqual([[build().id]]);
  });

  it('offers the fix the server names when attaching is refused', async () => {
    client.reads = [
      build({
        status: 'SUCCEEDED',
        final: true,
        image_uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/pandas:1'
      })
    ];
    await model.startBuild();
    await settle();
    const { SetupApiError } = await import('../request');
    const then = {
      method: 'POST',
      path: 'fix/plan',
      body: {
        profile: 'studio-kernel',
        image_name: 'pandas',
        scope: 'user-profile'
      }
    };
    client.attachAnswer = async () => {
      throw new SetupApiError(
        'The role may not attach.',
        'Fix it.',
        'attach_gaps',
        409,
        '',
        then
      );
    };
    await model.attach('pandas', 'CodeEditor', 'user-profile');
    const attach = model.state.attach;
    expect(attach.kind === 'error' && attach.error.fixPlan).toEqual(then.body);
    // Not the REST request's spelling: the panel's own words for its button.
    expect(attach.kind === 'error' && attach.error.hint).toContain(
      'The button below plans exactly that fix'
    );
    await model.plan(
      attach.kind === 'error' ? (attach.error.fixPlan ?? undefined) : undefined
    );
    expect(client.named('fixPlan').pop()).toEqual([then.body]);
  });

  it('brings into view the step the user acted on, not the re-check a fix runs', async () => {
    expect(model.state.focus).toBeNull();
    // Once when the check starts and once when its outcome is there.
    await model.check();
    expect(model.state.focus).toEqual({ step: 'check', seq: 2 });
    await model.check();
    expect(model.state.focus).toEqual({ step: 'check', seq: 4 });
    await model.plan();
    await model.apply();
    // The check after applying ran, but the user is reading what the fix did.
    expect(client.named('check')).toHaveLength(3);
    expect(model.state.focus?.step).toBe('fix');
    await model.undoFix();
    expect(model.state.focus?.step).toBe('fix');
    await model.startBuild();
    expect(model.state.focus?.step).toBe('build');
  });

  it('does not take the view back to a step the user has left', async () => {
    let answer: (value: unknown) => void = () => undefined;
    const slow = new Promise(resolve => (answer = resolve));
    const check = client.check.bind(client);
    client.check = async options => {
      await slow;
      return check(options);
    };
    const checking = model.check();
    await model.plan();
    const seq = model.state.focus?.seq;
    answer(null);
    await checking;
    expect(model.state.focus).toEqual({ step: 'fix', seq });
  });

  it('brings a running build into view after a reload, not a finished one', async () => {
    client.builds_ = [build({ status: 'SUCCEEDED', final: true })];
    await model.resume();
    expect(model.state.focus).toBeNull();
    const other = new SetupModel(client, { pollMs: 0 });
    client.builds_ = [build()];
    await other.resume();
    expect(other.state.focus?.step).toBe('build');
    other.dispose();
  });

  it('stops polling when disposed', async () => {
    await model.startBuild();
    model.dispose();
    const reads = client.named('build').length;
    await settle(10);
    expect(client.named('build').length).toBe(reads);
  });
});
