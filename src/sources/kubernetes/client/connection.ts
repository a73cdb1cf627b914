// Where the API server is and how to authenticate: `kubernetes.kubeconfig`, else $KUBECONFIG, else the in-cluster
// service account (kubernetes/website: access-api-from-pod.md). Only what a watcher needs: bearer tokens (inline,
// from a file re-read on rotation), client certificates and basic auth. exec and auth-provider users run
// programs or OAuth flows this small client does not carry, so they are refused with a message saying what to do.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** client-go and client-node re-read a token file at most this often: projected tokens rotate (about hourly). */
export const TOKEN_REREAD_MS = 60_000;

export interface ClusterConnection {
  /** Base URL without trailing slash, e.g. `https://10.0.0.1:443`. */
  server: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecureSkipTlsVerify: boolean;
  serverName?: string;
  /** The Authorization header value for the next request (tokens are re-read when they come from a file). */
  authorization(): string | undefined;
  /** Default namespace of the context or service account. */
  namespace?: string;
  /** Where the settings came from, for logs; never holds a secret. */
  origin: string;
}

export class KubeconfigError extends Error {}

export interface ResolveOptions {
  kubeconfig?: string;
  context?: string;
  env?: NodeJS.ProcessEnv;
  serviceAccountDir?: string;
  readFile?: (path: string) => string;
  now?: () => number;
}

export function resolveConnection(options: ResolveOptions = {}): ClusterConnection {
  const env = options.env ?? process.env;
  const read = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const now = options.now ?? Date.now;
  if (options.kubeconfig !== undefined) return fromKubeconfig([options.kubeconfig], options.context, read, now);
  const fromEnv = (env['KUBECONFIG'] ?? '').split(':').filter((path) => path !== '');
  if (fromEnv.length > 0) return fromKubeconfig(fromEnv, options.context, read, now);
  return inCluster(env, options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR, read, now);
}

function inCluster(env: NodeJS.ProcessEnv, dir: string, read: (path: string) => string, now: () => number): ClusterConnection {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT_HTTPS'] ?? env['KUBERNETES_SERVICE_PORT'] ?? '443';
  if (!host) {
    throw new KubeconfigError(
      'no Kubernetes API server configured: set kubernetes.kubeconfig or $KUBECONFIG, or run in a pod (KUBERNETES_SERVICE_HOST is not set)',
    );
  }
  const tokenFile = `${dir}/token`;
  const ca = tryRead(read, `${dir}/ca.crt`);
  if (ca === undefined) throw new KubeconfigError(`in-cluster: cannot read ${dir}/ca.crt (is a service account mounted?)`);
  const connection: ClusterConnection = {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca,
    insecureSkipTlsVerify: false,
    authorization: fileToken(tokenFile, read, now),
    origin: `in-cluster service account (${dir})`,
  };
  const namespace = tryRead(read, `${dir}/namespace`)?.trim();
  if (namespace) connection.namespace = namespace;
  return connection;
}

/** A token read from a file, re-read at most every TOKEN_REREAD_MS; a failed re-read keeps the last good one. */
function fileToken(path: string, read: (path: string) => string, now: () => number): () => string | undefined {
  let token: string | undefined;
  let readAt = -Infinity;
  return () => {
    if (now() - readAt >= TOKEN_REREAD_MS) {
      const fresh = tryRead(read, path)?.trim();
      if (fresh) token = fresh;
      readAt = now();
    }
    return token === undefined ? undefined : `Bearer ${token}`;
  };
}

function tryRead(read: (path: string) => string, path: string): string | undefined {
  try {
    return read(path);
  } catch {
    return undefined;
  }
}

type Named<T> = { name: string } & T;
interface KubeconfigFile {
  'current-context'?: string;
  clusters?: Named<{ cluster?: Record<string, unknown> }>[];
  users?: Named<{ user?: Record<string, unknown> }>[];
  contexts?: Named<{ context?: { cluster?: string; user?: string; namespace?: string } }>[];
}

interface Loaded {
  file: string;
  doc: KubeconfigFile;
}

/** Merges files the way kubectl does: the first file that defines a name (or current-context) wins. */
function fromKubeconfig(paths: string[], contextName: string | undefined, read: (path: string) => string, now: () => number): ClusterConnection {
  const loaded: Loaded[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = read(path);
    } catch (error) {
      if (paths.length > 1 && (error as NodeJS.ErrnoException).code === 'ENOENT') continue; // kubectl skips missing entries
      throw new KubeconfigError(`cannot read kubeconfig ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (error) {
      throw new KubeconfigError(`kubeconfig ${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    }
    if (typeof doc !== 'object' || doc === null) throw new KubeconfigError(`kubeconfig ${path} is empty`);
    loaded.push({ file: path, doc: doc as KubeconfigFile });
  }
  if (loaded.length === 0) throw new KubeconfigError(`none of the kubeconfig files exists: ${paths.join(', ')}`);
  const find = <K extends 'clusters' | 'users' | 'contexts'>(key: K, name: string) => {
    for (const { file, doc } of loaded) {
      const entry = (doc[key] as Named<object>[] | undefined)?.find((item) => item?.name === name);
      if (entry) return { file, entry: entry as NonNullable<KubeconfigFile[K]>[number] };
    }
    return undefined;
  };
  const current = contextName ?? loaded.map(({ doc }) => doc['current-context']).find((name) => typeof name === 'string' && name !== '');
  if (!current) throw new KubeconfigError(`kubeconfig ${paths.join(':')} has no current-context; set kubernetes.context`);
  const context = find('contexts', current)?.entry.context;
  if (!context) throw new KubeconfigError(`kubeconfig has no context "${current}"`);
  const cluster = context.cluster ? find('clusters', context.cluster) : undefined;
  if (!cluster?.entry.cluster) throw new KubeconfigError(`kubeconfig context "${current}" names no known cluster`);
  const c = cluster.entry.cluster;
  const server = typeof c['server'] === 'string' ? c['server'].replace(/\/+$/, '') : '';
  if (!/^https?:\/\//.test(server)) throw new KubeconfigError(`kubeconfig cluster "${context.cluster}" has no http(s) server`);

  const fileOf = (base: string, value: unknown) =>
    typeof value === 'string' && value !== '' ? (isAbsolute(value) ? value : resolve(dirname(base), value)) : undefined;
  const pem = (base: string, data: unknown, path: unknown, what: string): string | undefined => {
    if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64').toString('utf8');
    const file = fileOf(base, path);
    if (file === undefined) return undefined;
    const text = tryRead(read, file);
    if (text === undefined) throw new KubeconfigError(`cannot read ${what} file ${file}`);
    return text;
  };

  const connection: ClusterConnection = {
    server,
    insecureSkipTlsVerify: c['insecure-skip-tls-verify'] === true,
    authorization: () => undefined,
    origin: `kubeconfig ${cluster.file}, context ${current}`,
  };
  const ca = pem(cluster.file, c['certificate-authority-data'], c['certificate-authority'], 'certificate-authority');
  if (ca !== undefined) connection.ca = ca;
  if (typeof c['tls-server-name'] === 'string') connection.serverName = c['tls-server-name'];
  if (context.namespace) connection.namespace = context.namespace;

  const userEntry = context.user ? find('users', context.user) : undefined;
  const user = userEntry?.entry.user ?? {};
  const userFile = userEntry?.file ?? cluster.file;
  if (user['exec'] !== undefined || user['auth-provider'] !== undefined) {
    const how = user['exec'] !== undefined ? 'exec' : 'auth-provider';
    throw new KubeconfigError(
      `kubeconfig user "${context.user}" authenticates with ${how}, which vigil does not run; ` +
        'give vigil a user with a token, tokenFile or client certificate (e.g. a ServiceAccount token), or run it in the cluster',
    );
  }
  const cert = pem(userFile, user['client-certificate-data'], user['client-certificate'], 'client-certificate');
  const key = pem(userFile, user['client-key-data'], user['client-key'], 'client-key');
  if ((cert === undefined) !== (key === undefined))
    throw new KubeconfigError(`kubeconfig user "${context.user}" has a client certificate without its key (or the reverse)`);
  if (cert !== undefined && key !== undefined) {
    connection.cert = cert;
    connection.key = key;
  }
  if (typeof user['token'] === 'string' && user['token'] !== '') {
    const header = `Bearer ${user['token']}`;
    connection.authorization = () => header;
  } else if (fileOf(userFile, user['tokenFile']) !== undefined) {
    connection.authorization = fileToken(fileOf(userFile, user['tokenFile'])!, read, now);
  } else if (typeof user['username'] === 'string' && typeof user['password'] === 'string') {
    const header = `Basic ${Buffer.from(`${user['username']}:${user['password']}`).toString('base64')}`;
    connection.authorization = () => header;
  }
  return connection;
}
