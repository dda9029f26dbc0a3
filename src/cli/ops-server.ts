/**
 * What every `farebox serve` process offers its platform (Kubernetes probes, ECS and compose health
 * checks, Prometheus): GET /livez (200 while the process runs), GET /readyz (200 once its roles run, 503
 * while starting or draining) and GET /metrics, on FAREBOX_OPS_PORT. And its log lines, as text or as
 * one JSON object a line (FAREBOX_LOG_FORMAT=json) for log collectors.
 */
import type { ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { OpsConfig } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import type { RoleMetrics } from './metrics.ts';
import { listen } from './server.ts';

export interface OpsServer {
  url: string;
  setReady(ready: boolean): void;
  close(): Promise<void>;
}

export async function startOpsServer(
  config: OpsConfig & { host: string },
  deps: { metrics: RoleMetrics; roles: string[] },
): Promise<OpsServer> {
  let ready = false;
  const app = new Hono();
  app.get('/livez', (c) => c.json({ ok: true, roles: deps.roles }));
  app.get('/readyz', (c) =>
    ready
      ? c.json({ ready: true, roles: deps.roles })
      : c.json({ ready: false, roles: deps.roles, why: 'starting or draining' }, 503),
  );
  app.get('/metrics', async (c) =>
    c.body(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }),
  );
  const { server, url } = await listen(app, config.host, config.port).catch((e: unknown) => {
    const inUse = (e as { code?: string }).code === 'EADDRINUSE';
    throw new FareboxError(
      'config_invalid',
      `the ops port ${config.host}:${config.port} (FAREBOX_OPS_PORT) ${inUse ? 'is in use' : `cannot be opened: ${e instanceof Error ? e.message : String(e)}`}`,
      {
        cause: e,
        hint: 'several roles on one machine need a port each: set FAREBOX_OPS_PORT to another port, or 0 for any free one',
      },
    );
  });
  return {
    url,
    setReady: (r) => (ready = r),
    close: () => closeServer(server),
  };
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

export type Level = 'info' | 'warn' | 'error';

/** A log line: text with a timestamp, or JSON {time, level, role, msg}, on stderr. */
export function createLogger(
  format: OpsConfig['logFormat'],
  role: string,
): (msg: string, level?: Level) => void {
  return (msg, level = 'info') => {
    const time = new Date().toISOString();
    process.stderr.write(
      format === 'json'
        ? `${JSON.stringify({ time, level, role, msg })}\n`
        : `${time} ${level === 'info' ? '' : `${level}: `}${msg}\n`,
    );
  };
}
