/**
 * opsmeter's own files, in a module that imports nothing: config discovery (loaded by the
 * API's entry point, which must stay light) and path expansion both need the name.
 */
export const CONFIG_FILE_NAME = 'opsmeter.config.json';

/**
 * The config file is JSON but never a payload: `validate .` in a repository that holds one
 * would otherwise report it as an invalid payload. Named on its own, a file is still read.
 */
export const isToolFile = (name: string): boolean => name === CONFIG_FILE_NAME;
