// A hostile agent connection. Before the bounds: one agent connection sending garbage frames without reading the
// replies made /metrics time out for 6 s in a row and RSS grow from 207 MB to 1.2 GB. Now each connection has a
// message rate limit (closed with 1008 past its burst) and a bound on unread replies; memory and scrapes stay
// bounded throughout.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { until } from '../helpers/until.js';
import { ADMIN, metricValue, rssMiB, scrapeMs, serveWith, watch } from './helpers.js';

const RSS_CEILING_MIB = 100;

const connect = (port: number, id: string): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/agents/connect?id=${id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });

describe('an agent connection flooding garbage without reading (problem 3)', () => {
  it('is closed with 1008 past its burst; /metrics answers within 1 s and memory stays bounded meanwhile', async () => {
    const served = await serveWith('agents: { enabled: true, max_messages_per_second: 20, message_burst: 200 }');
    try {
      await scrapeMs(served.base);
      const baseline = rssMiB(served.child.pid!);
      const polite = await connect(served.port, 'polite');
      const flooder = await connect(served.port, 'flooder');
      let closeCode = 0;
      flooder.on('close', (code) => (closeCode = code));
      flooder.on('error', () => undefined);
      flooder.pause(); // never reads a reply

      const { worstScrapeMs, peakRssMiB, scrapes } = await watch(served, async () => {
        const garbage = '{"type":"check","status":'.padEnd(1_000, 'x');
        for (let i = 0; i < 10_000 && flooder.readyState === WebSocket.OPEN; i++) {
          flooder.send(garbage);
          if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        await until(async () => (await metricValue(served.base, 'vigil_agent_connections_cut_total')) === 1, 'the flooder to be cut', {
          timeoutMs: 10_000,
          intervalMs: 20,
        });
      });
      console.log(
        `# agent flood: baseline ${baseline.toFixed(0)} MiB, peak ${peakRssMiB.toFixed(0)} MiB, ` +
          `worst scrape ${worstScrapeMs.toFixed(0)} ms over ${scrapes}`,
      );
      flooder.resume();
      await until(() => closeCode !== 0 || flooder.readyState === WebSocket.CLOSED, 'the flooder to see its close', { timeoutMs: 5_000 });
      if (closeCode !== 0 && closeCode !== 1006) assert.equal(closeCode, 1008);
      assert.ok(worstScrapeMs < 1_000, `a scrape took ${worstScrapeMs} ms`);
      assert.ok(peakRssMiB - baseline < RSS_CEILING_MIB, `RSS grew ${(peakRssMiB - baseline).toFixed(0)} MiB`);

      // The polite agent is untouched: a burst inside its allowance is taken.
      for (let i = 0; i < 50; i++) polite.send(JSON.stringify({ type: 'check', check: `c${i}`, status: 'ok' }));
      await until(
        async () => {
          const health = (await (await fetch(`${served.base}/api/v1/subjects/polite/health`)).json()) as { checks: Record<string, unknown> };
          return Object.keys(health.checks).length === 50;
        },
        "the polite agent's checks",
        { timeoutMs: 5_000, intervalMs: 20 },
      );
      assert.equal(polite.readyState, WebSocket.OPEN);
      polite.close();
    } finally {
      await served.stop();
    }
  });
});
