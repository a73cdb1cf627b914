// Reads machines from the Octopus REST API: GET /api/{space}/machines (and /workers) — or /api/machines on a server
// without Spaces (before 2019.1) — paged with skip/take, authenticated with the X-Octopus-ApiKey header. Only the
// fields vigil maps are typed; the rest is ignored (OctopusClients Model/MachineBasedResource.cs,
// Model/Endpoints/TentacleEndpointResource.cs and TentacleDetailsResource.cs).
import { errorCode, httpReason, sourceErrorReason, type SourceReason } from '../reasons.js';

export type MachineCollection = 'machines' | 'workers';

export interface OctopusMachine {
  Id: string;
  Name: string;
  /** Healthy, HasWarnings, Unhealthy, Unavailable or Unknown; kept a string so a new value is not a parse error. */
  HealthStatus?: string;
  StatusSummary?: string | null;
  HasLatestCalamari?: boolean;
  IsDisabled?: boolean;
  OperatingSystem?: string | null;
  OperatingSystemVersion?: string | null;
  ShellName?: string | null;
  ShellVersion?: string | null;
  Endpoint?: {
    CommunicationStyle?: string;
    TentacleVersionDetails?: { Version?: string | null; UpgradeRequired?: boolean; UpgradeSuggested?: boolean; UpgradeLocked?: boolean } | null;
  } | null;
  /** Where it was listed: deployment targets (`machines`) or `workers`. Set by the client. */
  collection: MachineCollection;
}

interface Page {
  Items?: unknown;
  TotalResults?: number;
}

/** A failed poll, with a short bounded reason for vigil_source_errors_total. */
export class OctopusError extends Error {
  constructor(
    readonly reason: SourceReason,
    message: string,
  ) {
    super(message);
  }
}

const PAGE_SIZE = 200;
/** Bounds the paging loop even if a server keeps answering full pages. */
const MAX_PAGES = 500;

export interface OctopusClientOptions {
  url: string;
  apiKey: string;
  /** null: a server without Spaces (`/api/machines`). */
  space: string | null;
  fetch?: typeof fetch;
}

export async function listMachines(options: OctopusClientOptions, collection: MachineCollection, signal: AbortSignal): Promise<OctopusMachine[]> {
  const machines: OctopusMachine[] = [];
  const base = options.space === null ? `${options.url}/api` : `${options.url}/api/${encodeURIComponent(options.space)}`;
  for (let page = 0; page < MAX_PAGES; page++) {
    const url = `${base}/${collection}?skip=${page * PAGE_SIZE}&take=${PAGE_SIZE}`;
    const body = await getJson(options, url, signal);
    const items = Array.isArray(body.Items) ? body.Items : undefined;
    if (!items) throw new OctopusError('bad_response', `${collection}: the answer has no Items list`);
    for (const item of items) if (isMachine(item)) machines.push({ ...item, collection });
    const total = typeof body.TotalResults === 'number' ? body.TotalResults : machines.length;
    if (items.length < PAGE_SIZE || (page + 1) * PAGE_SIZE >= total) return machines;
  }
  throw new OctopusError('bad_response', `${collection}: more than ${MAX_PAGES} pages`);
}

async function getJson(options: OctopusClientOptions, url: string, signal: AbortSignal): Promise<Page> {
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, { headers: { 'X-Octopus-ApiKey': options.apiKey, accept: 'application/json' }, signal });
  } catch (error) {
    throw networkError(error);
  }
  if (!response.ok) {
    await response.body?.cancel();
    const hint =
      response.status === 401 || response.status === 403
        ? ' (check octopus.api_key_file)'
        : response.status === 404
          ? ' (check octopus.space; a server without Spaces needs space: none)'
          : '';
    throw new OctopusError(httpReason(response.status), `Octopus answered HTTP ${response.status}${hint}`);
  }
  try {
    return (await response.json()) as Page;
  } catch {
    throw new OctopusError('bad_response', 'Octopus answered with something that is not JSON');
  }
}

/** Words for the failures whose error code says little to a reader. */
const NETWORK_MESSAGES: Partial<Record<SourceReason, string>> = {
  timeout: 'Octopus did not answer in time (octopus.timeout)',
  refused: 'Octopus refused the connection',
  dns: 'the Octopus host name did not resolve',
};

function networkError(error: unknown): OctopusError {
  const reason = sourceErrorReason(error);
  const code = errorCode(error);
  return new OctopusError(reason, NETWORK_MESSAGES[reason] ?? `cannot reach Octopus (${code ?? reason})`);
}

function isMachine(value: unknown): value is Omit<OctopusMachine, 'collection'> {
  if (typeof value !== 'object' || value === null) return false;
  const machine = value as Record<string, unknown>;
  return typeof machine['Id'] === 'string' && typeof machine['Name'] === 'string';
}
