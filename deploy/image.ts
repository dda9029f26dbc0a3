/**
 * The Dockerfile's runtime stage laid out as a directory, without Docker (the build machines have none):
 * what the image's /app would hold, made by following the Dockerfile itself. Each COPY of the final stage
 * copies from the build context (the repository less `.dockerignore`, read with @balena/dockerignore, the
 * library made for Docker's rules); `COPY --from=<stage>` runs that stage's own RUN commands in a
 * directory of its own (its COPYs first) and takes the path from there. So a file the image forgets, or a
 * package the roles import that production dependencies lack, shows when the staged tree is run.
 *
 * What is not Docker: the base image (this machine's Node stands in for node:24-slim), the final stage's
 * RUNs (user creation; the tests run the staged tree as the image's USER with setpriv instead), and
 * `npm cache clean` (left out, so the machine's npm cache keeps serving later runs).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import dockerignore from '@balena/dockerignore';
import { DockerfileParser, type Copy, type Env, type Instruction } from 'dockerfile-ast';

export const repo = path.resolve(import.meta.dirname, '..');

export interface StagedImage {
  /** The image's WORKDIR, as a directory here. */
  dir: string;
  /** ENV of the final stage. */
  env: Record<string, string>;
  /** USER of the final stage, as uid:gid. */
  user: string;
  entrypoint: string[];
  cmd: string[];
  /** Bytes each COPY of the final stage added (file sizes), by its sources as written. */
  sizes: Record<string, number>;
}

export interface StageOptions {
  /** Build arguments (ARG), as `docker build --build-arg`. */
  buildArgs?: Record<string, string>;
  /** Progress lines, e.g. to stderr. */
  log?: (line: string) => void;
}

const words = (i: Instruction) => i.getArguments().map((a) => a.getValue());

/** JSON (exec) form of ENTRYPOINT or CMD. */
function execForm(i: Instruction | undefined): string[] {
  if (i === undefined) return [];
  return JSON.parse(i.getArgumentsContent() ?? '[]') as string[];
}

export function duBytes(p: string): number {
  const st = fs.lstatSync(p);
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((n, e) => n + duBytes(path.join(p, e)), 0);
}

/** Copies `source` (relative to the context) to `dest`, leaving out what .dockerignore names. */
function copyFromContext(
  context: string,
  ignored: (rel: string) => boolean,
  source: string,
  dest: string,
): void {
  const from = path.join(context, source);
  if (!fs.existsSync(from)) throw new Error(`Dockerfile copies ${source}, which the context lacks`);
  fs.cpSync(from, dest, {
    recursive: true,
    filter: (p) => {
      const rel = path.relative(context, p);
      return rel === '' || !ignored(rel);
    },
  });
}

export function stageImage(out: string, options: StageOptions = {}): StagedImage {
  const log = options.log ?? (() => undefined);
  const dockerfile = DockerfileParser.parse(fs.readFileSync(path.join(repo, 'Dockerfile'), 'utf8'));
  // A CommonJS module whose types declare an ES default export: the factory is `.default` either way.
  const ignore = dockerignore
    .default()
    .add(fs.readFileSync(path.join(repo, '.dockerignore'), 'utf8').split('\n'));
  const ignored = (rel: string) => ignore.ignores(rel.split(path.sep).join('/'));
  const instructions = dockerfile.getInstructions();
  const froms = dockerfile.getFROMs();
  const stages = froms.map((from, n) => {
    const start = instructions.indexOf(from);
    const end =
      n + 1 < froms.length ? instructions.indexOf(froms[n + 1] as Instruction) : instructions.length;
    return { name: from.getBuildStage(), body: instructions.slice(start + 1, end) };
  });
  const args = (stage: Instruction[]): Record<string, string> =>
    Object.fromEntries(
      stage
        .filter((i) => i.getKeyword() === 'ARG')
        .map((i) => {
          const [name = '', value = ''] = (i.getArgumentsContent() ?? '').split('=');
          return [name, options.buildArgs?.[name] ?? value];
        }),
    );
  /**
   * COPY from the context: a directory's contents into the destination; a file into it when it ends in /.
   * Returns the paths it wrote.
   */
  const copyInto = (root: string, c: Copy): string[] => {
    const parts = words(c).filter((w) => !w.startsWith('--'));
    const dest = parts.at(-1) ?? '.';
    return parts.slice(0, -1).map((source) => {
      const isDir = fs.statSync(path.join(repo, source)).isDirectory();
      const into = dest.endsWith('/') || parts.length > 2;
      const target = path.resolve(root, isDir || !into ? dest : path.join(dest, path.basename(source)));
      copyFromContext(repo, ignored, source, target);
      return target;
    });
  };
  const built = new Map<string, string>();
  /**
   * Runs a named stage (its COPYs from the context, then its RUNs) once, in a directory of its own. A
   * stage that installs every dependency (npm ci without --omit=dev) runs its other RUNs in the
   * repository instead, whose node_modules are that install already.
   */
  const build = (name: string): string => {
    const done = built.get(name);
    if (done !== undefined) return done;
    const stage = stages.find((s) => s.name === name);
    if (stage === undefined) throw new Error(`Dockerfile has no stage '${name}'`);
    const runs = stage.body.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
    const inRepo = runs.some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit=dev'));
    const dir = inRepo ? repo : path.join(out, `stage-${name}`);
    if (!inRepo) {
      fs.mkdirSync(dir, { recursive: true });
      for (const i of stage.body) if (i.getKeyword() === 'COPY') copyInto(dir, i as Copy);
    }
    for (const run of runs) {
      if (inRepo && /\bnpm ci\b/.test(run)) continue;
      const command = run.replace(/&&\s*npm cache clean --force/, '');
      log(`stage ${name}: ${command.replace(/\s+/g, ' ')}`);
      const declare = Object.entries(args(stage.body)).map(
        ([k, v]) => `${k}='${v.replaceAll("'", "'\\''")}'; `,
      );
      execFileSync('bash', ['-c', `${declare.join('')}${command}`], {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
    built.set(name, dir);
    return dir;
  };

  const final = stages.at(-1)?.body ?? [];
  const dir = path.join(out, 'app');
  fs.mkdirSync(dir, { recursive: true });
  const env: Record<string, string> = {};
  const sizes: Record<string, number> = {};
  for (const i of final) {
    const keyword = i.getKeyword();
    if (keyword === 'ENV') for (const p of (i as Env).getProperties()) env[p.getName()] = p.getValue() ?? '';
    if (keyword !== 'COPY') continue;
    const copy = i as Copy;
    const from = copy.getFromFlag()?.getValue();
    const parts = words(copy).filter((w) => !w.startsWith('--'));
    const dest = parts.at(-1) ?? '.';
    let written: string[];
    if (from === undefined || from === null) written = copyInto(dir, copy);
    else {
      const stageDir = build(from);
      // Paths in another stage are absolute in the image, under its WORKDIR /app.
      for (const source of parts.slice(0, -1))
        fs.cpSync(path.join(stageDir, path.relative('/app', source)), path.resolve(dir, dest), {
          recursive: true,
        });
      written = [path.resolve(dir, dest)];
    }
    sizes[parts.slice(0, -1).join(' ')] = written.reduce((n, p) => n + duBytes(p), 0);
  }
  const last = (k: string) => final.filter((i) => i.getKeyword() === k).at(-1);
  return {
    dir,
    env,
    user: words(last('USER') as Instruction)[0] ?? 'root',
    entrypoint: execForm(last('ENTRYPOINT')),
    cmd: execForm(last('CMD')),
    sizes,
  };
}
