// `host:port` listen addresses, shared by the config key `listen` and the `--listen` flag.
import { isIP } from 'node:net';
import { z } from 'zod';

export interface ListenAddress {
  host: string;
  port: number;
}

const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;

/**
 * Parses `0.0.0.0:9977`, `localhost:9977`, `[::1]:9977` and `:9977` (every interface, as in Go).
 * Port 0 asks the OS for a free port (useful in tests). Throws with a message saying what is wrong.
 */
export function parseListen(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!match) throw new Error(`invalid listen address "${text}": expected host:port, e.g. 0.0.0.0:9977 or [::1]:9977`);
  const [, bracketed, plain, portText] = match;
  const port = Number(portText);
  if (port > 65535) throw new Error(`invalid listen address "${text}": port ${port} is larger than 65535`);
  if (bracketed !== undefined) {
    if (isIP(bracketed) !== 6) throw new Error(`invalid listen address "${text}": [${bracketed}] is not an IPv6 address`);
    return { host: bracketed, port };
  }
  const host = plain === '' || plain === undefined ? '0.0.0.0' : plain;
  if (isIP(host) === 0 && !HOSTNAME_RE.test(host)) {
    throw new Error(`invalid listen address "${text}": "${host}" is neither an IP address nor a host name`);
  }
  return { host, port };
}

export const listenSchema = z
  .string()
  .superRefine((value, ctx) => {
    try {
      parseListen(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  })
  .meta({ description: 'Address of the HTTP server, host:port; IPv6 in brackets ([::1]:9977); :9977 means every interface.' });

/** The host to reach a bound address from this machine: a wildcard bind is reached over loopback. */
export function reachableHost(address: ListenAddress): string {
  return address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
}

/** `http(s)://host:port` of a bound address, from this machine (IPv6 literals in brackets). */
export function localBaseUrl(address: ListenAddress, tls = false): string {
  const host = reachableHost(address);
  return `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}
