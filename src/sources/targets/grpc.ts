// grpc: the standard health checking protocol, grpc.health.v1.Health/Check, spoken over node:http2 directly.
// The messages are one field each (request: string service = 1; response: enum status = 1), so a dozen lines of
// protobuf framing replace a gRPC library. SERVING is ok; any other status, or a grpc-status other than OK, is crit.
// Wire format: https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md and doc/health-checking.md.
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { GrpcTarget } from '../../config/targets.js';
import type { ProbeReason } from '../reasons.js';
import { probeConnection } from './connection.js';
import type { ProbeFactory, ProbeResult } from './probe.js';
import { withTlsOptions, type ReadFile, type TlsClientOptions } from './tls.js';

type GrpcProbeTarget = Pick<GrpcTarget, 'host' | 'port' | 'service'> & { tlsOptions?: TlsClientOptions };

/** grpc.health.v1.HealthCheckResponse.ServingStatus */
export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
const GRPC_STATUS_NAMES: Record<string, string> = {
  '0': 'OK',
  '4': 'DEADLINE_EXCEEDED',
  '5': 'NOT_FOUND',
  '12': 'UNIMPLEMENTED',
  '14': 'UNAVAILABLE',
};
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
    else if ((tag & 7) === 2)
      i += value; // skip an unknown length-delimited field
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

/** Reads the target's TLS files once (with `tls: true`). */
export const createGrpcProbe: ProbeFactory<GrpcTarget, { readFile?: ReadFile | undefined }> = (target, context) => {
  const prepared = withTlsOptions(target, context.readFile);
  return (signal) => runGrpc(prepared, signal);
};

function runGrpc(target: GrpcProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
  const where = `${target.host}:${target.port}`;
  return probeConnection(where, signal, {
    timedOut: (elapsed) => `health check not answered within ${elapsed}`,
    open(connection) {
      const authority = `${target.tlsOptions ? 'https' : 'http'}://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
      const session = http2.connect(authority, target.tlsOptions ? { ...target.tlsOptions, maxSessionMemory: 1 } : { maxSessionMemory: 1 });
      const crit = (reason: ProbeReason, message: string): void => connection.crit(reason, `${where}: ${message}`);
      session.on('error', (error) => connection.fail(error));
      session.once('connect', () => connection.markConnected(target.tlsOptions ? (session.socket as TLSSocket) : undefined));
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
        connection.markConnected();
        const status = headers[':status'];
        if (status !== 200) return crit('status', `HTTP ${status} instead of a gRPC answer`);
        readStatus(headers);
      });
      stream.on('trailers', readStatus);
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) return crit('body', `health response larger than ${MAX_RESPONSE_BYTES} bytes`);
        chunks.push(chunk);
      });
      stream.on('error', () => {}); // the session's error handler reports it
      stream.on('end', () => {
        const summary = `${where}${target.service ? ` service "${target.service}"` : ''}`;
        if (grpcStatus !== undefined && grpcStatus !== '0') {
          return connection.crit(
            'not_serving',
            `${summary}: grpc-status ${GRPC_STATUS_NAMES[grpcStatus] ?? grpcStatus}${grpcMessage ? ` (${grpcMessage})` : ''}`,
          );
        }
        const serving = decodeHealthResponse(Buffer.concat(chunks));
        if (serving === undefined) return connection.crit('body', `${summary}: unparsable health response`);
        const name = SERVING_STATUS[serving] ?? String(serving);
        const text = `${summary}: ${name} in ${connection.elapsed()}`;
        if (name !== 'SERVING') return connection.crit('not_serving', text);
        connection.ok(text);
      });
      stream.end(encodeHealthRequest(target.service));
      return () => session.destroy();
    },
  });
}
