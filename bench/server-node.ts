/**
 * The game server under test, in its own process (started by bench/server.ts): the real
 * `createGameServer` on 127.0.0.1, generous limits, a silent logger, and the real clock
 * wrapped to record how late every timer fires. Answers the parent's metric requests
 * over IPC.
 *
 *   node --import tsx bench/server-node.ts [--deadline <epoch ms>]
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'socket.io';
import { createGameServer } from '../server/app';
import { systemClock } from '../server/clock';
import { silentLogger } from '../server/log';
import { argValue, collectGarbage, CpuMeter, GcPauses, guardChild, LatenessRecorder, LoopDelay, recordingClock, Samples, schedstat, send } from './support';
import type { ServerMetrics, ServerReport, ServerRequest } from './support';

const deadline = Number(argValue(process.argv, 'deadline') ?? NaN);
guardChild(Number.isFinite(deadline) ? deadline : null);

const lateness = new LatenessRecorder();
const handling = new Samples();
const loop = new LoopDelay();
const meter = new CpuMeter();
const gcPauses = new GcPauses();
let maxLatenessEver = 0;
let resetAt = performance.now();
let cpuAtReset = process.cpuUsage();
let schedAtReset = schedstat();

const server = createGameServer({
  clock: recordingClock(systemClock, lateness),
  log: silentLogger,
  limits: { eventsPerSecond: 1_000, eventsBurst: 1_000, joinsPerMinute: 1e9 },
});

// Time the gateway's synchronous handling of each request: our first `any` listener runs
// before the gateway's, our last one after it (socket.io calls them in order, at once).
server.io.on('connection', (socket: Socket) => {
  let started = 0;
  socket.prependAny(() => {
    started = performance.now();
  });
  socket.onAny(() => {
    handling.push(performance.now() - started);
  });
});

process.on('message', (raw: ServerRequest) => {
  const answer = (body: unknown): void => send({ type: 'answer', id: raw.id, body });
  switch (raw.type) {
    case 'metrics': {
      if (raw.gc === true) collectGarbage();
      const mem = process.memoryUsage();
      const { cpu, elu } = meter.sample();
      const lobby = server.lobby.stats();
      const metrics: ServerMetrics = { rss: mem.rss, heapUsed: mem.heapUsed, sockets: server.io.engine.clientsCount, lobby, calls: lobby.calls, cpu, elu };
      return answer(metrics);
    }
    case 'reset': {
      maxLatenessEver = Math.max(maxLatenessEver, lateness.all.summary().max || 0);
      lateness.reset();
      handling.clear();
      gcPauses.pauses.clear();
      loop.reset();
      resetAt = performance.now();
      cpuAtReset = process.cpuUsage();
      schedAtReset = schedstat();
      return answer(null);
    }
    case 'report': {
      const cpu = process.cpuUsage(cpuAtReset);
      const sched = schedstat();
      const report: ServerReport = {
        runQueueWaitMs: sched === null || schedAtReset === null ? null : sched.waitMs - schedAtReset.waitMs,
        lateness: lateness.report(),
        handling: handling.summary(),
        gc: gcPauses.report(),
        loopDelay: loop.summary(),
        cpuMs: (cpu.user + cpu.system) / 1000,
        sinceResetMs: performance.now() - resetAt,
        maxLatenessEver: Math.max(maxLatenessEver, lateness.all.summary().max || 0),
      };
      return answer(report);
    }
    case 'transcript':
      return answer(null);
    case 'close': {
      const force = setTimeout(() => process.exit(0), 3_000);
      force.unref();
      void server.close().finally(() => {
        answer(null);
        setTimeout(() => process.exit(0), 50);
      });
      return;
    }
  }
});

const address = await server.listen(0, '127.0.0.1');
send({ type: 'ready', port: address.port });
