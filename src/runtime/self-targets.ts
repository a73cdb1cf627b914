// The embedded default's probes of vigil itself (docs/design.md, contracts: commands): its own port, a file
// write in its state directory and its own health endpoint. Built once the server is bound, because `--listen :0` only then knows its port.
import { dirname } from 'node:path';
import { localBaseUrl, reachableHost, type ListenAddress } from '../config/listen.js';
import { targetsSchema, type TargetsConfig } from '../config/targets.js';
import { SELF_SUBJECT } from './self-monitor.js';

export function selfTargets(address: ListenAddress, statePath: string, tls = false): TargetsConfig {
  const host = reachableHost(address);
  return targetsSchema.parse([
    { name: 'vigil-port', type: 'hostport', subject: SELF_SUBJECT, host, port: address.port, interval: '30s', timeout: '5s' },
    { name: 'vigil-state-dir', type: 'filewrite', subject: SELF_SUBJECT, directory: dirname(statePath), interval: '1m', timeout: '10s' },
    {
      name: 'vigil-health',
      type: 'download',
      subject: SELF_SUBJECT,
      url: `${localBaseUrl(address, tls)}/-/healthy`,
      // Over loopback: the certificate names the public host, not 127.0.0.1, and /-/healthy is open.
      insecure_skip_verify: tls,
      interval: '30s',
      timeout: '5s',
    },
  ]);
}
