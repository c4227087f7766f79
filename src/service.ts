import {
  AppType,
  IAttachResult,
  IBuild,
  IBuildLog,
  IFixResult,
  IIdentity,
  IPlan,
  IReport
} from './model';
import { requestAPI } from './request';

/** A request body: the REST API's CheckOptions / BuildOptions fields (openapi.yaml). */
export type Body = Record<string, unknown>;

export interface IAttachRequest {
  image_uri: string;
  image_name: string;
  app_type: AppType;
  scope: 'domain' | 'user-profile';
  context?: string | null;
}

/**
 * The REST API as the panel uses it. Every call goes through requestAPI, so each one carries
 * Jupyter's token and XSRF header; tests swap in a fake with the same shape.
 */
export interface ISetupClient {
  context(): Promise<IIdentity>;
  check(options: Body): Promise<IReport>;
  fixPlan(options: Body): Promise<IPlan>;
  fixApply(planId: string): Promise<IFixResult>;
  fixUndo(backupId: string): Promise<IFixResult>;
  builds(limit?: number): Promise<IBuild[]>;
  startBuild(options: Body): Promise<IBuild>;
  build(id: string): Promise<IBuild>;
  buildLog(id: string, cursor: number): Promise<IBuildLog>;
  stopBuild(id: string): Promise<IBuild>;
  attach(options: IAttachRequest): Promise<IAttachResult>;
}

function post<T>(endPoint: string, body: unknown): Promise<T> {
  return requestAPI<T>(endPoint, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' }
  });
}

function buildPath(id: string, tail = ''): string {
  // Ids come from the server, but a path segment is still quoted as one.
  return `builds/${encodeURIComponent(id)}${tail}`;
}

export const restClient: ISetupClient = {
  context: () => requestAPI<IIdentity>('context'),
  check: options => post<IReport>('check', options),
  fixPlan: options => post<IPlan>('fix/plan', options),
  fixApply: planId => post<IFixResult>('fix/apply', { plan_id: planId }),
  fixUndo: backupId => post<IFixResult>('fix/undo', { backup_id: backupId }),
  builds: (limit = 5) =>
    requestAPI<{ builds: IBuild[] }>(`builds?limit=${limit}`).then(
      list => list.builds
    ),
  startBuild: options => post<IBuild>('builds', options),
  build: id => requestAPI<IBuild>(buildPath(id)),
  buildLog: (id, cursor) =>
    requestAPI<IBuildLog>(buildPath(id, `/logs?cursor=${cursor}`)),
  stopBuild: id => post<IBuild>(buildPath(id, '/stop'), {}),
  attach: options => post<IAttachResult>('attach', options)
};
