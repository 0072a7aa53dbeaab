// Runs a wasm32-wasip1 program under Node's built-in WASI, as cargo's target runner:
//   CARGO_TARGET_WASM32_WASIP1_RUNNER="node --no-warnings $PWD/.ci/wasi-runner.mjs"
// cargo calls it as `runner.mjs path/to/test.wasm [args...]`. The program gets the arguments
// and the environment, no directory at all (nothing to read or write on the host), and its
// exit code becomes the runner's. A trap (a panic aborts on wasip1) exits non-zero.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import process from 'node:process';
import { WASI } from 'node:wasi';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node wasi-runner.mjs program.wasm [args...]');
  process.exit(2);
}

const wasi = new WASI({
  version: 'preview1',
  args: [basename(file), ...args],
  env: process.env,
  preopens: {},
  returnOnExit: true,
});

try {
  const module = await WebAssembly.compile(await readFile(file));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  process.exitCode = wasi.start(instance);
} catch (error) {
  console.error(`${basename(file)}: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 101;
}
