export * from './permissions';
export * from './desktop';

/** Bumped when browser, server or agent would misread each other. */
export const PROTOCOL_VERSION = 1;
