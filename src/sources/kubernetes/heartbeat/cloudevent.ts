// CloudEvents 1.0 over HTTP (cloudevents/spec: bindings/http-protocol-binding.md), the two modes a knative broker delivers:
// binary (attributes in percent-encoded `ce-*` headers, Content-Type = datacontenttype, body = data) and
// structured (`application/cloudevents+json`, everything in the JSON body). Batched mode is refused: it must
// not be sent unsolicited. No dependency: four required attributes and a JSON body are all a heartbeat needs.

export interface CloudEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  time?: string;
  datacontenttype?: string;
  /** Parsed JSON when the content type is JSON, else the body as text. */
  data?: unknown;
  /** Extension attributes (lower-case names), e.g. `eventtypeversion`, `vigilsignature`. */
  extensions: Record<string, string>;
}

export class CloudEventError extends Error {}

const CORE = new Set(['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'dataschema', 'subject', 'data', 'data_base64']);
const ATTRIBUTE_NAME = /^[a-z0-9]{1,20}$/;

type Headers = Record<string, string | string[] | undefined>;

const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function parseCloudEvent(headers: Headers, body: Buffer): CloudEvent {
  const contentType = header(headers, 'content-type') ?? '';
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  if (mediaType.startsWith('application/cloudevents-batch'))
    throw new CloudEventError('batched CloudEvents are not accepted; send one event per request');
  return mediaType.startsWith('application/cloudevents') ? parseStructured(mediaType, body) : parseBinary(headers, contentType, body);
}

function parseBinary(headers: Headers, contentType: string, body: Buffer): CloudEvent {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('ce-')) continue;
    const attribute = name.slice(3);
    const raw = Array.isArray(value) ? value[0] : value;
    if (raw === undefined) continue;
    try {
      attributes[attribute] = decodeURIComponent(raw);
    } catch {
      throw new CloudEventError(`header ce-${attribute} is not valid percent-encoding`);
    }
  }
  if (attributes['specversion'] === undefined)
    throw new CloudEventError('not a CloudEvent: no ce-specversion header (binary mode) and Content-Type is not application/cloudevents+json');
  if (attributes['datacontenttype'] !== undefined)
    throw new CloudEventError('binary mode carries datacontenttype in Content-Type; a ce-datacontenttype header must not be sent');
  const event = build(attributes);
  if (contentType !== '') event.datacontenttype = contentType;
  if (body.length > 0) event.data = decodeData(contentType, body.toString('utf8'));
  return event;
}

function parseStructured(mediaType: string, body: Buffer): CloudEvent {
  if (mediaType !== 'application/cloudevents+json')
    throw new CloudEventError(`structured mode ${mediaType} is not supported; use application/cloudevents+json`);
  let envelope: unknown;
  try {
    envelope = JSON.parse(body.toString('utf8'));
  } catch {
    throw new CloudEventError('structured CloudEvent body is not valid JSON');
  }
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope))
    throw new CloudEventError('structured CloudEvent must be a JSON object');
  const fields = envelope as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name === 'data' || name === 'data_base64') continue;
    if (typeof value === 'string') attributes[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') attributes[name] = String(value);
    else throw new CloudEventError(`attribute ${name} must be a string`);
  }
  const event = build(attributes);
  if (attributes['datacontenttype'] !== undefined) event.datacontenttype = attributes['datacontenttype'];
  if ('data' in fields) event.data = fields['data'];
  else if (typeof fields['data_base64'] === 'string')
    event.data = decodeData(event.datacontenttype ?? '', Buffer.from(fields['data_base64'], 'base64').toString('utf8'));
  return event;
}

function build(attributes: Record<string, string>): CloudEvent {
  if (attributes['specversion'] !== '1.0')
    throw new CloudEventError(`specversion ${JSON.stringify(attributes['specversion'] ?? null)} is not supported; only 1.0`);
  for (const required of ['id', 'source', 'type'] as const) {
    if (!attributes[required]) throw new CloudEventError(`required attribute ${required} is missing or empty`);
  }
  const event: CloudEvent = {
    specversion: '1.0',
    id: attributes['id']!,
    source: attributes['source']!,
    type: attributes['type']!,
    extensions: {},
  };
  if (attributes['time'] !== undefined) {
    if (Number.isNaN(Date.parse(attributes['time']))) throw new CloudEventError('attribute time is not an RFC 3339 timestamp');
    event.time = attributes['time'];
  }
  for (const [name, value] of Object.entries(attributes)) {
    if (CORE.has(name)) continue;
    if (!ATTRIBUTE_NAME.test(name)) throw new CloudEventError(`attribute name ${JSON.stringify(name)} is not lower-case alphanumeric (at most 20)`);
    event.extensions[name] = value;
  }
  return event;
}

function decodeData(contentType: string, text: string): unknown {
  const media = contentType.split(';')[0]!.trim().toLowerCase();
  if (media === 'application/json' || media.endsWith('+json')) {
    try {
      return JSON.parse(text);
    } catch {
      throw new CloudEventError('data is declared JSON but does not parse');
    }
  }
  return text;
}

/** Binary-mode headers for an event with JSON data (what the sender posts). */
export function binaryHeaders(event: Omit<CloudEvent, 'data' | 'datacontenttype'>): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'ce-specversion': event.specversion,
    'ce-id': encodeHeader(event.id),
    'ce-source': encodeHeader(event.source),
    'ce-type': encodeHeader(event.type),
  };
  if (event.time !== undefined) headers['ce-time'] = encodeHeader(event.time);
  for (const [name, value] of Object.entries(event.extensions)) headers[`ce-${name}`] = encodeHeader(value);
  return headers;
}

/** Percent-encodes what the HTTP binding requires: space, `"`, `%` and anything outside U+0021–U+007E. */
function encodeHeader(value: string): string {
  return Array.from(value)
    .map((char) => {
      const code = char.codePointAt(0)!;
      if (code > 0x20 && code < 0x7f && char !== '"' && char !== '%') return char;
      return encodeURIComponent(char);
    })
    .join('');
}
