declare const __AGENT_VERSION__: string | undefined;

/** Set by build.mjs from agent/package.json; "dev" when run from source. */
export const AGENT_VERSION = typeof __AGENT_VERSION__ === 'string' ? __AGENT_VERSION__ : 'dev';
