import { createRequire } from 'node:module';

/**
 * Loads a native bus module (`i2c-bus`, `serialport`, `@abandonware/noble`) only when a device
 * needs it, with `require` from beside this code. The bundled worker and the single executable
 * keep these modules external (they are compiled for the board); there `import()` of a bare name
 * is not available (a Node 20 single executable only `require`s built-ins unless given a
 * `createRequire`), so one way that works in every form is used: as ES module (tsc output) it
 * resolves from this file, bundled (CommonJS) from the bundle or the executable's directory.
 */
export function loadNative(name: string): Promise<unknown> {
  try {
    const base = typeof __filename === 'string' ? __filename : import.meta.url;
    return Promise.resolve(createRequire(base)(name));
  } catch (e) {
    return Promise.reject(e);
  }
}
