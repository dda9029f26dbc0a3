#!/usr/bin/env node
// The `farebox` command. Runs the TypeScript sources directly on Node 24 (type stripping).
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `farebox needs Node 24 or newer; this is Node ${process.versions.node}.\n` +
      'Run it through npm (`npm start`, `npx farebox …`), which uses the Node 24 pinned in devDependencies.\n',
  );
  process.exit(1);
}
const { main } = await import('../src/cli/index.ts');
await main(process.argv.slice(2));
