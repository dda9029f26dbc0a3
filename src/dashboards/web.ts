/**
 * The web app (web/, built by Vite into web/dist): index.html at `/` and the hashed assets under
 * /assets/, cached for a year since their names change with their contents. The app routes by the URL's
 * fragment (#/dashboards/fleet), so `/` is the only page. Without a build, `/` says how to make one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';

const notBuilt = `<!doctype html><meta charset="utf-8"><title>farebox</title>
<body style="font-family: system-ui; max-width: 40em; margin: 4em auto">
<h1>farebox dashboards</h1><p>The web app is not built yet. Run <code>npm run build:web</code> (npm start does it first),
then reload this page. The API is up under <code>/api</code>.</p>`;

export function webApp(dir: string): Hono {
  const app = new Hono();
  const index = path.join(dir, 'index.html');
  app.get('/', (c) => {
    if (!fs.existsSync(index)) return c.html(notBuilt, 503);
    c.header('cache-control', 'no-cache');
    return c.html(fs.readFileSync(index, 'utf8'));
  });
  app.use('/assets/*', async (c, next) => {
    await next();
    if (c.res.status === 200) c.header('cache-control', 'public, max-age=31536000, immutable');
  });
  app.get('/assets/*', serveStatic({ root: dir }));
  app.get('/favicon.svg', serveStatic({ root: dir }));
  return app;
}
