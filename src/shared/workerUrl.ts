import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Worker threads run compiled JavaScript. From a compiled module the worker file sits beside
 * it; when the caller is TypeScript run by a test runner, the compiled copy is in dist/.
 */
export function workerUrl(callerUrl: string, name: string): URL {
  const beside = new URL(`./${name}.js`, callerUrl);
  if (existsSync(fileURLToPath(beside))) return beside;
  const compiled = fileURLToPath(beside).replace(/\/src\//, '/dist/');
  if (existsSync(compiled)) return pathToFileURL(compiled);
  throw new Error(`worker ${name}.js not found beside ${callerUrl} or in dist/ (run npm run build)`);
}
