/**
 * One line per finished step, shown in place of a section the user has moved past: the
 * outcome stays readable while the step they act on now is in view. Pure, for jest.
 */
import { countByStatus } from './logic';
import { IParams } from './model';
import { IState, Step } from './state';

/** The panel's sections, top to bottom. */
export type SectionName = 'workflow' | 'check' | 'fix' | 'build';

const ORDER: SectionName[] = ['workflow', 'check', 'fix', 'build'];

/** The section that holds a step (attaching is part of build and attach). */
export function sectionOf(step: Step): SectionName {
  return step === 'attach' ? 'build' : step;
}

/**
 * Whether `section` folds to its summary: it lies above the step the user acted on last.
 * The form never folds while it holds a value the server refused, or the user could not
 * see which.
 */
export function folds(
  section: SectionName,
  state: IState,
  invalidField: string | null
): boolean {
  if (state.focus === null) {
    return false;
  }
  if (section === 'workflow' && invalidField !== null) {
    return false;
  }
  return ORDER.indexOf(section) < ORDER.indexOf(sectionOf(state.focus.step));
}

function plural(count: number, word: string): string {
  return `${count} ${word}`;
}

export function workflowSummary(params: IParams, folder: string): string {
  const parts: string[] = [params.profile];
  if (params.profile === 'image-build') {
    parts.push(`folder ${folder || '/'}`);
  }
  if (params.repository.trim()) {
    parts.push(`repository ${params.repository.trim()}`);
  }
  return parts.join(' · ');
}

export function checkSummary(check: IState['check']): string {
  switch (check.kind) {
    case 'idle':
      return 'not run';
    case 'busy':
      return 'checking…';
    case 'error':
      return 'could not check';
    case 'done': {
      const { report } = check.value;
      const counts = countByStatus(report.findings);
      // What the workflow can do without is counted apart: it does not stand in the way.
      const optional = report.findings.filter(
        f => f.optional && f.status === 'missing'
      ).length;
      const open = (
        [
          [counts.missing - optional, 'missing'],
          [optional, 'optional missing'],
          [counts.blocked, 'blocked'],
          [counts.unknown, 'not known']
        ] as [number, string][]
      )
        .filter(([count]) => count > 0)
        .map(([count, word]) => plural(count, word));
      return open.length
        ? `${report.verdict}: ${open.join(', ')}`
        : report.verdict;
    }
  }
}

export function fixSummary(state: IState): string {
  if (state.undo.kind === 'done') {
    return 'undone: the role is as it was';
  }
  if (state.fix.kind === 'done') {
    switch (state.fix.value.status) {
      case 'applied':
        return 'applied (Undo is below)';
      case 'unchanged':
        return 'nothing to change';
      case 'handoff':
        return 'handed to an administrator';
    }
  }
  if (state.fix.kind === 'error' || state.plan.kind === 'error') {
    return 'could not fix';
  }
  if (state.plan.kind === 'done') {
    return 'planned, not applied';
  }
  return state.plan.kind === 'busy' ? 'planning…' : 'not planned';
}
