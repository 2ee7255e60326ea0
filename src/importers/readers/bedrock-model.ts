/**
 * Bedrock model ids as logs write them (docs/import-formats.md `bedrock`), shared by the
 * bedrock and claude-code adapters (Claude Code run on Bedrock logs the id it was given).
 */

/**
 * `modelId` may be an ARN. Foundation-model and (system) inference-profile ARNs end in the
 * model id, which the catalog rules map (`us.` region prefixes included). Other resources
 * (application inference profiles, provisioned or custom models) name no model: keep
 * `<resource-type>/<id>` so the row shows what was called and counts as an unknown model.
 */
export function modelFromId(modelId: string): string {
  const arn = /^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:([^/]+)\/(.+)$/.exec(modelId);
  if (!arn) return modelId;
  const [, resource, id] = arn as unknown as [string, string, string];
  return resource === 'foundation-model' || resource === 'inference-profile' ? id : `${resource}/${id}`;
}
