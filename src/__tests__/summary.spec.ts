import { DEFAULT_PARAMS } from '../model';
import { SetupModel } from '../state';
import {
  checkSummary,
  fixSummary,
  folds,
  sectionOf,
  workflowSummary
} from '../summary';
import { FakeClient, finding, report } from './fakes';

describe('summaries of finished steps', () => {
  it('says the verdict and what is still open, zeros left out', () => {
    expect(checkSummary({ kind: 'idle' })).toBe('not run');
    const value = {
      report: report({
        findings: [
          finding(),
          finding({ status: 'missing' }),
          finding({ status: 'missing' }),
          finding({ status: 'missing', optional: true }),
          finding({ status: 'unknown' })
        ]
      }),
      seconds: 1
    };
    expect(checkSummary({ kind: 'done', value })).toBe(
      'gaps: 2 missing, 1 optional missing, 1 not known'
    );
    const ready = {
      report: report({ verdict: 'ready', findings: [finding()] }),
      seconds: 1
    };
    expect(checkSummary({ kind: 'done', value: ready })).toBe('ready');
  });

  it('names the form by its workflow, folder and repository', () => {
    expect(workflowSummary(DEFAULT_PARAMS, 'example-image')).toBe(
      'image-build · folder example-image'
    );
    expect(
      workflowSummary(
        { ...DEFAULT_PARAMS, profile: 'pipelines', repository: ' r ' },
        'x'
      )
    ).toBe('pipelines · repository r');
  });

  it('folds only what lies above the step acted on', async () => {
    const model = new SetupModel(new FakeClient(), { pollMs: 0 });
    expect(folds('workflow', model.state, null)).toBe(false);
    model.focusOn('attach');
    expect(sectionOf('attach')).toBe('build');
    expect(folds('fix', model.state, null)).toBe(true);
    expect(folds('build', model.state, null)).toBe(false);
    expect(folds('workflow', model.state, 'bucket')).toBe(false);
    expect(fixSummary(model.state)).toBe('not planned');
    await model.plan();
    expect(fixSummary(model.state)).toBe('planned, not applied');
    await model.apply();
    expect(fixSummary(model.state)).toBe('applied (Undo is below)');
    model.dispose();
  });
});
