// grpc: the standard health checking protocol, grpc.health.v1.Health/Check, spoken over node:http2 directly.
// The messages are one field each (request: string service = 1; response: enum status = 1), so a dozen lines of
// protobuf framing replace a gRPC library. SERVING is ok; any other status, or a grpc-status other than OK, is crit.
// Wire format: https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md and doc/health-checking.md.
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { GrpcTarget } from '../../config/targets.js';
import { errorCode, isTlsError, networkReason } from '../reasons.js';
import { connectionFailed, formatSeconds, secondsSince, unreached, type Probe, type ProbeResult } from './probe.js';
import { earliestCertExpiry, type TlsClientOptions } from './tls.js';

export type GrpcProbeTarget = Pick<GrpcTarget, 'host' | 'port' | 'service' | 'tls'> & { tlsOptions?: TlsClientOptions };

/** grpc.health.v1.HealthCheckResponse.ServingStatus */
export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
const GRPC_STATUS_NAMES: Record<string, string> = { '0': 'OK', '4': 'DEADLINE_EXCEEDED', '5': 'NOT_FOUND', '12': 'UNIMPLEMENTED', '14': 'UNAVAILABLE' };
const MAX_RESPONSE_BYTES = 4096;

/** A length-prefixed gRPC message holding HealthCheckRequest{service}. */
export function encodeHealthRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  const message = name.length ? Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]) : Buffer.alloc(0);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** The status field of a length-prefixed HealthCheckResponse; 0 (UNKNOWN, the proto default) when absent. */
export function decodeHealthResponse(frame: Buffer): number | undefined {
  if (frame.length < 5 || frame[0] !== 0) return undefined;
  const message = frame.subarray(5, 5 + frame.readUInt32BE(1));
  let status = 0;
  for (let i = 0; i < message.length; ) {
    const tag = message[i++]!;
    const [value, next] = readVarint(message, i);
    if (value === undefined) return undefined;
    i = next;
    if (tag === 0x08) status = value;
    else if ((tag & 7) === 2) i += value; // skip an unknown length-delimited field
    else if ((tag & 7) !== 0) return undefined;
  }
  return status;
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

function readVarint(buffer: Buffer, start: number): [number | undefined, number] {
  let value = 0;
  for (let i = start, shift = 0; i < buffer.length && shift < 35; i++, shift += 7) {
    value |= (buffer[i]! & 0x7f) << shift;
    if ((buffer[i]! & 0x80) === 0) return [value >>> 0, i + 1];
  }
  return [undefined, buffer.length];
}

export const probeGrpc: Probe<GrpcProbeTarget> = (target, signal) =>
  new Promise<ProbeResult>((resolve) => {
    const startedAt = performance.now();
    const where = `${target.host}:${target.port}`;
    const metrics: ProbeResult['metrics'] = {};
    const measured = (): ProbeResult['metrics'] => ({ ...metrics, duration_seconds: secondsSince(startedAt) });
    if (signal.aborted) return resolve(unreached('timeout', `no connection to ${where}: timed out`, { duration_seconds: 0 }));
    const authority = `${target.tlsOptions ? 'https' : 'http'}://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    const session = http2.connect(authority, target.tlsOptions ? { ...target.tlsOptions, maxSessionMemory: 1 } : { maxSessionMemory: 1 });
    let answered = false;
    let done = false;
    const finish = (result: ProbeResult): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      session.destroy();
      resolve(result);
    };
    const crit = (reason: ProbeResult['reason'], message: string): void => finish({ reached: true, status: 'crit', reason, message, metrics: measured() });
    const onAbort = (): void => {
      const seconds = formatSeconds(secondsSince(startedAt));
      if (answered) crit('timeout', `${where}: health check not answered within ${seconds}`);
      else finish(unreached('timeout', `no answer from ${where} within ${seconds}`, measured()));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    session.on('error', (error) => {
      const code = errorCode(error);
      if (isTlsError(code)) return crit('tls', `${where}: TLS failed: ${code}`);
      const reason = networkReason(error) ?? 'reset';
      if (answered) return crit(reason, `${where}: connection lost: ${code ?? reason}`);
      finish(connectionFailed(reason, `no connection to ${where}: ${code ?? reason}`, measured()));
    });
    session.once('connect', () => {
      answered = true;
      if (target.tlsOptions) {
        const expiry = earliestCertExpiry(session.socket as TLSSocket);
        if (expiry !== undefined) metrics.tls_cert_expiry_timestamp_seconds = expiry;
      }
    });
    const stream = session.request({
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let grpcStatus: string | undefined;
    let grpcMessage = '';
    const readStatus = (headers: http2.IncomingHttpHeaders): void => {
      if (headers['grpc-status'] !== undefined) grpcStatus = String(headers['grpc-status']);
      if (headers['grpc-message'] !== undefined) grpcMessage = decodeURIComponent(String(headers['grpc-message'])).slice(0, 200);
    };
    stream.on('response', (headers) => {
      answered = true;
      const status = headers[':status'];
      if (status !== 200) return crit('status', `${where}: HTTP ${status} instead of a gRPC answer`);
      readStatus(headers);
    });
    stream.on('trailers', readStatus);
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) return crit('body', `${where}: health response larger than ${MAX_RESPONSE_BYTES} bytes`);
      chunks.push(chunk);
    });
    stream.on('error', () => {}); // the session's error handler reports it
    stream.on('end', () => {
      const summary = `${where}${target.service ? ` service "${target.service}"` : ''}`;
      if (grpcStatus !== undefined && grpcStatus !== '0') {
        return crit('not_serving', `${summary}: grpc-status ${GRPC_STATUS_NAMES[grpcStatus] ?? grpcStatus}${grpcMessage ? ` (${grpcMessage})` : ''}`);
      }
      const serving = decodeHealthResponse(Buffer.concat(chunks));
      if (serving === undefined) return crit('body', `${summary}: unparsable health response`);
      const name = SERVING_STATUS[serving] ?? String(serving);
      const text = `${summary}: ${name} in ${formatSeconds(secondsSince(startedAt))}`;
      if (name !== 'SERVING') return crit('not_serving', text);
      finish({ reached: true, status: 'ok', message: text, metrics: measured() });
    });
    stream.end(encodeHealthRequest(target.service));
  });
