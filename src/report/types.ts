import type { Paint } from '../terminal.js';
import type { ValidateResult } from '../validate/validate.js';

export interface RenderContext {
  /** Styles for human text (PLAIN when the output is not a colour terminal). */
  paint: Paint;
  strict: boolean;
  /** More warnings than this fail the run (--max-warnings). */
  maxWarnings?: number;
  /** Rule settings that differ from the defaults (config file, --rule), for the summary; id → level. */
  ruleSettings?: Readonly<Record<string, string>>;
  version: string;
  /** Terminal width (columns) when printing to a TTY; undefined for files, pipes and logs. */
  width?: number;
  /** Catalog snapshot date and origin, for the summary line. */
  catalog: string;
}

/** A renderer turns one validate result into the text of one output format. */
export type Renderer = (result: ValidateResult, ctx: RenderContext) => string;
