import type { ValidateResult } from '../validate/validate.js';

export interface RenderContext {
  color: boolean;
  strict: boolean;
  version: string;
  /** Catalog snapshot date and origin, for the summary line. */
  catalog: string;
}

/** A renderer turns one validate result into the text of one output format. */
export type Renderer = (result: ValidateResult, ctx: RenderContext) => string;
