/** The web dashboard: static files and the Fastify plugin that serves them at `/`. */
export { STATIC_DIR, uiPlugin } from './uiPlugin.js';
