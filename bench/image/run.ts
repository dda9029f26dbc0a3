/**
 * How big the container image's own layers are, measured without Docker: the Dockerfile's runtime stage
 * laid out by deploy/image.ts (the same COPYs, .dockerignore and `npm ci --omit=dev …` as `docker build`),
 * once as built by default and once with `--build-arg EMBEDDED=true` (chDB's engine kept). Sizes are what
 * each COPY adds, file sizes summed (`du --apparent-size`'s way), before the layer's compression;
 * node:24-slim comes on top.
 *
 *   npm run bench:image
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stageImage } from '../../deploy/image.ts';

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

function countPackages(nodeModules: string): number {
  let n = 0;
  for (const entry of fs.readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) n += fs.readdirSync(path.join(nodeModules, entry)).length;
    else n++;
  }
  return n;
}

const rows: string[] = [];
for (const embedded of ['false', 'true']) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-bench-image-'));
  try {
    const started = performance.now();
    const image = stageImage(out, {
      buildArgs: { EMBEDDED: embedded },
      log: (l) => process.stderr.write(`  ${l}\n`),
    });
    const seconds = (performance.now() - started) / 1000;
    const total = Object.values(image.sizes).reduce((a, b) => a + b, 0);
    const parts = Object.entries(image.sizes)
      .sort(([, a], [, b]) => b - a)
      .map(([sources, bytes]) => `${sources} ${mb(bytes)}`)
      .join(', ');
    const packages = countPackages(path.join(image.dir, 'node_modules'));
    rows.push(`| EMBEDDED=${embedded} | ${mb(total)} | ${packages} | ${parts} | ${seconds.toFixed(0)} s |`);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}
process.stdout.write(
  [
    '| build | layers over node:24-slim | packages in node_modules | by COPY | staged in |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n'),
);
