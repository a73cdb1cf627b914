// A fake Octopus server on 127.0.0.1 speaking the real wire format of GET /api/{space}/machines and /workers:
// a resource collection (ItemType, TotalResults, ItemsPerPage, NumberOfPages, LastPageNumber, Items, Links) paged
// with skip/take, authenticated by the X-Octopus-ApiKey header (reference §B.1, §B.2). Shapes from OctopusClients
// `source/Octopus.Server.Client/Model/MachineBasedResource.cs`, `Model/Endpoints/TentacleEndpointResource.cs` and
// `Model/Endpoints/TentacleDetailsResource.cs`; a server older than Spaces (2019.1) serves `/api/machines` only.
import { createServer, type Server } from 'node:http';

export const API_KEY = 'API-TESTKEY0123456789';

export interface FakeMachine {
  Id: string;
  Name: string;
  HealthStatus: 'Healthy' | 'HasWarnings' | 'Unhealthy' | 'Unavailable' | 'Unknown';
  StatusSummary?: string;
  HasLatestCalamari?: boolean;
  IsDisabled?: boolean;
  TentacleVersion?: string;
  UpgradeRequired?: boolean;
}

/** A machine resource as Octopus returns it: the fields vigil reads plus the ones it must ignore. */
export function machineResource(machine: FakeMachine, space: string | null): Record<string, unknown> {
  const prefix = space === null ? '/api' : `/api/${space}`;
  return {
    Id: machine.Id,
    Name: machine.Name,
    Thumbprint: 'A1B2C3D4E5F6',
    Uri: null,
    IsDisabled: machine.IsDisabled ?? false,
    MachinePolicyId: 'MachinePolicies-1',
    HealthStatus: machine.HealthStatus,
    HasLatestCalamari: machine.HasLatestCalamari ?? true,
    StatusSummary: machine.StatusSummary ?? `This machine is ${machine.HealthStatus}.`,
    IsInProcess: false,
    Status: 'Online',
    Endpoint: {
      CommunicationStyle: 'TentacleActive',
      Uri: 'poll://abcdefghij/',
      Thumbprint: 'F00D',
      TentacleVersionDetails: {
        UpgradeLocked: false,
        Version: machine.TentacleVersion ?? '8.1.2',
        UpgradeSuggested: machine.UpgradeRequired ?? false,
        UpgradeRequired: machine.UpgradeRequired ?? false,
        UpgradeAvailable: machine.UpgradeRequired ?? false,
      },
      CertificateSignatureAlgorithm: 'sha256RSA',
      Id: null,
      LastModifiedOn: null,
      LastModifiedBy: null,
      Links: {},
    },
    EnvironmentIds: ['Environments-1'],
    Roles: ['web'],
    TenantIds: [],
    TenantTags: [],
    TenantedDeploymentParticipation: 'Untenanted',
    OperatingSystem: 'Linux',
    OperatingSystemVersion: 'Debian GNU/Linux 12 (bookworm)',
    ShellName: 'Bash',
    ShellVersion: '5.2',
    Architecture: 'x64',
    ...(space !== null && { SpaceId: space }),
    Links: { Self: `${prefix}/machines/${machine.Id}`, Connection: `${prefix}/machines/${machine.Id}/connection` },
  };
}

export interface FakeOctopus {
  url: string;
  machines: FakeMachine[];
  workers: FakeMachine[];
  /** Requests seen, as path + query. */
  requests: string[];
  /** Called with each request's client port (on 127.0.0.1) while its connection is open, e.g. to find who polled. */
  onClient?: (port: number) => void;
  /** When set, every request is answered with this status. */
  failWith?: number;
  close(): Promise<void>;
}

/** `space: null` is a server without Spaces. */
export async function startFakeOctopus(space: string | null = 'Spaces-1'): Promise<FakeOctopus> {
  const fake: Omit<FakeOctopus, 'url' | 'close'> = { machines: [], workers: [], requests: [] };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://octopus');
    fake.requests.push(url.pathname + url.search);
    if (req.socket.remotePort !== undefined) fake.onClient?.(req.socket.remotePort);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (fake.failWith) return send(fake.failWith, { ErrorMessage: 'failing on purpose', Errors: [] });
    if (req.headers['x-octopus-apikey'] !== API_KEY) {
      return send(401, { ErrorMessage: 'You must be logged in to perform this action. Please provide a valid API key or log in again.', Errors: [] });
    }
    const match = /^\/api\/(?:([^/]+)\/)?(machines|workers)$/.exec(url.pathname);
    if (!match || (match[1] ?? null) !== space) return send(404, { ErrorMessage: 'The resource you requested was not found.', Errors: [] });
    const all = match[2] === 'machines' ? fake.machines : fake.workers;
    const skip = Number(url.searchParams.get('skip') ?? 0);
    const take = Number(url.searchParams.get('take') ?? 30);
    const items = all.slice(skip, skip + take).map((m) => machineResource(m, space));
    const pages = Math.max(1, Math.ceil(all.length / take));
    send(200, {
      ItemType: match[2] === 'machines' ? 'DeploymentTarget' : 'Worker',
      TotalResults: all.length,
      ItemsPerPage: take,
      NumberOfPages: pages,
      LastPageNumber: pages - 1,
      Items: items,
      Links: { Self: url.pathname + url.search, Template: `${url.pathname}{?skip,take}`, 'Page.All': `${url.pathname}?skip=0&take=2147483647` },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return Object.assign(fake, {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
