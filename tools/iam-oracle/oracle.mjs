// Differential-testing oracle for sm_studio_setup.iam: a long-lived process that reads one JSON
// object per line on stdin and answers one JSON line per input on stdout.
//
// It runs @cloud-copilot/iam-simulate (AGPL-3.0) as a separate development-time process: the
// package is installed here, under tools/, and is never shipped with or copied into
// sm_studio_setup. Only its public API (runSimulation, createValidatedPolicy) is used.
//
// Input (one case):
//   {"id": ..., "request": {"principal": "...", "action": "svc:Action", "resource": "arn|*",
//                           "resource_account": "123456789012", "context": {key: value|[values]}},
//    "identity_policies": [doc, ...], "boundary": doc|null, "scps": [[doc, ...], ...],
//    "resource_policy": doc|null, "session_policy": doc|null}
// Output:
//   {"id": ..., "result": "allowed"|"implicit_deny"|"explicit_deny"|null,
//    "result_type": "single"|"wildcard"|"error", "error": null|"...",
//    "ignored_context_keys": [...]}
//
// Benchmark: {"id": ..., "cmd": "bench", "cases": [case, ...], "rounds": N, "warmup": W}
// validates every policy once (createValidatedPolicy), then times N rounds of running every case
// through runSimulation in a loop inside this process (no IPC in the timing) and answers
//   {"id": ..., "rounds": N, "cases": C, "median_us_per_request": x, "round_us_per_request": [...],
//    "results": [...]}.

import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import {
  createValidatedPolicy,
  validateIdentityPolicy,
  validateResourcePolicy,
  validateServiceControlPolicy,
} from '@cloud-copilot/iam-policy';
import { runSimulation } from '@cloud-copilot/iam-simulate';

const RESULTS = {
  Allowed: 'allowed',
  ImplicitlyDenied: 'implicit_deny',
  ExplicitlyDenied: 'explicit_deny',
};

function contextVariables(context) {
  // iam-simulate takes strings or arrays of strings; IAM compares every value as text.
  const out = {};
  for (const [key, value] of Object.entries(context ?? {})) {
    out[key] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

function principalAccount(principal) {
  const parts = String(principal ?? '').split(':');
  return parts.length >= 5 && parts[0] === 'arn' ? parts[4] : '';
}

function toSimulation(testCase, wrap) {
  const request = testCase.request;
  const named = (kind, prefix) => (doc, i) => ({ name: `${prefix}${i}`, policy: wrap(doc, kind) });
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: {
        resource: request.resource,
        accountId: request.resource_account ?? principalAccount(request.principal),
      },
      contextVariables: contextVariables(request.context),
    },
    identityPolicies: (testCase.identity_policies ?? []).map(named('identity', 'identity')),
    serviceControlPolicies: (testCase.scps ?? []).map((level, i) => ({
      orgIdentifier: i === 0 ? 'r-root' : `ou-level${i}`,
      policies: level.map(named('scp', `scp${i}_`)),
    })),
    resourceControlPolicies: [],
    // Tag keys on S3 resources are only passed through when bucket ABAC is on; the engine under
    // test has no such switch, so keep iam-simulate from dropping them.
    additionalSettings: { s3: { bucketAbacEnabled: true } },
  };
  if (testCase.boundary) {
    simulation.permissionBoundaryPolicies = [{ name: 'boundary', policy: wrap(testCase.boundary, 'boundary') }];
  }
  if (testCase.resource_policy) {
    simulation.resourcePolicy = wrap(testCase.resource_policy, 'resource');
  }
  if (testCase.session_policy) {
    simulation.sessionPolicy = wrap(testCase.session_policy, 'session');
  }
  return simulation;
}

function summarise(response) {
  if (response.resultType === 'error') {
    return {
      result: null,
      result_type: 'error',
      error: JSON.stringify(response.errors),
      ignored_context_keys: [],
    };
  }
  const ignored =
    response.resultType === 'single'
      ? response.result.ignoredContextKeys ?? []
      : response.results.flatMap((r) => r.ignoredContextKeys ?? []);
  return {
    result: RESULTS[response.overallResult] ?? null,
    result_type: response.resultType,
    error: RESULTS[response.overallResult] ? null : `unknown result ${response.overallResult}`,
    ignored_context_keys: [...new Set(ignored)],
  };
}

async function simulate(testCase) {
  const response = await runSimulation(toSimulation(testCase, (doc) => doc), {});
  return summarise(response);
}

async function bench(message) {
  // Pre-validate every document once, as the engine under test compiles its policies once.
  const validators = {
    identity: validateIdentityPolicy,
    boundary: validateIdentityPolicy,
    session: validateIdentityPolicy,
    scp: validateServiceControlPolicy,
    resource: validateResourcePolicy,
  };
  const cache = new Map();
  const wrap = (doc, kind) => {
    if (!cache.has(doc)) {
      cache.set(doc, createValidatedPolicy(doc, validators[kind]));
    }
    return cache.get(doc);
  };
  // Shared documents arrive as separate JSON objects; intern them by text so each is validated once.
  const interned = new Map();
  const intern = (doc) => {
    if (!doc) return doc;
    const key = JSON.stringify(doc);
    if (!interned.has(key)) interned.set(key, doc);
    return interned.get(key);
  };
  const simulations = message.cases.map((c) =>
    toSimulation(
      {
        ...c,
        identity_policies: (c.identity_policies ?? []).map(intern),
        scps: (c.scps ?? []).map((level) => level.map(intern)),
        boundary: intern(c.boundary),
        resource_policy: intern(c.resource_policy),
        session_policy: intern(c.session_policy),
      },
      wrap,
    ),
  );
  const rounds = Math.max(1, message.rounds ?? 50);
  const warmup = Math.max(0, message.warmup ?? 5);
  const results = [];
  for (const simulation of simulations) {
    results.push(summarise(await runSimulation(simulation, {})));
  }
  for (let i = 0; i < warmup; i++) {
    for (const simulation of simulations) await runSimulation(simulation, {});
  }
  const perRequest = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    for (const simulation of simulations) await runSimulation(simulation, {});
    perRequest.push(((performance.now() - start) * 1000) / simulations.length);
  }
  const sorted = [...perRequest].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {
    rounds,
    cases: simulations.length,
    median_us_per_request: median,
    round_us_per_request: perRequest,
    results,
  };
}

async function handle(line) {
  let message;
  try {
    message = JSON.parse(line);
  } catch (err) {
    return { id: null, result: null, result_type: 'error', error: `bad JSON: ${err.message}` };
  }
  try {
    if (message.cmd === 'bench') {
      return { id: message.id ?? null, ...(await bench(message)) };
    }
    if (message.cmd === 'ping') {
      return { id: message.id ?? null, pong: true };
    }
    return { id: message.id ?? null, ...(await simulate(message)) };
  } catch (err) {
    return {
      id: message.id ?? null,
      result: null,
      result_type: 'error',
      error: `oracle exception: ${err && err.stack ? err.stack : String(err)}`,
      ignored_context_keys: [],
    };
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  process.stdout.write(JSON.stringify(await handle(line)) + '\n');
}
