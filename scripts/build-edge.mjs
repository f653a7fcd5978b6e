#!/usr/bin/env node
// `npm run build:edge`: the edge worker as one JavaScript file that runs with `node` alone
// (dist-edge/edgeplane-edge.cjs), then, where this machine can make one, a Node single
// executable (dist-edge/edgeplane-edge: the node binary with the bundle injected, Node 20 SEA).
//
// The native bus modules stay outside the bundle: they are compiled for the board, and a board
// needs only those of the buses it uses (put them in node_modules beside the file or binary).
// CommonJS, because a Node 20 single executable runs one CommonJS script.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist-edge');
const bundle = join(out, 'edgeplane-edge.cjs');
const exe = join(out, 'edgeplane-edge');
const NATIVE = ['i2c-bus', 'serialport', '@serialport/*', '@abandonware/noble', '@abandonware/bluetooth-hci-socket'];
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
writeFileSync(join(out, '.gitignore'), '*\n');

const result = await build({
  entryPoints: [join(root, 'src/edge/worker/standalone.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: NATIVE,
  minify: true,
  keepNames: true, // error classes are named in logs (EdgeplaneError sets name from the class)
  legalComments: 'linked',
  logLevel: 'warning',
  // native.ts picks __filename in CommonJS; import.meta is never reached there.
  logOverride: { 'empty-import-meta': 'silent' },
  metafile: true,
});
const inputs = Object.keys(result.metafile.inputs).length;
console.log(`bundle: ${bundle} (${mib(statSync(bundle).size)}, ${inputs} modules; external: ${NATIVE.join(', ')})`);

/** The single executable: skipped, with the reason, where this node or machine cannot make one. */
function sea() {
  const [major] = process.versions.node.split('.').map(Number);
  if (major < 20) return `Node ${process.versions.node} has no single executables (20+ needed)`;
  const seaConfig = join(out, 'sea-config.json');
  const blob = join(out, 'sea-prep.blob');
  writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true }));
  const prep = spawnSync(process.execPath, ['--experimental-sea-config', seaConfig], { encoding: 'utf8' });
  if (prep.status !== 0) return `node --experimental-sea-config failed: ${(prep.stderr || prep.stdout).trim()}`;
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  const postject = join(root, 'node_modules/postject/dist/cli.js');
  const inject = spawnSync(process.execPath, [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { encoding: 'utf8' });
  rmSync(blob, { force: true });
  rmSync(seaConfig, { force: true });
  if (inject.status !== 0) {
    rmSync(exe, { force: true });
    return `postject failed: ${(inject.stderr || inject.stdout).trim()}`;
  }
  const check = spawnSync(exe, ['--help'], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(exe, { force: true });
    return `the executable does not run here: ${(check.stderr || check.stdout).trim().slice(0, 300)}`;
  }
  return undefined;
}

const skipped = process.env.EDGEPLANE_NO_SEA ? 'EDGEPLANE_NO_SEA is set' : sea();
if (skipped) console.log(`single executable: not made (${skipped})`);
else console.log(`single executable: ${exe} (${mib(statSync(exe).size)}; Node ${process.versions.node}, ${process.platform}-${process.arch})`);
