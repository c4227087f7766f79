import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * An error the server extension reported: the same sentence and hint the CLI prints.
 */
/** The follow-up an error names, as a request to make as it is (openapi.yaml: ErrorBody). */
export interface IFollowUp {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

export class SetupApiError extends Error {
  constructor(
    message: string,
    readonly hint: string = '',
    readonly code: string = 'error',
    readonly status: number = 0,
    readonly field: string = '',
    readonly then: IFollowUp | null = null
  ) {
    super(message);
    this.name = 'SetupApiError';
  }
}

/**
 * Call the sm-studio-setup REST API.
 *
 * ServerConnection adds the token and the XSRF header, so every surface of the sidebar
 * goes through here rather than through fetch.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const requestUrl = URLExt.join(settings.baseUrl, 'sm-studio-setup', endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(requestUrl, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: any = text;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      // A proxy's HTML error page, for example: keep the text for the message below.
    }
  }
  if (!response.ok) {
    const error = data?.error;
    if (error && typeof error.message === 'string') {
      throw new SetupApiError(
        error.message,
        error.hint ?? '',
        error.code ?? 'error',
        response.status,
        typeof error.field === 'string' ? error.field : '',
        error.then && typeof error.then.path === 'string' ? error.then : null
      );
    }
    throw new SetupApiError(
      data?.message ?? `The server answered ${response.status}.`,
      '',
      'http_error',
      response.status
    );
  }
  return data as T;
}
