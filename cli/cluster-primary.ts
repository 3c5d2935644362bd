import cluster, { type Worker } from 'node:cluster';
import { aggregateWorkerMetrics, type WorkerMetrics } from '../src/metrics/cluster-metrics.ts';
import { InProcessStateHub } from '../src/state/in-process-state.ts';
import { serveClusterWorker } from '../src/state/cluster-state.ts';

/** Marks the metrics messages among the IPC messages. */
export const METRICS_TAG = 'switchboard-metrics';
/** How long the primary waits for each worker's metrics. */
const COLLECT_TIMEOUT_MS = 2_000;
/** Restarts of crashed workers allowed per minute; past it the primary exits (something is wrong). */
const MAX_RESTARTS_PER_MINUTE = 10;

/**
 * The primary of a multi-worker gateway: forks `count` workers (node:cluster; they share the
 * listening port), holds their shared state when there is no Redis (an `InProcessStateHub`
 * relayed over IPC), aggregates `/metrics` across workers on request, restarts a worker that
 * crashes, and on SIGTERM / SIGINT stops every worker (each drains) and exits 0.
 */
export function runClusterPrimary(count: number, argv: readonly string[]): void {
  cluster.setupPrimary({ args: [...argv] });
  const hub = new InProcessStateHub();
  const detach = new Map<number, () => void>();
  const collecting = new Map<number, { metrics: WorkerMetrics[]; waiting: number; done: () => void }>();
  let collectCounter = 0;
  let stopping = false;
  const restarts: number[] = [];

  const collect = async (): Promise<string> => {
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    collectCounter += 1;
    const id = collectCounter;
    const gathered: WorkerMetrics[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, COLLECT_TIMEOUT_MS);
      collecting.set(id, {
        metrics: gathered,
        waiting: workers.length,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      for (const worker of workers) worker.send({ tag: METRICS_TAG, kind: 'collect', id });
    });
    collecting.delete(id);
    return aggregateWorkerMetrics(gathered);
  };

  const fork = (greet: boolean) => {
    const worker = cluster.fork(greet ? { SWITCHBOARD_GREET: '1' } : { SWITCHBOARD_GREET: '' });
    detach.set(worker.id, serveClusterWorker(hub, worker, `worker-${worker.id}`));
    worker.on('message', (message: unknown) => {
      if (typeof message !== 'object' || message === null) return;
      const body = message as { tag?: unknown; kind?: unknown; id?: unknown; metrics?: unknown };
      if (body.tag !== METRICS_TAG || typeof body.id !== 'number') return;
      if (body.kind === 'render') {
        const id = body.id;
        collect().then(
          (text) => worker.send({ tag: METRICS_TAG, kind: 'rendered', id, text }),
          () => worker.send({ tag: METRICS_TAG, kind: 'rendered', id, text: '' }),
        );
      } else if (body.kind === 'collected') {
        const pending = collecting.get(body.id);
        if (pending === undefined || !Array.isArray(body.metrics)) return;
        pending.metrics.push(body.metrics as WorkerMetrics);
        pending.waiting -= 1;
        if (pending.waiting <= 0) pending.done();
      }
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    detach.get(worker.id)?.();
    detach.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    const now = Date.now();
    while (restarts.length > 0 && restarts[0]! < now - 60_000) restarts.shift();
    if (restarts.length >= MAX_RESTARTS_PER_MINUTE) {
      process.stderr.write(`switchboard: workers keep exiting (last: ${code ?? signal}); stopping\n`);
      process.exit(1);
    }
    restarts.push(now);
    process.stderr.write(`switchboard: worker ${worker.process.pid} exited (${code ?? signal}); starting another\n`);
    fork(false);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`Received ${signal}: stopping ${count} workers (each drains its requests)\n`);
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const worker of workers) worker?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // SIGHUP: every worker re-reads the config file (workers and state changes need a restart).
  process.on('SIGHUP', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
  });

  for (let index = 0; index < count; index += 1) fork(index === 0);
}
