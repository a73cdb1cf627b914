// A small authoritative DNS server on loopback UDP, written from the wire format of RFC 1035 §4.1 (header,
// question, resource records; no name compression), answering from a zone the test gives it.
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';

export type Rcode = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED';
const RCODES: Record<Rcode, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
const TYPES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, MX: 15, TXT: 16, AAAA: 28 };

export interface ZoneEntry {
  rcode?: Rcode;
  /** A: dotted quad; MX: "10 mail.example.org"; TXT, CNAME, NS: the text or name. */
  answers?: string[];
  /** Never answer (a server that does not reply). */
  silent?: boolean;
}

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([...parts.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)])), Buffer.from([0])]);
}

function rdata(type: string, value: string): Buffer {
  switch (type) {
    case 'A':
      return Buffer.from(value.split('.').map(Number));
    case 'MX': {
      const [preference, exchange] = value.split(' ');
      const head = Buffer.alloc(2);
      head.writeUInt16BE(Number(preference));
      return Buffer.concat([head, encodeName(exchange!)]);
    }
    case 'TXT':
      return Buffer.concat([Buffer.from([Buffer.byteLength(value)]), Buffer.from(value)]);
    default:
      return encodeName(value);
  }
}

export class FakeDnsServer {
  private readonly socket = dgram.createSocket('udp4');
  queries = 0;

  constructor(private readonly zone: Record<string, ZoneEntry>) {
    this.socket.on('message', (message, peer) => this.answer(message, peer));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.socket.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(query: Buffer, peer: dgram.RemoteInfo): void {
    this.queries++;
    // Question: labels from offset 12 to the zero byte, then QTYPE and QCLASS.
    let offset = 12;
    const labels: string[] = [];
    while (query[offset]! > 0) {
      labels.push(query.subarray(offset + 1, offset + 1 + query[offset]!).toString());
      offset += query[offset]! + 1;
    }
    const questionEnd = offset + 5;
    const qtype = query.readUInt16BE(offset + 1);
    const type = Object.keys(TYPES).find((name) => TYPES[name] === qtype) ?? 'A';
    const entry = this.zone[`${labels.join('.').toLowerCase()} ${type}`] ?? { rcode: 'NXDOMAIN' };
    if (entry.silent) return;
    const answers = entry.answers ?? [];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0); // same id
    header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | RCODES[entry.rcode ?? 'NOERROR'], 2); // QR, AA, RD copied
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const records = answers.map((value) => {
      const data = rdata(type, value);
      const fixed = Buffer.alloc(10);
      fixed.writeUInt16BE(qtype, 0);
      fixed.writeUInt16BE(1, 2); // IN
      fixed.writeUInt32BE(60, 4);
      fixed.writeUInt16BE(data.length, 8);
      return Buffer.concat([encodeName(labels.join('.')), fixed, data]);
    });
    this.socket.send(Buffer.concat([header, query.subarray(12, questionEnd), ...records]), peer.port, peer.address);
  }
}
