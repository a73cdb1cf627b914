// The Prometheus scrape config for vigil itself, matching its web config: https and tls_config when vigil serves
// TLS (with a client certificate when it requires one), basic_auth with a password_file when it asks for a user.
// The password stays in that file on Prometheus's side: the web config holds only its hash.
import { parseListen } from '../config/listen.js';
import type { ScrapeSettings } from '../config/scrape.js';
import type { WebConfig } from '../web/web-config.js';

export interface ScrapeInput {
  jobName: string;
  target: string;
  tls?: { caFile: string; serverName?: string; clientCert?: { certFile: string; keyFile: string } };
  basicAuth?: { username: string; passwordFile: string };
}

/** From the `scrape:` section (defaults filled), the listen address and the web config (if any). */
export function scrapeInput(settings: ScrapeSettings, listen: string, web: WebConfig | undefined): ScrapeInput {
  const input: ScrapeInput = { jobName: settings.job_name, target: settings.target ?? defaultTarget(listen) };
  if (web?.tls) {
    const requiresCert = web.tls.clientAuth === 'RequireAnyClientCert' || web.tls.clientAuth === 'RequireAndVerifyClientCert';
    input.tls = {
      caFile: settings.ca_file,
      ...(settings.server_name !== undefined && { serverName: settings.server_name }),
      ...(requiresCert && { clientCert: { certFile: settings.cert_file, keyFile: settings.key_file } }),
    };
  }
  const firstUser = web ? [...web.basicAuthUsers.keys()][0] : undefined;
  const username = settings.username ?? firstUser;
  if (username !== undefined && web && web.basicAuthUsers.size > 0) input.basicAuth = { username, passwordFile: settings.password_file };
  return input;
}

/** A wildcard bind is scraped as localhost (the name a certificate for one machine carries). */
function defaultTarget(listen: string): string {
  const { host, port } = parseListen(listen);
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${name}:${port}`;
}

/** The `scrape_configs` list, ready to paste into prometheus.yml. */
export function scrapeConfig(input: ScrapeInput): { scrape_configs: Record<string, unknown>[] } {
  const job: Record<string, unknown> = { job_name: input.jobName, scheme: input.tls ? 'https' : 'http' };
  if (input.tls) {
    job['tls_config'] = {
      ca_file: input.tls.caFile,
      ...(input.tls.serverName !== undefined && { server_name: input.tls.serverName }),
      ...(input.tls.clientCert && { cert_file: input.tls.clientCert.certFile, key_file: input.tls.clientCert.keyFile }),
    };
  }
  if (input.basicAuth) job['basic_auth'] = { username: input.basicAuth.username, password_file: input.basicAuth.passwordFile };
  job['static_configs'] = [{ targets: [input.target] }];
  return { scrape_configs: [job] };
}
