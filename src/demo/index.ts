// `vigil serve --demo`: starts the simulated fleet's loopback servers, hands `vigil serve` the demo config that
// points at them, and, once vigil listens, plays the story against it. Nothing of this runs without --demo.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoConfigText } from './config.js';
import { DemoDriver } from './driver.js';
import { DemoPort, DemoWebServer } from './servers.js';
import { slowAnswerMs, type StoryTiming } from './story.js';

export { DEFAULT_TIMING, formatTiming, parseTiming, type StoryTiming } from './story.js';

export { DEMO_FILE } from './config.js';
/** What every page of the status page says while the demo runs. */
export const DEMO_NOTICE = 'Demo: every demo-… subject here is simulated (vigil serve --demo); its outages are scripted and repeat.';
/** The value of the `demo` label on vigil_build_info while the demo runs. */
export const DEMO_BUILD_LABELS = { demo: 'simulated' } as const;

export interface DemoFleet {
  /** The demo config for this fleet's ports. */
  configText(options: { statePath: string; listen?: string }): string;
  /** `--state` when given, else a fresh temporary file, so every demo starts from nothing. */
  statePath(given: string | undefined): string;
  /** Removes the temporary state (not a given one) once vigil has closed it. */
  discardState(): void;
  /** Plays the story against vigil at `base` (http://host:port). */
  drive(base: string, log: (message: string) => void): void;
  stop(): Promise<void>;
}

export async function startDemoFleet(timing: StoryTiming): Promise<DemoFleet> {
  const token = randomBytes(24).toString('base64url');
  const web = new DemoWebServer(slowAnswerMs(timing));
  const switchPort = new DemoPort();
  const hostPorts = [new DemoPort(), new DemoPort(), new DemoPort()];
  await web.start();
  await Promise.all([switchPort, ...hostPorts].map((port) => port.open()));
  let driver: DemoDriver | undefined;
  let stateDir: string | undefined;
  return {
    statePath(given) {
      if (given !== undefined) return given;
      stateDir ??= mkdtempSync(join(tmpdir(), 'vigil-demo-'));
      return join(stateDir, 'vigil.db');
    },
    discardState() {
      if (stateDir !== undefined) rmSync(stateDir, { recursive: true, force: true });
    },
    configText: ({ statePath, listen }) =>
      demoConfigText({ timing, token, statePath, listen, ports: { web: web.port, switch: switchPort.port, hosts: hostPorts.map((p) => p.port) } }),
    drive(base, log) {
      driver = new DemoDriver({ base, token, timing, web, switchPort, hostPorts, log });
      driver.start();
    },
    async stop() {
      await driver?.stop();
      await Promise.allSettled([web.stop(), switchPort.close(), ...hostPorts.map((port) => port.close())]);
    },
  };
}
