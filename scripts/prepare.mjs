// npm's `prepare`: builds dist/ unless it is already up to date with what it is built from.
//
// npm runs `prepare` after `npm ci` / `npm install` in a clone, in a git dependency's clone,
// before `npm pack`, and also when `npx opsmeter` runs in a clone: npx links the project into
// its own cache (~/.npm/_npx) and runs the project's `prepare` there, which rebuilt a dist/
// that `npm ci` had just built (~10 s on the first `npx opsmeter`). So the build runs only
// when dist/ is missing or older than src/, tsconfig.json or package.json (the folders'
// own times included, so a deleted or renamed source file counts too). `npm run build`
// still always builds.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every file's and folder's modification time below (and of) a path, folded with `pick`. */
function times(path, pick, start) {
  let t = pick(start, statSync(path).mtimeMs);
  if (statSync(path).isDirectory()) for (const name of readdirSync(path)) t = times(join(path, name), pick, t);
  return t;
}

function upToDate() {
  const dist = join(root, 'dist');
  if (!existsSync(join(dist, 'cli', 'main.js')) || !existsSync(join(dist, 'api', 'index.js'))) return false;
  const newestInput = ['src', 'tsconfig.json', 'package.json'].reduce((t, p) => times(join(root, p), Math.max, t), 0);
  // The oldest file tsc wrote: every output must be newer than every input.
  const oldestOutput = times(dist, Math.min, Infinity);
  return newestInput <= oldestOutput;
}

if (upToDate()) {
  console.log('opsmeter: dist/ is up to date with src/, no build');
} else {
  // Under npm, npm_execpath is npm's own entry point: run the same npm, whatever is on PATH.
  const npm = process.env.npm_execpath;
  const r = npm ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' }) : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  process.exitCode = r.status ?? 1;
}
