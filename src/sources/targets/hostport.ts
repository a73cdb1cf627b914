// hostport: can a TCP connection to host:port be opened, and how long does it take (DNS included). It is the tcp
// probe with no TLS and no script: refused, timeout, DNS failure and unreachable each have their own reason, and
// refused is a reached `crit` (the host answered: the service is down).
import type { HostportTarget } from '../../config/targets.js';
import type { ProbeFactory } from './probe.js';
import { runTcp } from './tcp.js';

export const createHostportProbe: ProbeFactory<Pick<HostportTarget, 'host' | 'port'>> = (target) => (signal) =>
  runTcp({ host: target.host, port: target.port, query_response: [] }, signal);
