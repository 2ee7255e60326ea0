import type { Paint } from '../terminal.js';
import type { ValidateResult } from '../validate/validate.js';

export interface RenderContext {
  /** Styles for human text (PLAIN when the output is not a colour terminal). */
  paint: Paint;
  strict: boolean;
  version: string;
  /** Catalog snapshot date and origin, for the summary line. */
  catalog: string;
}

/** A renderer turns one validate result into the text of one output format. */
export type Renderer = (result: ValidateResult, ctx: RenderContext) => string;
