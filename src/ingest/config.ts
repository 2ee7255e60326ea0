/**
 * Where events go and with which key: the base URL (--base-url, OPSMETER_API_BASE_URL,
 * default https://api.opsmeter.io) and the API key (OPSMETER_API_KEY or --api-key-file;
 * never a flag value, which `ps` would show). Plain http:// is refused for any host that
 * is not loopback unless the user says --allow-insecure: the key would cross the network
 * in clear text.
 */
import { EXIT, OpsmeterError } from '../errors.js';
import { readFileSync } from 'node:fs';

const DEFAULT_BASE_URL = 'https://api.opsmeter.io';

/** A configuration problem the user must fix (exit 2). */
export class ConfigError extends OpsmeterError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.usage, hint);
  }
}

export interface TargetFlags {
  baseUrl?: string;
  apiKeyFile?: string;
  allowInsecure?: boolean;
}

export interface Target {
  /** Base URL without a trailing slash; endpoint paths are appended to its path. */
  baseUrl: URL;
  /** The host is this machine (127.0.0.0/8, ::1, localhost). */
  loopback: boolean;
}

const LOOPBACK_V4 = /^127(?:\.\d{1,3}){3}$/;

/**
 * Whether a host name or address is this machine. The one definition: it decides where the
 * API key may travel over plain http (resolveTarget) and when `emulate --host` warns that
 * other machines may reach it. Strict on purpose: IPv4-mapped forms (::ffff:127.0.0.1) and
 * other spellings are not loopback here, so they need https or --allow-insecure.
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || LOOPBACK_V4.test(h) || h === '::1' || h === '0:0:0:0:0:0:0:1';
}

/**
 * `*.localhost` names (RFC 6761) are meant to be this machine, but a resolver or /etc/hosts
 * may send them elsewhere: they count as loopback only when every address they resolve to
 * is one (checked by resolveTargetChecked), never by the name alone.
 */
export async function resolvesToLoopback(hostname: string): Promise<boolean> {
  const { lookup } = await import('node:dns/promises');
  try {
    const addresses = await lookup(hostname.replace(/^\[|\]$/g, ''), { all: true });
    return addresses.length > 0 && addresses.every((a) => isLoopbackHost(a.address));
  } catch {
    return false;
  }
}

/**
 * The environment the target and the key come from (OPSMETER_API_BASE_URL, OPSMETER_API_KEY,
 * OPSMETER_TOKEN). Always passed in: the core reads no environment variable itself (the CLI passes process.env).
 */
export type Env = Readonly<Record<string, string | undefined>>;

const rawBaseUrl = (flags: TargetFlags, env: Env): string => flags.baseUrl ?? (env.OPSMETER_API_BASE_URL || undefined) ?? DEFAULT_BASE_URL;

/** The base URL's host when it is a `*.localhost` name: only a lookup can tell whether it is this machine. */
export function localhostName(flags: TargetFlags, env: Env): string | undefined {
  let host: string;
  try {
    host = new URL(rawBaseUrl(flags, env)).hostname.toLowerCase();
  } catch {
    return undefined; // resolveTarget says what is wrong with it
  }
  return host.endsWith('.localhost') ? host : undefined;
}

/** resolveTarget, with `*.localhost` names looked up: loopback when they resolve to loopback only. */
export async function resolveTargetChecked(flags: TargetFlags, env: Env): Promise<Target> {
  const name = localhostName(flags, env);
  return resolveTarget(flags, env, name !== undefined && (await resolvesToLoopback(name)));
}

/** `resolvedLoopback`: the host was looked up and resolves to loopback only (resolveTargetChecked). */
export function resolveTarget(flags: TargetFlags, env: Env, resolvedLoopback = false): Target {
  const raw = rawBaseUrl(flags, env);
  const origin = flags.baseUrl !== undefined ? '--base-url' : env.OPSMETER_API_BASE_URL ? 'OPSMETER_API_BASE_URL' : 'the default base URL';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${origin} "${raw}" is not a URL`, 'e.g. https://api.opsmeter.io or http://127.0.0.1:8787');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`${origin} must be an http(s) URL, got ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new ConfigError(`${origin} must not carry credentials; give the API key through OPSMETER_API_KEY or --api-key-file`);
  }
  if (url.search || url.hash) {
    throw new ConfigError(`${origin} must not have a query string or fragment`);
  }
  const loopback = resolvedLoopback || isLoopbackHost(url.hostname);
  if (url.protocol === 'http:' && !loopback && !flags.allowInsecure) {
    throw new ConfigError(
      `refusing plain http:// to ${url.host}${flags.baseUrl === undefined ? ` (from ${origin})` : ''}: the API key would travel unencrypted`,
      'use https://, or pass --allow-insecure if this network is trusted',
    );
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return { baseUrl: url, loopback };
}

/** The full URL of an endpoint under the base URL (which may have a path prefix). */
export function endpointUrl(target: Target, path: string): URL {
  const u = new URL(target.baseUrl.href);
  u.pathname = target.baseUrl.pathname.replace(/\/+$/, '') + path;
  return u;
}

/** Printable form of the base URL for messages (never contains credentials: refused above). */
export function describeTarget(target: Target): string {
  return target.baseUrl.href.replace(/\/$/, '');
}

/** Visible ASCII only: anything else could not travel in an HTTP header anyway. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/**
 * The API key, from --api-key-file or OPSMETER_API_KEY, or undefined when neither is
 * given. Error messages never quote the key itself.
 */
export function resolveApiKey(flags: TargetFlags, env: Env): { key: string; from: string } | undefined {
  let key: string;
  let from: string;
  if (flags.apiKeyFile !== undefined) {
    from = `--api-key-file ${flags.apiKeyFile}`;
    try {
      key = readFileSync(flags.apiKeyFile, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ConfigError(`cannot read the API key file ${flags.apiKeyFile}: ${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message}`);
    }
    key = key.replace(/^\uFEFF/, '').trim();
    if (key === '') throw new ConfigError(`the API key file ${flags.apiKeyFile} is empty`);
  } else if (env.OPSMETER_API_KEY !== undefined && env.OPSMETER_API_KEY.trim() !== '') {
    from = 'OPSMETER_API_KEY';
    key = env.OPSMETER_API_KEY.trim();
  } else {
    return undefined;
  }
  if (!HEADER_SAFE.test(key)) {
    throw new ConfigError(`the API key from ${from} contains spaces, line breaks or non-ASCII characters`, 'it should be a single token as shown in Settings → API keys');
  }
  return { key, from };
}

export const API_KEY_HINT = 'set OPSMETER_API_KEY, or put the key in a file and pass --api-key-file FILE';

/**
 * A dashboard user's token for the Bearer endpoints (`opsmeter clean`, smoke's cleanup), from
 * --token-file or OPSMETER_TOKEN; never a flag value. It is not the workspace API key.
 */
export function resolveToken(flags: { tokenFile?: string }, env: Env): { token: string; from: string } | undefined {
  let token: string;
  let from: string;
  if (flags.tokenFile !== undefined) {
    from = `--token-file ${flags.tokenFile}`;
    try {
      token = readFileSync(flags.tokenFile, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ConfigError(`cannot read the token file ${flags.tokenFile}: ${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message}`);
    }
    token = token.replace(/^\uFEFF/, '').trim();
    if (token === '') throw new ConfigError(`the token file ${flags.tokenFile} is empty`);
  } else if (env.OPSMETER_TOKEN !== undefined && env.OPSMETER_TOKEN.trim() !== '') {
    from = 'OPSMETER_TOKEN';
    token = env.OPSMETER_TOKEN.trim();
  } else {
    return undefined;
  }
  // "Bearer " pasted along with the token is the one spacing mistake worth forgiving.
  token = token.replace(/^Bearer\s+/i, '');
  if (!HEADER_SAFE.test(token)) {
    throw new ConfigError(`the token from ${from} contains spaces, line breaks or non-ASCII characters`, 'it should be the single token a signed-in dashboard user holds');
  }
  return { token, from };
}

export const TOKEN_HINT =
  "set OPSMETER_TOKEN to a dashboard user's token (not the workspace API key), or put it in a file and pass --token-file FILE";

/** Replace every occurrence of the key in text we print (a server might echo it back). */
export function redactKey(text: string, key: string | undefined): string {
  if (!key || key.length < 4) return text;
  let out = text.includes(key) ? text.split(key).join('***') : text;
  // A server may echo the key JSON-escaped (`om\u005Flive…`, `\/`): match each character
  // either as itself or as any JSON escape of it. Only text with a backslash can hold one.
  if (out.includes('\\')) out = out.replace(escapedKeyPattern(key), '***');
  return out;
}

let escapedKey: { key: string; pattern: RegExp } | undefined;
function escapedKeyPattern(key: string): RegExp {
  if (escapedKey?.key !== key) {
    const part = (ch: string) => {
      const hex = ch.charCodeAt(0).toString(16).padStart(4, '0');
      const literal = ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
      // In the pattern: `\\u` is a literal backslash and u; `\\\/` a backslash and a slash.
      return `(?:${literal}|\\\\u${hex.split('').map((h) => (/[a-f]/.test(h) ? `[${h}${h.toUpperCase()}]` : h)).join('')}${ch === '/' ? '|\\\\\\/' : ''})`;
    };
    escapedKey = { key, pattern: new RegExp([...key].map(part).join(''), 'g') };
  }
  escapedKey.pattern.lastIndex = 0;
  return escapedKey.pattern;
}
